"""The indicator computation: from validated datasets to one tidy result table.

Every value at every level (each country and all countries; each reporting period, each year
and the life of project; the total and each category of each disaggregation) is recomputed
from the records, never summed or averaged from other cells: distinct persons seen in two
quarters are one person in the year, and a ratio is the ratio of its summed numerator and
denominator.

Records are left out, and counted by reason, when they failed validation, have no date, fall
outside the project dates, belong to a country outside the project, or do not pass the filter.

Cells: a geography x period with no (valid, dated) record of the dataset at all has *no data*
(value missing), never 0; where the dataset has records but none passes the filter, a count is 0.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from mel.definitions.models import (
    Indicator,
    Project,
    Sum,
)
from mel.engine import forked
from mel.engine.cumulate import measure_cells
from mel.engine.helper import split
from mel.engine.periods import Calendar
from mel.engine.prepare import CENSORED, HIGH, LOW, SourceData, disaggregations_of, prepare_measure
from mel.engine.results import REASONS, RESULT_COLUMNS, TOTAL


def compute_indicator(
    ind: Indicator,
    sources: dict[str, SourceData],
    project: Project,
    catalog,
    *,
    countries: list[str] | None = None,
    cache: dict | None = None,
    calendar: Calendar | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The cells of one indicator and its exclusions. ``cache``: see :func:`prepare`;
    ``calendar``: the project's (built from it when not given)."""
    calendar = calendar or Calendar.of(project)
    countries = countries or list(project.countries)
    measure = ind.measure.inner
    main = sources[ind.dataset]
    disaggs = disaggregations_of(ind, main, catalog)

    def run(m) -> tuple[pd.DataFrame, pd.DataFrame]:
        src, prepared, own = prepare_measure(ind, m, sources, calendar, countries, disaggs, cache)
        cells = measure_cells(prepared, m, calendar, ind.cumulation, own, countries)
        cells = _censored(cells, prepared, m, calendar, ind.cumulation, own, countries)
        left = prepared.excluded
        excl = pd.DataFrame(  # what compute() counts them by, and each one's row for ratios
            {
                "dataset": pd.Categorical.from_codes(
                    np.zeros(len(left), dtype=np.int8), categories=[src.name]
                ),
                "_geo": left["_geo"],
                "_reason": left["_reason"],
                "_row": left["_row"],
            },
            index=left.index,
        )
        return cells, excl

    if measure.is_ratio:
        (_, numerator), (_, denominator) = measure.parts()
        num, ex1 = run(numerator)
        den, ex2 = run(denominator)
        shares = [d.column for d in ind.disaggregations if d.denominator == "total"]
        cells = ratio_cells(num, den, measure.times, shares)
        excluded = _left_out_of_both(ex1, ex2)
    else:
        cells, excluded = run(measure)
        cells = _noted(cells)
    multi = {d.column: d.multi for d in disaggs}
    cells["multi_response"] = (
        cells["disaggregation"].map(lambda d: multi.get(d, False)).astype(bool)
    )
    cells["indicator"] = ind.id
    return cells[RESULT_COLUMNS], excluded


def ratio_cells(
    num: pd.DataFrame, den: pd.DataFrame, factor: int, shares: list[str]
) -> pd.DataFrame:
    """A ratio's cells from its numerator's and denominator's: the ratio of the two sums in
    every cell, never an average of ratios. ``shares``: disaggregations whose categories all
    take the total's denominator (shares of a flag group, the CTDC rule); so does a category
    the denominator's dataset does not have."""
    den_total = den[den["disaggregation"] == TOTAL]
    keys = ["country", "period", "period_kind", "disaggregation", "category"]
    cells = _joined(num, den[[*keys, "value", "n", "covered", "censored"]], keys)
    missing_den = (cells["value_den"].isna() & ~cells["covered_den"].eq(True)) | cells[
        "disaggregation"
    ].isin(shares)
    if missing_den.any():
        fill = cells.loc[missing_den, ["country", "period"]].merge(
            den_total[["country", "period", "value", "n"]], how="left", on=["country", "period"]
        )
        cells.loc[missing_den, "value_den"] = fill["value"].to_numpy()
        cells.loc[missing_den, "n_den"] = fill["n"].to_numpy()
    cells["numerator"] = cells["value_num"]
    cells["denominator"] = cells["value_den"]
    # a side summing censored values ('<5') has no exact value: nor has the ratio
    cells["censored"] = cells["censored_num"] + cells["censored_den"].fillna(0)
    cells.loc[cells["censored"] > 0, ["numerator", "denominator"]] = np.nan
    cells["value_low"] = cells["value_high"] = np.nan
    ok = cells["denominator"].fillna(0) > 0
    cells["value"] = np.where(
        ok, cells["numerator"] / cells["denominator"].where(ok) * factor, np.nan
    )
    cells["note"] = np.where(
        cells["censored"] > 0,
        "censored values: no exact value",
        np.where(
            cells["denominator"].isna() | cells["numerator"].isna(),
            "no data",
            np.where(cells["denominator"] == 0, "denominator is 0", ""),
        ),
    )
    cells["n_records"] = cells["n_num"].fillna(0) + cells["n_den"].fillna(0)
    return cells


