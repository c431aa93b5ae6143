"""Parsing raw text cells into typed columns, against a template column.

Parsing comes before checking: each column is turned into its type (numbers, dates, booleans,
canonical codes) and every cell that cannot be parsed is reported and set missing, so that the
column's other checks still run on the rest of it. Parsing also normalises what is acceptable
but not canonical, with a warning and the canonical value as suggestion: spaces around a value,
a code written in another case (``sdn`` -> ``SDN``) or as an alias (``F`` -> ``Female``).
Labels of code-list values (``Forced labour``) are accepted silently: data-entry workbooks
offer them in their dropdowns.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable

import numpy as np
import pandas as pd

from mel.data.parsed import CellIssue, Parsed, joined, spread
from mel.definitions.countries import suggest_country
from mel.definitions.models import CodeList, ColumnSpec, DateFormat
from mel.errors import did_you_mean

TRUE_WORDS = {"true", "yes", "y", "1", "t", "oui", "sí", "si"}
FALSE_WORDS = {"false", "no", "n", "0", "f", "non"}
MULTI_SPLIT = re.compile(r"\s*[;|]\s*")
MULTI_SEPARATOR = ";"
_STAMP = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d")

_DATE_FORMATS: dict[str, list[str]] = {
    "day_first": ["%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y"],
    "month_first": ["%m/%d/%Y", "%m-%d-%Y"],
}


def _missing_mask(stripped: pd.Series, missing_codes: Iterable[str]) -> np.ndarray:
    codes = {c.strip().lower() for c in missing_codes} | {""}
    return stripped.str.lower().isin(codes).to_numpy()


def parse_column(
    raw: pd.Series,
    spec: ColumnSpec,
    missing_codes: Iterable[str],
    codelist: CodeList | None = None,
    date_format: DateFormat = "iso",
) -> Parsed:
    """Parse one column of text cells (``""`` for empty) by its template column.

    A long column with few distinct values (codes, dates, numbers of a few thousand kinds in
    millions of rows) is parsed once per distinct value and spread back to its cells; so is a
    column read as a categorical (a long file's column of few distinct values, see
    :func:`mel.data.arrowcsv._coded`)."""
    if isinstance(raw.dtype, pd.CategoricalDtype):
        codes = raw.cat.codes.to_numpy()
        if len(codes) and (codes >= 0).all():
            once = _parse_column(
                pd.Series(raw.cat.categories, dtype="str"),
                spec,
                missing_codes,
                codelist,
                date_format,
            )
            return spread(once, codes)
    raw = raw.astype("str")
    n = len(raw)
    if n >= _PER_VALUE_FROM:
        sample = raw.iloc[:_SAMPLE].nunique()
        if sample <= _few(spec):
            codes, uniques = pd.factorize(raw)
            if len(uniques) <= n // 4 and (codes >= 0).all():
                once = _parse_column(
                    pd.Series(uniques, dtype="str"), spec, missing_codes, codelist, date_format
                )
                return spread(once, codes)
    if n > _CHUNK:  # many distinct values: a part at a time, for the transient copies' memory
        return joined(
            [
                _parse_column(raw.iloc[i : i + _CHUNK], spec, missing_codes, codelist, date_format)
                for i in range(0, n, _CHUNK)
            ],
            _CHUNK,
        )
    return _parse_column(raw, spec, missing_codes, codelist, date_format)


_PER_VALUE_FROM = 50_000
_SAMPLE = 10_000
_CHUNK = 500_000


def _few(spec: ColumnSpec) -> int:
    """At most how many distinct values in the first :data:`_SAMPLE` cells make a long column
    parsed per distinct value (the column's distinct values are then counted, and must be at
    most a quarter of its cells). Numbers and dates cost the most per cell (a cost column of
    4,000,000 cells and 64,529 amounts: 1.6 s parsed in parts, 0.4 s per value): a sample with
    any real repetition (9,800 distinct of 10,000 drawn from about 250,000) is worth the count;
    text is cheap to parse, and its identifiers, often unique or nearly, are not."""
    if spec.type in ("integer", "number", "date"):
        return _SAMPLE * 49 // 50
    return _SAMPLE // 4


def _parse_column(
    raw: pd.Series,
    spec: ColumnSpec,
    missing_codes: Iterable[str],
    codelist: CodeList | None,
    date_format: DateFormat,
) -> Parsed:
    stripped = raw.str.strip()
    issues: list[CellIssue] = []
    spaced = ((stripped != raw) & (stripped != "")).to_numpy()
    if spaced.any():
        pos = np.flatnonzero(spaced)
        issues.append(
            CellIssue(
                pos,
                "whitespace",
                "warning",
                "the value has spaces before or after it",
                [stripped.iloc[i] for i in pos] if not spec.pii else None,
                "remove the spaces",
            )
        )
    missing = _missing_mask(stripped, [*missing_codes, *spec.missing_values])
    text = stripped.where(~missing)
    if spec.type == "string":
        return Parsed(text.astype("str"), np.zeros(len(raw), bool), issues)
    if spec.type in ("integer", "number"):
        return _numbers(text, missing, spec, issues)
    if spec.type == "date":
        return _dates(text, missing, date_format, issues, timestamp=spec.timestamp)
    if spec.type == "boolean":
        return _booleans(text, missing, issues)
    assert codelist is not None
    return _codes(text, missing, spec, codelist, issues)


INT_LIMIT = 2**53  # whole numbers beyond it are not held exactly (and 2**63 overflows)


_GROUPED = {
    ",": re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$"),
    ".": re.compile(r"^[+-]?\d{1,3}(\.\d{3})+(,\d+)?$"),
    " ": re.compile(r"^[+-]?\d{1,3}( \d{3})+(\.\d+)?$"),
    "'": re.compile(r"^[+-]?\d{1,3}('\d{3})+(\.\d+)?$"),
}


def _ungroup(text: pd.Series, sep: str) -> pd.Series:
    """Numbers written with a thousands separator (1,192; 1.192,5 where '.' groups) as plain
    digits; text that is not grouped in threes is left as it is (and reported unparsable)."""
    s = text.str.strip()
    grouped = s.str.match(_GROUPED[sep].pattern, na=False)
    plain = s.str.replace(sep, "", regex=False)
    if sep == ".":
        plain = plain.str.replace(",", ".", regex=False)
    return s.where(~grouped, plain)


def _numbers(text: pd.Series, missing: np.ndarray, spec: ColumnSpec, issues) -> Parsed:
    bounds = None
    if spec.censored:  # '<5' as UNODC publishes small counts: known only within bounds
        low = np.full(len(text), np.nan)
        high = np.full(len(text), np.nan)
        for token, (lo, hi) in spec.censored.items():
            hit = (text == str(token).strip()).to_numpy(dtype=bool, na_value=False)
            low[hit], high[hit] = lo, hi
        censored = ~np.isnan(low)
        if censored.any():
            bounds = (low, high)
            text = text.where(~censored)
            missing = missing | censored
    if spec.thousands is not None:
        text = _ungroup(text, spec.thousands)
    num = pd.to_numeric(text, errors="coerce").astype("float64")
    bad = num.isna().to_numpy() & ~missing
    infinite = np.isinf(num.to_numpy())
    if infinite.any():  # 'inf', '1e400': no count, cost or score is infinite
        issues.append(
            CellIssue(
                np.flatnonzero(infinite),
                "type",
                "error",
                "'{value}' is not a finite number",
                hint="write the number in digits; a value too large for any count is a typo",
            )
        )
        num = num.where(~infinite)
    bad_any = bad | infinite
    if spec.type == "integer":
        frac = (num.notna() & (num % 1 != 0)).to_numpy()
        if frac.any():
            pos = np.flatnonzero(frac)
            issues.append(CellIssue(pos, "type", "error", "'{value}' is not a whole number"))
            num = num.where(~frac)
        huge = (num.abs() >= INT_LIMIT).to_numpy(dtype=bool, na_value=False)
        if huge.any():
            issues.append(
                CellIssue(
                    np.flatnonzero(huge),
                    "type",
                    "error",
                    "'{value}' is too large for a whole number (the limit is 2^53)",
                    hint="check the cell: a count this large is a typo or a pasted code",
                )
            )
            num = num.where(~huge)
        bad_any = bad_any | frac | huge
    if bad.any():
        pos = np.flatnonzero(bad)
        suggestions: list[str | None] = []
        for i in pos:
            value = str(text.iloc[i])
            cleaned = value.replace(",", "").replace(" ", "")
            try:
                float(cleaned)
                suggestions.append(cleaned)
            except ValueError:
                suggestions.append(None)
        want = "a whole number" if spec.type == "integer" else "a number"
        issues.append(
            CellIssue(
                pos,
                "type",
                "error",
                "'{value}' is not " + want,
                suggestions,
                "write digits only, with '.' for decimals and no thousands separators (for "
                "published statistics written 1,192, declare thousands: ',' on the column in "
                "its template)",
            )
        )
    values = num.astype("Int64") if spec.type == "integer" else num.astype("Float64")
    return Parsed(values, bad_any, issues, bounds)


def _stamped_dates(sub: pd.Series, iso: pd.Series) -> None:
    """Date-times as forms write them (2024-03-01T09:15:02.000+03:00) placed on the date
    as written (the local date, whatever the offset), into ``iso``."""
    stamped = sub.str.match(_STAMP)
    whole = pd.to_datetime(sub[stamped], format="ISO8601", errors="coerce", utc=True)
    day = pd.to_datetime(sub[stamped].str.slice(0, 10), format="%Y-%m-%d", errors="coerce")
    iso.loc[day.index] = day.where(whole.notna())


def _dates(
    text: pd.Series, missing: np.ndarray, date_format: DateFormat, issues, timestamp: bool = False
) -> Parsed:
    iso = pd.to_datetime(text, format="%Y-%m-%d", errors="coerce")
    todo = iso.isna().to_numpy() & ~missing
    if timestamp and todo.any():
        _stamped_dates(text[todo], iso)
        todo = iso.isna().to_numpy() & ~missing
    if todo.any():
        # ISO date-times (from Excel cells holding a time) keep their date, with a warning
        sub = text[todo]
        stamp = pd.to_datetime(sub, format="ISO8601", errors="coerce")
        timed = stamp.notna() & (stamp != stamp.dt.normalize())
        if timed.any():
            pos = np.flatnonzero(text.index.isin(timed[timed].index))
            issues.append(
                CellIssue(
                    pos,
                    "type",
                    "warning",
                    "'{value}' holds a time of day as well; its date is used",
                    [str(d.date()) for d in stamp[timed]],
                    "write the date alone (YYYY-MM-DD)",
                )
            )
        iso.loc[stamp.index] = stamp.dt.normalize()
        todo = iso.isna().to_numpy() & ~missing
    for fmt in _DATE_FORMATS.get(date_format, []):
        if not todo.any():
            break
        sub = text[todo]
        got = pd.to_datetime(sub, format=fmt, errors="coerce")
        iso.loc[got.index] = got
        todo = iso.isna().to_numpy() & ~missing
    if todo.any():
        pos = np.flatnonzero(todo)
        suggestions, hints = [], []
        for i in pos:
            s, h = _date_suggestion(str(text.iloc[i]), date_format)
            suggestions.append(s)
            hints.append(h)
        expected = {
            "iso": "YYYY-MM-DD",
            "day_first": "YYYY-MM-DD or DD/MM/YYYY",
            "month_first": "YYYY-MM-DD or MM/DD/YYYY",
        }[date_format]
        issues.append(
            CellIssue(
                pos,
                "type",
                "error",
                "'{value}' is not a date written " + expected,
                suggestions,
                hints=hints,
            )
        )
    # a small number typed or pasted into a date cell (Excel's day numbers are off by one before
    # March 1900, its 1900-02-29); a typo in the year (6116 for 2016), beyond what pandas holds
    for wrong, message, hint in (
        (
            iso < EXCEL_FIRST_RELIABLE,
            "'{value}' is before March 1900: a small number typed or pasted into a date cell, "
            "not a real date",
            "retype the date as YYYY-MM-DD",
        ),
        (
            iso > LAST_DATE,
            "'{value}' is after the year 2261: a mistyped year, not a real date",
            "retype the date as YYYY-MM-DD with the right year",
        ),
    ):
        mask = wrong.to_numpy(dtype=bool, na_value=False)
        if mask.any():
            issues.append(CellIssue(np.flatnonzero(mask), "type", "error", message, hint=hint))
            iso = iso.where(~mask)
            todo = todo | mask
    return Parsed(iso.astype("datetime64[ns]"), todo, issues)


EXCEL_FIRST_RELIABLE = pd.Timestamp("1900-03-01")
LAST_DATE = pd.Timestamp("2261-12-31")


def _date_suggestion(value: str, date_format: DateFormat) -> tuple[str | None, str | None]:
    """What a failed date probably means, read day-first or month-first."""
    readings = {}
    for name, fmts in _DATE_FORMATS.items():
        for fmt in fmts:
            try:
                readings[name] = dt.datetime.strptime(value, fmt).date()
                break
            except ValueError:
                continue
    if len(readings) == 1:
        ((name, d),) = readings.items()
        how = "day first" if name == "day_first" else "month first"
        return d.isoformat(), f"read {how} it is {d.isoformat()}; write dates as YYYY-MM-DD"
    if len(readings) == 2 and readings["day_first"] != readings["month_first"]:
        a, b = readings["day_first"], readings["month_first"]
        return None, (
            f"ambiguous: {a.isoformat()} day first or {b.isoformat()} month first; "
            "write YYYY-MM-DD, or set date_format for the dataset in mel.yaml"
        )
    if len(readings) == 2:
        d = readings["day_first"]
        return d.isoformat(), f"write it as {d.isoformat()}"
    if re.fullmatch(r"\d{4}-\d{1,2}-\d{1,2}", value):
        return None, "that day does not exist"
    serial = re.fullmatch(r"(\d{5})(?:\.\d+)?", value.strip())
    if serial and EXCEL_SERIALS[0] <= int(serial.group(1)) <= EXCEL_SERIALS[1]:
        d = EXCEL_EPOCH + dt.timedelta(days=int(serial.group(1)))
        return d.isoformat(), (
            f"an Excel date serial number, which is {d.isoformat()}; format the column as a "
            "date in Excel before saving as CSV, or write YYYY-MM-DD"
        )
    return None, None


# Excel counts days from 1899-12-30 (its 1900 leap-year bug included); 5-digit serials cover
# 1927-10-18 (10000) to 2173-10-14 (99999): limit to 1950-2100
EXCEL_EPOCH = dt.date(1899, 12, 30)
EXCEL_SERIALS = (18_264, 73_415)


def _booleans(text: pd.Series, missing: np.ndarray, issues) -> Parsed:
    low = text.str.lower()
    true = low.isin(TRUE_WORDS).to_numpy()
    false = low.isin(FALSE_WORDS).to_numpy()
    bad = ~(true | false | missing)
    values = pd.array(np.where(true, True, False), dtype="boolean")
    values[~(true | false)] = pd.NA
    if bad.any():
        issues.append(
            CellIssue(
                np.flatnonzero(bad),
                "type",
                "error",
                "'{value}' is not yes or no",
                hint="write yes or no (or true/false, 1/0)",
            )
        )
    return Parsed(pd.Series(values, index=text.index), bad, issues)


def code_lookup(codelist: CodeList) -> tuple[dict[str, tuple[str, str]], dict[str, str]]:
    """(exact spelling -> (code, how), casefolded spelling -> code) for a code list."""
    exact = codelist.spellings()
    folded: dict[str, str] = {}
    for spelling, (code, _) in exact.items():
        folded.setdefault(spelling.casefold(), code)
    return exact, folded


def _map_code(value: str, exact, folded) -> tuple[str | None, str | None]:
    """(canonical code or None, 'alias'/'case' when it was not written canonically)."""
    hit = exact.get(value)
    if hit is not None:
        code, how = hit
        return code, ("alias" if how == "alias" else None)
    code = folded.get(value.casefold())
    if code is not None:
        return code, "case"
    return None, None


def suggest_code(value: str, codelist: CodeList) -> str | None:
    if codelist.source == "iso3166-alpha3":
        guess = suggest_country(value)
        if guess:
            return guess
    candidates = list(codelist.spellings())
    guess = did_you_mean(value, candidates, cutoff=0.75)
    if guess is None:
        return None
    return codelist.spellings()[guess][0]


def _codes(
    text: pd.Series, missing: np.ndarray, spec: ColumnSpec, codelist: CodeList, issues
) -> Parsed:
    exact, folded = code_lookup(codelist)
    uniques = pd.unique(text.dropna())
    mapping: dict[str, str] = {}
    noted: dict[str, str] = {}  # value -> 'alias' | 'case'
    for u in uniques:
        u = str(u)
        if spec.multiple:
            whole = _map_code(u, exact, folded)[0]  # one label holding ';' (an ISIC section)
            parts = [u] if whole is not None else [p for p in MULTI_SPLIT.split(u) if p]
            out = []
            for p in parts:
                code, how = _map_code(p, exact, folded)
                out.append(code if code is not None else p)
                if how and not (how == "alias" and spec.aliases == "accept"):
                    noted[u] = how
            mapping[u] = MULTI_SEPARATOR.join(dict.fromkeys(out))
        else:
            code, how = _map_code(u, exact, folded)
            mapping[u] = code if code is not None else u
            if how and not (how == "alias" and spec.aliases == "accept"):
                noted[u] = how
    values = text.map(mapping, na_action="ignore").astype("str")
    if noted:
        hit = text.isin(list(noted)).to_numpy()
        pos = np.flatnonzero(hit)
        issues.append(
            CellIssue(
                pos,
                "alias",
                "warning",
                "'{value}' is read as '{suggestion}'",
                [mapping[str(text.iloc[i])] for i in pos],
                "write the value as the code list writes it",
            )
        )
    return Parsed(values, np.zeros(len(text), bool), issues)
