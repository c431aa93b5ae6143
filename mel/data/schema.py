"""The pandera schema of a template: the only module that knows pandera.

Built from the template on a parsed frame (required, code list, range, pattern, dates not after
the as-of date, references to other datasets, unique values and keys, cross-column rules), run
lazily, and its failure frame turned into findings. The failure frame's shape (``column``,
``check``, ``check_number``, ``index``, ``schema_context``; ``field_uniqueness`` for a repeated
value) is pandera's; ``tests/test_pandera_contract.py`` pins it, and pyproject.toml allows only
the pandera versions it has passed on."""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from mel import filters as flt
from mel.data.cells import PII_SHOWN, CellFindings, fmt
from mel.data.parse import MULTI_SPLIT, suggest_code
from mel.definitions.catalog import Catalog
from mel.definitions.models import ColumnSpec, Template
from mel.errors import Finding
from mel.filters import tristate

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    import pandera.pandas as pa


@dataclass
class _CheckMeta:
    code: str
    # each called with the failing value (lambdas bind their context as default arguments)
    message: Callable[..., str]
    severity: str = "error"
    hint: Callable[..., str | None] | None = None
    suggestion: Callable[..., str | None] | None = None
    columns: tuple[str, ...] = ()


def _value_set(keys: pd.Series):
    """The distinct key values as an Arrow array, for :func:`_isin`."""
    import pyarrow as arrow

    return arrow.array(pd.unique(keys.dropna().astype("str")), type=arrow.string())


def _isin(s: pd.Series, value_set) -> pd.Series:
    """``s.isin(values)`` for a million keys: pandas' Arrow strings turn every value of the set
    into a Python object first (seconds per call); Arrow's own kernel does not."""
    import pyarrow as arrow
    import pyarrow.compute as pc

    if isinstance(s.dtype, pd.CategoricalDtype):  # each distinct value looked up once
        codes = s.cat.codes.to_numpy()
        known = _isin(pd.Series(s.cat.categories, dtype="str"), value_set).to_numpy()
        hit = np.append(known, False)[codes]  # code -1 (missing): the last, never found
        return pd.Series(hit, index=s.index)
    arr = arrow.array(s.astype("str"), type=arrow.string(), from_pandas=True)
    hit = pc.is_in(arr, value_set=value_set, skip_nulls=True)
    return pd.Series(hit.to_numpy(zero_copy_only=False).astype(bool), index=s.index)


# from this many rows a text column's uniqueness is checked by :func:`_duplicated`
LONG = 50_000


def _text_backed_by_arrow(s: pd.Series) -> bool:
    return pd.api.types.is_string_dtype(s.dtype) and hasattr(s.array, "__arrow_array__")


def _duplicated(s: pd.Series) -> pd.Series:
    """``s.duplicated(keep="first")`` of a text column, missing values equal to each other,
    by a stable sort in Arrow: no Python object per cell, no hash table of every text."""
    import pyarrow as arrow
    import pyarrow.compute as pc

    values = s.array.__arrow_array__()
    order = pc.sort_indices(values)  # stable, missing last: the first stays first
    ordered = values.take(order)
    del values
    if len(ordered) < 2:
        return pd.Series(False, index=s.index)
    later, earlier = ordered.slice(1), ordered.slice(0, len(ordered) - 1)
    same = pc.fill_null(pc.equal(later, earlier), False)
    same = pc.or_(same, pc.and_(pc.is_null(later), pc.is_null(earlier)))
    again = np.zeros(len(ordered), dtype=bool)
    again[order.to_numpy()[1:]] = arrow.chunked_array(same).to_numpy(zero_copy_only=False)
    return pd.Series(again, index=s.index)


