"""Typical field-data faults planted in a copy of a clean project: each is found at its row and
column with the right rule, and nothing is reported on the rows left clean."""

from __future__ import annotations

import csv
import datetime as dt
import shutil

import pytest

from mel.data.validate import validate_path
from tests.conftest import REPO, run_mel

CLEAN = REPO / "tests" / "data" / "clean"
AS_OF = dt.date(2025, 12, 31)

# (dataset, data row index (0-based), column, new raw value, rule, severity, words, suggestion)
FAULTS = [
    ("cases", 0, "sex", "Femal", "code-list", "error", "did you mean 'Female'?", "Female"),
    ("cases", 1, "country", "sdn", "alias", "warning", "read as 'SDN'", "SDN"),
    ("cases", 2, "trafficking_status", "-99", "required", "error", "a value is required", None),
    (
        "cases",
        3,
        "registration_date",
        "12/31/2024",
        "type",
        "error",
        "read month first",
        "2024-12-31",
    ),
    (
        "cases",
        4,
        "registration_date",
        "2024-02-30",
        "type",
        "error",
        "that day does not exist",
        None,
    ),
    (
        "cases",
        5,
        "needs_assessment_date",
        "2031-01-05",
        "future-date",
        "error",
        "after the as-of date 2025-12-31",
        None,
    ),
    ("cases", 6, "age", "150", "range", "error", "above the maximum 110", None),
    ("cases", 7, "age", "twelve", "type", "error", "is not a whole number", None),
    ("cases", 8, "age", "12.5", "type", "error", "is not a whole number", None),
    ("cases", 9, "case_id", "TZA-0001", "unique", "error", "appears again (first at row 2)", None),
    ("cases", 10, "case_id", "", "required", "error", "a value is required", None),
    ("cases", 11, "sex", " Male ", "whitespace", "warning", "spaces before or after", "Male"),
    (
        "cases",
        12,
        "exploitation",
        "sexual;forcd_labour",
        "code-list",
        "error",
        "'forcd_labour' in 'sexual;forcd_labour'",
        "sexual;forced_labour",
    ),
    ("cases", 13, "plan_completed", "maybe", "type", "error", "is not yes or no", None),
    ("cases", 14, "sex", "F", "alias", "warning", "read as 'Female'", "Female"),
    ("cases", 15, "nationality", "Sudan", "code-list", "error", "did you mean 'SDN'?", "SDN"),
    (
        "assistance",
        3,
        "case_id",
        "SDN-9999",
        "foreign-key",
        "error",
        "'SDN-9999' is not a case_id of cases",
        None,
    ),
    ("assistance", 4, "cost_usd", "1,200", "type", "error", "did you mean '1200'?", "1200"),
]
# closure before registration: a cross-column rule, reported on the row
RULE_ROW = 17


def _read(path):
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _write(path, rows):
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)


@pytest.fixture(scope="module")
def messy(tmp_path_factory):
    d = tmp_path_factory.mktemp("messy")
    shutil.copytree(CLEAN, d, dirs_exist_ok=True)
    data = {"cases": _read(d / "cases.csv"), "assistance": _read(d / "assistance.csv")}
    for dataset, i, col, value, *_ in FAULTS:
        data[dataset][i][col] = value
    case = data["cases"][RULE_ROW]
    case["closure_date"] = "2023-12-01"  # before registration (and not in the future)
    _write(d / "cases.csv", data["cases"])
    _write(d / "assistance.csv", data["assistance"])
    return d


def test_clean_project_has_no_findings():
    result = validate_path(CLEAN, as_of=AS_OF)
    assert result.findings == []
    assert {n: len(ds.frame) for n, ds in result.datasets.items()} == {
        "cases": len(_read(CLEAN / "cases.csv")),
        "assistance": len(_read(CLEAN / "assistance.csv")),
    }


def test_at_least_twelve_kinds_of_fault():
    kinds = {(f[4], f[2]) for f in FAULTS} | {("rule", "closure_date")}
    assert len({k[0] for k in kinds}) >= 10
    assert len(FAULTS) + 1 >= 12


@pytest.fixture(scope="module")
def result(messy):
    return validate_path(messy, as_of=AS_OF)


