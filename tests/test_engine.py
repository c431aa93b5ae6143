"""The engine's semantics on tiny datasets whose every expected value is worked out by hand.

Each test builds records directly, computes, and compares with numbers written in the test."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mel.definitions.catalog import load_templates
from mel.definitions.models import Indicator, Project
from mel.engine.compute import compute
from mel.engine.prepare import SourceData

CATALOG = load_templates()
BASE = {
    "pillar": "protection",
    "level": "result",
    "result": "r",
    "definition": "d",
    "unit": "u",
    "verification": {"method": "m", "source": "s"},
    "frequency": {"collection": "quarterly", "reporting": "quarterly"},
    "references": [{"source": "test", "provenance": "derived"}],
}


# % of persons whose case records a needs assessment
ASSESSED_PCT = {
    "type": "percentage",
    "numerator": {
        "type": "count_distinct",
        "column": "case_id",
        "where": "needs_assessment_date is not missing",
    },
    "denominator": {"type": "count_distinct", "column": "case_id"},
}


def project(**kw) -> Project:
    data = {
        "name": "t",
        "donor": "d",
        "countries": ["SDN", "TZA"],
        "start": "2024-01-01",
        "end": "2024-12-31",
        "reporting": {"period": "quarter", "fiscal_year_start": 1},
    }
    data.update(kw)
    return Project.model_validate(data)


def indicator(**kw) -> Indicator:
    data = {
        **BASE,
        "id": "T-1",
        "name": "n",
        "dataset": "cases",
        "date": "registration_date",
        "measure": {"type": "count_distinct", "column": "case_id"},
    }
    data.update(kw)
    return Indicator.model_validate(data)


def source(name: str, rows: list[dict], invalid: list[int] = ()) -> SourceData:
    tpl = CATALOG.templates[name].obj
    frame = pd.DataFrame(rows)
    for c in tpl.columns:
        if c.name not in frame:
            frame[c.name] = None
        if c.type == "date":
            frame[c.name] = pd.to_datetime(frame[c.name])
        elif c.type in ("integer", "number"):
            frame[c.name] = pd.to_numeric(frame[c.name]).astype("Float64")
        elif c.type == "boolean":
            frame[c.name] = frame[c.name].astype("boolean")
        else:
            frame[c.name] = frame[c.name].astype("str")
    bad = np.zeros(len(frame), bool)
    bad[list(invalid)] = True
    return SourceData(name, tpl, frame, np.arange(2, len(frame) + 2), f"{name}.csv", bad)


def run(ind, sources, proj=None):
    proj = proj or project()
    table, excl, checks = compute([ind], sources, proj, CATALOG)
    return table, excl, checks


def value(table, country="ALL", period="LoP", disaggregation="", category=""):
    sel = table[
        (table.country == country)
        & (table.period == period)
        & (table.disaggregation == disaggregation)
        & (table.category == category)
    ]
    assert len(sel) == 1, sel
    return sel.iloc[0]


def case(cid, date, country="SDN", status="actual", **kw):
    return {
        "case_id": cid,
        "registration_date": date,
        "country": country,
        "trafficking_status": status,
        **kw,
    }


def test_distinct_counts_are_not_additive():
    # person A in Q1 and Q2, person B in Q1: Q1 = 2, Q2 = 1, but the year and LoP = 2, not 3
    src = {
        "cases": source(
            "cases", [case("A", "2024-02-01"), case("A", "2024-05-01"), case("B", "2024-03-01")]
        )
    }
    t, _, _ = run(indicator(), src)
    assert value(t, "SDN", "2024-Q1").value == 2
    assert value(t, "SDN", "2024-Q2").value == 1
    assert value(t, "SDN", "2024").value == 2
    assert value(t, "SDN", "LoP").value == 2
    assert value(t, "ALL", "LoP").value == 2
    rows = run(indicator(measure={"type": "count"}), src)[0]
    assert value(rows, "SDN", "2024").value == 3


def test_distinct_across_countries():
    # the same person registered in two countries is one person in the total
    src = {
        "cases": source("cases", [case("A", "2024-02-01", "SDN"), case("A", "2024-02-03", "TZA")])
    }
    t, _, _ = run(indicator(), src)
    assert value(t, "SDN", "2024-Q1").value == 1
    assert value(t, "TZA", "2024-Q1").value == 1
    assert value(t, "ALL", "2024-Q1").value == 1


def test_ratio_of_sums_not_average_of_ratios():
    # Q1: 1 of 2 assessed (50%); Q2: 1 of 8 (12.5%); the year is 2/10 = 20%, not 31.25%
    rows = [case("A", "2024-01-10", needs_assessment_date="2024-01-11"), case("B", "2024-01-12")]
    rows += [case(f"C{i}", "2024-04-10") for i in range(7)]
    rows += [case("D", "2024-04-11", needs_assessment_date="2024-04-12")]
    ind = indicator(
        unit="percent",
        measure=ASSESSED_PCT,
    )
    t, _, _ = run(ind, {"cases": source("cases", rows)})
    q1, q2, year = value(t, "SDN", "2024-Q1"), value(t, "SDN", "2024-Q2"), value(t, "SDN", "2024")
    assert (q1.value, q1.numerator, q1.denominator) == (50.0, 1, 2)
    assert (q2.value, q2.numerator, q2.denominator) == (12.5, 1, 8)
    assert (year.value, year.numerator, year.denominator) == (20.0, 2, 10)


def test_zero_and_missing_denominators():
    ind = indicator(
        unit="percent",
        where="trafficking_status == 'actual'",
        measure={
            "type": "percentage",
            "numerator": {"type": "count", "where": "needs_assessment_date is not missing"},
            "denominator": {"type": "count"},
        },
    )
    # SDN has records in Q1 but none passes the filter: 0/0 -> no value, "denominator is 0"
    rows = [case("A", "2024-01-10", status="possible")]
    t, _, _ = run(ind, {"cases": source("cases", rows)})
    q1 = value(t, "SDN", "2024-Q1")
    assert np.isnan(q1.value) and q1.note == "denominator is 0" and q1.denominator == 0
    # TZA has no record at all: no data
    tza = value(t, "TZA", "2024-Q1")
    assert np.isnan(tza.value) and tza.note == "no data"


def test_fiscal_year_boundaries():
    # US fiscal year (October): 2023-09-30 is FY2023-Q4, 2023-10-01 is FY2024-Q1
    proj = project(
        start="2023-07-01",
        end="2024-12-31",
        reporting={"period": "quarter", "fiscal_year_start": 10},
    )
    src = {
        "cases": source(
            "cases",
            [
                case("A", "2023-09-30"),
                case("B", "2023-10-01"),
                case("C", "2024-09-30"),
                case("D", "2024-10-01"),
            ],
        )
    }
    t, _, _ = run(indicator(), src, proj)
    assert value(t, "SDN", "FY2023-Q4").value == 1
    assert value(t, "SDN", "FY2024-Q1").value == 1
    assert value(t, "SDN", "FY2024").value == 2  # B and C
    assert value(t, "SDN", "FY2025-Q1").value == 1
    assert set(t.period) >= {
        "FY2023-Q4",
        "FY2024-Q1",
        "FY2024-Q4",
        "FY2025-Q1",
        "FY2023",
        "FY2024",
        "FY2025",
        "LoP",
    }


def test_cumulative_distinct_is_distinct_over_the_window():
    # A in Q1 and Q2, B in Q2, C in Q4: cumulative Q1 = 1, Q2 = 2 (not 3), Q3 = 2, Q4 = 3
    src = {
        "cases": source(
            "cases",
            [
                case("A", "2024-01-05"),
                case("A", "2024-04-05"),
                case("B", "2024-05-05"),
                case("C", "2024-11-05"),
            ],
        )
    }
    t, _, _ = run(indicator(cumulation="cumulative"), src)
    got = [value(t, "SDN", f"2024-Q{q}").value for q in range(1, 5)]
    assert got == [1, 2, 2, 3]
    assert value(t, "SDN", "LoP").value == 3


def test_latest_value_is_carried_not_summed():
    # active committees: 3 reported in Q1, nothing in Q2, 2 in Q3: Q2 shows 3, the year and LoP 2
    rows = [case(f"K{i}", "2024-02-01") for i in range(3)] + [
        case(f"K{i}", "2024-08-01") for i in range(2)
    ]
    t, _, _ = run(indicator(cumulation="latest"), {"cases": source("cases", rows)})
    assert [value(t, "SDN", f"2024-Q{q}").value for q in (1, 2, 3)] == [3, 3, 2]
    assert value(t, "SDN", "2024").value == 2
    assert value(t, "SDN", "LoP").value == 2


def test_unknown_category_makes_parts_add_up():
    rows = [
        case("A", "2024-01-05", sex="Female"),
        case("B", "2024-01-06", sex="Male"),
        case("C", "2024-01-07"),
        case("D", "2024-01-08", sex="Female"),
    ]
    t, _, checks = run(indicator(disaggregations=["sex"]), {"cases": source("cases", rows)})
    assert value(t, "SDN", "2024-Q1", "sex", "Female").value == 2
    assert value(t, "SDN", "2024-Q1", "sex", "Male").value == 1
    assert value(t, "SDN", "2024-Q1", "sex", "Other").value == 0
    assert value(t, "SDN", "2024-Q1", "sex", "Unknown").value == 1
    assert value(t, "SDN", "2024-Q1").value == 4
    assert checks.ok.all() and len(checks) > 0


def test_multi_response_parts_may_exceed_the_total():
    rows = [
        case("A", "2024-01-05", exploitation="sexual;forced_labour"),
        case("B", "2024-01-06", exploitation="forced_labour"),
    ]
    ind = indicator(disaggregations=[{"column": "exploitation", "multi_response": True}])
    t, _, checks = run(ind, {"cases": source("cases", rows)})
    assert value(t, "SDN", "2024-Q1", "exploitation", "forced_labour").value == 2
    assert value(t, "SDN", "2024-Q1", "exploitation", "sexual").value == 1
    assert value(t, "SDN", "2024-Q1").value == 2
    assert value(t, "SDN", "2024-Q1", "exploitation", "sexual").multi_response
    assert checks.empty  # multi-response disaggregations are labelled, not checked


def test_exclusions_are_counted_by_reason():
    rows = [
        case("A", "2024-01-05"),
        case("B", None),
        case("C", "2023-12-31"),
        case("D", "2024-02-02", country="NGA"),
        case("E", "2024-02-03", status="not_a_victim"),
        case("F", "2024-02-04"),
    ]
    ind = indicator(where="trafficking_status in ['actual', 'possible']")
    t, excl, _ = run(ind, {"cases": source("cases", rows, invalid=[5])})
    assert value(t, "SDN", "2024-Q1").value == 1  # only A
    got = {(r.country, r.reason): r.records for r in excl.itertuples()}
    assert got == {
        ("SDN", "missing date"): 1,
        ("SDN", "outside the project dates"): 1,
        ("NGA", "country not in the project"): 1,
        ("SDN", "filter false"): 1,
        ("SDN", "failed validation"): 1,
    }


def test_no_data_is_not_zero():
    # TZA has records only in Q2; SDN has records in Q1 that the filter rejects
    rows = [case("A", "2024-01-05", status="not_a_victim"), case("B", "2024-04-05", "TZA")]
    t, _, _ = run(
        indicator(where="trafficking_status == 'actual'"), {"cases": source("cases", rows)}
    )
    assert value(t, "SDN", "2024-Q1").value == 0  # data, none counted
    assert np.isnan(value(t, "TZA", "2024-Q1").value)  # no data at all
    assert value(t, "TZA", "2024-Q1").note == "no data"
    assert value(t, "TZA", "2024-Q2").value == 1


@pytest.mark.parametrize("kind", ["sum", "mean", "median"])
def test_sum_mean_median(kind):
    rows = [
        {
            "service_id": f"S{i}",
            "case_id": "A",
            "service_date": d,
            "country": "SDN",
            "service_type": "medical",
            "cost_usd": c,
        }
        for i, (d, c) in enumerate(
            [("2024-01-05", 10), ("2024-02-05", 30), ("2024-04-05", 200), ("2024-05-05", None)]
        )
    ]
    ind = indicator(
        dataset="assistance", date="service_date", measure={"type": kind, "column": "cost_usd"}
    )
    t, _, _ = run(ind, {"assistance": source("assistance", rows)})
    expected = {"sum": (40, 200, 240), "mean": (20, 200, 80), "median": (20, 200, 30)}[kind]
    got = (
        value(t, "SDN", "2024-Q1").value,
        value(t, "SDN", "2024-Q2").value,
        value(t, "SDN", "LoP").value,
    )
    assert got == expected


def test_milestone_for_countries_and_all():
    rows = [
        {"milestone_id": "M1", "country": "SDN", "date": "2024-05-15", "kind": "law", "title": "x"},
        {"milestone_id": "M2", "country": "TZA", "date": "2024-11-15", "kind": "law", "title": "y"},
    ]
    ind = indicator(
        dataset="milestones", date="date", measure={"type": "milestone"}, cumulation="latest"
    )
    t, _, _ = run(ind, {"milestones": source("milestones", rows)})
    assert [value(t, "SDN", f"2024-Q{q}").value for q in range(1, 5)] == [0, 1, 1, 1]
    assert [value(t, "TZA", f"2024-Q{q}").value for q in range(1, 5)] == [0, 0, 0, 1]
    q3 = value(t, "ALL", "2024-Q3")
    assert (q3.value, q3.numerator, q3.denominator) == (0, 1, 2)
    assert value(t, "ALL", "2024-Q4").value == 1


def test_ctdc_shares_of_a_flag_group():
    # means of control: P1 debt bondage and false promises, P2 debt bondage, P3 nothing recorded,
    # P4 false promises. CTDC rule: only the 3 persons with some information count, so
    # debt bondage = 2/3 and false promises = 2/3 (shares exceed 100% in all: multi-response);
    # the total is 3/3.
    rows = [
        case("P1", "2024-01-05", means_of_control="debt_bondage;false_promises"),
        case("P2", "2024-01-06", means_of_control="debt_bondage"),
        case("P3", "2024-01-07"),
        case("P4", "2024-01-08", means_of_control="false_promises"),
    ]
    known = "means_of_control is not missing"
    ind = indicator(
        unit="percent",
        measure={
            "type": "percentage",
            "numerator": {"type": "count_distinct", "column": "case_id", "where": known},
            "denominator": {"type": "count_distinct", "column": "case_id", "where": known},
        },
        disaggregations=[
            {"column": "means_of_control", "multi_response": True, "denominator": "total"}
        ],
    )
    t, _, _ = run(ind, {"cases": source("cases", rows)})
    debt = value(t, "SDN", "2024-Q1", "means_of_control", "debt_bondage")
    assert (debt.numerator, debt.denominator) == (2, 3)
    assert debt.value == pytest.approx(200 / 3)
    promises = value(t, "SDN", "2024-Q1", "means_of_control", "false_promises")
    assert (promises.numerator, promises.denominator) == (2, 3)
    assert value(t, "SDN", "2024-Q1", "means_of_control", "sexual_abuse").value == 0
    total = value(t, "SDN", "2024-Q1")
    assert (total.value, total.numerator, total.denominator) == (100.0, 3, 3)
    # without the option each category would be over its own persons: 2/2 = 100%
    ind2 = indicator(
        unit="percent",
        measure=ind.measure.model_dump(),
        disaggregations=[{"column": "means_of_control", "multi_response": True}],
    )
    t2, _, _ = run(ind2, {"cases": source("cases", rows)})
    assert value(t2, "SDN", "2024-Q1", "means_of_control", "debt_bondage").value == 100


def test_rate_per_100000_with_population_as_a_yearly_level():
    # victims: SDN 3 in Q1 and 2 in Q2 of 2024; population 2024: SDN 1,000,000, TZA 500,000.
    # SDN Q1 = 3 / 1,000,000 x 100,000 = 0.3; Q2 = 0.2; year 2024 = 0.5;
    # all countries Q1 = 3 / 1,500,000 x 100,000 = 0.2; a 2023 figure is outside the project.
    cases = [case(f"V{i}", "2024-02-01") for i in range(3)] + [
        case(f"W{i}", "2024-05-01") for i in range(2)
    ]
    population = [
        {"country": "SDN", "year": 2024, "population": 1_000_000},
        {"country": "TZA", "year": 2024, "population": 500_000},
        {"country": "SDN", "year": 2023, "population": 900_000},
    ]
    ind = indicator(
        unit="per 100,000",
        measure={
            "type": "ratio",
            "factor": 100000,
            "numerator": {"type": "count_distinct", "column": "case_id"},
            "denominator": {
                "type": "sum",
                "column": "population",
                "dataset": "population",
                "date": "year",
                "level": True,
            },
        },
        disaggregations=["sex"],
    )
    t, excl, _ = run(
        ind, {"cases": source("cases", cases), "population": source("population", population)}
    )
    assert value(t, "SDN", "2024-Q1").value == pytest.approx(0.3)
    assert value(t, "SDN", "2024-Q2").value == pytest.approx(0.2)
    q3 = value(t, "SDN", "2024-Q3")  # no case record at all in Q3: no data, not 0
    assert np.isnan(q3.value) and q3.note == "no data" and q3.denominator == 1_000_000
    assert value(t, "SDN", "2024").value == pytest.approx(0.5)
    assert value(t, "ALL", "2024-Q1").value == pytest.approx(0.2)
    assert value(t, "ALL", "2024-Q1").denominator == 1_500_000
    assert value(t, "TZA", "2024-Q1").note == "no data"  # no case recorded in TZA
    # a category's rate is over the whole population (the population has no sex column)
    assert value(t, "SDN", "2024-Q1", "sex", "Unknown").value == pytest.approx(0.3)
    assert ("SDN", "outside the project dates") in {
        (r.country, r.reason) for r in excl.itertuples()
    }


def test_compact_sources_give_the_same_results_as_full_ones():
    """`mel report` and `mel compute` keep only the columns the indicators read, text as
    categoricals (validate_project's keep_columns): the results are those of the full typed
    frames, on the example's indicators with filters, multi-response and distinct counts."""
    import datetime as dt

    from mel.data.validate import validate_project
    from mel.definitions.project import load_project
    from mel.engine.prepare import columns_read, sources_from
    from tests.conftest import REPO

    bundle = load_project(REPO / "examples" / "counter-trafficking")
    chosen = {"PROT-01", "PROT-02", "PROT-04", "PROT-11", "PREV-05", "CTX-03"}
    bundle.indicators = [i for i in bundle.indicators if i.id in chosen]
    assert len(bundle.indicators) == len(chosen)
    as_of = dt.date(2026, 1, 15)
    keep = columns_read(bundle.indicators)
    full = sources_from(validate_project(bundle, as_of=as_of))
    compact = sources_from(validate_project(bundle, as_of=as_of, keep_raw=False, keep_columns=keep))
    assert set(compact["cases"].frame.columns) < set(full["cases"].frame.columns)
    assert "full_name" not in compact["cases"].frame.columns
    assert isinstance(compact["assistance"].frame["service_type"].dtype, pd.CategoricalDtype)
    a = compute(bundle.indicators, full, bundle.project, bundle.catalog)
    b = compute(bundle.indicators, compact, bundle.project, bundle.catalog)
    for x, y in zip(a, b, strict=True):
        pd.testing.assert_frame_equal(x, y)


def test_a_year_column_dates_events_not_a_level():
    """Records dated by year only (CTDC's registration year) are events of that year: the
    life of project adds the years up, a cumulative value grows, and a year with records none
    of which passes the filter is 0. Only a measure declared 'level: true' holds a value
    through the year (issue 13, defect 6). CTDC writes countries as ISO alpha-2: they are
    matched to the project's alpha-3 codes (defect 5)."""
    spec = [(2017, "KH", "Female", 3), (2017, "KH", "Male", 1), (2018, "KH", "Female", 4)]
    spec += [(2018, "MY", "Female", 2), (2019, "KH", "Male", 1)]
    rows = [
        {
            "registration_year": y,
            "datasource": "Case Management",
            "country_of_exploitation": c,
            "gender": g,
        }
        for y, c, g, n in spec
        for _ in range(n)
    ]
    proj = project(
        start="2017-01-01", end="2019-12-31", countries=["KHM", "MYS"], reporting={"period": "year"}
    )
    base = {
        "dataset": "ctdc",
        "date": "registration_year",
        "geography": "country_of_exploitation",
        "measure": {"type": "count"},
    }
    src = {"ctdc": source("ctdc", rows)}
    t, _, _ = run(indicator(**base, where="gender == 'Female'"), src, proj)
    # by hand, Cambodia: Female 3 in 2017, 4 in 2018, none of the 2019 record -> 0; LoP 7
    got = {p: value(t, "KHM", p).value for p in ("2017", "2018", "2019", "LoP")}
    assert got == {"2017": 3, "2018": 4, "2019": 0, "LoP": 7}
    assert value(t, "MYS", "2018").value == 2
    assert value(t, "ALL", "LoP").value == 9
    t, _, _ = run(indicator(**base, cumulation="cumulative"), src, proj)
    got = {p: value(t, "KHM", p).value for p in ("2017", "2018", "2019", "LoP")}
    assert got == {"2017": 4, "2018": 8, "2019": 9, "LoP": 9}


def test_countries_written_another_way_are_the_projects_countries():
    """A geography column naming countries by ISO alpha-2, ISO numeric code or name is read as
    the project's alpha-3 codes; a value naming no project country stays out (issue 13)."""
    rows = [
        case(f"C{i}", "2024-02-01", country=c)
        for i, c in enumerate(["KH", "116", "Cambodia", "KHM", "MY", "Narnia"])
    ]
    proj = project(countries=["KHM", "THA"])
    t, excl, _ = run(indicator(measure={"type": "count"}), {"cases": source("cases", rows)}, proj)
    assert value(t, "KHM").value == 4  # by hand: KH, 116, Cambodia, KHM
    assert value(t, "ALL").value == 4
    assert excl.loc[excl["reason"] == "country not in the project", "records"].sum() == 2


def test_a_ratio_leaves_out_the_records_neither_side_uses():
    """A record of a dataset both sides of a ratio read is left out only when both leave it
    out, with the denominator's reason; a dataset one side alone reads keeps its own records.
    Checked against sets of (dataset, row) worked out by hand."""
    from mel.engine.compute import _left_out_of_both

    def frame(records):
        return pd.DataFrame(
            {
                "dataset": [d for d, _, _ in records],
                "_row": np.array([r for _, r, _ in records], dtype=np.int64),
                "_geo": ["SDN"] * len(records),
                "_reason": [why for _, _, why in records],
            }
        )

    num = [("a", 2, "filter"), ("a", 3, "filter"), ("a", 5, "invalid"), ("b", 2, "filter")]
    den = [("a", 3, "outside"), ("a", 4, "filter"), ("a", 5, "invalid"), ("c", 7, "no_date")]
    got = _left_out_of_both(frame(num), frame(den))
    pairs = {
        (d, int(r), why)
        for d, r, why in got[["dataset", "_row", "_reason"]].itertuples(index=False)
    }
    # a: 3 and 5 left out by both (the denominator's reasons); 2 counted by the denominator,
    # 4 by the numerator. b: the numerator's alone; c: the denominator's alone.
    assert pairs == {
        ("a", 3, "outside"),
        ("a", 5, "invalid"),
        ("b", 2, "filter"),
        ("c", 7, "no_date"),
    }
    assert len(got) == len(pairs)
    # no dataset in common: every record of both
    only = _left_out_of_both(frame(num[3:]), frame(den[3:]))
    assert sorted(only["dataset"]) == ["b", "c"]


def test_distinct_values_per_group_as_pandas_counts_them():
    """The engine's distinct count per group number (codes sorted, runs counted) equals
    pandas' ``nunique`` per group, for text, categorical and unused categories, missing
    values left out."""
    from mel.engine.kernels import _distinct_coded

    rng = np.random.default_rng(0)
    for _ in range(300):
        n, total = int(rng.integers(1, 300)), int(rng.integers(1, 20))
        gid = rng.integers(0, total, n).astype(np.int64)
        values = pd.Series(rng.integers(0, 30, n)).astype(str).where(rng.random(n) > 0.1)
        want = (
            pd.DataFrame({"g": gid, "v": values})
            .dropna()
            .groupby("g")["v"]
            .nunique()
            .reindex(range(total), fill_value=0)
            .to_numpy(dtype=float)
        )
        coded = values.astype("category")
        for given in (values, coded, coded.cat.add_categories(["unused"])):
            assert _distinct_coded(given, gid, total).tolist() == want.tolist()


def test_first_of_each_value_as_pandas_finds_it():
    """The first of each run of equals found by sorting is pandas' ``~duplicated()``: values
    repeated or not, negative and huge, one, none."""
    from mel.engine.kernels import first_of_each

    rng = np.random.default_rng(11)
    for _ in range(300):
        n = int(rng.integers(0, 400))
        spread = int(rng.choice([1, 5, 50, 10**6]))
        values = rng.integers(-spread, spread + 1, n).astype(np.int64)
        if n and rng.random() < 0.2:
            values[rng.integers(0, n)] = np.iinfo(np.int64).max
        want = ~pd.Series(values).duplicated().to_numpy()
        assert first_of_each(values).tolist() == want.tolist()


def test_present_values_as_numpy_unique_finds_them():
    """The distinct integers counted by ``bincount`` are ``np.unique``'s, of the same type, in
    order: codes of 8 to 64 bits, negative or past the counting range (``np.unique`` then)."""
    from mel.engine.kernels import present_values

    rng = np.random.default_rng(13)
    for _ in range(300):
        n = int(rng.integers(0, 200))
        dtype = rng.choice([np.int8, np.int16, np.int32, np.int64])
        high = int(rng.choice([2, 100, 127])) if dtype == np.int8 else int(rng.choice([3, 5000]))
        low = -1 if rng.random() < 0.2 else 0
        values = rng.integers(low, high, n).astype(dtype)
        if n and dtype == np.int64 and rng.random() < 0.2:
            values[0] = 1 << 40
        got, want = present_values(values), np.unique(values)
        assert got.dtype == want.dtype and got.tolist() == want.tolist()


def test_group_numbers_of_narrow_codes_do_not_overflow():
    """Keys whose categoricals keep their codes in 8 or 16 bits: each record's group number
    (and its first record per value) as Python's integers give them, with products far past
    those types."""
    from mel.engine.kernels import coded, first_in_finest, group_numbers

    rng = np.random.default_rng(12)
    n = 3000
    sizes = {"_geo": 120, "_period": 300, "_year": 4, "_cat": 90}
    data = pd.DataFrame(
        {
            k: pd.Categorical.from_codes(
                rng.integers(0, m, n), categories=[f"{k}{i}" for i in range(m)]
            )
            for k, m in sizes.items()
        }
    )
    assert data["_geo"].array.codes.dtype == np.int8
    assert data["_period"].array.codes.dtype == np.int16
    data["x"] = np.where(rng.random(n) < 0.1, np.nan, rng.integers(0, 40, n)).astype(float)
    gid, total, _ = coded(data, list(sizes))
    want = []
    for row in zip(*(data[k].array.codes.tolist() for k in sizes), strict=True):
        g = 0
        for code, m in zip(row, sizes.values(), strict=True):
            g = g * m + code
        want.append(g)
    assert gid.tolist() == want
    assert total == 120 * 300 * 4 * 90
    parts = [(data[k].array.codes, m) for k, m in sizes.items()]
    assert group_numbers(parts, n).tolist() == want  # as the grid's placing makes them
    seen, firsts = set(), []
    for g, x in zip(want, data["x"].tolist(), strict=True):
        firsts.append(x == x and (g, x) not in seen)
        seen.add((g, x))
    assert first_in_finest(data, "x").tolist() == firsts


def test_per_period_cells_as_plain_python_counts_them():
    """A measure's cells per reporting period, year and life of project (the engine's arrays,
    put together once) equal sums, means, counts and distinct counts worked out record by
    record in plain Python, including missing values and a group whose values are all
    missing."""
    from types import SimpleNamespace

    from mel.definitions.models import Count, CountDistinct, Mean, Sum
    from mel.engine.cumulate import _per_period
    from mel.engine.results import LOP

    rng = np.random.default_rng(1)
    for trial in range(40):
        n = int(rng.integers(1, 120))
        geo = rng.choice(["SDN", "TZA", "KEN"], n)
        period = rng.choice(["Q1", "Q2", "Q3", "Q4"], n)
        year = np.where(np.isin(period, ["Q1", "Q2"]), "FY1", "FY2")
        cat = rng.choice(["a", "b", "c"], n)
        x = np.where(rng.random(n) < 0.2, np.nan, rng.integers(0, 9, n).astype(float))
        d = pd.DataFrame(
            {
                "_geo": pd.Categorical(geo),
                "_period": pd.Categorical(period),
                "_year": pd.Categorical(year),
                "_cat": pd.Categorical(cat, categories=["a", "b", "c", "unused"]),
                "x": x,
            }
        )
        with_years = trial % 2 == 0
        calendar = SimpleNamespace(years=["FY1"] if with_years else [])
        groups: dict[tuple, list[float]] = {}
        for g, p, y, c, v in zip(geo, period, year, cat, x, strict=True):
            for when in [p, *([y] if with_years else []), LOP]:
                groups.setdefault((g, when, c), []).append(v)
        measures = {
            "count": (Count(type="count"), lambda vs: float(len(vs))),
            "sum": (
                Sum(type="sum", column="x"),
                lambda vs: sum(v for v in vs if v == v) if any(v == v for v in vs) else None,
            ),
            "mean": (
                Mean(type="mean", column="x"),
                lambda vs: (
                    sum(v for v in vs if v == v) / sum(1 for v in vs if v == v)
                    if any(v == v for v in vs)
                    else None
                ),
            ),
            "distinct": (
                CountDistinct(type="count_distinct", column="x"),
                lambda vs: float(len({v for v in vs if v == v})),
            ),
        }
        for name, (measure, by_hand) in measures.items():
            got = _per_period(d, measure, calendar)
            assert list(got.columns) == ["country", "period", "category", "value", "n"]
            cells = {
                (g, p, c): (None if val != val else val, nn)
                for g, p, c, val, nn in got.itertuples(index=False)
            }
            want = {k: (by_hand(vs), len(vs)) for k, vs in groups.items()}
            assert cells.keys() == want.keys(), name
            for k, (val, nn) in want.items():
                assert cells[k][1] == nn, (name, k)
                if val is None:
                    assert cells[k][0] is None, (name, k)
                else:
                    assert cells[k][0] == pytest.approx(val), (name, k)


def test_cells_placed_on_the_grid_as_a_join_places_them():
    """Each cell's values put on the grid by key lookup equal pandas' left join: cells the grid
    lacks dropped, grid cells without values NaN, integer columns turned to floats only where
    a value is missing; repeated keys and an empty part go to the join itself."""
    from mel.engine.grid import GRID_KEYS, _on_grid

    rng = np.random.default_rng(2)
    for _ in range(200):
        keys = [
            (g, p, "sex", c) for g in ["SDN", "TZA"] for p in ["Q1", "Q2", "LoP"] for c in "abc"
        ]
        grid = pd.DataFrame(keys, columns=GRID_KEYS).assign(period_kind="quarter")
        grid = grid[["country", "period", "period_kind", "disaggregation", "category"]]
        take = rng.random(len(keys)) < rng.random()
        rows = [k for k, t in zip(keys, take, strict=True) if t]
        rows += [("KEN", "Q1", "sex", "a")] * int(rng.integers(0, 2))  # not on the grid
        if rng.random() < 0.1 and rows:
            rows.append(rows[0])  # a repeated key
        part = pd.DataFrame(rows, columns=GRID_KEYS)
        part = part.assign(
            value=rng.random(len(part)), n=rng.integers(0, 9, len(part)).astype("int64")
        )
        if rng.random() < 0.3:
            part = part.assign(numerator=rng.random(len(part)), denominator=2.0)
        part = part[["country", "period", "category", "value", "n", *part.columns[6:]]].assign(
            disaggregation="sex"
        )
        want = grid.merge(part, how="left", on=GRID_KEYS)
        pd.testing.assert_frame_equal(_on_grid(grid, part), want)


def _random_cells(rng, with_years: bool):
    """Records with keys partly off a grid: a country, a period and a category the grid does
    not have, and a category no record has."""
    from types import SimpleNamespace

    n = int(rng.integers(1, 300))
    period = rng.choice(["Q1", "Q2", "Q3", "Q4", "Q9"], n, p=[0.3, 0.3, 0.2, 0.15, 0.05])
    d = pd.DataFrame(
        {
            "_geo": pd.Categorical(rng.choice(["SDN", "TZA", "KEN"], n, p=[0.5, 0.4, 0.1])),
            "_period": pd.Categorical(period),
            "_year": pd.Categorical(np.where(np.isin(period, ["Q1", "Q2"]), "FY1", "FY2")),
            "_cat": pd.Categorical(
                rng.choice(["a", "b", "c"], n, p=[0.5, 0.4, 0.1]),
                categories=["a", "b", "c", "unused"],
            ),
            "x": np.where(rng.random(n) < 0.2, np.nan, rng.integers(0, 6, n).astype(float)),
        }
    )
    quarters = [SimpleNamespace(label=q, kind="quarter") for q in ["Q1", "Q2", "Q3", "Q4"]]
    years = [SimpleNamespace(label=y, kind="year") for y in ["FY1", "FY2"]] if with_years else []
    lop = SimpleNamespace(label="LoP", kind="lop")
    calendar = SimpleNamespace(years=years, all_periods=[*quarters, *years, lop])
    return d, calendar


def test_cells_placed_by_arithmetic_equal_cells_placed_by_their_keys():
    """A per-period measure's cells put on the grid from their group numbers equal the cells
    worked out as a frame (``_per_period``) and put on the grid by key (``_on_grid``, itself
    checked against pandas' join above): cells off the grid dropped, cells without records
    NaN, counts integers only where every cell has records; for all countries too; and a
    distinct count over each value's first record in its finest cell."""
    from mel.definitions.models import Count, CountDistinct, Mean, Sum
    from mel.engine.cumulate import _cells_of, _per_period
    from mel.engine.grid import _distinct_placed, _grid, _on_grid, _per_period_placed
    from mel.engine.kernels import all_countries, first_in_finest

    rng = np.random.default_rng(5)
    kinds = set()
    measures = [
        Count(type="count"),
        Sum(type="sum", column="x"),
        Mean(type="mean", column="x"),
        CountDistinct(type="count_distinct", column="x"),
    ]
    for trial in range(50):
        data, calendar = _random_cells(rng, with_years=trial % 2 == 0)
        cats = ["b", "a", "Unknown"] if trial % 3 else ["a"]
        for geo_all in (False, True):
            d = all_countries(data) if geo_all else data
            geos = ["ALL"] if geo_all else ["TZA", "SDN"]
            grid = _grid(geos, calendar, "sex", cats)
            for m in measures:
                want = _on_grid(grid, _per_period(d, m, calendar).assign(disaggregation="sex"))
                got = _per_period_placed(d, m, calendar, grid, geos, cats)
                pd.testing.assert_frame_equal(got, want, check_exact=True)
                kinds.add(str(got["n"].dtype))
            firsts = first_in_finest(data, "x")
            m = measures[-1]
            part = _cells_of(d, m, m, False, firsts, "per_period", calendar)
            want = _on_grid(grid, part.assign(disaggregation="sex"))
            got = _distinct_placed(d, firsts, m, calendar, grid, geos, cats)
            pd.testing.assert_frame_equal(got, want, check_exact=True)
    assert kinds == {"int64", "float64"}  # grids wholly filled, and not


def test_coverage_looked_up_per_pair_equals_a_lookup_per_cell():
    from mel.engine.cumulate import _covered

    rng = np.random.default_rng(6)
    for _ in range(200):
        n = int(rng.integers(0, 60))
        table = pd.DataFrame(
            {
                "country": pd.array(rng.choice(["SDN", "TZA", "ALL"], n), dtype="str"),
                "period": pd.array(rng.choice(["Q1", "Q2", "FY1", "LoP"], n), dtype="str"),
            }
        )
        if n and rng.random() < 0.3:
            table.loc[0, "period"] = None
        rows = {
            (str(g), str(p))
            for g, p in zip(
                rng.choice(["SDN", "TZA", "KEN", "ALL"], 6),
                rng.choice(["Q1", "Q2", "Q3", "FY1", "LoP"], 6),
                strict=True,
            )
        }
        want = [(g, p) in rows for g, p in zip(table["country"], table["period"], strict=True)]
        assert _covered(table, rows).tolist() == want


def test_left_out_records_counted_as_a_group_by_counts_them():
    """The records left out, counted per (dataset, country, reason) with numpy, equal pandas'
    group-by on 200 random frames: keys as categoricals, text or objects, categories no record
    has, missing keys (not counted), the text's order (not the categories')."""
    from mel.engine.compute import _excluded_counts, _excluded_counts_grouped

    rng = np.random.default_rng(7)
    seen_missing = 0
    for _ in range(200):
        n = int(rng.integers(1, 80))
        geo = rng.choice(["TZA", "SDN", "KEN"], n).astype(object)
        reason = rng.choice(["outside_period", "failed_validation", "no_country"], n).astype(object)
        if rng.random() < 0.3:
            geo[rng.integers(0, n)] = None
            seen_missing += 1
        kinds = rng.integers(0, 3, 3)

        def typed(values, kind, categories):
            if kind == 0:
                return pd.Categorical(values, categories=categories)  # (not in text order)
            if kind == 1:
                return pd.array(values, dtype="str")
            return pd.Series(values, dtype=object)

        excl = pd.DataFrame(
            {
                "dataset": typed(
                    rng.choice(["cases", "assistance"], n).astype(object),
                    kinds[0],
                    ["cases", "assistance", "unused"],
                ),
                "_geo": typed(geo, kinds[1], ["TZA", "SDN", "KEN", "NGA"]),
                "_reason": typed(
                    reason, kinds[2], ["outside_period", "no_country", "failed_validation"]
                ),
                "_row": np.arange(n),
            }
        )
        pd.testing.assert_frame_equal(
            _excluded_counts(excl), _excluded_counts_grouped(excl), check_exact=True
        )
    assert seen_missing > 20


def test_a_ratios_sides_joined_row_by_row_equal_their_join():
    """A numerator's and a denominator's cells laid on one grid are joined row by row; any
    other pair (rows in another order, a key missing, a key repeated) by pandas' join; either
    way the result equals the join."""
    from mel.engine.compute import _joined

    keys = ["country", "period", "period_kind", "disaggregation", "category"]
    rng = np.random.default_rng(8)
    ways = set()
    for _ in range(100):
        grid = pd.DataFrame(
            [
                (g, p, "quarter", "sex", c)
                for g in ["SDN", "TZA"]
                for p in ["Q1", "Q2"]
                for c in ["a", "b", "c"]
            ],
            columns=keys,
        ).astype("str")
        num = grid.assign(
            value=rng.random(len(grid)),
            n=rng.integers(0, 9, len(grid)),
            covered=rng.random(len(grid)) < 0.8,
            censored=0.0,
        )
        den = grid.assign(
            value=rng.random(len(grid)),
            n=rng.integers(0, 9, len(grid)),
            covered=rng.random(len(grid)) < 0.8,
            censored=rng.integers(0, 2, len(grid)).astype(float),
        )
        change = int(rng.integers(0, 4))
        if change == 1:
            den = den.sample(frac=1, random_state=int(rng.integers(0, 99))).reset_index(drop=True)
        elif change == 2:
            den = den.iloc[1:].reset_index(drop=True)
        elif change == 3:
            num = pd.concat([num, num.iloc[:1]], ignore_index=True)
            den = pd.concat([den, den.iloc[:1]], ignore_index=True)
        want = num.merge(den, how="left", on=keys, suffixes=("_num", "_den"))
        got = _joined(num, den, keys)
        pd.testing.assert_frame_equal(got, want, check_exact=True)
        ways.add(change)
    assert ways == {0, 1, 2, 3}


def test_grid_positions_looked_up_once_per_pair_of_indexes():
    """A key's categories' positions on the grid are each index's own: the same objects give
    the same (read-only) positions; equal but distinct ones are looked up again."""
    from mel.engine.grid import _at

    on = pd.Index(["Q1", "Q2", "Q3"])
    cats = pd.Index(["Q3", "Q9", "Q1"])
    first = _at(cats, on)
    assert first.tolist() == [2, -1, 0]
    assert _at(cats, on) is first
    assert not first.flags.writeable
    other = pd.Index(["Q2"])
    assert _at(other, on).tolist() == [1]
    assert _at(pd.Index(["Q1", "Q2", "Q9"]), on).tolist() == [0, 1, -1]  # as long, not equal
    assert _at(pd.Index(["Q3", "Q9", "Q1"]), on) is not first  # equal, not the same object
    assert _at(pd.Index([], dtype="str"), on).tolist() == [-1]
    assert _at(cats, pd.Index(["Q1"])).tolist() == [-1, -1, 0]


@pytest.fixture(scope="module")
def example_sources():
    import datetime as dt

    from mel.data.validate import validate_project
    from mel.definitions.project import load_project
    from mel.engine.prepare import columns_read, sources_from
    from tests.conftest import REPO

    bundle = load_project(REPO / "examples" / "counter-trafficking")
    keep = columns_read(bundle.indicators)
    validation = validate_project(
        bundle, as_of=dt.date(2026, 1, 15), keep_raw=False, keep_columns=keep
    )
    return bundle, sources_from(validation)


def _traced(engine):
    """``compute_indicator`` whose cells say which process computed them (``_pid``)."""
    import os

    real = engine.compute_indicator

    def traced(ind, *args, **kwargs):
        cells, excl = real(ind, *args, **kwargs)
        return cells.assign(_pid=os.getpid()), excl

    return traced


def _forked_despite(example_sources, monkeypatch, in_child, n: int):
    """The first ``n`` of the example's indicators computed with a child that runs
    ``in_child(ind)`` before each of its own, and the same computed in one process."""
    import os

    from mel.engine import compute as engine

    bundle, sources = example_sources
    parent = os.getpid()
    real = engine.compute_indicator
    inds = bundle.indicators[:n]

    def misbehaving(ind, *args, **kwargs):
        if os.getpid() != parent:
            in_child(ind)
        return real(ind, *args, **kwargs)

    monkeypatch.setattr(engine, "compute_indicator", misbehaving)
    got = compute(inds, sources, bundle.project, bundle.catalog, fork=True)
    monkeypatch.setattr(engine, "compute_indicator", real)
    want = compute(inds, sources, bundle.project, bundle.catalog, fork=False)
    return got, want


def test_indicators_shared_with_a_forked_child_give_the_results_of_one_process(
    example_sources, monkeypatch
):
    """A share of the indicators computed in a forked child: the cells, the exclusions and the
    checks are those of one process computing them all, in the same order; the child did
    compute some of them (their cells came back from another process)."""
    import os

    from mel.engine import compute as engine

    bundle, sources = example_sources
    parent = os.getpid()
    where: dict[str, int] = {}
    real = engine.compute_indicator
    monkeypatch.setattr(engine, "compute_indicator", _traced(engine))
    seen: list[str] = []
    forked_run = compute(
        bundle.indicators,
        sources,
        bundle.project,
        bundle.catalog,
        fork=True,
        progress=seen.append,
    )
    for ind_id, pid in (
        forked_run[0][["indicator", "_pid"]].drop_duplicates().itertuples(index=False)
    ):
        where[ind_id] = pid
    assert sorted(seen) == sorted(i.id for i in bundle.indicators)
    assert parent in where.values() and set(where.values()) - {parent}
    monkeypatch.setattr(engine, "compute_indicator", real)
    alone = compute(bundle.indicators, sources, bundle.project, bundle.catalog, fork=False)
    pd.testing.assert_frame_equal(forked_run[0].drop(columns="_pid"), alone[0], check_exact=True)
    for x, y in zip(forked_run[1:], alone[1:], strict=True):
        pd.testing.assert_frame_equal(x, y, check_exact=True)


def test_a_childs_failure_is_computed_again_here(example_sources, monkeypatch):
    """An indicator that fails in the child is computed again here: where it fails only
    there, the results are whole; where it fails here too, its error is raised here."""
    from mel.engine import compute as engine

    def broken(ind):
        raise RuntimeError("broken in the child")

    got, want = _forked_despite(example_sources, monkeypatch, broken, 6)
    pd.testing.assert_frame_equal(got[0], want[0], check_exact=True)

    bundle, sources = example_sources
    inds = bundle.indicators[:6]
    real = engine.compute_indicator

    def everywhere(ind, *args, **kwargs):
        if ind.id == inds[-1].id:
            raise ValueError(f"{ind.id} cannot be computed")
        return real(ind, *args, **kwargs)

    monkeypatch.setattr(engine, "compute_indicator", everywhere)
    with pytest.raises(ValueError, match="cannot be computed"):
        compute(inds, sources, bundle.project, bundle.catalog, fork=True)


def test_a_child_killed_at_work_is_computed_again_here(example_sources, monkeypatch):
    """A child that ends without an answer (killed) leaves its share to this process."""
    import os
    import signal

    got, want = _forked_despite(
        example_sources, monkeypatch, lambda ind: os.kill(os.getpid(), signal.SIGKILL), 4
    )
    pd.testing.assert_frame_equal(got[0], want[0], check_exact=True)


def test_only_indicators_of_datasets_up_to_fork_rows_go_to_the_child(example_sources, monkeypatch):
    """A child computes only indicators of datasets of at most FORK_ROWS records (its working
    memory adds to this process's); where no dataset is that small, every indicator is computed
    here. Either way the results are those of one process."""
    import os

    from mel.engine import compute as engine
    from mel.engine import forked

    bundle, sources = example_sources
    inds = bundle.indicators
    rows = {  # the largest dataset each reads: either side of a ratio may read its own
        i.id: max(len(sources[m.dataset or i.dataset].frame) for _, m in i.measure.parts())
        for i in inds
    }
    want = compute(inds, sources, bundle.project, bundle.catalog, fork=False)[0]
    monkeypatch.setattr(engine, "compute_indicator", _traced(engine))
    monkeypatch.setattr(forked, "can_fork", lambda: True)
    cases = len(sources["cases"].frame)
    assert min(rows.values()) < cases < max(rows.values())
    for limit in (max(rows.values()), cases, min(rows.values()) - 1):
        monkeypatch.setattr(engine, "FORK_ROWS", limit)
        table = compute(inds, sources, bundle.project, bundle.catalog)[0]
        pids = dict(table[["indicator", "_pid"]].drop_duplicates().itertuples(index=False))
        in_child = {i for i, pid in pids.items() if pid != os.getpid()}
        assert all(rows[i] <= limit for i in in_child), limit
        if limit < min(rows.values()):
            assert not in_child
        else:
            assert in_child
        pd.testing.assert_frame_equal(table.drop(columns="_pid"), want, check_exact=True)


def test_a_ratio_side_reading_a_large_dataset_keeps_its_indicator_here(example_sources):
    """An indicator goes to the child only if every dataset it reads is small: a side of its
    measure reading a dataset of its own (CTX-01's population) counts as much as its main one."""
    from types import SimpleNamespace

    from mel.engine import compute as engine

    bundle, _ = example_sources
    ctx01 = next(i for i in bundle.indicators if i.id == "CTX-01")
    prot01 = next(i for i in bundle.indicators if i.id == "PROT-01")
    read = {(m.dataset or ctx01.dataset) for _, m in ctx01.measure.parts()}
    assert read == {"cases", "population"}

    def sized(**rows):
        return {k: SimpleNamespace(frame=pd.DataFrame(index=range(n))) for k, n in rows.items()}

    small = sized(cases=10, population=20)
    large = sized(cases=10, population=engine.FORK_ROWS + 1)
    assert engine._rows(ctx01, small) == 20
    assert engine._rows(ctx01, large) == engine.FORK_ROWS + 1
    pair = [prot01, ctx01]
    assert engine._shares(pair, small)[1]  # both small: one of them to the child
    mine, theirs = engine._shares(pair, large)
    assert 1 in mine and 1 not in theirs


def test_a_child_stuck_at_work_is_stopped_and_its_share_computed_here(example_sources, monkeypatch):
    """A child that never answers is stopped once it has taken far longer than this process's
    own share (PATIENCE, here half a second, beyond three times it), and its share is
    computed here: the results are whole, long before the child would have ended."""
    import time

    from mel.engine import forked

    monkeypatch.setattr(forked, "PATIENCE", 0.5)
    t0 = time.monotonic()
    got, want = _forked_despite(example_sources, monkeypatch, lambda ind: time.sleep(120), 4)
    assert time.monotonic() - t0 < 60
    pd.testing.assert_frame_equal(got[0], want[0], check_exact=True)


def test_a_child_writes_nothing_to_the_console(tmp_path):
    """The forked child's output and warnings go nowhere (a lock of the parent's console may
    have been held when it forked); its answer still comes back."""
    import subprocess
    import sys

    script = (
        "import warnings, sys\n"
        "from mel.engine.forked import Forked\n"
        "def work():\n"
        "    print('from the child')\n"
        "    print('to stderr', file=sys.stderr)\n"
        "    warnings.warn('a warning in the child')\n"
        "    return 42\n"
        "print('answer', Forked(work).result(timeout=30))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip() == "answer 42"
    assert done.stderr == ""
