"""Benchmark: the engine against hand-written DuckDB SQL on the same records, results checked equal.

Generates the example programme with N cases (default 1,000,000) in 5 countries with
``examples/generate.py`` (3 years, 12 quarters and the partial quarter of the US fiscal
calendar), validates it, then computes the project's indicator set (with its disaggregations,
every country and all countries, every quarter, fiscal year and the life of project) twice:

* with the engine (``mel.engine.compute.compute``);
* with SQL written by hand for DuckDB, one query per indicator (GROUPING SETS over countries,
  periods and categories), from the same validated records.

Every value DuckDB gives must equal the engine's; every engine value DuckDB does not give must be
0 or "no data" (SQL has no row for an empty group). Prints both times, their ratio and the peak
memory of the process (VmHWM: validation and engine together).

    pip install -e '.[bench]'            # duckdb, for this benchmark only
    python benchmarks/engine.py
    python benchmarks/engine.py --cases 100000
"""

from __future__ import annotations

import argparse
import datetime as dt
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
    inlist = ", ".join(f"'{c}'" for c in countries)
    return f"""
    WITH base AS (
        SELECT *, {quarter} AS q, {year} AS y FROM {table}
        WHERE NOT _invalid AND {date} IS NOT NULL
          AND {date} BETWEEN DATE '{start}' AND DATE '{end}'
          AND country IN ({inlist}) AND ({where})
    ), cats AS ({_disaggregated("base", columns)})
    SELECT COALESCE(country, 'ALL') AS country, COALESCE(q, y, 'LoP') AS period, dis, cat,
           {value}
    FROM cats
    GROUP BY GROUPING SETS ((country, q, dis, cat), (q, dis, cat), (country, y, dis, cat),
                            (y, dis, cat), (country, dis, cat), (dis, cat))
    """


SQL_INDICATORS = ("PROT-01", "PROT-02", "PREV-01", "PROS-01", "PART-01", "PART-02")


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
    # milestone: yes once a national referral mechanism is dated on or before the period's end;
    # for all countries, yes when every country has one
    inlist = ", ".join(f"'{x}'" for x in c)
    out["PART-01"] = con.sql(f"""
        WITH firsts AS (
            SELECT country, MIN(date) AS first FROM milestones
            WHERE NOT _invalid AND kind = 'referral_mechanism' AND country IN ({inlist})
              AND date BETWEEN DATE '{s}' AND DATE '{e}'
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
    return out


def compare(engine: pd.DataFrame, sql: dict[str, pd.DataFrame]) -> int:
    """Assert equality; returns the number of cells compared."""
    keys = ["indicator", "country", "period", "disaggregation", "category"]
    e = engine.set_index(keys)
    compared = 0
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
        compared += int(both.sum())
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
    args = ap.parse_args()
    import duckdb

    from mel.data.memory import release_memory
    from mel.data.validate import validate_project
    from mel.definitions.project import load_project
    from mel.engine.compute import compute
    from mel.engine.periods import Calendar
    from mel.engine.prepare import sources_from

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
        validation = validate_project(bundle, as_of=dt.date(2026, 1, 1))
        val_s = time.perf_counter() - t0
    sources = sources_from(validation)
    del validation
    release_memory()
    project = bundle.project
    process_peak = peak_mb()
    resident = rss_mb()
    isolated = reset_peak()
    t0 = time.perf_counter()
    # the indicators written in SQL below (the example's first six); the others of the example
    # would give the engine more work than DuckDB and make the ratio unfair
    chosen = [i for i in bundle.indicators if i.id in SQL_INDICATORS]
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
        [(p.label, pd.Timestamp(p.end)) for p in cal.all_periods], columns=["label", "end_date"]
    )
    con.register("periods", periods)
    sql = duckdb_tables(con, project, project.reporting.fiscal_year_start)
    duck_s = time.perf_counter() - t0
    compared = compare(table, sql)

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
    print(f"results equal: {compared:,} cells compared")
    if isolated:
        print(
            f"memory: validated data resident {resident:,.0f} MB; peak while the engine ran "
            f"{engine_peak:,.0f} MB (the engine's own: {engine_peak - resident:,.0f} MB); "
            f"validation's peak before it {process_peak:,.0f} MB"
        )
    else:
        print(f"peak memory of the process (validation + engine): {engine_peak:,.0f} MB")


if __name__ == "__main__":
    main()
