"""Cells placed on the grid of one breakdown (every country x period x category): by key
lookup (``_on_grid``), or, for a measure per period, by arithmetic on the groups' numbers
(``_per_period_placed``), without a frame per grouping."""

from __future__ import annotations

import numpy as np
import pandas as pd

from mel.definitions.models import Count
from mel.engine.kernels import KERNELS, coded_groups, group_numbers, key_codes
from mel.engine.periods import Calendar
from mel.engine.results import LOP

_GRIDS: dict[tuple, pd.DataFrame] = {}  # the grids made, by their keys (a measure's repeat)


def _grid(geos: list[str], calendar: Calendar, column: str, cats: list[str]) -> pd.DataFrame:
    """Every cell of one breakdown: country x period (in the calendar's order) x category, in
    that order. The same grid is made once (frames are copied on write: none changes it)."""
    periods = tuple((p.label, p.kind) for p in calendar.all_periods)
    key = (tuple(geos), periods, column, tuple(cats))
    if key not in _GRIDS:
        if len(_GRIDS) > 512:
            _GRIDS.clear()
        rows = [(g, label, kind, column, c) for g in geos for label, kind in periods for c in cats]
        _GRIDS[key] = pd.DataFrame(
            rows, columns=["country", "period", "period_kind", "disaggregation", "category"]
        )
    return _GRIDS[key]


def _per_period_placed(d, measure, calendar: Calendar, grid, geos, cats) -> pd.DataFrame | None:
    """``_on_grid(grid, _per_period(d, measure, calendar))`` without building either frame:
    each group's cell on the grid worked out from its keys' codes (country, then period, then
    category, as :func:`_grid` orders them). None where :func:`_per_period_coded` would not
    apply, or two groups would land on one cell (the join's own rules then apply)."""
    if not len(d) or KERNELS[measure.type].binned is None:
        return None
    times = ["_period", "_year"] if calendar.years else ["_period"]
    keys = {}
    for k in ("_geo", *times, "_cat"):
        found = key_codes(d[k])  # (narrow codes: the group numbers are made in 64 bits below)
        if found is None:
            return None
        keys[k] = found
    labels = _index([p.label for p in calendar.all_periods])
    n_periods, n_cats = len(labels), len(cats)
    (geo, geo_cats), (cat, cat_cats) = keys["_geo"], keys["_cat"]
    geo_at, cat_at = _at(geo_cats, _index(geos)), _at(cat_cats, _index(cats))
    cells, values, counts = [], [], []
    for time in [*times, ""]:
        if time:
            period, period_cats = keys[time]
            period_at = _at(period_cats, labels)
            size = len(period_at)
            parts = [(geo, len(geo_at)), (period, size), (cat, len(cat_at))]
        else:  # the life of project
            period_at, size = labels.get_indexer([LOP]), 1
            parts = [(geo, len(geo_at)), (cat, len(cat_at))]
        total = len(geo_at) * size * len(cat_at)
        if total > 1 << 24:
            return None
        gid = group_numbers(parts, len(d))  # (geo * size + period) * len(cat_at) + cat
        present, value, n = coded_groups(d, measure, gid, total)
        rest = present // len(cat_at)
        on_geo, on_period = geo_at[rest // size], period_at[rest % size]
        on_cat = cat_at[present % len(cat_at)]
        on = (on_geo >= 0) & (on_period >= 0) & (on_cat >= 0)
        cells.append(((on_geo * n_periods + on_period) * n_cats + on_cat)[on])
        values.append(value[on])
        counts.append(n[on])
    cell = np.concatenate(cells)
    if len(np.unique(cell)) != len(cell):
        return None
    value = np.full(len(grid), np.nan)
    value[cell] = np.concatenate(values)
    n = np.concatenate(counts)
    if len(cell) == len(grid):  # every cell has records: counts stay integers, as in a join
        whole = np.empty(len(grid), dtype=n.dtype)
        whole[cell] = n
    else:
        whole = np.full(len(grid), np.nan)
        whole[cell] = n
    return grid.assign(value=value, n=whole)


_INDEXES: dict[tuple, pd.Index] = {}  # the grid's keys as indexes, made (and hashed) once


def _index(values: list[str]) -> pd.Index:
    key = tuple(values)
    if key not in _INDEXES:
        if len(_INDEXES) > 512:
            _INDEXES.clear()
        _INDEXES[key] = pd.Index(values)
    return _INDEXES[key]


_AT: dict[tuple[int, int], tuple[pd.Index, pd.Index, np.ndarray]] = {}


def _at(categories: pd.Index, on: pd.Index) -> np.ndarray:
    """Each category's position on the grid's ``on`` (-1 where it has none: off the grid; at
    least one entry, as a key of no categories has one group). Looked up once per pair of
    indexes: a key's categories are one object in every frame made from its column (the
    entry holds both objects, so that their ids are not reused while it is kept)."""
    key = (id(categories), id(on))
    found = _AT.get(key)
    if found is not None and found[0] is categories and found[1] is on:
        return found[2]
    if len(_AT) > 4096:
        _AT.clear()
    at = (on.get_indexer(categories) if len(categories) else np.array([-1])).astype(np.int64)
    at.flags.writeable = False  # (shared between calls)
    _AT[key] = (categories, on, at)
    return at


def _distinct_placed(d, firsts, measure, calendar: Calendar, grid, geos, cats):
    """:func:`_cells_of`'s distinct values over each value's first record, placed on the grid
    as :func:`_on_grid` places them (records counted over all records; the columns in the
    order its join gives them); None where either placing does not apply."""
    counts = _per_period_placed(d, Count(type="count"), calendar, grid, geos, cats)
    values = _per_period_placed(d.loc[firsts], measure, calendar, grid, geos, cats)
    if counts is None or values is None:
        return None
    return grid.assign(n=counts["n"], value=values["value"])


GRID_KEYS = ["country", "period", "disaggregation", "category"]


def _on_grid(grid: pd.DataFrame, part: pd.DataFrame) -> pd.DataFrame:
    """``grid.merge(part, how="left", on=GRID_KEYS)``: each cell of the grid with its values
    from ``part`` (NaN where it has none), by a lookup of each key rather than a join, which
    cost a small project more than its arithmetic. A join where ``part``'s keys repeat or a
    value column is not numeric (the join's own rules then apply)."""
    rest = [c for c in part.columns if c not in GRID_KEYS]
    numeric = all(isinstance(part[c].dtype, np.dtype) and part[c].dtype.kind in "iuf" for c in rest)
    at = {k: i for i, k in enumerate(zip(*(part[c].tolist() for c in GRID_KEYS), strict=True))}
    if not numeric or not len(part) or len(at) != len(part):
        return grid.merge(part, how="left", on=GRID_KEYS)
    keys = zip(*(grid[c].tolist() for c in GRID_KEYS), strict=True)
    rows = np.fromiter((at.get(k, -1) for k in keys), dtype=np.int64, count=len(grid))
    missing = rows < 0
    taken = {}
    for c in rest:
        values = part[c].to_numpy()
        if missing.any():
            values = np.where(missing, np.nan, values.astype("float64")[np.maximum(rows, 0)])
        else:
            values = values[rows]
        taken[c] = values
    return grid.assign(**taken)
