"""A dataset of a standard's template (HTCDS field names) read as the template it provides
(``provides:``): the columns the catalog's indicators read, derived record by record from the
validated columns, so that data collected with a standard's form computes the indicators with
no renaming. Nothing is guessed: every rule is written in the template (a column or the first
of several with a value, a code map, whole years between two dates, number bands, ISO alpha-2
as alpha-3); a derived value that is not a code of the provided column is left unknown and
counted in the finding this returns."""

from __future__ import annotations

import pandas as pd

from mel.definitions.models import Provided, Template
from mel.errors import Finding


def _first(frame: pd.DataFrame, columns: list[str]) -> pd.Series:
    """Each record's value of the first column that has one."""
    out = frame[columns[0]].copy()
    for c in columns[1:]:
        missing = out.isna() | (out.astype("str") == "") if out.dtype == "str" else out.isna()
        out = out.where(~missing, frame[c])
    return out


def _years(born: pd.Series, on: pd.Series) -> pd.Series:
    """Whole years from ``born`` to ``on`` (an age on a day)."""
    b, d = pd.to_datetime(born), pd.to_datetime(on)
    before = (d.dt.month < b.dt.month) | ((d.dt.month == b.dt.month) & (d.dt.day < b.dt.day))
    years = d.dt.year - b.dt.year - before.astype("Int64")
    return years.astype("Int64")


def _recode(values: pd.Series, rule: Provided, multiple: bool) -> pd.Series:
    """Codes through the rule's map (each of several), alpha-2 as alpha-3; '' is unknown."""
    if rule.alpha3:
        from mel.definitions.countries import alpha2_to_alpha3

        convert = alpha2_to_alpha3
    else:
        convert = None

    def one(text: str) -> str | None:
        parts = [p for p in str(text).split(";") if p]
        if convert is not None:
            parts = [convert(p) or p for p in parts]
        parts = [rule.values.get(p, p) for p in parts]
        parts = [p for p in dict.fromkeys(parts) if p]
        if not parts:
            return None
        return ";".join(parts) if multiple else parts[0]

    uniques = values.dropna().unique()
    mapping = {u: one(u) for u in uniques}
    return values.map(mapping, na_action="ignore").astype("str")


def _bands(numbers: pd.Series, bands: dict[str, list]) -> pd.Series:
    out = pd.Series(pd.NA, index=numbers.index, dtype="str")
    for code, (low, high) in bands.items():
        hit = ((numbers >= low) & (numbers <= high)).fillna(False).to_numpy(dtype=bool)
        out[hit] = code
    return out


def provide(frame: pd.DataFrame, tpl: Template, provided: Template, codes) -> tuple:
    """(the provided template's columns derived from ``frame``, the provided columns whose
    sources the file has, findings). ``codes`` maps a provided column to its code list's
    codes (or None)."""
    from mel.data.validate import _DTYPES  # the typed frame's dtypes, declared once there

    assert tpl.provides is not None
    rules = tpl.provides.columns
    out: dict[str, pd.Series] = {}
    order = sorted(rules, key=lambda c: rules[c].years_to is not None)  # ages after dates
    findings: list[Finding] = []
    for name in order:
        rule, spec = rules[name], provided.column(name)
        if spec is None:
            continue
        value = _first(frame, list(rule.column))
        if rule.years_to is not None:
            value = _years(value, out[rule.years_to])
        if rule.bands:
            value = _bands(value, rule.bands)
        elif spec.type == "code":
            value = _recode(value, rule, spec.multiple)
        out[name] = value.astype(_DTYPES[spec.type]).reset_index(drop=True)
        allowed = codes.get(name)
        if allowed is not None and spec.type == "code":
            findings += _unknown(out, name, allowed, tpl)
    n = len(frame)
    for spec in provided.columns:
        if spec.name not in out:
            out[spec.name] = pd.Series(pd.NA, index=pd.RangeIndex(n), dtype=_DTYPES[spec.type])
    return pd.DataFrame(out)[provided.column_names], findings


def _unknown(out: dict, name: str, allowed, tpl: Template) -> list[Finding]:
    """A derived code its code list does not have is left unknown (and said)."""
    allowed = set(allowed)
    col = out[name]
    parts = col.dropna().map(lambda v: all(p in allowed for p in str(v).split(";") if p))
    bad = parts.index[~parts.to_numpy(dtype=bool)]
    if not len(bad):
        return []
    sample = sorted(set(col[bad].astype(str)))[:3]
    out[name] = col.where(~col.index.isin(bad))
    return [
        Finding(
            "unknown-code",
            f"{len(bad):,} record(s) give '{name}' a value that is not one of its codes "
            f"({', '.join(sample)}): read as unknown",
            scope="column",
            field=name,
            severity="warning",
            hint=f"map it under provides: columns: {name}: values: in the template '{tpl.name}'",
        )
    ]


def present_columns(tpl: Template, in_file: set[str]) -> frozenset[str]:
    """The provided columns whose source columns the file has."""
    assert tpl.provides is not None
    rules = tpl.provides.columns
    have: set[str] = set()
    for name in sorted(rules, key=lambda c: rules[c].years_to is not None):
        rule = rules[name]
        if any(c in in_file for c in rule.column) and (
            rule.years_to is None or rule.years_to in have
        ):
            have.add(name)
    return frozenset(have)


__all__ = ["present_columns", "provide"]
