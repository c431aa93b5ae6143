"""The bundled indicator catalog: it lints, every fixture passes, it covers what the handbook
and the standard indicators ask for, and the example programme's data supports it."""

from __future__ import annotations

import copy
import shutil
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest

from mel.definitions.catalog import load_catalog
from mel.definitions.models import PILLARS
from mel.definitions.project import load_project
from mel.engine.fixtures import run_fixture
from mel.engine.pipeline import run
from tests.conftest import REPO, shared_value

CATALOG = load_catalog()
IDS = list(CATALOG.indicators)


def test_catalog_lints_clean():
    assert CATALOG.findings == []


def test_catalog_size_and_structure():
    inds = [ld.obj for ld in CATALOG.indicators.values()]
    assert len(inds) >= 45
    pillars = Counter(i.pillar for i in inds)
    assert set(pillars) == set(PILLARS)
    # each of the 3Ps and partnership has objective/outcome and result/output indicators
    for p in ("prevention", "protection", "prosecution", "partnership"):
        levels = {i.level for i in inds if i.pillar == p}
        assert {"objective", "result"} <= levels, (p, levels)
    for i in inds:
        assert i.fixture is not None, i.id
        assert i.references, i.id
        assert i.verification.method and i.verification.source, i.id
    # the indicators the issue names by their source
    codes = {r.code for i in inds for r in i.references if r.code}
    assert {"PS.5.1-28", "PS.5.1-29", "PS.5.2-23", "PS.5.3-15"} <= codes
    sources = {r.source for i in inds for r in i.references}
    assert any("SDG" in s and "16.2.2" in s for s in sources)
    assert any("Handbook" in s for s in sources)
    assert any("IndiKit" in s for s in sources)
    assert any("CTDC" in s for s in sources)
    # the handbook's target forms all occur
    forms = {i.target_kind for i in inds}
    assert {"yes", "number", "percentage", "percent_increase"} <= forms
    # indicator files live in the folder of their pillar
    for iid, ld in CATALOG.indicators.items():
        assert Path(ld.doc.file).parent.name == ld.obj.pillar, iid


@pytest.mark.parametrize("indicator_id", IDS)
def test_fixture_passes(indicator_id):
    ind = CATALOG.indicator(indicator_id)
    outcome = run_fixture(ind, CATALOG)
    assert outcome.checked >= 1
    assert outcome.failures == []


def test_a_wrong_expectation_fails_the_fixture():
    ind = copy.deepcopy(CATALOG.indicator("PROT-01"))
    ind.fixture.expect[0].value = ind.fixture.expect[0].value + 1
    outcome = run_fixture(ind, CATALOG)
    assert len(outcome.failures) == 1
    assert "2024-Q1, SDN: value is 2" in outcome.failures[0]
    assert "expected 3" in outcome.failures[0]


def test_a_wrong_numerator_and_a_missing_cell_fail_the_fixture():
    ind = copy.deepcopy(CATALOG.indicator("PROT-02"))
    ind.fixture.expect[0].numerator = 3
    ind.fixture.expect[0].period = "2024-Q3"
    outcome = run_fixture(ind, CATALOG)
    # Q3 exists but has no data: the value (None) and the numerator differ
    assert any("numerator" in f for f in outcome.failures), outcome.failures
    ind.fixture.expect[0].disaggregation = "sex"
    ind.fixture.expect[0].category = "Nobody"
    outcome = run_fixture(ind, CATALOG)
    assert any("no such cell" in f for f in outcome.failures)


def test_invalid_fixture_data_is_reported_not_computed():
    ind = copy.deepcopy(CATALOG.indicator("PROT-01"))
    ind.fixture.data["cases"][0]["sex"] = "Femme"
    outcome = run_fixture(ind, CATALOG)
    assert outcome.checked == 0
    assert any("row 2" in f and "Femme" in f for f in outcome.failures), outcome.failures


# --- the example programme supports the catalog -------------------------------------------------

# Catalog indicators the example's data cannot support, and why. The test fails if one of these
# gets data, or if another one has none: the list stays true.
UNSUPPORTED = {
    "PART-08": "the example records no cross-border or bilateral agreement (milestone kind "
    "'agreement')",
    "PART-09": "every referral in the example is made by IOM (from_type "
    "InternationalOrganisation), none by law enforcement or immigration",
    "PREV-09": "the example's trainings have no safe labour migration curriculum",
}


