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
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from mel.data.cells import CellFindings
from mel.data.headers import match_header, where_of
from mel.data.layout import kit_layout
from mel.data.memory import compact, release_memory, without_cells
from mel.data.parse import CellIssue, parse_column
from mel.data.readers import RawTable, read_table
from mel.data.schema import build_schema, failure_findings, run_schema
from mel.definitions.catalog import Catalog
from mel.definitions.models import ColumnSpec, DateFormat, Template
from mel.errors import DataError, Finding, did_you_mean, hint_for

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
    # a template that provides another (HTCDS -> cases): (that template, its columns derived
    # from this frame, the columns the file gives sources for)
    provided: tuple[Template, pd.DataFrame, frozenset[str]] | None = None

    @property
    def view(self) -> tuple[Template, pd.DataFrame, frozenset[str]]:
        """What indicators read: the provided template's records, or this one's."""
        if self.provided is not None:
            return self.provided
        return self.template, self.frame, frozenset(self.columns_in_file)

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
    raw = kit_layout(raw, tpl)
    where = where_of(raw)
    found, findings = match_header(raw, tpl, name)
    n = len(raw.data)
    if release_text:  # columns of the file that the template does not have
        raw.data = raw.data[[str(found[c.name]) for c in tpl.columns if c.name in found]]
    frame = pd.DataFrame(index=pd.RangeIndex(n))
    unparsable: dict[str, np.ndarray] = {}
    censored: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    cells = CellFindings(raw, found, where, name)

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
            findings += _issue_findings(issue, spec, column, cells)
        del column, parsed
        if release_text:  # the text column's memory back to the system, for the next one
            release_memory(n, collect=False)
    present = set(found)
    schema, meta = build_schema(tpl, catalog, frame, unparsable, present, as_of, references)
    failures = run_schema(schema, frame)
    findings += failure_findings(failures, meta, frame, tpl, cells)
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


