"""`mel init`: a new project whose generated workbooks, once filled in, validate and compute."""

from __future__ import annotations

import datetime as dt

import openpyxl
import pandas as pd
import pytest

from mel.definitions.catalog import load_templates

TEMPLATES = load_templates()


def _fill(path, sheet: str, template: str, rows: list[dict]) -> None:
    """Type rows into a data-entry workbook as an officer would (codes or labels, real dates)."""
    wb = openpyxl.load_workbook(path)
    ws = wb[sheet]
    tpl = TEMPLATES.templates[template].obj
    column_of = {c.name: j for j, c in enumerate(tpl.columns, start=1)}
    for i, row in enumerate(rows, start=2):
        for key, value in row.items():
            ws.cell(row=i, column=column_of[key], value=value)
    wb.save(path)


def _fill_targets(path, values: dict[tuple[str, str], dict[str, object]]) -> None:
    wb = openpyxl.load_workbook(path)
    ws = wb["targets"]
    header = [c.value for c in ws[4]]
    for r in range(5, ws.max_row + 1):
        key = (ws.cell(row=r, column=1).value, ws.cell(row=r, column=5).value)
        for col, v in values.get(key, {}).items():
            ws.cell(row=r, column=header.index(col) + 1, value=v)
    wb.save(path)


@pytest.fixture
def project(tmp_path, cli):
    root = tmp_path / "new-project"
    result = cli(
        "init",
        str(root),
        "--countries",
        "SDN,TZA",
        "--indicators",
        "PROT-01,PROT-02,PS.5.1-28,PART-01",
        "--start",
        "2025-01-01",
        "--end",
        "2025-12-31",
        "--name",
        "Pilot",
        "--donor",
        "J/TIP",
    )
    assert result.exit_code == 0, result.output
    return root


def test_init_writes_exactly_the_workbooks_the_indicators_need(project):
    assert sorted(p.name for p in (project / "data").iterdir()) == [
        "cases.xlsx",
        "milestones.xlsx",
        "trainings.xlsx",
    ]
    text = (project / "mel.yaml").read_text(encoding="utf-8")
    assert "select: [PROT-01, PROT-02, PROS-01, PART-01]" in text
    wb = openpyxl.load_workbook(project / "targets.xlsx")
    ws = wb["targets"]
    header = [c.value for c in ws[4]]
    assert header[:6] == [
        "indicator",
        "indicator name",
        "unit",
        "target form",
        "country",
        "baseline",
    ]
    assert header[6:] == ["LoP", "2025", "2025-Q1", "2025-Q2", "2025-Q3", "2025-Q4"]
    keys = [(ws.cell(row=r, column=1).value, ws.cell(row=r, column=5).value) for r in range(5, 17)]
    assert keys == [
        (i, c) for i in ("PROT-01", "PROT-02", "PROS-01", "PART-01") for c in ("SDN", "TZA", "ALL")
    ]
    # milestones take yes/no, the others numbers
    kinds = {dv.type for dv in ws.data_validations.dataValidation}
    assert kinds == {"decimal", "list"}


