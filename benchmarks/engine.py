"""Benchmark: the engine against hand-written DuckDB SQL on the same records, results checked equal.

Generates the example programme with N cases (default 1,000,000) in 5 countries with
``examples/generate.py`` (3 years, 12 quarters and the partial quarter of the US fiscal
calendar), validates it, then computes the project's indicator set (with its disaggregations,
every country and all countries, every quarter, fiscal year and the life of project) twice:

* with the engine (``mel.engine.compute.compute``);
* with SQL written by hand for DuckDB, one query per indicator (GROUPING SETS over countries,
  periods and categories), from the same validated records: all 21 indicators the example
  selects (counts, distinct counts, sums, percentages with a total's denominator, a cumulative
  ratio, a rate per population of the period's year, a latest value carried forward, two
  milestones). A change-from-baseline indicator is compared on its measured value: the change
  against the targets file's baseline is the targets' step, after the engine.

Every value DuckDB gives must equal the engine's; every engine value DuckDB does not give must be
0 or "no data" (SQL has no row for an empty group). Prints both times, their ratio and the peak
memory of the process (VmHWM: validation and engine together).

    pip install -e '.[bench]'            # duckdb, for this benchmark only
    python benchmarks/engine.py
    python benchmarks/engine.py --cases 100000
    python benchmarks/engine.py --cases 5000 --runs 7

With ``--runs N`` (the default is 5 below 100,000 cases, else 1) the whole benchmark runs N times,
each in a new process (as ``mel compute`` runs once per process: no run reuses another's
imports, caches or warmed-up DuckDB), and prints each run's times, then the medians and the
ratio of the medians: at 5,000 cases one run takes about a second on each side, and the
machine's own speed moves one of them by a third from run to run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import load_generator, peak_mb, reset_peak, rss_mb


def _period_sql(col: str, fy_start: int) -> tuple[str, str]:
    """SQL for the fiscal quarter and fiscal year labels of a date column (FY named after the
    year in which it ends), written from the definition, not from the engine's code."""
    month, year = f"month({col})", f"year({col})"
    fy = f"({year} + CASE WHEN {month} >= {fy_start} THEN 1 ELSE 0 END)"
    quarter = f"(((({month} - {fy_start}) + 12) % 12) // 3 + 1)"
    return (
        f"'FY' || CAST({fy} AS VARCHAR) || '-Q' || CAST({quarter} AS VARCHAR)",
        f"'FY' || CAST({fy} AS VARCHAR)",
    )


def _disaggregated(base: str, columns: list[tuple[str, bool]]) -> str:
    """The records once for the total and once per disaggregation, with their category."""
    parts = [f"SELECT *, '' AS dis, '' AS cat FROM {base}"]
    for column, multi in columns:
        if multi:
            parts.append(
                f"SELECT *, '{column}' AS dis, unnest(CASE WHEN {column} IS NULL THEN ['Unknown'] "
                f"ELSE string_split({column}, ';') END) AS cat FROM {base}"
            )
        else:
            parts.append(
                f"SELECT *, '{column}' AS dis, COALESCE(CAST({column} AS VARCHAR), "
                f"'Unknown') AS cat FROM {base}"
            )
    return " UNION ALL ".join(parts)


def _count_query(
    table: str,
    date: str,
    where: str,
    columns: list[tuple[str, bool]],
    value: str,
    countries: list[str],
    start: dt.date,
    end: dt.date,
    fy_start: int,
) -> str:
    quarter, year = _period_sql(date, fy_start)
    return f"""
    WITH base AS (
        SELECT *, {quarter} AS q, {year} AS y
        FROM ({_bounded(table, date, countries, start, end)}) WHERE ({where})
    ), cats AS ({_disaggregated("base", columns)})
    SELECT COALESCE(country, 'ALL') AS country, COALESCE(q, y, 'LoP') AS period, dis, cat,
           {value}
    FROM cats
    GROUP BY GROUPING SETS ((country, q, dis, cat), (q, dis, cat), (country, y, dis, cat),
                            (y, dis, cat), (country, dis, cat), (dis, cat))
    """


