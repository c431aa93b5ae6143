"""Lineage: the rows `mel explain` lists add up to the reported numerator and denominator."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mel.definitions.project import load_project
from mel.engine.lineage import explain
from mel.engine.pipeline import run
from tests.conftest import REPO, run_mel

EXAMPLE = REPO / "examples" / "counter-trafficking"


@pytest.fixture(scope="module")
def bundle():
    return load_project(EXAMPLE)


@pytest.fixture(scope="module")
def sources(bundle):
    from mel.data.validate import validate_project
    from mel.engine.prepare import sources_from

    return sources_from(validate_project(bundle))


@pytest.fixture(scope="module")
def cells(bundle):
    t = run(bundle, internal=True).table
    counts = t[t["indicator"].isin(["PROT-01", "PROT-02", "PREV-01", "PROS-01", "PART-02"])]
    counts = counts[counts["value"].notna()]
    # a deterministic sample across indicators, countries, periods and categories
    return counts.sample(n=40, random_state=3)


def test_rows_add_up_to_the_reported_values(bundle, cells, sources):
    for cell in cells.itertuples(index=False):
        e = explain(
            bundle,
            cell.indicator,
            country=cell.country,
            period=cell.period,
            disaggregation=cell.disaggregation,
            category=cell.category,
            sources=sources,
        )
        parts = {p.part: p for p in e.parts}
        if "numerator" in parts:
            assert parts["numerator"].counted == cell.numerator, cell
            assert parts["denominator"].counted == cell.denominator, cell
            # every numerator row is a denominator row (same records, one more filter)
            assert set(parts["numerator"].rows["row"]) <= set(parts["denominator"].rows["row"])
        else:
            assert parts["value"].counted == cell.value, cell


def test_excluded_rows_carry_their_reason(bundle, sources):
    e = explain(bundle, "PROT-01", country="TZA", period="FY2024-Q1", sources=sources)
    assert set(e.excluded["reason"]) == {"filter false"}
    cases = pd.read_csv(EXAMPLE / "data" / "cases.csv", dtype=str, keep_default_na=False)
    for row in e.excluded["row"]:
        assert cases.iloc[row - 2]["trafficking_status"] == "not_a_victim"
    counted = e.parts[0].rows
    for row, cid in counted.head(20).itertuples(index=False):
        assert cases.iloc[row - 2]["case_id"] == cid
        assert cases.iloc[row - 2]["country"] == "TZA"


def test_usage_errors(bundle, sources):
    from mel.errors import UsageError

    for kw in (
        {"indicator": "PROT-1"},
        {"indicator": "PROT-01", "country": "KEN"},
        {"indicator": "PROT-01", "period": "2024-Q1"},
        {"indicator": "PROT-01", "disaggregation": "color", "category": "x"},
        {"indicator": "PROT-01", "disaggregation": "sex", "category": "Femal"},
    ):
        with pytest.raises(UsageError):
            explain(bundle, **kw, sources=sources)


def test_cli(tmp_path):
    out = tmp_path / "rows.csv"
    result = run_mel(
        "explain",
        "examples/counter-trafficking",
        "PART-02",
        "-c",
        "SDN",
        "-p",
        "FY2024",
        "--limit",
        "2",
        "-o",
        str(out),
    )
    assert result.returncode == 0, result.stderr
    assert "distinct case_id from" in result.stdout
    rows = pd.read_csv(out)
    value = int(result.stdout.split("value: ")[1].split()[0].replace(",", ""))
    assert rows.loc[rows["part"] == "value", "key"].nunique() == value
    assert np.issubdtype(rows["row"].dtype, np.integer)


@pytest.mark.parametrize(
    ("country", "period"), [("SDN", "FY2025-Q3"), ("TZA", "FY2024"), ("ALL", "LoP")]
)
def test_a_level_dated_by_year_lists_the_rows_of_its_year(bundle, sources, country, period):
    """CTX-01's denominator is the population, a level dated by year: each period takes the
    value of the year it ends in. `mel explain` lists those rows (it listed none before it asked
    the engine's own time rule), and they add up to the reported denominator."""
    e = explain(bundle, "CTX-01", country=country, period=period, sources=sources)
    den = next(p for p in e.parts if p.part == "denominator")
    assert len(den.rows) >= 1
    assert den.rows[den.key].astype(float).sum() == pytest.approx(e.cell["denominator"])