def test_filled_project_validates_and_computes(project, cli, tmp_path):
    cases = [
        {
            "case_id": f"C{i}",
            "registration_date": dt.date(2025, month, 10),
            "country": country,
            "sex": sex,
            "trafficking_status": status,
            "needs_assessment_date": dt.date(2025, month, 12) if assessed else None,
        }
        for i, (month, country, sex, status, assessed) in enumerate(
            [
                (1, "SDN", "Female", "actual", True),
                (2, "SDN", "Male", "possible", False),
                (2, "SDN", "Female", "actual", True),
                (3, "SDN", "Female", "not_a_victim", False),
                (5, "TZA", "Male", "actual", True),
                (6, "TZA", "Female", "actual", True),
            ],
            start=1,
        )
    ]
    _fill(project / "data" / "cases.xlsx", "cases", "cases", cases)
    trainings = [
        {
            "participant_id": f"P{i}",
            "event_id": "E1",
            "event_date": dt.date(2025, 4, 2),
            "country": "TZA",
            "role": role,
            "sex": "Female",
            "curriculum": "victim_identification",
            "completed": "yes",
        }
        for i, role in enumerate(["police", "police", "judge", "labour_inspector"], start=1)
    ]
    _fill(project / "data" / "trainings.xlsx", "trainings", "trainings", trainings)
    milestones = [
        {
            "milestone_id": "M1",
            "country": "SDN",
            "date": dt.date(2025, 8, 1),
            "kind": "referral_mechanism",
            "title": "NRM adopted",
        }
    ]
    _fill(project / "data" / "milestones.xlsx", "milestones", "milestones", milestones)
    _fill_targets(
        project / "targets.xlsx",
        {
            ("PROT-01", "SDN"): {"LoP": 6, "2025-Q1": 4},
            ("PROT-01", "ALL"): {"LoP": 10},
            ("PROT-02", "ALL"): {"baseline": 50, "LoP": 80},
            ("PART-01", "SDN"): {"baseline": "no", "LoP": "yes"},
        },
    )
    result = cli("validate", str(project))
    assert result.exit_code == 0, result.output
    assert "0 errors" in result.output
    out = tmp_path / "results.csv"
    result = cli("compute", str(project), "-o", str(out), "--internal")
    assert result.exit_code == 0, result.output
    t = pd.read_csv(out, keep_default_na=False, dtype=str)
    head = t[t["disaggregation"] == ""].set_index(["indicator", "country", "period"])

    def cell(ind, country, period, col="value"):
        return head.loc[(ind, country, period), col]

    # by hand: SDN Q1 has C1, C2, C3 (C4 is not a victim); TZA Q2 has C5, C6
    assert float(cell("PROT-01", "SDN", "2025-Q1")) == 3
    assert float(cell("PROT-01", "TZA", "2025-Q2")) == 2
    assert float(cell("PROT-01", "ALL", "LoP")) == 5
    assert float(cell("PROT-01", "SDN", "2025-Q1", "target")) == 4
    assert float(cell("PROT-01", "SDN", "2025-Q1", "pct_of_target")) == pytest.approx(75.0)
    assert float(cell("PROT-01", "ALL", "LoP", "pct_of_target")) == pytest.approx(50.0)
    # 4 of 5 victims assessed
    assert float(cell("PROT-02", "ALL", "LoP")) == pytest.approx(80.0)
    assert float(cell("PROT-02", "ALL", "LoP", "baseline")) == 50
    # police x2 and a labour inspector; the judge is not a first responder
    assert float(cell("PROS-01", "TZA", "2025-Q2")) == 3
    assert cell("PART-01", "SDN", "2025-Q2") in ("0.0", "False")
    assert cell("PART-01", "SDN", "2025-Q3") in ("1.0", "True")


def test_init_refuses_unknown_indicators_and_leaves_nothing(tmp_path, cli):
    root = tmp_path / "p"
    result = cli("init", str(root), "--countries", "SDN", "--indicators", "PROT-1O")
    assert result.exit_code == 2
    assert "'PROT-1O' matches no catalog indicator" in result.output
    assert "did you mean PROT-10" in result.output
    assert not root.exists()
    assert list(tmp_path.iterdir()) == []


def test_init_refuses_an_existing_folder(tmp_path, cli):
    (tmp_path / "p").mkdir()
    (tmp_path / "p" / "keep.txt").write_text("mine", encoding="utf-8")
    result = cli("init", str(tmp_path / "p"), "--countries", "SDN", "--indicators", "PROT-01")
    assert result.exit_code == 2
    assert "already exists" in result.output
    assert (tmp_path / "p" / "keep.txt").read_text(encoding="utf-8") == "mine"


def test_targets_grid_errors_name_the_row_and_column(project, cli):
    _fill_targets(project / "targets.xlsx", {("PROT-01", "TZA"): {"2025-Q2": "many"}})
    wb = openpyxl.load_workbook(project / "targets.xlsx")
    ws = wb["targets"]
    ws.cell(row=4, column=ws.max_column + 1, value="Q5 2025")
    wb.save(project / "targets.xlsx")
    result = cli("validate", str(project))
    assert result.exit_code == 2
    assert "targets.xlsx[targets]:4 (column 'Q5 2025')" in result.output
    assert "neither a period label" in result.output
    wb = openpyxl.load_workbook(project / "targets.xlsx")
    ws = wb["targets"]
    ws.delete_cols(ws.max_column)
    wb.save(project / "targets.xlsx")
    result = cli("validate", str(project))
    assert result.exit_code == 2
    # PROT-01 x TZA is the second data row: row 6 of the sheet
    assert "targets.xlsx[targets]:6" in result.output
    assert "expected a number or yes/no, found 'many'" in result.output