@pytest.fixture(scope="module")
def whole_catalog_on_example(tmp_path_factory):
    def make():
        bundle = load_project(REPO / "examples" / "counter-trafficking")
        bundle.indicators = [ld.obj for ld in bundle.catalog.indicators.values()]
        return run(bundle, internal=True)

    return shared_value(tmp_path_factory, "whole-catalog", make)


def _has_data(cells: pd.DataFrame) -> bool:
    v = pd.to_numeric(cells["value"], errors="coerce")
    return bool((v.notna() & (v != 0)).any())


def test_every_supported_indicator_has_results_on_the_example(whole_catalog_on_example):
    t = whole_catalog_on_example.table
    headline = t[(t["disaggregation"] == "") & (t["country"] != "ALL")]
    empty = {i for i in IDS if not _has_data(headline[headline["indicator"] == i])}
    assert empty == set(UNSUPPORTED), {
        "without data but not listed": sorted(empty - set(UNSUPPORTED)),
        "listed but with data": sorted(set(UNSUPPORTED) - empty),
    }


def test_every_disaggregation_of_a_supported_indicator_has_categories(whole_catalog_on_example):
    t = whole_catalog_on_example.table
    for iid in IDS:
        if iid in UNSUPPORTED:
            continue
        ind = CATALOG.indicator(iid)
        for d in ind.disaggregations:
            cells = t[(t["indicator"] == iid) & (t["disaggregation"] == d.column)]
            assert _has_data(cells), (iid, d.column)


def test_example_values_against_pandas(whole_catalog_on_example):
    """Two catalog indicators recomputed independently from the example's CSV files."""
    t = whole_catalog_on_example.table
    data = REPO / "examples" / "counter-trafficking" / "data"

    def lop(iid: str, country: str = "ALL") -> pd.Series:
        row = t[
            (t["indicator"] == iid)
            & (t["country"] == country)
            & (t["period"] == "LoP")
            & (t["disaggregation"] == "")
        ]
        assert len(row) == 1
        return row.iloc[0]

    # PROS-02: post-test at least 20 points above the pre-test, of completed trainees with both
    tr = pd.read_excel(data / "programme.xlsx", sheet_name="trainings")
    done = tr[(tr["completed"] == "yes") & tr["pre_score"].notna() & tr["post_score"].notna()]
    improved = (done["post_score"] - done["pre_score"] >= 20).sum()
    row = lop("PROS-02")
    assert row["numerator"] == improved
    assert row["denominator"] == len(done)
    assert row["value"] == pytest.approx(100 * improved / len(done))

    # CTX-01: victims registered in SDN in 2024 per 100,000 of SDN's 2024 population
    cases = pd.read_csv(data / "cases.csv", dtype=str)
    pop = pd.read_csv(data / "population.csv")
    sdn24 = cases[
        (cases["country"] == "SDN")
        & cases["registration_date"].str.startswith("2024")
        & cases["trafficking_status"].isin(["actual", "possible"])
    ]
    p = pop[(pop["country"] == "SDN") & (pop["year"] == 2024)]["population"].iloc[0]
    row = t[
        (t["indicator"] == "CTX-01")
        & (t["country"] == "SDN")
        & (t["period"] == "2024")
        & (t["disaggregation"] == "")
    ]
    if len(row):  # calendar-year rows exist only when the fiscal year is the calendar year
        assert row.iloc[0]["value"] == pytest.approx(sdn24["case_id"].nunique() / p * 1e5)
    fy = cases[
        (cases["country"] == "SDN")
        & (cases["registration_date"] >= "2023-10-01")
        & (cases["registration_date"] <= "2023-12-31")
        & cases["trafficking_status"].isin(["actual", "possible"])
    ]
    p23 = pop[(pop["country"] == "SDN") & (pop["year"] == 2023)]["population"].iloc[0]
    row = t[
        (t["indicator"] == "CTX-01")
        & (t["country"] == "SDN")
        & (t["period"] == "FY2024-Q1")
        & (t["disaggregation"] == "")
    ].iloc[0]
    assert row["value"] == pytest.approx(fy["case_id"].nunique() / p23 * 1e5)


# --- a new indicator written from docs/definitions.md alone --------------------------------------