SQL_INDICATORS = (
    "PROT-01", "PROT-02", "PROT-03", "PROT-04", "PROT-11", "PROT-13", "PROT-17",
    "PREV-01", "PREV-02", "PREV-05", "PREV-06", "PREV-11",
    "PROS-01", "PROS-02", "PROS-04", "PROS-06",
    "PART-01", "PART-02", "PART-03",
    "CTX-01", "CTX-03",
)  # fmt: skip


def duckdb_tables(con, project, fy_start: int) -> dict[str, pd.DataFrame]:
    """The indicator set of the example, by hand in SQL."""
    c, s, e = list(project.countries), project.start, project.end
    out: dict[str, pd.DataFrame] = {}
    victims = "trafficking_status IN ('actual', 'possible')"
    out["PROT-01"] = con.sql(
        _count_query(
            "cases",
            "registration_date",
            victims,
            [("sex", False), ("age_group", False), ("nationality", False), ("exploitation", True)],
            "COUNT(DISTINCT case_id)::DOUBLE AS value",
            c,
            s,
            e,
            fy_start,
        )
    ).df()
    pct = _count_query(
        "cases",
        "registration_date",
        victims,
        [("sex", False), ("age_group", False)],
        "COUNT(DISTINCT CASE WHEN needs_assessment_date IS NOT NULL THEN case_id END)::DOUBLE "
        "AS numerator, COUNT(DISTINCT case_id)::DOUBLE AS denominator",
        c,
        s,
        e,
        fy_start,
    )
    t = con.sql(pct).df()
    t["value"] = t["numerator"] / t["denominator"] * 100
    out["PROT-02"] = t
    out["PREV-01"] = con.sql(
        _count_query(
            "trainings",
            "event_date",
            "curriculum = 'prevention' AND completed",
            [("sex", False), ("role", False)],
            "COUNT(DISTINCT participant_id)::DOUBLE AS value",
            c,
            s,
            e,
            fy_start,
        )
    ).df()
    first_responders = (
        "curriculum = 'victim_identification' AND completed AND role IN "
        "('police', 'border_official', 'labour_inspector', 'social_worker', "
        "'health_worker', 'first_responder')"
    )
    out["PROS-01"] = con.sql(
        _count_query(
            "trainings",
            "event_date",
            first_responders,
            [("sex", False), ("role", False), ("institution_type", False)],
            "COUNT(DISTINCT participant_id)::DOUBLE AS value",
            c,
            s,
            e,
            fy_start,
        )
    ).df()
    out["PART-02"] = con.sql(
        _count_query(
            "referrals",
            "referral_date",
            "TRUE",
            [("sex", False), ("to_type", False)],
            "COUNT(DISTINCT case_id)::DOUBLE AS value",
            c,
            s,
            e,
            fy_start,
        )
    ).df()
    out["PART-01"] = _milestone(con, "referral_mechanism", c, s, e)
    out["PART-03"] = _milestone(con, "coordination_body", c, s, e)

    def query(table, date, where, columns, value):
        return con.sql(_count_query(table, date, where, columns, value, c, s, e, fy_start)).df()

    def pct(t: pd.DataFrame, factor: float = 100.0) -> pd.DataFrame:
        t["value"] = np.where(t["denominator"] > 0, t["numerator"] / t["denominator"], np.nan)
        t["value"] *= factor
        return t

    minors = f"{victims} AND age_group = 'Minor'"
    out["PROT-03"] = query(
        "cases",
        "registration_date",
        minors,
        [("sex", False), ("exploitation", True)],
        "COUNT(DISTINCT case_id)::DOUBLE AS value",
    )
    out["PROT-04"] = query(
        "assistance",
        "service_date",
        "service_type <> 'needs_assessment'",
        [("service_type", True), ("sex", False), ("age_group", False)],
        "COUNT(DISTINCT case_id)::DOUBLE AS value",
    )
    out["PROT-11"] = query(
        "assistance",
        "service_date",
        "service_type = 'reintegration'",
        [("sex", False), ("age_group", False), ("provider", True)],
        "COUNT(DISTINCT case_id)::DOUBLE AS value",
    )
    out["PROT-13"] = pct(
        query(
            "cases",
            "closure_date",
            f"{victims} AND closure_date IS NOT NULL",
            [("sex", False), ("age_group", False)],
            "COUNT(DISTINCT CASE WHEN plan_completed THEN case_id END)::DOUBLE AS numerator, "
            "COUNT(DISTINCT case_id)::DOUBLE AS denominator",
        )
    )
    out["PROT-17"] = pct(
        query(
            "referrals",
            "referral_date",
            "TRUE",
            [("to_type", False), ("service_type", False)],
            "COUNT(CASE WHEN outcome = 'received' THEN 1 END)::DOUBLE AS numerator, "
            "COUNT(*)::DOUBLE AS denominator",
        )
    )
    out["PREV-02"] = query(
        "awareness",
        "activity_date",
        "TRUE",
        [("channel", False), ("audience", False)],
        "SUM(reached_total)::DOUBLE AS value",
    )
    out["PREV-05"] = pct(
        query(
            "surveys",
            "survey_date",
            "TRUE",
            [("round", False), ("sex", False), ("age_group", False), ("audience", False)],
            "COUNT(CASE WHEN risks_named >= 3 THEN 1 END)::DOUBLE AS numerator, "
            "COUNT(risks_named)::DOUBLE AS denominator",
        )
    )
    out["PROS-02"] = pct(
        query(
            "trainings",
            "event_date",
            "completed AND pre_score IS NOT NULL AND post_score IS NOT NULL",
            [("sex", False), ("curriculum", False), ("role", False)],
            "COUNT(CASE WHEN post_score - pre_score >= 20 THEN 1 END)::DOUBLE AS numerator, "
            "COUNT(*)::DOUBLE AS denominator",
        )
    )
    out["PROS-04"] = query(
        "legal",
        "event_date",
        "stage = 'prosecution'",
        [("exploitation", True)],
        "COUNT(DISTINCT case_ref)::DOUBLE AS value",
    )
    out["PREV-06"] = pct(  # the measured percentage; the change against the baseline is
        query(  # the targets' step (attach_targets), not the engine's
            "surveys",
            "survey_date",
            "round = 'endline'",
            [],
            "COUNT(CASE WHEN risks_named >= 3 THEN 1 END)::DOUBLE AS numerator, "
            "COUNT(risks_named)::DOUBLE AS denominator",
        )
    )
    # CTX-03: each type's victims over the victims with any type recorded (the total's
    # denominator, a person counted under every type)
    total = query(
        "cases",
        "registration_date",
        f"{victims} AND exploitation IS NOT NULL",
        [],
        "COUNT(DISTINCT case_id)::DOUBLE AS numerator, "
        "COUNT(DISTINCT case_id)::DOUBLE AS denominator",
    )
    by_type = query(
        "cases",
        "registration_date",
        victims,
        [("exploitation", True)],
        "COUNT(DISTINCT CASE WHEN exploitation IS NOT NULL THEN case_id END)::DOUBLE AS numerator",
    )
    by_type = by_type[by_type["dis"] != ""].merge(
        total[["country", "period", "denominator"]], how="left", on=["country", "period"]
    )
    out["CTX-03"] = pct(pd.concat([total, by_type.dropna(subset=["denominator"])]))
    out["PROS-06"] = pct(_cumulative_percentage(con, c, s, e))
    out["CTX-01"] = pct(_per_population(con, c, s, e, fy_start), factor=100_000)
    out["PREV-11"] = _latest_sum(con, c, s, e)
    return out