def _issue_findings(
    issue: CellIssue, spec: ColumnSpec, column: pd.Series, cells: CellFindings
) -> list[Finding]:
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
        out.append(
            cells.cell(
                spec,
                int(i),
                issue.code,
                message,
                severity=issue.severity,
                hint=hint,
                suggestion=suggestion,
                value=value,
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


# a dataset longer than this shows only its rows with findings in the feedback workbook, and
# keeps only their text when the raw cells are kept for it (``keep_raw="findings"``)
FEEDBACK_ALL_ROWS = 50_000


def validate_project(
    bundle,
    *,
    as_of: dt.date | None = None,
    keep_raw: bool | Literal["findings"] = True,
    keep_columns: Mapping[str, set[str]] | None = None,
) -> ValidationResult:
    """Validate every dataset of a project (a :class:`~mel.definitions.project.ProjectBundle`).

    A file that cannot be read at all becomes a finding of its own; the other datasets are
    still validated. ``keep_raw=False`` lets go of each file's text cells once its dataset is
    validated (only the feedback workbook shows them): memory then holds one file's text at a
    time, not all of them. ``keep_columns`` (dataset -> columns) keeps only those typed
    columns of each validated dataset, text as categoricals (what the engine reads: a
    million-row dataset then takes a fraction of the memory); every column is validated all
    the same. ``keep_raw="findings"`` keeps the text cells of the rows the feedback workbook
    shows: every row of a dataset of up to :data:`FEEDBACK_ALL_ROWS` rows, only the rows with
    findings of a longer one."""
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
            if target is None:
                continue
            _, frame, present = target.view
            if fk.to in present and len(frame):
                references[fk.column] = (fk.dataset, fk.to, frame[fk.to])
        try:
            raw = read_dataset(bundle, name, tpl)
        except DataError as exc:
            findings += [_with_dataset(f, name) for f in exc.findings]
            continue
        dropped = len(raw.data)
        # a long dataset's feedback shows its rows with findings: read again for them, the
        # text is let go as it is parsed
        reread = keep_raw == "findings" and dropped > FEEDBACK_ALL_ROWS
        ds = validate_raw(
            raw,
            name,
            tpl,
            catalog,
            as_of=as_of,
            date_format=ref.date_format,
            references=references,
            release_text=keep_raw is False or reread,
        )
        if keep_raw is False:
            ds.raw = without_cells(raw)
            del raw
        elif reread:
            ds.raw = without_cells(ds.raw)  # its header as validated
            del raw
        if tpl.provides is not None and tpl.provides.template in catalog.templates:
            ds.provided = _provided(ds, tpl, catalog)
        if reread:
            release_memory(dropped)
            ds.raw = _rows_read_again(bundle, name, tpl, ds)
        if keep_columns is not None:
            _compact_dataset(ds, keep_columns.get(name, set()), templates, catalog)
        if keep_raw is not True or keep_columns is not None:
            release_memory(dropped)
        datasets[name] = ds
        findings += ds.findings
    return ValidationResult(datasets, findings, bundle.root)


def _compact_dataset(ds: Dataset, keep: set[str], templates: Mapping[str, str], catalog) -> None:
    """Only ``keep`` of the dataset's typed columns (and the columns other datasets refer to),
    text as categoricals."""
    keep = keep | {
        fk.to
        for other in templates.values()
        for fk in catalog.templates[other].obj.foreign_keys
        if fk.dataset == ds.name
    }
    if ds.provided is not None:
        ptpl, pframe, present = ds.provided
        ds.provided = (ptpl, compact(pframe, keep), present)
        ds.frame = compact(ds.frame, set())
    else:
        ds.frame = compact(ds.frame, keep)


def _rows_read_again(bundle, name: str, tpl: Template, ds: Dataset) -> RawTable:
    """The text of the dataset's rows with findings, read again from its file (as the
    validation read it); no rows, the header kept, when it has none."""
    lines = {f.line for f in ds.findings if f.line is not None and f.scope in ("cell", "row")}
    if not lines:
        header = ds.raw.header
        empty = pd.DataFrame({str(p): pd.Series([], dtype="str") for p in range(len(header))})
        return replace(ds.raw, data=empty, rows=np.zeros(0, dtype=np.int64))
    raw = kit_layout(read_dataset(bundle, name, tpl), tpl)
    keep = np.isin(np.asarray(raw.rows, dtype=np.int64), np.array(sorted(lines), dtype=np.int64))
    data = raw.data.iloc[np.flatnonzero(keep)].reset_index(drop=True)
    return replace(raw, data=data, rows=np.asarray(raw.rows)[keep])


def _provided(ds: Dataset, tpl: Template, catalog: Catalog):
    """The records of a template that provides another, as that template's columns."""
    from mel.data.provide import present_columns, provide

    assert tpl.provides is not None
    ptpl = catalog.templates[tpl.provides.template].obj
    codes = {
        c.name: catalog.codelists[c.codelist].obj.codes()
        for c in ptpl.columns
        if c.codelist in catalog.codelists
    }
    frame, findings = provide(ds.frame, tpl, ptpl, codes)
    ds.findings += [replace(f, file=ds.file, dataset=ds.name) for f in findings]
    return ptpl, frame, present_columns(tpl, set(ds.columns_in_file))


def read_dataset(bundle, name: str, tpl: Template) -> RawTable:
    """A project's dataset as a table of text: a plain file, or a form's export (with its
    form, repeat group, column map or constants from mel.yaml)."""
    from mel.data.exports import read_export
    from mel.data.formdata import dataset_table

    ref = bundle.project.datasets[name]
    path = bundle.root / ref.path
    if is_form_data(ref, path):
        form = bundle.forms.get(name)
        return dataset_table(read_export(path, pulled=ref.source is not None), name, ref, tpl, form)
    return read_table(path, sheet=ref.sheet, header_row=ref.header_row, dataset=name)


def is_form_data(ref, path: Path) -> bool:
    """Whether a dataset is read as a form's export."""
    special = path.suffix.lower() in (".zip", ".json")
    return bool(ref.form or ref.repeat or ref.source or ref.columns or ref.values or special)


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
