"""`mel compute` as a user meets it."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from mel.definitions.project import load_project
from tests.conftest import REPO, run_mel, shared_value

EXAMPLE = "examples/counter-trafficking"


@pytest.fixture(scope="module")
def csv_result(tmp_path_factory):
    def make():
        out = tmp_path_factory.mktemp("c") / "results.csv"
        result = run_mel("compute", EXAMPLE, "-o", str(out))
        assert result.returncode == 0, result.stderr
        return result, pd.read_csv(out, keep_default_na=False)

    return shared_value(tmp_path_factory, "compute-csv", make)


def test_compute_writes_the_tidy_table(csv_result):
    result, table = csv_result
    assert "life of project, all countries" in result.stdout
    selected = load_project(Path(EXAMPLE)).project.indicators.select
    assert len(selected) >= 20
    assert set(table["indicator"]) == set(selected)
    assert {"ALL", "SDN", "TZA", "NGA"} == set(table["country"])
    assert {"FY2024-Q1", "FY2024", "LoP"} <= set(table["period"])
    assert table["suppressed"].astype(str).eq("True").any()


def test_donor_output_has_no_small_counts_and_no_personal_data(csv_result):
    _, table = csv_result
    counts = table[table["indicator"].isin(["PROT-01", "PREV-01", "PROS-01", "PART-02"])]
    values = pd.to_numeric(counts["value"], errors="coerce")
    assert not ((values >= 1) & (values < 5)).any()
    cases = pd.read_csv(REPO / EXAMPLE / "data" / "cases.csv", dtype=str, keep_default_na=False)
    names = sorted(set(cases["full_name"]) | {p for p in cases["phone"] if p})
    assert len(names) > 100  # the inputs hold names and phone numbers ...
    blob = table.to_csv()
    assert not any(n in blob for n in names)  # ... the results never do


def test_internal_mode_shows_small_counts(tmp_path):
    out = tmp_path / "internal.json"
    result = run_mel(
        "compute", EXAMPLE, "-o", str(out), "--internal", "-c", "TZA", "-p", "FY2024-Q1"
    )
    assert result.returncode == 0, result.stderr
    assert "INTERNAL" in result.stdout
    rows = json.loads(out.read_text())
    assert {r["country"] for r in rows} == {"TZA", "ALL"}
    assert {r["period"] for r in rows} == {"FY2024-Q1"}
    assert not any(r["suppressed"] for r in rows)
    assert any(r["value"] is not None and 1 <= r["value"] < 5 for r in rows)


def test_parquet(tmp_path):
    out = tmp_path / "r.parquet"
    assert run_mel("compute", EXAMPLE, "-o", str(out), "-p", "LoP").returncode == 0
    assert set(pd.read_parquet(out)["period"]) == {"LoP"}


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["-o", "x.txt"], "the format must be one of csv, parquet, json"),
        (["-o", "{tmp}/r.csv", "-c", "KEN"], "country 'KEN' is not one of the project's"),
        (
            ["-o", "{tmp}/r.csv", "-p", "2024-Q1"],
            "2024-Q1 is January-March 2024, which this project",
        ),
        (["-o", f"{EXAMPLE}/data/cases.csv"], "is one of the project's input files"),
        (["-o", f"{EXAMPLE}/targets.csv"], "is one of the project's input files"),
    ],
)
def test_usage_errors(tmp_path, args, words):
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    result = run_mel("compute", EXAMPLE, *args)
    assert result.returncode == 2, result.stdout + result.stderr
    assert words in result.stderr
    assert "Traceback" not in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_same_inputs_give_identical_output(tmp_path):
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    assert run_mel("compute", EXAMPLE, "-o", str(a), "-p", "LoP").returncode == 0
    assert run_mel("compute", EXAMPLE, "-o", str(b), "-p", "LoP").returncode == 0
    assert a.read_bytes() == b.read_bytes()


def test_targets_for_periods_outside_the_calendar_are_reported(tmp_path):
    import shutil

    project = tmp_path / "p"
    shutil.copytree(REPO / EXAMPLE, project)
    with open(project / "targets.csv", "a", encoding="utf-8") as fh:
        fh.write("PROT-01,SDN,2024-Q1,,10,\nPROT-01,SDN,FY2031,,10,\n")
    n = len((project / "targets.csv").read_text().splitlines())
    result = run_mel("compute", str(project), "-o", str(tmp_path / "r.csv"))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert any(
        f"targets.csv:{n - 1} (column 'period')" in ln and "written like FY2024-Q1" in ln
        for ln in lines
    ), lines
    assert any(
        f"targets.csv:{n} (column 'period')" in ln and "outside the project" in ln for ln in lines
    ), lines
    assert not (tmp_path / "r.csv").exists()


def test_compute_for_given_periods_shows_their_totals_first(tmp_path):
    """`--period` keeps only those periods in the file; the console's first table shows their
    totals for all countries (it showed the life of project's, which the file no longer held:
    an empty table)."""
    clean = str(REPO / "tests" / "data" / "clean")
    for periods in (["2024-Q4"], ["2024-Q3", "2024-Q4"]):
        out = tmp_path / f"{len(periods)}.csv"
        args = [a for p in periods for a in ("--period", p)]
        result = run_mel("compute", clean, *args, "--as-of", "2026-01-15", "--internal",
                         "-o", str(out))  # fmt: skip
        assert result.returncode == 0, result.stderr
        assert f"{', '.join(periods)}, all countries" in result.stdout
        table = pd.read_csv(out, keep_default_na=False)
        totals = table[(table["country"] == "ALL") & (table["disaggregation"] == "")]
        assert len(totals) == 2 * len(periods)  # PROT-01 and PROT-02, each period
        lines = result.stdout.splitlines()
        for row in totals.itertuples():
            shown = [line for line in lines if row.indicator in line and
                     (len(periods) == 1 or row.period in line)]  # fmt: skip
            assert len(shown) == 1, (row.indicator, row.period, result.stdout)
            cells = [c.strip() for c in shown[0].split("│")[1:-1]]
            value = cells[2 if len(periods) > 1 else 1]
            assert float(value.replace(",", "")) == pytest.approx(float(row.value), abs=0.05)