def _joined(num: pd.DataFrame, den: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """``num.merge(den, how="left", on=keys, suffixes=("_num", "_den"))``, without the join
    where both sides have the same keys row for row, each once (as both are laid on the same
    grid): then row i meets row i."""
    same = (
        len(num) == len(den)
        and num.index.equals(den.index)
        and all(num[k].equals(den[k]) for k in keys)
        and not num.duplicated(keys).any()
    )
    if not same:
        return num.merge(den, how="left", on=keys, suffixes=("_num", "_den"))
    shared = {c for c in den.columns if c in num.columns and c not in keys}
    columns = {f"{c}_num" if c in shared else c: num[c] for c in num.columns}
    columns.update({f"{c}_den": den[c] for c in den.columns if c not in keys})
    return pd.DataFrame(columns).set_axis(pd.RangeIndex(len(num)))


def _noted(cells: pd.DataFrame) -> pd.DataFrame:
    """A simple measure's cells with their note: no data, or the range of censored values."""
    cells["note"] = np.where(cells["value"].isna(), "no data", "")
    ranged = (cells["censored"] > 0).to_numpy()
    if ranged.any():
        cells.loc[ranged, "note"] = [
            f"range {lo:,.10g}-{hi:,.10g} ({k:,.0f} censored values)"
            if lo == lo
            else f"{k:,.0f} censored values: no exact value"
            for lo, hi, k in cells.loc[ranged, ["value_low", "value_high", "censored"]].itertuples(
                index=False
            )
        ]
    cells["n_records"] = cells["n"]
    return cells


def _left_out_of_both(ex1: pd.DataFrame, ex2: pd.DataFrame) -> pd.DataFrame:
    """The records a ratio leaves out, each once: a record of a dataset both sides read is left
    out when neither side counts it (a record only one side's filter drops is used by the
    other); the reason is the denominator's (the numerator's where only it reads the
    dataset)."""
    both = set(pd.unique(ex1["dataset"])) & set(pd.unique(ex2["dataset"]))
    if not both:
        return pd.concat([ex1, ex2], ignore_index=True)
    # a record is its dataset's row number: compared as integers, dataset by dataset (a
    # million records' pairs as an index of tuples took hundreds of megabytes)
    rows1, rows2 = ex1["_row"].to_numpy(), ex2["_row"].to_numpy()
    kept = np.zeros(len(ex2), dtype=bool)
    for name in both:
        mine = (ex2["dataset"] == name).to_numpy(dtype=bool)
        kept[mine] = np.isin(rows2[mine], rows1[(ex1["dataset"] == name).to_numpy(dtype=bool)])
    shared1 = ex1["dataset"].isin(both).to_numpy(dtype=bool)
    shared2 = ex2["dataset"].isin(both).to_numpy(dtype=bool)
    return pd.concat([ex1[~shared1], ex2[~shared2], ex2[kept]], ignore_index=True)


def _censored(cells, prepared, measure, calendar, cumulation, disaggregations, countries):
    """Cells over a column with censored values ('<5' declared with its bounds): those holding
    any have no exact value. A sum is kept as a range (value_low, value_high: the exact part
    plus the censored cells' bounds); other measures (means, medians) have none. Columns
    censored (how many censored cells), value_low and value_high are added either way."""
    column = measure.measured
    if not column or column + CENSORED not in prepared.records.columns:
        return cells.assign(censored=0.0, value_low=np.nan, value_high=np.nan)
    keys = ["country", "period", "disaggregation", "category"]

    def total(of: str) -> pd.Series:
        t = measure_cells(
            prepared,
            Sum.model_construct(type="sum", column=of),
            calendar,
            cumulation,
            disaggregations,
            countries,
        )
        return cells[keys].merge(t[[*keys, "value"]], how="left", on=keys)["value"].fillna(0.0)

    out = cells.assign(censored=total(column + CENSORED).to_numpy())
    hit = (out["censored"] > 0).to_numpy()
    out["value_low"] = out["value_high"] = np.nan
    if measure.ranged_when_censored:  # a count is exact: a censored cell is one record
        exact = out["value"].fillna(0.0).to_numpy()
        low, high = total(column + LOW).to_numpy(), total(column + HIGH).to_numpy()
        out.loc[hit, "value_low"] = (exact + low)[hit]
        out.loc[hit, "value_high"] = (exact + high)[hit]
    if not measure.exact_when_censored:
        out.loc[hit, "value"] = np.nan
    return out


def disaggregation_checks(table: pd.DataFrame, indicators: dict[str, Indicator]) -> pd.DataFrame:
    """For single-valued disaggregations of additive measures: do the parts add up to the
    total? (Multi-response ones are labelled instead: their parts may exceed the total.)"""
    rows = []
    additive = {i for i, ind in indicators.items() if ind.measure.additive}
    t = table[table["indicator"].isin(additive)]
    totals = t[t["disaggregation"] == TOTAL].set_index(["indicator", "country", "period"])["value"]
    parts = t[(t["disaggregation"] != TOTAL) & ~t["multi_response"]]
    sums = parts.groupby(["indicator", "country", "period", "disaggregation"])["value"].sum(
        min_count=1
    )
    for (ind, geo, per, dis), s in sums.items():
        total = totals.get((ind, geo, per))
        if total is None or pd.isna(total):
            continue
        rows.append((ind, geo, per, dis, total, s, bool(np.isclose(total, s))))
    return pd.DataFrame(
        rows, columns=["indicator", "country", "period", "disaggregation", "total", "parts", "ok"]
    )


# the records of a dataset up to which its indicators may be computed in a forked child: the
# child's working memory adds to this process's, and grows with the records it reads. At
# 1,000,000 cases (5.6 million records) the two processes together took 250 MB more than one
# with every indicator shared, and 165 MB more with the child given the datasets of up to
# 1,000,000 records; so the child takes only datasets of up to 250,000 (a few tens of MB),
# and a large dataset's indicators are computed here, one at a time
FORK_ROWS = 250_000


def compute(
    indicators: list[Indicator],
    sources: dict[str, SourceData],
    project: Project,
    catalog,
    *,
    countries: list[str] | None = None,
    progress: Callable[[str], None] | None = None,
    cache: dict | None = None,
    calendar: Calendar | None = None,
    fork: bool | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(cells of every indicator, exclusions, disaggregation checks). ``cache``: see
    :func:`prepare` (a new one when not given). ``fork``: whether a share of the indicators
    may be computed in a forked child on a second core (:mod:`mel.engine.forked`; by default
    where there is one; only indicators of datasets of at most :data:`FORK_ROWS` records go to
    it); the results are the same either way."""
    cache = {} if cache is None else cache
    calendar = calendar or Calendar.of(project)

    def one(ind: Indicator) -> tuple[pd.DataFrame, pd.DataFrame | None]:
        cells, excl = compute_indicator(
            ind, sources, project, catalog, countries=countries, cache=cache, calendar=calendar
        )
        return cells, (_excluded_counts(excl).assign(indicator=ind.id) if len(excl) else None)

    if fork is None:
        fork = forked.can_fork()
    done = _computed(indicators, sources, one, progress, fork)
    tables = [cells for cells, _ in done]
    exclusions = [counted for _, counted in done if counted is not None]
    table = pd.concat(tables, ignore_index=True)
    excl = (
        pd.concat(exclusions, ignore_index=True)
        if exclusions
        else pd.DataFrame(columns=["dataset", "country", "reason", "records", "indicator"])
    )
    excl["reason"] = excl["reason"].map(REASONS)
    checks = disaggregation_checks(table, {i.id: i for i in indicators})
    return table, excl[["indicator", "dataset", "country", "reason", "records"]], checks


def _computed(indicators, sources, one, progress, fork: bool) -> list:
    """``one(ind)`` of each indicator, in their order: a share of them in a forked child where
    ``fork`` (:func:`_shares`: about half the cost each), the rest here."""
    everything = list(range(len(indicators)))
    mine, theirs = (
        _shares(indicators, sources) if fork and len(indicators) > 1 else (everything, [])
    )
    child: forked.Forked | None = None
    if theirs:
        try:
            child = forked.Forked(lambda: [one(indicators[i]) for i in theirs])
        except forked.ChildFailed:
            mine, theirs = everything, []
    done: dict[int, Any] = {}
    try:
        started = time.monotonic()
        for i in mine:
            if progress:
                progress(indicators[i].id)
            done[i] = one(indicators[i])
        if child is not None:
            # about as much work as this process's: far longer, and it is stuck
            patience = forked.PATIENCE + 3 * (time.monotonic() - started)
            try:
                answers = child.result(timeout=patience)
            except forked.ChildFailed:  # computed here again: an error is raised here
                answers = [one(indicators[i]) for i in theirs]
            for i, answer in zip(theirs, answers, strict=True):
                if progress:
                    progress(indicators[i].id)
                done[i] = answer
    finally:
        if child is not None:
            child.close()
    return [done[i] for i in everything]


def _shares(indicators, sources) -> tuple[list[int], list[int]]:
    """(this process's indicators, the child's): about the same cost each, the child's only of
    datasets of at most :data:`FORK_ROWS` records; each in the given order."""
    costs = [_cost(ind, sources) for ind in indicators]
    light = [_rows(ind, sources) <= FORK_ROWS for ind in indicators]
    mine = [i for i in range(len(indicators)) if not light[i]]
    rest = [i for i in range(len(indicators)) if light[i]]
    more_mine, theirs = split([costs[i] for i in rest], start=sum(costs[i] for i in mine))
    mine += [rest[k] for k in more_mine]
    return sorted(mine), sorted(rest[k] for k in theirs)


def _datasets_rows(ind: Indicator, sources: dict[str, SourceData]) -> list[int]:
    """The records of the dataset each side of the indicator's measure reads."""
    out = []
    for _, m in ind.measure.parts():
        src = sources.get(m.dataset or ind.dataset)
        out.append(len(src.frame) if src is not None else 0)
    return out


def _rows(ind: Indicator, sources: dict[str, SourceData]) -> int:
    """The records of the largest dataset the indicator reads."""
    return max(_datasets_rows(ind, sources), default=0)


def _cost(ind: Indicator, sources: dict[str, SourceData]) -> float:
    """About what an indicator costs: the records of each side of its measure, once per
    breakdown (the total and each disaggregation); and a fixed part, as a small project's cost
    is mostly per indicator."""
    sides = _datasets_rows(ind, sources)
    return sum(1_000 + rows for rows in sides) * (1 + len(ind.disaggregations))


def _excluded_counts(excl: pd.DataFrame) -> pd.DataFrame:
    """The records left out, counted per (dataset, country, reason), sorted by their text:
    ``excl.groupby([...], observed=True).size()`` with the keys as text, by numpy's bincount
    on each key's codes (a group-by per indicator was a tenth of a small project's engine).
    Records with a key missing are not counted, as a group-by drops them."""
    codes, labels, total = np.zeros(len(excl), dtype=np.int64), [], 1
    kept = np.ones(len(excl), dtype=bool)
    for column in ("dataset", "_geo", "_reason"):
        col = excl[column]
        if isinstance(col.dtype, pd.CategoricalDtype):
            own, uniques = col.array.codes.astype(np.int64), col.dtype.categories
        else:
            own, uniques = pd.factorize(col)
        kept &= own >= 0
        size = max(len(uniques), 1)
        codes, total = codes * size + own, total * size
        labels.append((uniques, size))
    counts = np.bincount(codes[kept], minlength=total) if total <= 1 << 24 else None
    if counts is None:  # (too many combinations for a table of them)
        return _excluded_counts_grouped(excl)
    present = np.flatnonzero(counts)
    columns, rest = {}, present
    names = ("reason", "country", "dataset")  # the last key's codes are the lowest
    for name, (uniques, size) in zip(names, reversed(labels), strict=True):
        columns[name] = pd.Series(np.asarray(uniques, dtype=object)[rest % size]).astype("str")
        rest = rest // size
    counted = pd.DataFrame(
        {
            "dataset": columns["dataset"],
            "country": columns["country"],
            "reason": columns["reason"],
            "records": counts[present].astype(np.int64),
        }
    )
    return counted.sort_values(["dataset", "country", "reason"], ignore_index=True)


def _excluded_counts_grouped(excl: pd.DataFrame) -> pd.DataFrame:
    """:func:`_excluded_counts` by pandas' group-by."""
    counted = (
        excl.groupby(["dataset", "_geo", "_reason"], observed=True)
        .size()
        .rename("records")
        .reset_index()
        .rename(columns={"_geo": "country", "_reason": "reason"})
    )
    keys = ["dataset", "country", "reason"]
    counted[keys] = counted[keys].astype("str")  # categoricals' order is not the text's
    return counted.sort_values(keys, ignore_index=True)
