"""The validation feedback workbook: the officer's own rows with the failing cells marked.

One sheet per dataset shows the rows as they are in the file (with their row numbers); a cell
with an error is filled red, one with a warning yellow, and carries a comment with the message
and the suggestion. A findings sheet lists every finding with a filter. Personal-data columns
are blanked: the feedback goes round by e-mail.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from pathlib import Path

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Font

from mel import __version__
from mel.data.cells import PII_SHOWN
from mel.data.validate import FEEDBACK_ALL_ROWS, ValidationResult
from mel.errors import Finding
from mel.outputs.excel import (
    ERROR_FILL,
    TITLE_FONT,
    WARNING_FILL,
    WRAP,
    print_setup,
    save_workbook,
    set_text,
    sheet_title,
    stream_rows,
    write_header,
)

BOLD = Font(bold=True)


def _comment(findings: list[Finding]) -> Comment:
    lines = []
    for f in findings:
        text = f"{f.severity}: {f.message}"
        if f.hint:
            text += f" ({f.hint})"
        lines.append(text)
    c = Comment("\n".join(lines), "mel")
    c.width = 320
    c.height = 40 + 30 * len(lines)
    return c


def check_feedback_path(report: Path, source: Path) -> None:
    """Refuse a feedback workbook path that is not .xlsx or is one of the files validated
    (``source``: a data file, a project folder or its mel.yaml)."""
    from mel.definitions.loader import PROJECT_FILE
    from mel.definitions.project import load_project
    from mel.errors import UsageError
    from mel.outputs.tidy import refuse_inputs

    if Path(report).suffix.lower() != ".xlsx":
        raise UsageError(f"{report}: the feedback workbook is an Excel file: end its name in .xlsx")
    source = Path(source)
    if source.is_dir() or source.name == PROJECT_FILE:
        inputs = load_project(source).input_paths()
    else:
        inputs = [source.resolve()]
    refuse_inputs(report, inputs)


def write_feedback(result: ValidationResult, path: Path, *, as_of: dt.date) -> Path:
    wb = Workbook()
    readme = wb.active
    readme.title = "Read me"
    taken = {"Read me", "Findings"}
    readme["A1"] = "Data validation feedback"
    readme["A1"].font = TITLE_FONT
    info = [
        ("Checked on", as_of.isoformat()),
        ("Tool", f"mel {__version__}"),
        ("Errors", len(result.errors)),
        ("Warnings", len(result.warnings)),
        ("Red cells", "errors: the row is left out of the indicators until it is corrected"),
        ("Yellow cells", "warnings: the value was read, but check it"),
        ("Personal data", "columns marked as personal data are blanked in this workbook"),
    ]
    for i, (k, v) in enumerate(info, start=3):
        set_text(readme.cell(row=i, column=1), k).font = BOLD
        set_text(readme.cell(row=i, column=2), v)
    row = len(info) + 4
    write_header(
        readme,
        row,
        ["Dataset", "File", "Rows", "Errors", "Warnings", "Sheet here"],
        [18, 40, 10, 10, 10, 24],
    )
    by_dataset: dict[str, list[Finding]] = defaultdict(list)
    for f in result.findings:
        by_dataset[f.dataset or ""].append(f)
    sheets: dict[str, str] = {}
    for name in result.datasets:
        sheets[name] = sheet_title(name, taken)
    for name, ds in result.datasets.items():
        row += 1
        fs = by_dataset.get(name, [])
        values = [
            name,
            ds.file,
            len(ds.frame),
            sum(f.severity == "error" for f in fs),
            sum(f.severity == "warning" for f in fs),
            sheets[name],
        ]
        for j, v in enumerate(values, start=1):
            set_text(readme.cell(row=row, column=j), v)
    readme.column_dimensions["A"].width = 18
    readme.column_dimensions["B"].width = 40

    ws = wb.create_sheet("Findings")
    titles = [
        "Dataset",
        "File",
        "Row",
        "Column",
        "Severity",
        "Rule",
        "Value",
        "Message",
        "Hint",
        "Suggestion",
    ]
    write_header(ws, 1, titles, [14, 30, 8, 20, 10, 14, 20, 60, 50, 18])
    for i, f in enumerate(result.findings, start=2):
        values = [
            f.dataset,
            f.file,
            f.line,
            f.field,
            f.severity,
            f.rule or f.code,
            f.value,
            f.message,
            f.hint,
            f.suggestion,
        ]
        for j, v in enumerate(values, start=1):
            set_text(ws.cell(row=i, column=j), v)
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:J{max(1, len(result.findings) + 1)}"
    print_setup(ws)

    for name, ds in result.datasets.items():
        _dataset_sheet(wb.create_sheet(sheets[name]), ds, by_dataset.get(name, []))
    return save_workbook(wb, path)


def _dataset_sheet(ws, ds, findings: list[Finding]) -> None:
    raw = ds.raw
    pii_positions = {
        ds.columns_in_file[c.name]
        for c in ds.template.columns
        if c.pii and c.name in ds.columns_in_file
    }
    write_header(
        ws, 1, ["Row", *raw.header], [7] + [max(10, min(40, len(h) + 4)) for h in raw.header]
    )
    by_cell: dict[tuple[int, str], list[Finding]] = defaultdict(list)
    rows_with_findings: set[int] = set()
    for f in findings:
        if f.line is not None and f.scope in ("cell", "row"):
            by_cell[(f.line, f.field or "")].append(f)
            rows_with_findings.add(f.line)
    keep: range | list[int] = range(len(raw.rows))
    if len(ds.rows) > FEEDBACK_ALL_ROWS:  # the raw rows may be only these already
        keep = [i for i, r in enumerate(raw.rows) if int(r) in rows_with_findings]
        set_text(
            ws.cell(row=1, column=len(raw.header) + 2),
            f"only the {len(keep)} rows with findings are shown",
        )
    columns = [raw.data[str(p)] for p in range(len(raw.header))]
    out = 2
    if not by_cell:  # nothing to mark: the rows are written as they are, streamed
        texts = [
            [PII_SHOWN if v else v for v in col.tolist()] if p in pii_positions else col.tolist()
            for p, col in enumerate(columns)
        ]
        stream_rows(ws, out, ([int(raw.rows[i]), *(text[i] for text in texts)] for i in keep))
        out += len(keep)
        keep = []
    for i in keep:
        rowno = int(raw.rows[i])
        set_text(ws.cell(row=out, column=1), rowno)
        for p, head in enumerate(raw.header):
            value = PII_SHOWN if p in pii_positions and columns[p].iloc[i] else columns[p].iloc[i]
            cell = set_text(ws.cell(row=out, column=p + 2), value)
            fs = by_cell.get((rowno, head))
            if fs:
                cell.fill = ERROR_FILL if any(f.severity == "error" for f in fs) else WARNING_FILL
                cell.comment = _comment(fs)
                cell.alignment = WRAP
        out += 1
    ws.freeze_panes = "B2"
    ws.auto_filter.ref = f"A1:{ws.cell(row=1, column=len(raw.header) + 1).column_letter}{out - 1}"
    print_setup(ws)
