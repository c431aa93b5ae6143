"""ISO 3166-1 alpha-3 country codes, from pycountry (a maintained copy of the ISO tables)."""

from __future__ import annotations

from functools import cache


@cache
def alpha3_codes() -> tuple[str, ...]:
    import pycountry

    return tuple(sorted(c.alpha_3 for c in pycountry.countries))


@cache
def alpha2_codes() -> tuple[str, ...]:
    import pycountry

    return tuple(sorted(c.alpha_2 for c in pycountry.countries))


@cache
def _by_other_code() -> dict[str, str]:
    import pycountry

    out: dict[str, str] = {}
    for c in pycountry.countries:
        out[c.alpha_2] = c.alpha_3
        out[c.numeric] = c.alpha_3  # ISO 3166 numeric, e.g. 116 for Cambodia
        out[str(int(c.numeric))] = c.alpha_3
        out[c.name.upper()] = c.alpha_3
        if hasattr(c, "common_name"):
            out[c.common_name.upper()] = c.alpha_3
    return out


@cache
def country_name(code: str) -> str:
    """A country's English name (pycountry's common name where it has one), or the code."""
    import pycountry

    c = pycountry.countries.get(alpha_3=code)
    return getattr(c, "common_name", None) or (c.name if c else code)


def suggest_country(value: str) -> str | None:
    """The alpha-3 code a user probably meant (``sdn`` -> SDN, ``TZ`` -> TZA, ``Sudan`` -> SDN)."""
    v = str(value).strip()
    if v.upper() in alpha3_codes():
        return v.upper()
    return _by_other_code().get(v.upper())


def check_country(value: str) -> str | None:
    """None if ``value`` is an ISO alpha-3 code, else a message with a suggestion."""
    if value in alpha3_codes():
        return None
    guess = suggest_country(value)
    hint = f" (did you mean {guess}?)" if guess else ""
    return f"'{value}' is not an ISO 3166 alpha-3 country code{hint}"


def alpha2_to_alpha3(code: str) -> str | None:
    """The alpha-3 code of an ISO 3166 alpha-2 code (``SD`` -> SDN), or None."""
    import pycountry

    c = pycountry.countries.get(alpha_2=str(code).strip().upper())
    return c.alpha_3 if c else None
