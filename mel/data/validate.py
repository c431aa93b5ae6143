"""Validating datasets against their templates.

For each dataset: read the file (:mod:`mel.data.readers`), match its header to the template's
columns, parse every column (:mod:`mel.data.parse`), then run a pandera schema generated from the
template on the typed frame (required, code list, range, pattern, unique values and keys,
cross-column rules, dates not after the as-of date, references to other datasets). Every failure
becomes a :class:`~mel.errors.Finding` with dataset, file, row, column, value, rule, severity and a
suggestion where one exists. Nothing stops at the first problem.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from mel import filters as flt
from mel.data.parse import MULTI_SPLIT, CellIssue, parse_column, suggest_code
from mel.data.readers import RawTable, read_table
from mel.definitions.catalog import Catalog
from mel.definitions.models import ColumnSpec, DateFormat, Template
from mel.definitions.yamlio import display_path
from mel.errors import DataError, Finding, did_you_mean, hint_for
from mel.filters import tristate

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    import pandera.pandas as pa

PII_SHOWN = "[personal data]"
_DTYPES = {
    "string": "str",
    "code": "str",
    "integer": "Int64",
    "number": "Float64",
    "date": "datetime64[ns]",
    "boolean": "boolean",
}


@dataclass
class Dataset:
    """A validated dataset: typed columns of the template, and where each row came from."""

    name: str
    template: Template
    file: str
    frame: pd.DataFrame  # one typed column per template column
    rows: np.ndarray  # user-visible row number of each record
    raw: RawTable
    columns_in_file: dict[str, int]  # template column -> position in the file
    findings: list[Finding] = field(default_factory=list)
    # column -> (low, high) bounds of censored cells ('<5'), NaN elsewhere
    censored: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)

    @functools.cached_property
    def invalid(self) -> np.ndarray:
        """Rows with at least one error: the engine leaves them out, and counts them."""
        return self._rows_at(
            {
                f.line
                for f in self.findings
                if f.severity == "error" and f.scope in ("cell", "row") and f.line is not None
            }
        )

    @functools.cached_property
    def duplicate(self) -> np.ndarray:
        """Rows whose only errors are a key or unique value seen before (a row entered twice)."""
        errors = [
            f
            for f in self.findings
            if f.severity == "error" and f.scope in ("cell", "row") and f.line is not None
        ]
        other = {f.line for f in errors if f.code != "unique"}
        return self._rows_at({f.line for f in errors if f.code == "unique"} - other)

    def _rows_at(self, line_set: set) -> np.ndarray:
        """Bool per record: its row number is in ``line_set``."""
        lines = np.array(sorted(line_set), dtype=np.int64)
        bad = np.zeros(len(self.rows), dtype=bool)
        # row numbers increase down the file (blank rows are skipped, never reordered)
        pos = np.searchsorted(self.rows, lines)
        hit = (pos < len(self.rows)) & (self.rows[np.minimum(pos, len(self.rows) - 1)] == lines)
        bad[pos[hit]] = True
        return bad


@dataclass
class ValidationResult:
    datasets: dict[str, Dataset]
    findings: list[Finding]
    root: Path | None = None  # the project folder, when a project was validated

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "warning"]


def _norm(text: str) -> str:
    return re.sub(r"[\s\-_./()]+", "_", text.strip().casefold()).strip("_")


def _where(raw: RawTable) -> str:
    return f"{raw.file}[{raw.sheet}]" if raw.sheet else raw.file


def match_header(
    raw: RawTable, tpl: Template, dataset: str
) -> tuple[dict[str, int], list[Finding]]:
    """Template column -> position in the file; findings for unknown, duplicate, missing columns.

    A header cell matches a column by its name or its label, ignoring case, spaces and
    punctuation."""
    by_key: dict[str, str] = {}
    for c in tpl.columns:
        by_key.setdefault(_norm(c.name), c.name)
        if c.label:
            by_key.setdefault(_norm(c.label), c.name)
    where = _where(raw)
    found: dict[str, int] = {}
    findings: list[Finding] = []
    unknown: list[tuple[int, str]] = []

    def header(code: str, message: str, field: str, **kw) -> None:
        findings.append(
            Finding(
                code,
                message,
                file=where,
                line=raw.header_row,
                field=field,
                dataset=dataset,
                scope="column",
                **kw,
            )
        )

    title = _header_lower_down(raw, by_key)
    if title is not None:
        row, text = title
        header(
            "bad-header",
            f"row {raw.header_row} holds only '{_shorten(text)}'; the column names are in row "
            f"{row}",
            "",
            hint=f"set header_row: {row} for this dataset in mel.yaml, or delete the rows above "
            "the header (a title in merged cells reads as one value)",
        )
        return {}, findings
    for pos, head in enumerate(raw.header):
        col = by_key.get(_norm(head)) if head else None
        if col is None:
            if head:
                unknown.append((pos, head))
            elif (raw.data[str(pos)].str.strip() != "").any():
                header(
                    "bad-header",
                    f"column {pos + 1} has data but no header",
                    f"#{pos + 1}",
                    hint="name the column in the header row (merged header cells read as empty)",
                )
            continue
        if col in found:
            header(
                "duplicate-column",
                f"column '{head}' appears twice in the header (also column {found[col] + 1})",
                head,
                hint="keep one of the two columns",
            )
            continue
        found[col] = pos
    missing = [c for c in tpl.columns if c.name not in found]
    for _pos, head in unknown:
        guess = did_you_mean(
            _norm(head),
            [_norm(c.name) for c in missing] + [_norm(c.label) for c in missing if c.label],
            cutoff=0.7,
        )
        target = by_key.get(guess) if guess else None
        header(
            "extra-column",
            f"column '{head}' is not in the template '{tpl.name}' and is ignored",
            head,
            severity="warning",
            suggestion=target,
            hint=f"did you mean '{target}'?" if target else None,
        )
    for c in missing:
        if c.required:
            close = _closest_header(c, [h for _, h in unknown])
            header(
                "missing-column",
                f"required column '{c.name}' is missing"
                + (f"; the closest header in the file is '{close}'" if close else ""),
                c.name,
                hint=f"if '{close}' is '{c.name}', rename that header to '{c.name}'"
                if close
                else f"add a column '{c.name}' ({c.label or c.name})",
            )
    return found, findings


def _closest_header(column, headers: list[str]) -> str | None:
    """The header (among those matching no column) most like ``column``'s name or label."""
    import difflib

    best, score = None, 0.0
    for h in headers:
        for name in (column.name, column.label or column.name):
            a, b = _norm(h), _norm(name)
            ratio = difflib.SequenceMatcher(None, a, b).ratio()
            # words in another order or form: 'Date registered' for 'registration_date'
            wa, wb = a.split("_"), b.split("_")
            shared = sum(any(x[:5] == y[:5] for y in wb) for x in wa)
            ratio = max(ratio, 0.9 * shared / max(len(wa), len(wb)))
            if ratio > score:
                best, score = h, ratio
    return best if score >= 0.5 else None