def _inlist(c: list[str]) -> str:
    return ", ".join(f"'{x}'" for x in c)


def _bounded(table: str, date: str, c: list[str], s: dt.date, e: dt.date) -> str:
    """The valid records of ``table`` dated within the project, in its countries."""
    return (
        f"SELECT * FROM {table} WHERE NOT _invalid AND {date} IS NOT NULL AND {date} BETWEEN "
        f"DATE '{s}' AND DATE '{e}' AND country IN ({_inlist(c)})"
    )


def _cumulative_percentage(con, c: list[str], s: dt.date, e: dt.date) -> pd.DataFrame:
    """PROS-06: cases convicted over cases prosecuted, each counted from the project start to
    the end of every period (quarter, year, life of project)."""
    return con.sql(f"""
        WITH base AS ({_bounded("legal", "event_date", c, s, e)})
        SELECT COALESCE(b.country, 'ALL') AS country, p.label AS period, '' AS dis, '' AS cat,
               COUNT(DISTINCT CASE WHEN stage = 'conviction' THEN case_ref END)::DOUBLE
                   AS numerator,
               COUNT(DISTINCT CASE WHEN stage = 'prosecution' THEN case_ref END)::DOUBLE
                   AS denominator
        FROM base b JOIN periods p ON b.event_date <= p.end_date
        GROUP BY GROUPING SETS ((b.country, p.label), (p.label))
    """).df()