@pytest.mark.parametrize("fault", FAULTS, ids=[f"{f[0]}:{f[2]}:{f[4]}" for f in FAULTS])
def test_each_fault_is_found_at_its_row_and_column(result, fault):
    dataset, i, col, _, rule, severity, words, suggestion = fault
    row = i + 2  # the header is row 1
    hits = [f for f in result.findings if f.dataset == dataset and f.line == row and f.field == col]
    assert len(hits) == 1, [h.format() for h in hits]
    (f,) = hits
    assert (f.rule, f.severity) == (rule, severity)
    assert words in f.format()
    assert f.suggestion == suggestion


def test_cross_column_rule(result):
    hits = [f for f in result.findings if f.line == RULE_ROW + 2 and f.dataset == "cases"]
    assert [(f.rule, f.scope, f.field) for f in hits] == [("rule", "row", "closure_date")]
    assert "closed before it was registered" in hits[0].message


def test_no_findings_on_clean_rows(result):
    planted = {(f[0], f[1] + 2) for f in FAULTS} | {("cases", RULE_ROW + 2)}
    # the case ids overwritten by the duplicate and the blank leave the assistance rows that
    # pointed to them unresolved: those are true findings too
    clean = _read(CLEAN / "cases.csv")
    changed_ids = {
        clean[i]["case_id"] for d, i, col, *_ in FAULTS if (d, col) == ("cases", "case_id")
    }
    extra = [
        f
        for f in result.findings
        if (f.dataset, f.line) not in planted
        and not (f.rule == "foreign-key" and f.value in changed_ids)
    ]
    assert extra == [], [f.format() for f in extra]


def test_invalid_rows_are_those_with_errors(result):
    cases = result.datasets["cases"]
    error_rows = sorted(
        {f.line for f in result.findings if f.dataset == "cases" and f.severity == "error"}
    )
    assert sorted(int(r) for r in cases.rows[cases.invalid]) == error_rows


def test_cli_exit_code_summary_and_feedback_workbook(messy, tmp_path):
    import openpyxl

    report = tmp_path / "feedback.xlsx"
    result = run_mel("validate", str(messy), "--as-of", "2025-12-31", "--report", str(report))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "FAILED: " in result.stdout
    wb = openpyxl.load_workbook(report)
    assert wb.sheetnames == ["Read me", "Findings", "cases", "assistance"]
    ws = wb["cases"]
    header = [c.value for c in ws[1]]
    sex = header.index("sex") + 1
    cell = ws.cell(row=2, column=sex)  # data row index 0 = file row 2 = sheet row 2
    assert cell.value == "Femal"
    assert cell.fill.fgColor.rgb.endswith("FFC7CE")
    assert "did you mean 'Female'?" in cell.comment.text
    warn = ws.cell(row=3, column=header.index("country") + 1)
    assert warn.fill.fgColor.rgb.endswith("FFEB9C")
    # personal data never leaves, not even in the feedback
    names = {r["full_name"] for r in _read(messy / "cases.csv")}
    phones = {r["phone"] for r in _read(messy / "cases.csv")}
    for sheet in wb.worksheets:
        for row in sheet.iter_rows(values_only=True):
            assert not (set(map(str, row)) & (names | phones))
    findings = wb["Findings"]
    n_errors = int(result.stdout.split("FAILED: ")[1].split(" error")[0])
    severities = [r[4] for r in findings.iter_rows(min_row=2, values_only=True)]
    assert severities.count("error") == n_errors


def test_inputs_are_not_modified(messy):
    before = {p.name: p.read_bytes() for p in messy.iterdir()}
    validate_path(messy, as_of=AS_OF)
    assert {p.name: p.read_bytes() for p in messy.iterdir()} == before


def _sheets(path):
    """Every cell of a workbook as its reader sees it: value, fill colour, comment."""
    import openpyxl

    wb = openpyxl.load_workbook(path)
    return {
        ws.title: [
            [(c.value, c.fill.fgColor.rgb, c.comment.text if c.comment else None) for c in row]
            for row in ws.iter_rows()
        ]
        for ws in wb.worksheets
    }