def build_schema(
    tpl: Template,
    catalog: Catalog,
    frame: pd.DataFrame,
    unparsable: Mapping[str, np.ndarray],
    present: set[str],
    as_of: dt.date,
    references: Mapping[str, tuple[str, str, pd.Series]],
) -> tuple[pa.DataFrameSchema, dict[tuple[str, int], _CheckMeta]]:
    """A pandera schema for a parsed frame, with the metadata to turn failures into findings."""
    meta: dict[tuple[str, int], _CheckMeta] = {}
    columns: dict[str, pa.Column] = {}
    for spec in tpl.columns:
        checks: list[pa.Check] = []

        def add(check: pa.Check, m: _CheckMeta, name=spec.name, checks=checks) -> None:
            meta[(name, len(checks))] = m
            checks.append(check)

        if spec.required and spec.name in present:
            failed = pd.Series(unparsable[spec.name], index=frame.index)
            add(
                pa.Check(lambda s, failed=failed: s.notna() | failed, ignore_na=False),
                _CheckMeta(
                    "required", lambda v: "a value is required", hint=lambda v: "fill in this cell"
                ),
            )
        if spec.type == "code" and spec.codelist in catalog.codelists:
            add(*_codelist_check(spec, catalog))
        if spec.range is not None:
            add(*_range_check(spec))
        if spec.pattern is not None:
            add(
                pa.Check.str_matches(spec.pattern),
                _CheckMeta(
                    "pattern",
                    lambda v, p=spec.pattern: f"'{v}' does not have the form {p}",
                    hint=lambda v, s=spec: f"example: {s.example}" if s.example else None,
                ),
            )
        if spec.type == "date":
            limit = pd.Timestamp(as_of)
            add(
                pa.Check.le(limit),
                _CheckMeta(
                    "future-date",
                    lambda v, a=as_of: f"{fmt(v)} is after the as-of date {a.isoformat()}",
                    hint=lambda v: "check the year and the order of day and month",
                ),
            )
        if spec.name in references:
            ds, col, keys = references[spec.name]
            allowed = _value_set(keys)
            add(
                pa.Check(lambda s, allowed=allowed: _isin(s, allowed)),
                _CheckMeta(
                    "foreign-key",
                    lambda v, ds=ds, col=col: f"'{v}' is not a {col} of {ds}",
                    hint=lambda v, ds=ds: f"add it to {ds}, or correct it",
                ),
            )
        unique = spec.unique and spec.name in present
        if unique and len(frame) >= LONG and _text_backed_by_arrow(frame[spec.name]):
            # pandera's uniqueness check makes a Python object of every text (hundreds of
            # megabytes for millions of identifiers): Arrow sorts them instead
            add(
                pa.Check(lambda s: ~_duplicated(s), ignore_na=False),
                _CheckMeta("unique", lambda v: ""),  # worded as pandera's, below
            )
            unique = False
        columns[spec.name] = pa.Column(
            None,
            checks=checks,
            nullable=True,
            required=False,
            unique=unique,
            report_duplicates="exclude_first",
        )
    frame_checks: list[pa.Check] = []
    for rule in tpl.rules:
        expr = flt.parse(rule.check)
        names = tuple(c.name for c in flt.columns_of(expr))
        if not set(names) <= present:
            continue
        meta[("__frame__", len(frame_checks))] = _CheckMeta(
            "rule",
            lambda v, m=rule.message: m,
            severity=rule.severity,
            columns=names,
            hint=lambda v, r=rule: f"rule '{r.name}': {r.check}",
        )
        frame_checks.append(
            pa.Check(lambda df, e=expr: tristate(e, df).fillna(True).astype(bool), ignore_na=False)
        )
    if len(tpl.key) > 1 and set(tpl.key) <= present:
        key = list(tpl.key)
        meta[("__frame__", len(frame_checks))] = _CheckMeta(
            "unique",
            lambda v, k=key: f"the combination of {', '.join(k)} appears twice",
            columns=tuple(key),
            hint=lambda v: "each row needs its own key",
        )
        frame_checks.append(
            pa.Check(lambda df, k=key: ~df.duplicated(subset=k, keep="first"), ignore_na=False)
        )
    return pa.DataFrameSchema(columns, checks=frame_checks), meta


