"""The cells of one measure over every country, period and category, in the indicator's
cumulation: per period, cumulative (from the project start to each period's end), latest value,
a level dated by year (stock), or a milestone."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from mel.definitions.models import (
    Count,
    Sum,
)
from mel.engine.grid import _distinct_placed, _grid, _on_grid, _per_period_placed
from mel.engine.kernels import (
    KERNELS,
    aggregate,
    all_countries,
    coded,
    coded_cells,
    first_in_finest,
    floats,
    place_categories,
)
from mel.engine.periods import Calendar, Period
from mel.engine.prepare import Disaggregation, Prepared
from mel.engine.results import ALL, LOP, TOTAL


def measure_cells(
    prepared: Prepared,
    measure,
    calendar: Calendar,
    cumulation: str,
    disaggregations: list[Disaggregation],
    countries: list[str],
) -> pd.DataFrame:
    """value and n for every cell, for one simple measure (or a milestone).

    Columns: country, period, period_kind, disaggregation, category, value, n, covered."""
    rec = prepared.records
    counted = measure  # what is aggregated: a distinct count may be done more cheaply
    dedupe = False
    if measure.type == "count_distinct":  # distinct counts on integer codes, not on text
        codes, uniques = pd.factorize(rec[measure.column])
        if len(uniques) == int((codes >= 0).sum()):
            # no value is repeated (a record key): distinct values are the values present
            rec = rec.assign(**{measure.column: (codes >= 0).astype("float64")})
            counted = Sum(type="sum", column=measure.column)
        else:
            rec = rec.assign(**{measure.column: np.where(codes >= 0, codes, np.nan)})
            dedupe = not prepared.stock
    # only what the aggregation reads: frames are repeated per answer of multi-response
    core = [c for c in ("_geo", "_period", "_year", "_date", measure.measured) if c]
    rec = rec[[*dict.fromkeys([*core, *(d.column for d in disaggregations)])]]
    total_cat = pd.Categorical.from_codes(np.zeros(len(rec), dtype=np.int8), categories=[TOTAL])
    frames: list[tuple[str, bool, list[str] | None, pd.DataFrame, list[str]]] = [
        ("", False, None, rec.assign(_cat=total_cat), [TOTAL])
    ]
    for column, multi, codes in disaggregations:
        own = rec[[*dict.fromkeys([*core, column])]]
        exploded, cats = place_categories(own, column, multi, codes)
        exploded = exploded[[*core, "_cat"]]
        frames.append((column, multi, codes, exploded, cats))
    out = []
    # a measure per period (or its latest value): its cells are placed on the grid by
    # arithmetic on group numbers (_per_period_placed)
    direct = not prepared.stock and cumulation != "cumulative" and measure.shape != "milestone"
    for column, _multi, _codes, data, cats in frames:
        firsts = first_in_finest(data, measure.column) if dedupe else None
        for geo_all in (False, True):
            d = all_countries(data) if geo_all else data
            geos = [ALL] if geo_all else countries
            grid = _grid(geos, calendar, column, cats)
            placed = None
            if direct and not dedupe:
                placed = _per_period_placed(d, counted, calendar, grid, geos, cats)
            elif direct and firsts is not None:
                placed = _distinct_placed(d, firsts, counted, calendar, grid, geos, cats)
            if placed is None:
                part = _cells_of(d, measure, counted, prepared.stock, firsts, cumulation, calendar)
                if part is None:
                    part = _milestone(d, calendar, geos, cats, countries)
                placed = _on_grid(grid, part.assign(disaggregation=column))
            out.append(placed)
    return _completed(pd.concat(out, ignore_index=True), prepared, measure, calendar, cumulation)


def _cells_of(d, measure, counted, stock: bool, firsts, cumulation: str, calendar: Calendar):
    """The aggregated cells of one frame of records (all countries' or each country's, the
    total or a disaggregation) in the indicator's cumulation; None for a milestone."""
    if measure.shape == "milestone":
        return None
    if stock:
        return _stock(d, counted, calendar)
    if firsts is not None:
        # distinct values over the first record of each value in each finest cell (country,
        # period, year, category), records counted over all of them
        unique = d.loc[firsts]
        if cumulation == "cumulative":
            values = _cumulative(unique, counted, calendar)
            part = _cumulative(d, Count(type="count"), calendar)
        else:
            values = _per_period(unique, counted, calendar)
            part = _per_period(d, Count(type="count"), calendar)
        return part.drop(columns="value").merge(
            values[["country", "period", "category", "value"]],
            how="left",
            on=["country", "period", "category"],
        )
    if cumulation == "cumulative":
        return _cumulative(d, counted, calendar)
    return _per_period(d, counted, calendar)