def _per_population(con, c: list[str], s: dt.date, e: dt.date, fy_start: int) -> pd.DataFrame:
    """CTX-01: victims registered in the period over the population of the calendar year in
    which the period ends (both summed over countries for all countries)."""
    victims = con.sql(
        _count_query(
            "cases",
            "registration_date",
            "trafficking_status IN ('actual', 'possible')",
            [],
            "COUNT(DISTINCT case_id)::DOUBLE AS numerator",
            c,
            s,
            e,
            fy_start,
        )
    ).df()
    population = con.sql(f"""
        SELECT COALESCE(k.country, 'ALL') AS country, p.label AS period,
               SUM(k.population)::DOUBLE AS denominator
        FROM population k JOIN periods p ON k.year = year(p.end_date)
        WHERE NOT k._invalid AND k.country IN ({_inlist(c)})
        GROUP BY GROUPING SETS ((k.country, p.label), (p.label))
    """).df()
    return victims.merge(population, how="left", on=["country", "period"])


def _latest_sum(con, c: list[str], s: dt.date, e: dt.date) -> pd.DataFrame:
    """PREV-11 (its measured allocation): each quarter the sum of the civil-society prevention
    lines adopted in it, 0 in a quarter with other budget lines only, and carried forward from
    the latest earlier quarter where nothing was adopted; a year and the life of project take
    their last quarter's value."""
    return con.sql(f"""
        WITH base AS ({_bounded("budget", "adopted_date", c, s, e)}),
        geo AS (SELECT country AS g, * FROM base UNION ALL SELECT 'ALL' AS g, * FROM base),
        quarters AS (
            SELECT label, start_date, end_date,
                   row_number() OVER (ORDER BY end_date) AS i
            FROM periods WHERE kind = 'quarter'
        ),
        own AS (
            SELECT g, q.i, SUM(CASE WHEN budget_line = 'civil_society_prevention'
                                    THEN amount_usd ELSE 0 END)::DOUBLE AS value
            FROM geo JOIN quarters q ON adopted_date BETWEEN q.start_date AND q.end_date
            GROUP BY g, q.i
        ),
        carried AS (
            SELECT k.g, q.label, q.i, q.end_date,
                   (SELECT o.value FROM own o WHERE o.g = k.g AND o.i <= q.i
                    ORDER BY o.i DESC LIMIT 1) AS value
            FROM (SELECT DISTINCT g FROM geo) k CROSS JOIN quarters q
        )
        SELECT g AS country, label AS period, '' AS dis, '' AS cat, value FROM carried
        UNION ALL
        SELECT c.g, p.label, '', '', arg_max(c.value, c.i)
        FROM carried c JOIN periods p ON p.kind <> 'quarter'
             AND c.end_date <= p.end_date AND c.end_date > p.start_date
        GROUP BY c.g, p.label
    """).df()