@pytest.mark.parametrize("which", ["messy", "clean"])
def test_a_long_dataset_keeps_only_the_text_of_rows_with_findings(
    which, request, tmp_path, monkeypatch
):
    """`mel validate --report` on a long dataset keeps the text of the rows the feedback
    workbook shows, read again after the validation, not of every row (issue 19: a million
    rows in little memory); the workbook is the one written from every row's text. A clean
    project's long datasets keep none."""
    import mel.data.validate as validate
    import mel.outputs.feedback as feedback
    from mel.definitions.project import load_project
    from mel.engine.pipeline import validate_with_account

    project = request.getfixturevalue("messy") if which == "messy" else CLEAN
    bundle = load_project(project)
    full = validate.validate_project(bundle, as_of=AS_OF, keep_raw=True)
    # "long": more rows than that, and as many rows with findings at most (the workbook must
    # say so by the dataset's length, not by the rows whose text is kept)
    most = max(
        len({f.line for f in ds.findings if f.scope in ("cell", "row") and f.line})
        for ds in full.datasets.values()
    )
    assert most < min(len(ds.rows) for ds in full.datasets.values())
    monkeypatch.setattr(validate, "FEEDBACK_ALL_ROWS", most)
    monkeypatch.setattr(feedback, "FEEDBACK_ALL_ROWS", most)
    kept, _accounts = validate_with_account(bundle, as_of=AS_OF, keep_data=True)
    for name, ds in kept.datasets.items():
        lines = {f.line for f in ds.findings if f.scope in ("cell", "row") and f.line}
        every = full.datasets[name]
        assert len(every.raw.data) == len(every.rows) > most
        assert sorted(int(r) for r in ds.raw.rows) == sorted(lines)  # only those rows' text
        assert len(ds.raw.data) == len(lines) < len(every.rows)
        assert len(ds.frame) == len(every.frame)
    feedback.write_feedback(full, tmp_path / "full.xlsx", as_of=AS_OF)
    feedback.write_feedback(kept, tmp_path / "kept.xlsx", as_of=AS_OF)
    full_sheets, kept_sheets = _sheets(tmp_path / "full.xlsx"), _sheets(tmp_path / "kept.xlsx")
    assert kept_sheets == full_sheets
    cases = kept_sheets["cases"]
    assert any(str(c[0]).startswith("only the ") for c in cases[0] if c[0])
    assert len(cases) - 1 == len({f.line for f in kept.findings if f.dataset == "cases"
                                  and f.scope in ("cell", "row") and f.line})  # fmt: skip


def test_a_sheet_without_findings_is_streamed_as_its_cells_would_be(tmp_path, monkeypatch):
    """A dataset without findings is written to the feedback workbook as streamed rows (issue
    19: 80,000 rows of short datasets took most of `mel validate --report`'s time at a million
    cases): the same file byte for byte as writing each cell, and its cells are the file's
    text, personal data blanked."""
    import openpyxl

    import mel.outputs.feedback as feedback
    from mel.data.cells import PII_SHOWN
    from mel.outputs.excel import set_text

    result = validate_path(CLEAN, as_of=AS_OF)
    assert result.findings == []
    feedback.write_feedback(result, tmp_path / "streamed.xlsx", as_of=AS_OF)

    def as_cells(ws, first_row, rows):
        for r, row in enumerate(rows, start=first_row):
            for c, v in enumerate(row, start=1):
                set_text(ws.cell(row=r, column=c), v)

    monkeypatch.setattr(feedback, "stream_rows", as_cells)
    feedback.write_feedback(result, tmp_path / "cells.xlsx", as_of=AS_OF)
    assert (tmp_path / "streamed.xlsx").read_bytes() == (tmp_path / "cells.xlsx").read_bytes()

    ws = openpyxl.load_workbook(tmp_path / "streamed.xlsx")["cases"]
    with open(CLEAN / "cases.csv", newline="", encoding="utf-8") as fh:
        file_rows = list(csv.reader(fh))
    pii = {"full_name", "phone"}
    want = [["Row", *file_rows[0]]]
    for n, row in enumerate(file_rows[1:], start=2):
        shown = [PII_SHOWN if h in pii and v else v for h, v in zip(file_rows[0], row, strict=True)]
        want.append([n, *(v if v != "" else None for v in shown)])
    got = [list(r) for r in ws.iter_rows(values_only=True)]
    assert got == want