def _completed(
    table: pd.DataFrame, prepared: Prepared, measure, calendar: Calendar, cumulation: str
) -> pd.DataFrame:
    """Every cell's coverage, then: a latest value carried forward, 0 where a count or sum
    has records but none counted, and numerator and denominator columns."""
    table = table.assign(
        covered=_covered(table, _coverage(prepared.coverage, calendar, cumulation))
    )
    if prepared.stock:  # a level covers every period it applies to
        table["covered"] = table["value"].notna()
    if cumulation == "latest" and measure.shape != "milestone":
        if measure.additive:
            # a reporting period with records, none of them counted, reports 0: its own value,
            # not the one carried forward from an earlier period
            own = _covered(table, _coverage(prepared.coverage, calendar, "per_period"))
            zero = table["value"].isna().to_numpy() & own
            table.loc[zero, "value"] = 0.0
        table = _latest(table, calendar)
    table["n"] = table["n"].fillna(0).astype("int64")
    if measure.additive:
        zero = table["value"].isna() & table["covered"]
        table.loc[zero, "value"] = 0.0
    if "numerator" not in table.columns:
        table["numerator"] = np.nan
        table["denominator"] = np.nan
    return table


def _rename(df: pd.DataFrame, time: str, label: str | None = None) -> pd.DataFrame:
    df = df.rename(columns={"_geo": "country", "_cat": "category", time: "period"})
    if label is not None:
        df["period"] = label
    return df


def _per_period(d: pd.DataFrame, measure, calendar: Calendar) -> pd.DataFrame:
    fast = _per_period_coded(d, measure, calendar)
    if fast is not None:
        return fast
    parts = [_rename(aggregate(d, measure, ["_geo", "_period", "_cat"]), "_period")]
    if calendar.years:  # when the reporting period is the year, the years are the periods
        parts.append(_rename(aggregate(d, measure, ["_geo", "_year", "_cat"]), "_year"))
    parts.append(_rename(aggregate(d, measure, ["_geo", "_cat"]), "", LOP))
    return (
        pd.concat(
            [p[["country", "period", "category", "value", "n"]] for p in parts if len(p)],
            ignore_index=True,
        )
        if any(len(p) for p in parts)
        else pd.DataFrame(columns=["country", "period", "category", "value", "n"])
    )


def _per_period_coded(d: pd.DataFrame, measure, calendar: Calendar) -> pd.DataFrame | None:
    """:func:`_per_period` with the three groupings (period, year, life of project) on group
    numbers and the cells put together once as arrays (a small project's time went on building
    and renaming a frame per grouping); None where a key is not a categorical of codes."""
    if not len(d) or KERNELS[measure.type].binned is None:
        return None
    times = ["_period", "_year"] if calendar.years else ["_period"]
    found = [(t, coded(d, ["_geo", t, "_cat"])) for t in times]
    found.append(("", coded(d, ["_geo", "_cat"])))
    if any(f is None for _, f in found):
        return None
    columns: dict[str, list] = {"country": [], "period": [], "category": [], "value": [], "n": []}
    for time, fast in found:
        assert fast is not None
        keys = ["_geo", time, "_cat"] if time else ["_geo", "_cat"]
        labels, value, n = coded_cells(d, measure, keys, *fast)
        columns["country"].append(labels["_geo"])
        columns["period"].append(labels[time] if time else np.full(len(n), LOP, dtype=object))
        columns["category"].append(labels["_cat"])
        columns["value"].append(value)
        columns["n"].append(n)
    return pd.DataFrame({k: np.concatenate(v) for k, v in columns.items()})


def _cumulative(d: pd.DataFrame, measure, calendar: Calendar):
    """Each period: the measure over all records from the project start to the period's end
    (distinct counts are distinct over the whole window)."""
    fast = coded(d, ["_geo", "_cat"]) if KERNELS[measure.type].binned is not None else None
    if fast is not None:
        return _cumulative_coded(d, measure, calendar, *fast)
    parts = []
    for p in calendar.all_periods:
        window = d[in_period(d, p, "cumulative", calendar)] if p.kind != "lop" else d
        parts.append(_rename(aggregate(window, measure, ["_geo", "_cat"]), "", p.label))
    parts = [p for p in parts if len(p)]
    if not parts:
        return pd.DataFrame(columns=["country", "period", "category", "value", "n"])
    return pd.concat(parts, ignore_index=True)[["country", "period", "category", "value", "n"]]


