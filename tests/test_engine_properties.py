"""Property tests: the engine against a deliberately naive implementation written here, which
loops over records cell by cell; and suppression never leaves a hidden cell recoverable."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mel.engine.periods import Calendar
from mel.engine.pipeline import years_of
from mel.engine.results import UNKNOWN
from mel.engine.suppress import suppress
from tests.test_engine import ASSESSED_PCT, CATALOG, indicator, project, run, source

COUNTRIES = ["SDN", "TZA"]
SEXES = ["Female", "Male", "Other"]

record = st.fixed_dictionaries(
    {
        "case_id": st.sampled_from([f"P{i}" for i in range(12)]),
        "registration_date": st.one_of(
            st.none(), st.dates(dt.date(2023, 11, 1), dt.date(2025, 2, 28)).map(dt.date.isoformat)
        ),
        "country": st.sampled_from([*COUNTRIES, "NGA"]),
        "sex": st.sampled_from([*SEXES, None]),
        "trafficking_status": st.sampled_from(["actual", "possible", "not_a_victim"]),
        "needs_assessment_date": st.sampled_from([None, "2024-06-01"]),
        "invalid": st.booleans(),
    }
)


def naive(records, kind, cumulation, proj, with_sex):
    """Every cell, computed by looping over the records."""
    cal = Calendar.of(proj)
    usable = [
        r
        for r in records
        if not r["invalid"]
        and r["registration_date"] is not None
        and proj.start <= dt.date.fromisoformat(r["registration_date"]) <= proj.end
        and r["country"] in COUNTRIES
    ]
    passing = [r for r in usable if r["trafficking_status"] != "not_a_victim"]
    day = lambda r: dt.date.fromisoformat(r["registration_date"])  # noqa: E731
    first_day = {}
    for r in usable:
        for g in (r["country"], "ALL"):
            first_day[g] = min(first_day.get(g, day(r)), day(r))
    out = {}
    cats = [("", "")] + ([("sex", s) for s in [*SEXES, "Unknown"]] if with_sex else [])
    for geo in [*COUNTRIES, "ALL"]:
        for p in cal.all_periods:

            def in_time(r, p=p):
                if cumulation == "cumulative":
                    return day(r) <= p.end
                return p.start <= day(r) <= p.end

            in_geo = lambda r, geo=geo: geo == "ALL" or r["country"] == geo  # noqa: E731
            if cumulation == "cumulative":  # covered from the first record onwards
                covered = geo in first_day and first_day[geo] <= p.end
            else:
                covered = any(in_geo(r) and in_time(r) for r in usable)
            for dis, cat in cats:
                rows = [
                    r
                    for r in passing
                    if in_geo(r) and in_time(r) and (dis == "" or (r["sex"] or "Unknown") == cat)
                ]
                if kind == "count":
                    value = float(len(rows)) if covered else math.nan
                    out[(geo, p.label, dis, cat)] = (value, math.nan, math.nan)
                elif kind == "count_distinct":
                    value = float(len({r["case_id"] for r in rows})) if covered else math.nan
                    out[(geo, p.label, dis, cat)] = (value, math.nan, math.nan)
                else:
                    num = len({r["case_id"] for r in rows if r["needs_assessment_date"]})
                    den = len({r["case_id"] for r in rows})
                    if not covered:
                        out[(geo, p.label, dis, cat)] = (math.nan, math.nan, math.nan)
                    else:
                        value = num / den * 100 if den else math.nan
                        out[(geo, p.label, dis, cat)] = (value, float(num), float(den))
    return out


def _same(a, b):
    return (math.isnan(a) and math.isnan(b)) or math.isclose(a, b)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    records=st.lists(record, min_size=0, max_size=30),
    kind=st.sampled_from(["count", "count_distinct", "percentage"]),
    cumulation=st.sampled_from(["per_period", "cumulative"]),
    fy_start=st.sampled_from([1, 4, 10]),
    with_sex=st.booleans(),
)
def test_engine_equals_a_naive_loop(records, kind, cumulation, fy_start, with_sex):
    proj = project(
        start="2024-01-01",
        end="2024-12-31",
        reporting={"period": "quarter", "fiscal_year_start": fy_start},
    )
    measure = (
        {"type": kind}
        if kind == "count"
        else (
            {"type": "count_distinct", "column": "case_id"}
            if kind == "count_distinct"
            else ASSESSED_PCT
        )
    )
    ind = indicator(
        measure=measure,
        cumulation=cumulation,
        where="trafficking_status != 'not_a_victim'",
        disaggregations=["sex"] if with_sex else [],
    )
    rows = [{k: v for k, v in r.items() if k != "invalid"} for r in records]
    invalid = [i for i, r in enumerate(records) if r["invalid"]]
    table, _, _ = run(ind, {"cases": source("cases", rows, invalid=invalid)}, proj)
    expected = naive(records, kind, cumulation, proj, with_sex)
    got = {
        (r.country, r.period, r.disaggregation, r.category): (r.value, r.numerator, r.denominator)
        for r in table.itertuples(index=False)
    }
    assert set(got) == set(expected)
    for key, (v, n, d) in expected.items():
        gv, gn, gd = got[key]
        assert _same(gv, v), (key, gv, v)
        if kind == "percentage" and not math.isnan(n):
            assert (gn, gd) == (n, d), key


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(records=st.lists(record, min_size=1, max_size=40), threshold=st.sampled_from([3, 5, 11]))
def test_no_hidden_count_is_recoverable_from_published_cells(records, threshold):
    """Counts add up exactly: across the categories of sex and their total, the countries and
    all countries, and the quarters of a year and the year. A hidden cell alone in such a
    group would be the total minus its published siblings."""
    proj = project(start="2024-01-01", end="2024-12-31")
    ind = indicator(measure={"type": "count"}, disaggregations=["sex"])
    rows = [{k: v for k, v in r.items() if k != "invalid"} for r in records]
    table, _, _ = run(ind, {"cases": source("cases", rows)}, proj)
    from mel.engine.targets import attach_targets

    table = attach_targets(table, {"T-1": ind}, [], proj.status_bands)
    out = suppress(table, {"T-1": ind}, threshold, years_of(Calendar.of(proj)))
    values = np.nan_to_num(table["value"].to_numpy(dtype="float64"), nan=0.0)
    hidden = out["suppressed"].to_numpy()
    published = out["value"].notna().to_numpy()
    assert not (hidden & published).any()
    small = (values >= 1) & (values < threshold)
    assert (hidden | ~small).all()  # every small count is hidden
    t = out.assign(value_true=values)

    def check(group):
        h = group["suppressed"].to_numpy()
        assert h.sum() != 1 or group.loc[h, "value_true"].iloc[0] == 0, group

    # categories + total
    for _, g in t.groupby(["country", "period"]):
        check(g[g["disaggregation"].isin(["", "sex"])])
    # countries + ALL
    for _, g in t.groupby(["period", "disaggregation", "category"]):
        check(g)
    # quarters + year
    for _, g in t[t["period"].str.startswith("2024")].groupby(
        ["country", "disaggregation", "category"]
    ):
        check(g[g["period_kind"].isin(["quarter", "year"])])


EXPLOITATION = ["forced_labour", "sexual", "begging"]

multi_record = st.fixed_dictionaries(
    {
        "case_id": st.sampled_from([f"P{i}" for i in range(8)]),
        "registration_date": st.dates(dt.date(2024, 1, 1), dt.date(2024, 12, 31)).map(
            dt.date.isoformat
        ),
        "country": st.sampled_from(COUNTRIES),
        "trafficking_status": st.just("actual"),
        "exploitation": st.one_of(
            st.none(),
            st.lists(st.sampled_from(EXPLOITATION), min_size=1, max_size=3, unique=True).map(
                ";".join
            ),
        ),
        "age": st.one_of(st.none(), st.integers(0, 80)),
    }
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    records=st.lists(multi_record, min_size=0, max_size=30),
    kind=st.sampled_from(["count", "count_distinct", "sum", "mean"]),
    cumulation=st.sampled_from(["per_period", "cumulative"]),
)
def test_multi_response_and_numeric_measures_equal_a_naive_loop(records, kind, cumulation):
    """A multi-response disaggregation (a record counts in each of its answers), distinct
    counts of a repeated key, sums and means, against a loop over the records."""
    proj = project()
    measure = {"type": kind} if kind == "count" else {"type": kind, "column": "case_id"}
    if kind in ("sum", "mean"):
        measure["column"] = "age"
    ind = indicator(
        measure=measure,
        cumulation=cumulation,
        disaggregations=[{"column": "exploitation", "multi_response": True}],
    )
    table, _, _ = run(ind, {"cases": source("cases", records)}, proj)
    got = {
        (r.country, r.period, r.disaggregation, r.category): r.value
        for r in table.itertuples(index=False)
    }
    codes = list(CATALOG.codelists["exploitation_type"].obj.codes())
    day = lambda r: dt.date.fromisoformat(r["registration_date"])  # noqa: E731
    for geo in [*COUNTRIES, "ALL"]:
        in_geo = [r for r in records if geo == "ALL" or r["country"] == geo]
        for p in Calendar.of(proj).all_periods:
            first = p.start if cumulation == "per_period" else proj.start
            rows = [r for r in in_geo if first <= day(r) <= p.end]
            covered = (
                bool(rows) if cumulation == "per_period" else any(day(r) <= p.end for r in in_geo)
            )
            for dis, cat in [("", ""), *(("exploitation", c) for c in [*codes, UNKNOWN])]:
                if dis:
                    sel = [
                        r
                        for r in rows
                        if (r["exploitation"] is None and cat == UNKNOWN)
                        or (r["exploitation"] is not None and cat in r["exploitation"].split(";"))
                    ]
                else:
                    sel = rows
                ages = [r["age"] for r in sel if r["age"] is not None]
                if not covered:
                    want = math.nan
                elif kind == "count":
                    want = float(len(sel))
                elif kind == "count_distinct":
                    want = float(len({r["case_id"] for r in sel}))
                elif kind == "sum":
                    want = float(sum(ages))
                else:
                    want = sum(ages) / len(ages) if ages else math.nan
                assert _same(got[(geo, p.label, dis, cat)], want), (geo, p.label, cat, want)