def _header_lower_down(raw: RawTable, by_key: Mapping[str, str]) -> tuple[int, str] | None:
    """(row, the lone text) when the header row holds a single value (a title, often merged
    over the columns) and one of the next rows names at least half of its columns."""
    filled = [h for h in raw.header if h]
    if len(filled) != 1 or len(raw.header) < 3 or not len(raw.data):
        return None
    for i in range(min(5, len(raw.data))):
        cells = [str(v).strip() for v in raw.data.iloc[i].tolist()]
        named = sum(1 for c in cells if c and _norm(c) in by_key)
        if named >= max(2, len([c for c in cells if c]) // 2):
            return int(raw.rows[i]), filled[0]
    return None


LONG_VALUE = 80


def _shorten(text: str) -> str:
    """A value as a message shows it: long ones cut, with their length."""
    if len(text) <= LONG_VALUE:
        return text
    return f"{text[:40]}... ({len(text):,} characters)"


@dataclass
class _CheckMeta:
    code: str
    message: Callable[[object], str]
    severity: str = "error"
    hint: Callable[[object], str | None] | None = None
    suggestion: Callable[[object], str | None] | None = None
    columns: tuple[str, ...] = ()


def _is_missing(value: object) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _fmt(value: object) -> str:
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _value_set(keys: pd.Series):
    """The distinct key values as an Arrow array, for :func:`_isin`."""
    import pyarrow as pa

    return pa.array(pd.unique(keys.dropna().astype("str")), type=pa.string())


def _isin(s: pd.Series, value_set) -> pd.Series:
    """``s.isin(values)`` for a million keys: pandas' Arrow strings turn every value of the set
    into a Python object first (seconds per call); Arrow's own kernel does not."""
    import pyarrow as pa
    import pyarrow.compute as pc

    arr = pa.array(s.astype("str"), type=pa.string(), from_pandas=True)
    hit = pc.is_in(arr, value_set=value_set, skip_nulls=True)
    return pd.Series(hit.to_numpy(zero_copy_only=False).astype(bool), index=s.index)


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
                    lambda v, a=as_of: f"{_fmt(v)} is after the as-of date {a.isoformat()}",
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
        columns[spec.name] = pa.Column(
            None,
            checks=checks,
            nullable=True,
            required=False,
            unique=spec.unique and spec.name in present,
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
    cl = catalog.codelists[spec.codelist].obj  # type: ignore[index]
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
    lo, hi = spec.range.min, spec.range.max  # type: ignore[union-attr]
    if spec.type == "date":
        lo = pd.Timestamp(dt.date(int(lo), 1, 1)) if lo is not None else None
        hi = pd.Timestamp(dt.date(int(hi), 12, 31)) if hi is not None else None
    if lo is not None and hi is not None:
        check = pa.Check.in_range(lo, hi)
    elif lo is not None:
        check = pa.Check.ge(lo)
    else:
        check = pa.Check.le(hi)

    def message(v: object) -> str:
        if lo is not None and v < lo:
            return f"{_fmt(v)} is below the minimum {_fmt(lo)}"
        return f"{_fmt(v)} is above the maximum {_fmt(hi)}"

    return check, _CheckMeta("range", message)


def _run_schema(schema: pa.DataFrameSchema, frame: pd.DataFrame) -> pd.DataFrame:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            schema.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as exc:
        return exc.failure_cases
    return pd.DataFrame(columns=["column", "check", "check_number", "failure_case", "index"])


def validate_raw(
    raw: RawTable,
    name: str,
    tpl: Template,
    catalog: Catalog,
    *,
    as_of: dt.date,
    date_format: DateFormat = "iso",
    references: Mapping[str, tuple[str, str, pd.Series]] | None = None,
    release_text: bool = False,
) -> Dataset:
    """Validate a table already read. ``references`` maps a column to (dataset, column, values)
    its values must be found in. ``release_text`` drops each text column from ``raw`` once it
    is parsed (the raw table is then of no further use): the text and the typed frame of a
    large file are not held whole together."""
    references = references or {}
    where = _where(raw)
    found, findings = match_header(raw, tpl, name)
    n = len(raw.data)
    if release_text:  # columns of the file that the template does not have
        raw.data = raw.data[[str(found[c.name]) for c in tpl.columns if c.name in found]]
    frame = pd.DataFrame(index=pd.RangeIndex(n))
    unparsable: dict[str, np.ndarray] = {}
    censored: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    def cell(
        spec: ColumnSpec,
        i: int,
        code: str,
        message: str,
        severity: str,
        hint: str | None,
        suggestion: str | None,
        value: object,
    ) -> Finding:
        shown = None if _is_missing(value) else (PII_SHOWN if spec.pii else _fmt(value))
        if spec.pii:
            message = message.replace(f"'{_fmt(value)}'", PII_SHOWN).replace(_fmt(value), PII_SHOWN)
            suggestion = hint_s = None
            hint = hint_s
        elif shown is not None and len(shown) > LONG_VALUE:  # a pasted page in a cell
            short = _shorten(shown)
            message = message.replace(shown, short)
            hint = hint.replace(shown, short) if hint else hint
            suggestion = None if suggestion and len(suggestion) > LONG_VALUE else suggestion
            shown = short
        head = raw.header[found[spec.name]] if spec.name in found else spec.name
        return Finding(
            code,
            message,
            file=where,
            line=int(raw.rows[i]),
            field=head,
            severity=severity,
            hint=hint,
            scope="cell",
            value=shown,
            suggestion=suggestion,
            dataset=name,
            rule=code,
        )

    for spec in tpl.columns:
        codelist = (
            catalog.codelists[spec.codelist].obj if spec.codelist in catalog.codelists else None
        )
        if spec.name not in found:
            frame[spec.name] = pd.Series(pd.NA, index=frame.index, dtype=_DTYPES[spec.type])
            unparsable[spec.name] = np.zeros(n, bool)
            continue
        column = raw.data[str(found[spec.name])]
        if release_text:
            raw.data = raw.data.drop(columns=str(found[spec.name]))
        parsed = parse_column(column, spec, tpl.missing_values, codelist, date_format)
        frame[spec.name] = parsed.values.reset_index(drop=True)
        unparsable[spec.name] = parsed.unparsable
        if parsed.bounds is not None:
            censored[spec.name] = parsed.bounds
        for issue in parsed.issues:
            findings += _issue_findings(issue, spec, column, cell)
        del column, parsed
    present = set(found)
    schema, meta = build_schema(tpl, catalog, frame, unparsable, present, as_of, references)
    failures = _run_schema(schema, frame)
    findings += _failure_findings(failures, meta, frame, tpl, raw, found, where, name, cell)
    if n == 0:
        findings.append(
            Finding(
                "no-rows",
                "the file has a header but no data rows",
                file=where,
                dataset=name,
                severity="warning",
                scope="dataset",
            )
        )
    findings = [_with_dataset(f, name) for f in raw.findings] + sorted(findings, key=_finding_order)
    return Dataset(name, tpl, where, frame, raw.rows, raw, found, findings, censored)


def _finding_order(f: Finding) -> tuple:
    return (f.line or 0, f.field or "", f.code)


def _issue_findings(issue: CellIssue, spec: ColumnSpec, column: pd.Series, cell) -> list[Finding]:
    out = []
    for k, i in enumerate(issue.positions):
        value = str(column.iloc[i]).strip() if issue.code != "whitespace" else column.iloc[i]
        suggestion = issue.suggestions[k] if issue.suggestions else None
        message = issue.message.replace("{value}", str(value)).replace(
            "{suggestion}", str(suggestion)
        )
        hint = issue.hints[k] if issue.hints else issue.hint
        if suggestion and issue.code == "type":
            hint = f"did you mean '{suggestion}'?" + (f" ({hint})" if hint else "")
        out.append(cell(spec, int(i), issue.code, message, issue.severity, hint, suggestion, value))
    return out


def _failure_findings(
    failures: pd.DataFrame,
    meta,
    frame: pd.DataFrame,
    tpl: Template,
    raw: RawTable,
    found: dict[str, int],
    where: str,
    name: str,
    cell,
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
            f"{c}={PII_SHOWN if specs[c].pii else _fmt(frame.at[int(index), c])}" for c in m.columns
        )
        out.append(
            Finding(
                m.code,
                m.message(None),
                file=where,
                line=int(raw.rows[int(index)]),
                field=raw.header[found[head]] if head in found else head,
                severity=m.severity,
                hint=(m.hint(None) if m.hint else None),
                scope="row",
                value=shown,
                dataset=name,
                rule=m.code,
            )
        )
    for row in failures[~frame_level].itertuples(index=False):
        spec = specs[row.column]
        i = int(row.index)
        value = frame.at[i, spec.name]
        if row.check == "field_uniqueness":
            first = int(np.flatnonzero((frame[spec.name] == value).to_numpy(dtype=bool))[0])
            out.append(
                cell(
                    spec,
                    i,
                    "unique",
                    f"'{_fmt(value)}' appears again (first at row {raw.rows[first]})",
                    "error",
                    "each row needs its own value",
                    None,
                    value,
                )
            )
            continue
        m = meta[(spec.name, int(row.check_number))]
        out.append(
            cell(
                spec,
                i,
                m.code,
                m.message(value),
                m.severity,
                m.hint(value) if m.hint else None,
                m.suggestion(value) if m.suggestion else None,
                value,
            )
        )
    return out


def validate_file(
    path: Path,
    template: str,
    catalog: Catalog,
    *,
    as_of: dt.date,
    sheet: str | None = None,
    header_row: int = 1,
    date_format: DateFormat = "iso",
    name: str | None = None,
    references: Mapping[str, tuple[str, str, pd.Series]] | None = None,
) -> Dataset:
    if template not in catalog.templates:
        guess = did_you_mean(template, catalog.templates)
        raise DataError(
            Finding(
                "unknown-dataset",
                f"template '{template}' is not defined",
                scope="file",
                hint=hint_for(guess, "templates: " + ", ".join(sorted(catalog.templates))),
            ),
            exit_code=2,
        )
    tpl = catalog.templates[template].obj
    raw = read_table(path, sheet=sheet, header_row=header_row, dataset=name or template)
    return validate_raw(
        raw,
        name or template,
        tpl,
        catalog,
        as_of=as_of,
        date_format=date_format,
        references=references,
    )


def dependency_order(names: list[str], catalog: Catalog, templates: Mapping[str, str]) -> list[str]:
    """Datasets ordered so that a dataset comes after those its foreign keys point to."""
    done: list[str] = []

    def visit(n: str, stack: tuple[str, ...] = ()) -> None:
        if n in done or n in stack:
            return
        tpl = catalog.templates[templates[n]].obj
        for fk in tpl.foreign_keys:
            if fk.dataset in names:
                visit(fk.dataset, (*stack, n))
        done.append(n)

    for n in names:
        visit(n)
    return done


def validate_project(
    bundle,
    *,
    as_of: dt.date | None = None,
    keep_raw: bool = True,
    keep_columns: Mapping[str, set[str]] | None = None,
) -> ValidationResult:
    """Validate every dataset of a project (a :class:`~mel.definitions.project.ProjectBundle`).

    A file that cannot be read at all becomes a finding of its own; the other datasets are
    still validated. ``keep_raw=False`` lets go of each file's text cells once its dataset is
    validated (only the feedback workbook shows them): memory then holds one file's text at a
    time, not all of them. ``keep_columns`` (dataset -> columns) keeps only those typed
    columns of each validated dataset, text as categoricals (what the engine reads: a
    million-row dataset then takes a fraction of the memory); every column is validated all
    the same."""
    as_of = as_of or dt.date.today()
    project, catalog = bundle.project, bundle.catalog
    templates = {n: (ref.template or n) for n, ref in project.datasets.items()}
    datasets: dict[str, Dataset] = {}
    findings: list[Finding] = []
    for name in dependency_order(list(project.datasets), catalog, templates):
        ref = project.datasets[name]
        tpl = catalog.templates[templates[name]].obj
        references = {}
        for fk in tpl.foreign_keys:
            target = datasets.get(fk.dataset)
            # a referenced file without that column or without rows has its own finding; every
            # reference to it failing as well would bury it
            if target is not None and fk.to in target.columns_in_file and len(target.frame):
                references[fk.column] = (fk.dataset, fk.to, target.frame[fk.to])
        try:
            raw = read_table(
                bundle.root / ref.path, sheet=ref.sheet, header_row=ref.header_row, dataset=name
            )
        except DataError as exc:
            findings += [_with_dataset(f, name) for f in exc.findings]
            continue
        ds = validate_raw(
            raw,
            name,
            tpl,
            catalog,
            as_of=as_of,
            date_format=ref.date_format,
            references=references,
            release_text=not keep_raw,
        )
        if not keep_raw:
            ds.raw = _without_cells(raw)
            del raw
        if keep_columns is not None:
            referenced = {
                fk.to
                for other in templates.values()
                for fk in catalog.templates[other].obj.foreign_keys
                if fk.dataset == name
            }
            ds.frame = _compact(ds.frame, keep_columns.get(name, set()) | referenced)
        if not keep_raw or keep_columns is not None:
            release_memory()
        datasets[name] = ds
        findings += ds.findings
    return ValidationResult(datasets, findings, bundle.root)


def _compact(frame: pd.DataFrame, columns: set[str]) -> pd.DataFrame:
    """Only ``columns``, text columns as categoricals (integer codes and one copy of each
    distinct text)."""
    out = {}
    for c in frame.columns:
        if c not in columns:
            continue
        values = frame[c]
        if pd.api.types.is_string_dtype(values.dtype):
            codes, uniques = pd.factorize(values)
            values = pd.Series(
                pd.Categorical.from_codes(codes, categories=pd.Index(uniques, dtype="str")),
                index=frame.index,
                name=c,
            )
        out[c] = values
    return pd.DataFrame(out, index=frame.index)


def _without_cells(raw: RawTable) -> RawTable:
    from dataclasses import replace

    return replace(raw, data=pd.DataFrame(index=pd.RangeIndex(0)))


def release_memory() -> None:
    """Free what was dropped and give it back to the system: Arrow's memory pool (mimalloc or
    jemalloc) and glibc's allocator keep freed memory otherwise."""
    import gc

    gc.collect()
    try:
        import pyarrow as pa

        pa.default_memory_pool().release_unused()
    except ImportError:  # pragma: no cover - pyarrow is a dependency
        pass
    _trim_malloc()


def _trim_malloc() -> None:
    """Give the C allocator's freed pages back to the system (glibc keeps them otherwise)."""
    import contextlib
    import ctypes
    import sys

    if sys.platform.startswith("linux"):
        # another C library (musl) has no malloc_trim: nothing to trim then
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL("libc.so.6").malloc_trim(0)


def _with_dataset(f: Finding, name: str) -> Finding:
    from dataclasses import replace

    return replace(f, dataset=name)


def validate_path(
    path: Path,
    *,
    template: str | None = None,
    sheet: str | None = None,
    header_row: int = 1,
    date_format: DateFormat = "iso",
    as_of: dt.date | None = None,
    template_dirs: list[Path] | None = None,
    keep_data: bool = True,
) -> ValidationResult:
    """Validate a project folder (or its mel.yaml), or one data file against ``template``.
    ``keep_data=False`` keeps only the findings and row counts of a project's datasets, not
    their cells (what ``mel validate`` needs unless it writes a feedback workbook): memory
    then holds one file at a time."""
    from mel.definitions.catalog import load_templates
    from mel.definitions.loader import PROJECT_FILE
    from mel.definitions.project import load_project
    from mel.errors import UsageError

    path = Path(path)
    as_of = as_of or dt.date.today()
    if not path.exists():
        raise UsageError(
            Finding(
                "file-missing",
                f"{path} does not exist",
                file=str(path),
                scope="file",
                hint="give a project folder (with mel.yaml) or a data file",
            )
        )
    if path.is_dir() or path.name == PROJECT_FILE:
        if template is not None:
            raise UsageError(
                "--template is for a single data file; a project folder names its "
                "templates in mel.yaml"
            )
        if keep_data:
            return validate_project(load_project(path), as_of=as_of)
        return validate_project(load_project(path), as_of=as_of, keep_raw=False, keep_columns={})
    if template is None:
        raise UsageError(
            f"{path} is a data file: name its template with --template, e.g. --template cases "
            "(or give a project folder)"
        )
    catalog = load_templates(template_dirs)
    catalog.raise_if_errors()
    ds = validate_file(
        path,
        template,
        catalog,
        as_of=as_of,
        sheet=sheet,
        header_row=header_row,
        date_format=date_format,
    )
    return ValidationResult({ds.name: ds}, ds.findings)


@dataclass(frozen=True)
class DatasetSummary:
    dataset: str
    file: str
    rows: int
    invalid_rows: int
    errors: int
    warnings: int


def summarise(
    result: ValidationResult,
) -> tuple[list[DatasetSummary], list[tuple[str, str, str, int]]]:
    """Counts per dataset (rows, invalid rows, errors, warnings) and per dataset, rule and
    severity."""
    per_dataset = []
    for name, ds in result.datasets.items():
        fs = [f for f in result.findings if f.dataset == name]
        file = ds.file
        if result.root is not None:
            file = file.removeprefix(display_path(result.root).rstrip("/") + "/")
        per_dataset.append(
            DatasetSummary(
                name,
                file,
                len(ds.frame),
                int(ds.invalid.sum()),
                sum(f.severity == "error" for f in fs),
                sum(f.severity == "warning" for f in fs),
            )
        )
    counts: dict[tuple[str, str, str], int] = {}
    for f in result.findings:
        key = (f.dataset or "", f.rule or f.code, f.severity)
        counts[key] = counts.get(key, 0) + 1
    by_rule = sorted(
        ((*k, n) for k, n in counts.items()), key=lambda r: (r[0], r[2] != "error", -r[3], r[1])
    )
    return per_dataset, by_rule