def _cumulative_coded(d: pd.DataFrame, measure, calendar: Calendar, gid, total, cats):
    """:func:`_cumulative` in one pass: each record is counted in the first window (period end)
    that holds it, and the windows' values are running sums over the ends in order (a distinct
    value at the first window where it appears; a mean as running sum over running count)."""
    periods = calendar.all_periods
    ends = np.array([np.datetime64(p.end, "ns") for p in periods])
    order = np.argsort(ends, kind="stable")
    k = len(ends)
    slot = np.searchsorted(ends[order], d["_date"].to_numpy(dtype="datetime64[ns]"), side="left")
    inside = slot < k  # dated after every window (not in a project's records): in none
    gid, slot = gid[inside], slot[inside]

    def running(cells: np.ndarray, weights=None) -> np.ndarray:
        flat = np.bincount(cells, weights=weights, minlength=total * k)
        return flat.reshape(total, k).cumsum(axis=1)

    n = running(gid * k + slot)
    kernel = KERNELS[measure.type]
    binned = kernel.binned
    assert binned is not None  # _cumulative sends only binned kernels here
    if kernel.distinct:  # each value counted from the first window holding it
        codes, _ = pd.factorize(d[measure.measured].to_numpy()[inside])
        valid = codes >= 0
        width = np.int64(codes.max() + 1) if valid.any() else np.int64(1)
        pairs = pd.Series(slot[valid]).groupby(gid[valid] * width + codes[valid]).min()
        firsts = (pairs.index.to_numpy() // width) * k + pairs.to_numpy()
        value = binned(None, firsts, running)
    else:
        v = floats(d, measure.measured)
        value = binned(None if v is None else v[inside], gid * k + slot, running)
    group, col = np.nonzero(n)
    keys = {}
    rest = group
    for key, categories in zip(("_cat", "_geo"), reversed(cats), strict=True):
        size = max(len(categories), 1)
        keys[key] = np.asarray(categories.take(rest % size), dtype=object)
        rest = rest // size
    labels = np.array([periods[i].label for i in order], dtype=object)
    return pd.DataFrame(
        {
            "country": keys["_geo"],
            "period": labels[col],
            "category": keys["_cat"],
            "value": value[group, col],
            "n": n[group, col].astype("int64"),
        }
    )


def _stock(d: pd.DataFrame, measure, calendar: Calendar) -> pd.DataFrame:
    """A level dated by year (population): each period takes the level of the calendar year in
    which it ends."""
    parts = []
    for p in calendar.all_periods:
        agg = aggregate(d[in_period(d, p, "", calendar, stock=True)], measure, ["_geo", "_cat"])
        parts.append(_rename(agg, "", p.label))
    parts = [p for p in parts if len(p)]
    if not parts:
        return pd.DataFrame(columns=["country", "period", "category", "value", "n"])
    return pd.concat(parts, ignore_index=True)[["country", "period", "category", "value", "n"]]


def _milestone(
    d: pd.DataFrame, calendar: Calendar, geos: list[str], cats: list[str], countries: list[str]
) -> pd.DataFrame:
    """Yes (1) once a record is dated on or before the period's end, else no (0): a register of
    milestones lists what was adopted, so no record means "not yet", not "no data". For all
    countries: yes when every country has it; numerator and denominator count the countries."""
    first = d.groupby(["_geo", "_cat"], observed=True)["_date"].min()
    n = d.groupby(["_geo", "_cat"], observed=True).size()
    by_country = None
    if geos == [ALL] and "_country" in d.columns:
        by_country = d.groupby(["_country", "_cat"], observed=True)["_date"].min()
    rows = []
    for p in calendar.all_periods:
        end = pd.Timestamp(p.end)
        for geo in geos:
            for cat in cats:
                if by_country is not None:
                    done = sum(
                        1
                        for c in countries
                        if (c, cat) in by_country.index and by_country[(c, cat)] <= end
                    )
                    rows.append(
                        (
                            geo,
                            p.label,
                            cat,
                            float(done == len(countries)),
                            int(n.get((geo, cat), 0)),
                            float(done),
                            float(len(countries)),
                        )
                    )
                    continue
                when = first.get((geo, cat))
                achieved = when is not None and when <= end
                rows.append(
                    (geo, p.label, cat, float(achieved), int(n.get((geo, cat), 0)), np.nan, np.nan)
                )
    return pd.DataFrame(
        rows, columns=["country", "period", "category", "value", "n", "numerator", "denominator"]
    )


def _coverage(cov: pd.DataFrame, calendar: Calendar, cumulation: str) -> set[tuple[str, str]]:
    """(country, period) where the dataset has usable records (for cumulative and latest
    modes: any record up to the period's end)."""
    rows: set[tuple[str, str]] = set()
    geo, period, year = (cov[k].tolist() for k in ("_geo", "_period", "_year"))
    for geos in (geo, [ALL] * len(geo)):
        for g, per, yr in zip(geos, period, year, strict=True):
            rows.add((g, per))
            rows.add((g, yr))
            rows.add((g, LOP))
    if cumulation != "per_period":
        # covered from the first period with data onwards
        geos = sorted({g for g, _ in rows})
        firsts: dict[str, dt.date] = {}
        for p in calendar.periods:
            for g in geos:
                if (g, p.label) in rows:
                    firsts.setdefault(g, p.start)
        rows |= {
            (g, p.label)
            for g, start in firsts.items()
            for p in calendar.all_periods
            if p.end >= start
        }
    return rows


def _covered(table: pd.DataFrame, rows: set[tuple[str, str]]) -> np.ndarray:
    """Whether each cell's (country, period) is in ``rows`` (``_coverage``): looked up once
    per distinct pair, not per cell."""
    country, countries = pd.factorize(table["country"])
    period, periods = pd.factorize(table["period"])
    at_country = {c: i for i, c in enumerate(countries.tolist())}
    at_period = {p: i for i, p in enumerate(periods.tolist())}
    found = np.zeros((len(countries) + 1, len(periods) + 1), dtype=bool)  # the last: missing
    for g, p in rows:
        if g in at_country and p in at_period:
            found[at_country[g], at_period[p]] = True
    return found[country, period]


def _latest(table: pd.DataFrame, calendar: Calendar) -> pd.DataFrame:
    """Each period shows the value of the latest reporting period, up to it, that has data;
    years and LoP show the latest value within them."""
    order = {p.label: i for i, p in enumerate(calendar.periods)}
    base = table[table["period_kind"] == calendar.kind].copy()
    base["_i"] = base["period"].map(order)
    base = base.sort_values("_i")
    keys = ["country", "disaggregation", "category"]
    base["value"] = base.groupby(keys, sort=False)["value"].ffill()
    out = [base.drop(columns="_i")]
    for p in [*calendar.years, calendar.lop]:
        inside = {q.label for q in calendar.periods if q.start >= p.start and q.end <= p.end}
        within = base[base["period"].isin(inside)]
        last = within.sort_values("_i").groupby(keys, sort=False).tail(1)
        rest = table[table["period"] == p.label].drop(columns=["value"])
        merged = rest.merge(last[[*keys, "value"]], how="left", on=keys)
        out.append(merged)
    return pd.concat(out, ignore_index=True)


def in_period(
    records: pd.DataFrame, period: Period, cumulation: str, calendar: Calendar, stock: bool = False
) -> np.ndarray:
    """Bool per record: does it count in ``period``'s cell? The rule the kernels apply by group
    codes, written once for the slow paths and for lineage (``mel explain``): a level dated by
    year counts in every period ending in its year; cumulative windows (and a latest value's
    LoP) run from the project start to the period's end; otherwise the record's own period,
    year, or the whole project."""
    if stock:
        return (records["_date"].dt.year == period.end.year).to_numpy(dtype=bool)
    if cumulation == "cumulative" or (period.kind == "lop" and cumulation != "per_period"):
        return (records["_date"] <= pd.Timestamp(period.end)).to_numpy(dtype=bool)
    if period.kind == "lop":
        return np.ones(len(records), dtype=bool)
    if period.kind == "year" and calendar.kind != "year":
        return (records["_year"] == period.label).to_numpy(dtype=bool)
    return (records["_period"] == period.label).to_numpy(dtype=bool)