def test_new_indicator_from_the_docs_works_on_the_example(tmp_path, cli):
    """tests/data/new_indicator/ was written by following docs/definitions.md only; a project
    adds it through mel.yaml's indicators.paths and computes it."""
    project = tmp_path / "ct"
    shutil.copytree(REPO / "examples" / "counter-trafficking", project)
    shutil.copytree(REPO / "tests" / "data" / "new_indicator", project / "my_indicators")
    text = (project / "mel.yaml").read_text(encoding="utf-8")
    text = text.replace("indicators:\n", "indicators:\n  paths: [my_indicators]\n", 1)
    (project / "mel.yaml").write_text(text, encoding="utf-8")
    lint = cli("indicators", "lint", str(project / "my_indicators"))
    assert lint.exit_code == 0, lint.output
    out = tmp_path / "r.csv"
    result = cli("compute", str(project), "-o", str(out), "--internal")
    assert result.exit_code == 0, result.output
    t = pd.read_csv(out, dtype={"category": str, "disaggregation": str}, keep_default_na=False)
    mine = t[(t["indicator"] == "MY-01") & (t["disaggregation"] == "")]
    assert len(mine)
    # independent: shelter services in Tanzania in FY2024 (Oct 2023 - Sep 2024), by hand
    a = pd.read_csv(
        REPO / "examples" / "counter-trafficking" / "data" / "assistance.csv", dtype=str
    )
    sel = a[
        (a["country"] == "TZA")
        & (a["service_type"] == "shelter")
        & (a["service_date"] >= "2023-10-01")
        & (a["service_date"] <= "2024-09-30")
    ]
    cell = mine[(mine["country"] == "TZA") & (mine["period"] == "FY2024")]
    assert float(cell["value"].iloc[0]) == sel["case_id"].nunique()


# --- the catalog as commands --------------------------------------------------------------------


def test_indicators_test_command_passes_on_the_catalog_and_fails_on_a_wrong_fixture(cli, tmp_path):
    result = cli("indicators", "test")
    assert result.exit_code == 0, result.output
    assert f"{len(IDS)} of {len(IDS)} fixtures passed" in result.output
    text = (REPO / "tests" / "data" / "new_indicator" / "MY-01.yaml").read_text(encoding="utf-8")
    (tmp_path / "MY-01.yaml").write_text(
        text.replace("{period: 2024-Q1, country: TZA, value: 2}", "{period: 2024-Q1, value: 5}"),
        encoding="utf-8",
    )
    result = cli("indicators", "test", str(tmp_path))
    assert result.exit_code == 1
    assert "MY-01: 2024-Q1, ALL: value is 2, expected 5" in result.output
    assert "0 of 1 fixtures passed" in result.output


def test_indicators_docs_markdown_and_workbook(cli, tmp_path):
    import openpyxl

    md = tmp_path / "catalog.md"
    result = cli("indicators", "docs", "-o", str(md))
    assert result.exit_code == 0, result.output
    text = md.read_text(encoding="utf-8")
    for iid in IDS:
        assert f"## {iid} " in text
    # grouped by pillar in the handbook's order
    assert text.index("# Prevention") < text.index("# Protection") < text.index("# Context")
    xlsx = tmp_path / "catalog.xlsx"
    result = cli("indicators", "docs", "-o", str(xlsx), "--source", "PS.5")
    assert result.exit_code == 0, result.output
    wb = openpyxl.load_workbook(xlsx)
    us = sorted(
        i
        for i in IDS
        if any((r.code or "").startswith("PS.5") for r in CATALOG.indicator(i).references)
    )
    assert sorted(wb.sheetnames[1:]) == us
    index = wb["Index"]
    ids = [index.cell(row=r, column=1).value for r in range(5, 5 + len(us))]
    assert sorted(ids) == us
    assert index.cell(row=5, column=1).hyperlink.location == f"'{ids[0]}'!A1"
    sheet = wb[us[0]]
    fields = [sheet.cell(row=r, column=1).value for r in range(4, sheet.max_row + 1)]
    assert {"Definition", "Computation", "Data source", "Reference", "Target"} <= set(fields)
    # writing it again gives the same bytes
    again = tmp_path / "again.xlsx"
    cli("indicators", "docs", "-o", str(again), "--source", "PS.5")
    assert again.read_bytes() == xlsx.read_bytes()