def _milestone(con, kind: str, c: list[str], s: dt.date, e: dt.date) -> pd.DataFrame:
    """Yes once a milestone of ``kind`` is dated on or before the period's end; for all
    countries, yes when every country has one."""
    inlist = _inlist(c)
    return con.sql(f"""
        WITH firsts AS (
            SELECT country, MIN(date) AS first FROM ({_bounded("milestones", "date", c, s, e)})
            WHERE kind = '{kind}'
            GROUP BY country
        ), per_country AS (
            SELECT k.country, p.label AS period,
                   CASE WHEN f.first IS NOT NULL AND f.first <= p.end_date THEN 1.0 ELSE 0.0 END
                   AS value
            FROM periods p CROSS JOIN (SELECT unnest([{inlist}]) AS country) k
            LEFT JOIN firsts f ON f.country = k.country
        )
        SELECT country, period, '' AS dis, '' AS cat, value FROM per_country
        UNION ALL
        SELECT 'ALL', period, '', '', CASE WHEN MIN(value) = 1 THEN 1.0 ELSE 0.0 END
        FROM per_country GROUP BY period
    """).df()


def compare(engine: pd.DataFrame, sql: dict[str, pd.DataFrame]) -> dict[str, int]:
    """Assert equality; returns the number of cells compared per indicator (each at least one)."""
    keys = ["indicator", "country", "period", "disaggregation", "category"]
    e = engine.set_index(keys)
    compared: dict[str, int] = {}
    for ind, t in sql.items():
        t = t.rename(columns={"dis": "disaggregation", "cat": "category"}).assign(indicator=ind)
        t = t.set_index(keys)
        mine = e.loc[ind]
        joined = t.join(e[["value", "numerator", "denominator"]].add_suffix("_engine"), how="left")
        missing = joined["value_engine"].isna() & joined["value"].notna()
        assert not missing.any(), joined[missing].head()
        both = joined["value"].notna()
        assert np.allclose(joined.loc[both, "value"], joined.loc[both, "value_engine"]), joined[
            both & ~np.isclose(joined["value"], joined["value_engine"])
        ].head()
        compared[ind] = int(both.sum())
        assert compared[ind] > 0, f"{ind}: no cell compared"
        # engine cells that SQL does not have (empty groups) must be 0 or no data
        extra = mine.index.difference(t.index.droplevel("indicator"))
        leftover = mine.loc[extra, "value"]
        assert (leftover.isna() | (leftover == 0)).all(), leftover[
            leftover.notna() & (leftover != 0)
        ].head()
    return compared


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cases", type=int, default=1_000_000)
    ap.add_argument("--countries", default="SDN,TZA,NGA,ETH,KEN")
    ap.add_argument(
        "--runs", type=int, default=None, help="runs, each in a new process (5 below 100,000 cases)"
    )
    ap.add_argument("--times-only", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    runs = args.runs if args.runs is not None else (5 if args.cases < 100_000 else 1)
    if runs > 1:
        repeated(args, runs)
        return
    import duckdb

    from mel.data.memory import release_memory
    from mel.data.validate import validate_project
    from mel.definitions.project import load_project
    from mel.engine.compute import compute
    from mel.engine.periods import Calendar
    from mel.engine.prepare import columns_read, sources_from

    gen = load_generator()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "big"
        t0 = time.perf_counter()
        data = gen.generate(out, cases=args.cases, countries=args.countries.split(","))
        gen_s = time.perf_counter() - t0
        n_rows = sum(len(d) for d in data.values())
        n_sets = len(data)
        del data  # the generator's frames are not the engine's input
        bundle = load_project(out)
        t0 = time.perf_counter()
        # as mel compute validates: each file's text let go once parsed, and only the typed
        # columns the indicators read kept
        validation = validate_project(
            bundle,
            as_of=dt.date(2026, 1, 1),
            keep_raw=False,
            keep_columns=columns_read(bundle.indicators),
        )
        val_s = time.perf_counter() - t0
    sources = sources_from(validation)
    del validation
    release_memory()
    project = bundle.project
    process_peak = peak_mb()
    resident = rss_mb()
    isolated = reset_peak()
    t0 = time.perf_counter()
    # every indicator the example selects, each written in SQL below
    chosen = [i for i in bundle.indicators if i.id in SQL_INDICATORS]
    missing = {i.id for i in bundle.indicators} - set(SQL_INDICATORS)
    assert not missing, f"indicators without SQL: {sorted(missing)}"
    table, _, _ = compute(chosen, sources, project, bundle.catalog)
    engine_s = time.perf_counter() - t0
    engine_peak = peak_mb()

    con = duckdb.connect()
    t0 = time.perf_counter()
    for name, src in sources.items():
        frame = src.frame.assign(_invalid=src.invalid)
        con.register(name, frame)
    cal = Calendar.of(project)
    periods = pd.DataFrame(
        [(p.label, p.kind, pd.Timestamp(p.start), pd.Timestamp(p.end)) for p in cal.all_periods],
        columns=["label", "kind", "start_date", "end_date"],
    )
    con.register("periods", periods)
    sql = duckdb_tables(con, project, project.reporting.fiscal_year_start)
    duck_s = time.perf_counter() - t0
    compared = compare(table, sql)
    if args.times_only:
        print(json.dumps({"engine": engine_s, "duckdb": duck_s, "cells": sum(compared.values())}))
        return

    print(
        f"input: {args.cases:,} cases in {len(args.countries.split(','))} countries, "
        f"{n_rows:,} rows in {n_sets} datasets (generated in "
        f"{gen_s:.1f} s, validated in {val_s:.1f} s)"
    )
    print(
        f"indicators: {len(chosen)}; cells: {len(table):,}; periods: "
        f"{len(cal.periods)} quarters, {len(cal.years)} fiscal years, LoP"
    )
    print(f"engine: {engine_s:.2f} s")
    print(f"DuckDB (hand-written SQL, incl. registering the frames): {duck_s:.2f} s")
    print(f"ratio engine / DuckDB: {engine_s / duck_s:.2f}")
    print(f"results equal: {sum(compared.values()):,} cells compared")
    print("  " + ", ".join(f"{k} {v:,}" for k, v in compared.items()))
    if isolated:
        print(
            f"memory: validated data resident {resident:,.0f} MB; peak while the engine ran "
            f"{engine_peak:,.0f} MB (the engine's own: {engine_peak - resident:,.0f} MB); "
            f"generation and validation's peak before it {process_peak:,.0f} MB"
        )
    else:
        print(f"peak memory of the process (validation + engine): {engine_peak:,.0f} MB")


def repeated(args, runs: int) -> None:
    """The benchmark ``runs`` times, each in a new process; each run's times, then the medians."""
    engine, duck = [], []
    for k in range(runs):
        done = subprocess.run(
            [
                sys.executable,
                __file__,
                "--cases",
                str(args.cases),
                "--countries",
                args.countries,
                "--runs",
                "1",
                "--times-only",
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            sys.exit(f"run {k + 1} failed:\n{done.stderr[-3000:]}")
        one = json.loads(done.stdout.strip().splitlines()[-1])
        engine.append(one["engine"])
        duck.append(one["duckdb"])
        print(
            f"run {k + 1}: engine {one['engine']:.2f} s, DuckDB {one['duckdb']:.2f} s, ratio "
            f"{one['engine'] / one['duckdb']:.2f}; results equal: {one['cells']:,} cells compared"
        )
    e, d = statistics.median(engine), statistics.median(duck)
    print(f"input: {args.cases:,} cases in {len(args.countries.split(','))} countries, {runs} runs")
    print(f"engine: median {e:.2f} s (runs {min(engine):.2f}-{max(engine):.2f} s)")
    print(
        f"DuckDB (hand-written SQL, incl. registering the frames): median {d:.2f} s "
        f"(runs {min(duck):.2f}-{max(duck):.2f} s)"
    )
    print(f"ratio engine / DuckDB: {e / d:.2f} (of the medians)")


if __name__ == "__main__":
    main()