def test_default_dates_are_the_current_fiscal_year():
    from mel.outputs.scaffold import default_dates

    assert default_dates(dt.date(2026, 11, 30)) == (dt.date(2026, 1, 1), dt.date(2026, 12, 31))
    assert default_dates(dt.date(2026, 11, 30), 10) == (dt.date(2026, 10, 1), dt.date(2027, 9, 30))
    assert default_dates(dt.date(2026, 9, 30), 10) == (dt.date(2025, 10, 1), dt.date(2026, 9, 30))
    assert default_dates(dt.date(2026, 3, 31), 4) == (dt.date(2025, 4, 1), dt.date(2026, 3, 31))


def test_init_says_which_dates_it_chose(tmp_path, cli):
    from mel.outputs.scaffold import default_dates

    root = tmp_path / "p"
    result = cli("init", str(root), "--countries", "KEN,UGA", "--indicators", "PROT-01")
    assert result.exit_code == 0, result.output
    start, end = default_dates(dt.date.today())
    assert f"project dates: {start} to {end} (the current fiscal year" in result.output
    assert f"start: {start}" in (root / "mel.yaml").read_text(encoding="utf-8")


def _rename_header(path, old: str, new: str) -> None:
    """Rename a column of the cases sheet, as an officer does in Excel."""
    wb = openpyxl.load_workbook(path)
    cells = [c for c in wb["cases"][1] if c.value == old]
    assert len(cells) == 1, old
    cells[0].value = new
    wb.save(path)


def test_walk_through_rows_outside_the_project_and_a_renamed_column(project, cli, tmp_path):
    """Issue 13's walk-through: rows typed for the wrong year, then a column renamed in Excel;
    each run says what happened, to how many rows, and how to fix it."""
    cases = [
        {
            "case_id": f"C{i}",
            "registration_date": dt.date(2024, 1 + i % 12, 10),  # the project is 2025
            "country": "SDN",
            "sex": "Female",
            "trafficking_status": "actual",
        }
        for i in range(50)
    ]
    _fill(project / "data" / "cases.xlsx", "cases", "cases", cases)
    result = cli("validate", str(project), "--as-of", "2026-01-15")
    assert result.exit_code == 1, result.output
    assert "cases (data/cases.xlsx[cases]): all 50 rows were left out" in result.output
    assert "50 outside the project dates: rows 2, 3, 4, 5, 6 ..." in result.output
    out = tmp_path / "report"
    result = cli(
        "report", str(project), "--period", "2025-Q4", "--as-of", "2026-01-15", "-o", str(out)
    )
    assert result.exit_code == 1, result.output
    assert "all 50 rows were left out" in result.output
    assert (out / "report-2025-Q4.xlsx").exists()
    # the dates fixed, the officer renames the 'Sex' column to 'Gender' in Excel
    for c in cases:
        c["registration_date"] = c["registration_date"].replace(year=2025)
    _fill(project / "data" / "cases.xlsx", "cases", "cases", cases)
    _rename_header(project / "data" / "cases.xlsx", "Sex", "Gender")
    result = cli(
        "report", str(project), "--period", "2025-Q4", "--as-of", "2026-01-15", "-o", str(out)
    )
    assert result.exit_code == 0, result.output
    assert "has no column 'sex', which PROT-01, PROT-02 read as disaggregation" in result.output
    # and the renamed required column: every row lost, the closest header named
    _rename_header(project / "data" / "cases.xlsx", "Registration date", "Date registered")
    result = cli("compute", str(project), "--as-of", "2026-01-15", "-o", str(tmp_path / "r.csv"))
    assert result.exit_code == 1, result.output
    assert "all 50 rows were left out" in result.output
    assert "the closest header in the file is 'Date registered'" in result.output