def _codelist_check(spec: ColumnSpec, catalog: Catalog) -> tuple[pa.Check, _CheckMeta]:
    cl = catalog.codelists[spec.codelist].obj  # type: ignore[index]  # known: build_schema checked
    codes = set(cl.codes())
    if cl.source is not None:
        shown = None
    else:
        shown = ", ".join(list(cl.codes())[:12]) + (", ..." if len(codes) > 12 else "")

    def suggestion(v: object) -> str | None:
        if spec.multiple:
            parts = [p for p in MULTI_SPLIT.split(str(v)) if p]
            fixed = [p if p in codes else (suggest_code(p, cl) or p) for p in parts]
            return ";".join(fixed) if fixed != parts and all(p in codes for p in fixed) else None
        return suggest_code(str(v), cl)

    def hint(v: object) -> str:
        s = suggestion(v)
        if s:
            return f"did you mean '{s}'?"
        if shown is None:
            kind = "alpha-3" if cl.source == "iso3166-alpha3" else "alpha-2"
            return f"write an ISO 3166 {kind} country code"
        return f"allowed: {shown}"

    if spec.multiple:

        def check(s: pd.Series) -> pd.Series:
            uniques = pd.unique(s.dropna())
            ok = {u: all(p in codes for p in MULTI_SPLIT.split(str(u)) if p) for u in uniques}
            return s.map(ok, na_action="ignore").fillna(True).astype(bool)

        def message(v: object) -> str:
            bad = [p for p in MULTI_SPLIT.split(str(v)) if p and p not in codes]
            return f"'{', '.join(bad)}' in '{v}' is not in the code list '{cl.name}'"

        return pa.Check(check), _CheckMeta("code-list", message, hint=hint, suggestion=suggestion)
    return pa.Check.isin(sorted(codes)), _CheckMeta(
        "code-list",
        lambda v: f"'{v}' is not in the code list '{cl.name}'",
        hint=hint,
        suggestion=suggestion,
    )


def _range_check(spec: ColumnSpec) -> tuple[pa.Check, _CheckMeta]:
    assert spec.range is not None  # build_schema adds a range check only where one is declared
    lo, hi = spec.range.min, spec.range.max
    if spec.type == "date":
        lo = pd.Timestamp(dt.date(int(lo), 1, 1)) if lo is not None else None
        hi = pd.Timestamp(dt.date(int(hi), 12, 31)) if hi is not None else None
    if lo is not None and hi is not None:
        check = pa.Check.in_range(lo, hi)
    elif lo is not None:
        check = pa.Check.ge(lo)
    else:
        check = pa.Check.le(hi)

    def message(v: Any) -> str:  # a number or a date, as the column holds
        if lo is not None and v < lo:
            return f"{fmt(v)} is below the minimum {fmt(lo)}"
        return f"{fmt(v)} is above the maximum {fmt(hi)}"

    return check, _CheckMeta("range", message)


def run_schema(schema: pa.DataFrameSchema, frame: pd.DataFrame) -> pd.DataFrame:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            schema.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as exc:
        return exc.failure_cases
    return pd.DataFrame(columns=["column", "check", "check_number", "failure_case", "index"])


def failure_findings(
    failures: pd.DataFrame,
    meta,
    frame: pd.DataFrame,
    tpl: Template,
    cells: CellFindings,
) -> list[Finding]:
    out: list[Finding] = []
    if failures.empty:
        return out
    failures = failures[failures["index"].notna()]
    specs = {c.name: c for c in tpl.columns}
    # frame-level checks come back once per column: one finding per row and check
    frame_level = failures["schema_context"] == "DataFrameSchema"
    for (number, index), _ in failures[frame_level].groupby(["check_number", "index"], sort=True):
        m = meta[("__frame__", int(number))]
        head = m.columns[0]
        shown = ", ".join(
            f"{c}={PII_SHOWN if specs[c].pii else fmt(frame.at[int(index), c])}" for c in m.columns
        )
        out.append(
            Finding(
                m.code,
                m.message(None),
                file=cells.where,
                line=int(cells.raw.rows[int(index)]),
                field=cells.header_of(head),
                severity=m.severity,
                hint=(m.hint(None) if m.hint else None),
                scope="row",
                value=shown,
                dataset=cells.dataset,
                rule=m.code,
            )
        )
    for row in failures[~frame_level].itertuples(index=False):
        spec = specs[row.column]
        i = int(row.index)
        value = frame.at[i, spec.name]
        unique = row.check == "field_uniqueness" or (
            not pd.isna(row.check_number)
            and meta[(spec.name, int(row.check_number))].code == "unique"
        )
        if unique:
            first = int(np.flatnonzero((frame[spec.name] == value).to_numpy(dtype=bool))[0])
            out.append(
                cells.cell(
                    spec,
                    i,
                    "unique",
                    f"'{fmt(value)}' appears again (first at row {cells.raw.rows[first]})",
                    hint="each row needs its own value",
                    value=value,
                )
            )
            continue
        m = meta[(spec.name, int(row.check_number))]
        out.append(
            cells.cell(
                spec,
                i,
                m.code,
                m.message(value),
                severity=m.severity,
                hint=m.hint(value) if m.hint else None,
                suggestion=m.suggestion(value) if m.suggestion else None,
                value=value,
            )
        )
    return out
