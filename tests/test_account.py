"""The account of every record: a run that leaves records out says how many, why and where,
and exits 1 when a dataset loses all its rows or more than the project allows (issue 13)."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest
from openpyxl import load_workbook

from mel.cli.app import app
from mel.definitions.project import load_project
from mel.engine.pipeline import run
from tests.conftest import TESTS

CLEAN = TESTS / "data" / "clean"


def _copy(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    shutil.copytree(CLEAN, root)
    return root


def _rows(path: Path) -> list[dict]:
    with path.open(newline="") as fh:
        return list(csv.DictReader(fh))


def _write(path: Path, rows: list[dict], header: list[str] | None = None) -> None:
    header = header or list(rows[0])
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        for r in rows:
            w.writerow(list(r.values()))


def _rename(path: Path, old: str, new: str) -> None:
    lines = path.read_text().splitlines(keepends=True)
    lines[0] = lines[0].replace(old, new)
    path.write_text("".join(lines))


def _read_me(workbook: Path) -> str:
    """Every text of the report's Read me sheet, as one string."""
    cover = load_workbook(workbook)["Read me"]
    return " ".join(str(c.value) for row in cover.iter_rows() for c in row if c.value)


def _redate(path: Path, n: int, day: str) -> list[int]:
    """Give the first ``n`` rows the date ``day``; their row numbers."""
    rows = _rows(path)
    for r in rows[:n]:
        r["registration_date"] = day
    _write(path, rows)
    return list(range(2, 2 + n))


def test_a_renamed_required_column_fails_loudly(tmp_path, runner):
    root = _copy(tmp_path)
    _rename(root / "cases.csv", "registration_date", "Registered")
    n = len(_rows(root / "cases.csv"))
    out = tmp_path / "r.csv"
    res = runner.invoke(app, ["compute", str(root), "-o", str(out)])
    assert res.exit_code == 1, res.output
    assert f"all {n} rows were left out" in res.output
    assert "column missing from the file ('registration_date')" in res.output
    assert "the closest header in the file is 'Registered'" in res.output
    assert "--accept-left-out" in res.output
    assert out.exists()  # still written: the loss is reported, not hidden
    res = runner.invoke(app, ["compute", str(root), "-o", str(out), "--accept-left-out"])
    assert res.exit_code == 0, res.output
    assert "accepted with --accept-left-out" in res.output
    # validate says the same
    res = runner.invoke(app, ["validate", str(root)])
    assert res.exit_code == 1
    assert f"all {n} rows were left out" in res.output


def test_rows_outside_the_project_dates_are_counted_with_examples(tmp_path, runner):
    root = _copy(tmp_path)
    rows = _redate(root / "cases.csv", 5, "2023-06-01")  # 5 of 30: 17% > 10%
    res = runner.invoke(app, ["compute", str(root), "-o", str(tmp_path / "r.csv")])
    assert res.exit_code == 1, res.output
    assert "5 of 30 rows (17%) were left out, more than the 10% allowed" in res.output
    assert "5 outside the project dates: rows " + ", ".join(map(str, rows)) in res.output
    # the limit is the project's to set
    text = (root / "mel.yaml").read_text() + "quality:\n  max_left_out: 20\n"
    (root / "mel.yaml").write_text(text)
    res = runner.invoke(app, ["compute", str(root), "-o", str(tmp_path / "r.csv")])
    assert res.exit_code == 0, res.output
    assert "WARNING" not in res.output
    assert "5 outside the project dates" in res.output  # still in the account


def test_every_row_outside_the_project_fails_even_under_the_limit(tmp_path, runner):
    root = _copy(tmp_path)
    text = (root / "mel.yaml").read_text()
    text = text.replace("start: 2024-01-01", "start: 2026-01-01")
    text = text.replace("end: 2024-12-31", "end: 2026-12-31")
    (root / "mel.yaml").write_text(text + "quality:\n  max_left_out: 100\n")
    res = runner.invoke(app, ["compute", str(root), "-o", str(tmp_path / "r.csv")])
    assert res.exit_code == 1, res.output
    assert "all 30 rows were left out" in res.output


def test_a_duplicated_row_is_counted_as_a_duplicate(tmp_path):
    root = _copy(tmp_path)
    rows = _rows(root / "cases.csv")
    _write(root / "cases.csv", [*rows, rows[0]])
    results = run(load_project(root))
    cases = next(a for a in results.account if a.dataset == "cases")
    assert (cases.read, cases.used) == (31, 30)
    assert [(x.reason, x.rows, x.examples) for x in cases.losses] == [("duplicate", 1, [32])]


def test_a_missing_disaggregation_column_is_a_warning_in_the_account_and_report(tmp_path, runner):
    root = _copy(tmp_path)
    _rename(root / "cases.csv", ",sex,", ",Gender,")
    out = tmp_path / "r.csv"
    res = runner.invoke(app, ["compute", str(root), "-o", str(out), "--internal"])
    assert res.exit_code == 0, res.output
    assert "has no column 'sex', which PROT-01, PROT-02 read as disaggregation" in res.output
    assert "every record falls in 'Unknown'" in res.output
    report = tmp_path / "report"
    res = runner.invoke(app, ["report", str(root), "--period", "2024-Q4", "-o", str(report)])
    assert res.exit_code == 0, res.output
    text = _read_me(report / "report-2024-Q4.xlsx")
    assert "cases.csv has no column 'sex' (PROT-01, PROT-02)" in text


def test_the_report_says_on_its_cover_that_records_were_left_out(tmp_path, runner):
    root = _copy(tmp_path)
    _rename(root / "cases.csv", "registration_date", "Registered")
    report = tmp_path / "report"
    res = runner.invoke(app, ["report", str(root), "--period", "2024-Q4", "-o", str(report)])
    assert res.exit_code == 1, res.output
    text = _read_me(report / "report-2024-Q4.xlsx")
    assert "WARNING: records were left out of this report" in text
    assert "30 column missing from the file ('registration_date')" in text


@pytest.mark.parametrize("period", ["2024-Q2", "2024-Q3"])
def test_records_after_the_reported_period_are_not_a_loss(tmp_path, runner, period):
    root = _copy(tmp_path)
    ends = {"2024-Q2": "2024-06-30", "2024-Q3": "2024-09-30"}
    later = sum(r["registration_date"] > ends[period] for r in _rows(root / "cases.csv"))
    assert later > 3  # the test data has them
    res = runner.invoke(
        app, ["report", str(root), "--period", period, "-o", str(tmp_path / "report")]
    )
    assert res.exit_code == 0, res.output
    assert f"{later:,} after the period (not a loss)" in res.output


def test_a_ratio_counts_each_left_out_record_once(tmp_path):
    """PROT-02 reads cases twice (numerator and denominator): a case outside the project's
    dates is one record left out, not two."""
    root = _copy(tmp_path)
    _redate(root / "cases.csv", 4, "2023-06-01")
    countries = [r["country"] for r in _rows(root / "cases.csv")[:4]]
    results = run(load_project(root))
    ex = results.exclusions
    got = ex[(ex["indicator"] == "PROT-02") & (ex["reason"] == "outside the project dates")]
    assert dict(zip(got["country"], got["records"], strict=True)) == {
        c: countries.count(c) for c in set(countries)
    }
