"""The kernels: a simple measure over groups of records, on integer category codes with numpy's
bincount where it can (no hashing of labels), with pandas' groupby otherwise; and the categories
of a disaggregation (multi-response answers split once per distinct value)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from mel.engine.results import ALL, UNKNOWN

Bins = Callable[..., np.ndarray]  # (cells, weights=None) -> a total per cell


@dataclass(frozen=True)
class Kernel:
    """How one simple measure type is computed over groups of records: with pandas' groupby
    (``grouped``), and with numpy's bincount over integer cell numbers (``binned``, given the
    measured column as floats and a ``bins`` function: a plain bincount, or running totals over
    cumulative windows). ``distinct``: the binned path counts values once per cell (the caller
    gives the cell of each value's first record). No ``binned``: groupby only (a median)."""

    grouped: Callable[[pd.DataFrame, str | None, Any, pd.Series], pd.Series]  # Any: a GroupBy
    binned: Callable[[np.ndarray | None, np.ndarray, Bins], np.ndarray] | None = None
    distinct: bool = False


def _sums(v, cells, bins) -> tuple[np.ndarray, np.ndarray]:
    ok = ~np.isnan(v)
    return bins(cells[ok], v[ok]), bins(cells[ok])


def _binned_sum(v, cells, bins) -> np.ndarray:
    sums, counts = _sums(v, cells, bins)
    return np.where(counts > 0, sums, np.nan)


def _binned_mean(v, cells, bins) -> np.ndarray:
    sums, counts = _sums(v, cells, bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts > 0, sums / counts, np.nan)


def _float(values: pd.Series) -> pd.Series:
    return values.rename("value").astype("float64")


# one kernel per simple measure type (mel.definitions.models): a new kind adds its line here
KERNELS: dict[str, Kernel] = {
    "count": Kernel(
        grouped=lambda records, column, g, n: _float(n),
        binned=lambda v, cells, bins: bins(cells).astype("float64"),
    ),
    "count_distinct": Kernel(
        grouped=lambda records, column, g, n: _distinct(records[column], g, n),
        binned=lambda v, cells, bins: bins(cells).astype("float64"),
        distinct=True,
    ),
    "sum": Kernel(
        grouped=lambda records, column, g, n: _float(g[column].sum(min_count=1)),
        binned=_binned_sum,
    ),
    "mean": Kernel(
        grouped=lambda records, column, g, n: _float(g[column].mean()), binned=_binned_mean
    ),
    "median": Kernel(grouped=lambda records, column, g, n: _float(g[column].median())),
}


def aggregate(records: pd.DataFrame, measure, keys: list[str]) -> pd.DataFrame:
    """keys + value, n (records) for a simple measure, over groups of ``keys``."""
    if not len(records):
        return pd.DataFrame(columns=[*keys, "value", "n"])
    kernel = KERNELS[measure.type]
    fast = coded(records, keys)
    if fast is not None and kernel.binned is not None:
        return _aggregate_coded(records, measure, keys, *fast)
    g = records.groupby(keys, observed=True, sort=False, dropna=False)
    n = g.size().rename("n")
    value = kernel.grouped(records, measure.measured, g, n)
    return pd.concat([value, n], axis=1).reset_index()


def coded(records: pd.DataFrame, keys: list[str]):
    """(group number of each record, number of possible groups, the keys' categories) when
    every key is a categorical without missing values, else None. The group number is the
    keys' category codes combined arithmetically: no hashing of labels."""
    parts = []
    total = 1
    cats = []
    for k in keys:
        found = key_codes(records[k])
        if found is None:
            return None
        codes, categories = found
        size = max(len(categories), 1)
        parts.append((codes, size))
        total *= size
        cats.append(categories)
    if total > 1 << 24:
        return None
    return group_numbers(parts, len(records)), total, cats


def present_values(values: np.ndarray) -> np.ndarray:
    """``np.unique(values)`` of integers: where they are all small and not negative (codes,
    group numbers), the values whose count is not zero, without sorting millions of them."""
    if not len(values):
        return np.unique(values)
    low, high = values.min(), values.max()
    if low < 0 or high >= 1 << 24:
        return np.unique(values)
    return np.flatnonzero(np.bincount(values)).astype(values.dtype)


def group_numbers(parts: list[tuple[np.ndarray, int]], n: int) -> np.ndarray:
    """Each of ``n`` records' group number from its keys' codes and their numbers of
    categories, (((c1 * s2) + c2) * s3 + c3)..., in one 64-bit array changed in place (codes
    of any integer type: a million records' keys take no more than that one array)."""
    gid = np.zeros(n, dtype=np.int64)
    for codes, size in parts:
        gid *= size
        gid += codes
    return gid


def key_codes(col: pd.Series) -> tuple[np.ndarray, pd.Index] | None:
    """(codes, categories) of a categorical key without missing values, else None. The codes
    are the Categorical's own (read-only, of its smallest integer type): for arithmetic into a
    64-bit array (:func:`group_numbers`), not on their own."""
    if not isinstance(col.dtype, pd.CategoricalDtype):
        return None
    codes = col.array.codes  # (the Categorical's own codes: no Series made of them)
    if len(codes) and codes.min() < 0:
        return None
    return codes, col.dtype.categories


def _aggregate_coded(records, measure, keys, gid, total, cats) -> pd.DataFrame:
    """:func:`aggregate` on combined group numbers with numpy's bincount."""
    labels, value, n = coded_cells(records, measure, keys, gid, total, cats)
    frame = pd.DataFrame({k: labels[k] for k in keys})
    frame["value"] = value
    frame["n"] = n
    return frame


def coded_groups(records, measure, gid, total):
    """The group numbers that have records, in order, with their value and n (records);
    ``gid, total`` as :func:`coded` gives them."""
    n = np.bincount(gid, minlength=total)
    present = np.flatnonzero(n)
    kernel = KERNELS[measure.type]

    def bins(cells: np.ndarray, weights=None) -> np.ndarray:
        return np.bincount(cells, weights=weights, minlength=total)

    if kernel.distinct:
        value = _distinct_coded(records[measure.measured], gid, total)
    else:
        assert kernel.binned is not None  # aggregate() sends only binned kernels here
        value = kernel.binned(floats(records, measure.measured), gid, bins)
    return present, value[present], n[present].astype("int64")


def coded_cells(records, measure, keys, gid, total, cats):
    """The groups that have records, as arrays: (each key's labels, value, n), in the order of
    their group numbers; ``gid, total, cats`` as :func:`coded` gives them."""
    present, value, n = coded_groups(records, measure, gid, total)
    labels = {}
    rest = present
    for k, categories in zip(reversed(keys), reversed(cats), strict=True):
        size = max(len(categories), 1)
        labels[k] = np.asarray(categories.take(rest % size), dtype=object)
        rest = rest // size
    return labels, value, n


def floats(records: pd.DataFrame, column: str | None) -> np.ndarray | None:
    """The measured column as floats (NaN where missing); None for a count of records."""
    if column is None:
        return None
    return records[column].to_numpy(dtype="float64", na_value=np.nan)


def _distinct_coded(column: pd.Series, gid: np.ndarray, total: int) -> np.ndarray:
    """Distinct values per group number: one hash pass over (group, value code) pairs."""
    if pd.api.types.is_float_dtype(column.dtype):
        codes = column.to_numpy(dtype="float64")
        valid = ~np.isnan(codes)
        codes = codes[valid].astype(np.int64)
    else:
        if isinstance(column.dtype, pd.CategoricalDtype):  # its codes are distinct already
            codes = column.array.codes
        else:
            codes, _ = pd.factorize(column)
        valid = codes >= 0
        codes = codes[valid].astype(np.int64)
    if not len(codes):
        return np.zeros(total)
    k = np.int64(codes.max()) + 1
    pairs = gid[valid]  # (a copy) times k plus the codes, in place
    pairs *= k
    pairs += codes
    # each distinct (group, value) pair once: sorted in place and its runs' first taken (a
    # hash table of millions of pairs took five times the memory)
    pairs.sort()
    start = np.empty(len(pairs), dtype=bool)
    start[0] = True
    np.not_equal(pairs[1:], pairs[:-1], out=start[1:])
    return np.bincount(pairs[start] // k, minlength=total).astype("float64")


def _distinct(column: pd.Series, g, n: pd.Series) -> pd.Series:
    """Distinct values per group of a pandas groupby (keys that are not all categoricals)."""
    gid = g.ngroup().to_numpy().astype(np.int64)
    return pd.Series(_distinct_coded(column, gid, len(n)), index=n.index, name="value")


def place_categories(records: pd.DataFrame, column: str, multi: bool, codes: list[str] | None):
    """Records with a _cat column (repeated per answer for multi-response) and the category
    list. Labels are worked out once per distinct value, records keep integer codes."""
    values = records[column]
    if values.dtype == "boolean" or values.dtype == bool:
        arr = values.to_numpy(dtype=object, na_value=None)
        vcodes = np.where(arr == True, 0, np.where(arr == False, 1, -1))  # noqa: E712
        labels = ["yes", "no"]
        cats: list[str] | None = ["yes", "no"]
    else:
        vcodes, uniques = pd.factorize(values)
        labels = list(pd.Series(uniques).astype("str"))
        cats = list(codes) if codes is not None else None
    parts = [lab.split(";") for lab in labels]
    # a multi-response disaggregation of a one-value column (services by type, counted per
    # person) has nothing to split
    split = multi and any(len(p) > 1 for p in parts)
    if not split:
        parts = [[lab] for lab in labels]
    names = list(dict.fromkeys([*(x for p in parts for x in p), UNKNOWN]))
    index = {x: i for i, x in enumerate(names)}
    unknown = index[UNKNOWN]
    widths = np.array([len(p) for p in parts] + [1], dtype=np.int64)  # the last: missing
    table = np.full((len(parts) + 1, int(widths.max())), unknown, dtype=np.int64)
    for i, p in enumerate(parts):
        table[i, : len(p)] = [index[x] for x in p]
    u = np.where(vcodes >= 0, vcodes, len(parts))  # the missing value's row of the table
    if split:
        per_row = widths[u]
        rows = np.repeat(np.arange(len(u)), per_row)
        starts = np.cumsum(per_row) - per_row
        slot = np.arange(len(rows)) - starts[rows]
        cat_codes = table[u[rows], slot]
        out = records.iloc[rows]
    else:
        cat_codes = table[u, 0]
        out = records
    out = out.assign(_cat=pd.Categorical.from_codes(cat_codes, categories=names))
    present = present_values(cat_codes)
    if cats is None:
        cats = sorted(names[i] for i in present if names[i] != UNKNOWN)
    seen = [names[i] for i in present if names[i] not in cats and names[i] != UNKNOWN]
    return out, [*cats, *sorted(seen), UNKNOWN]


def all_countries(data: pd.DataFrame) -> pd.DataFrame:
    """The records with one geography, all countries (each record's own kept as _country)."""
    every = pd.Categorical.from_codes(np.zeros(len(data), dtype=np.int8), categories=[ALL])
    return data.assign(_country=data["_geo"], _geo=every)


def first_in_finest(data: pd.DataFrame, column: str) -> np.ndarray | None:
    """Bool per record: the first record of its value (integer codes in ``column``, missing
    values left out) in its (country, period, year, category) cell. Distinct counts over any
    union of such cells are the same over these records alone, which are often far fewer."""
    found = coded(data, ["_geo", "_period", "_year", "_cat"])
    if found is None:
        return None
    pairs, _, _ = found
    codes = data[column].to_numpy(dtype="float64")
    missing = np.isnan(codes)
    k = np.int64(np.nanmax(codes)) + 1 if not missing.all() else np.int64(1)
    pairs *= k  # (the group numbers, made here: changed in place)
    pairs += np.where(missing, 0, codes).astype(np.int64)
    return first_of_each(pairs) & ~missing


def first_of_each(values: np.ndarray) -> np.ndarray:
    """Bool per value: the first of its equals (``~pd.Series(values).duplicated()``), found by
    sorting (the lowest position in each run of equals) rather than by a hash table of every
    value, which took more time and memory on millions of records."""
    out = np.zeros(len(values), dtype=bool)
    if not len(values):
        return out
    order = np.argsort(values)
    ordered = values[order]
    start = np.empty(len(ordered), dtype=bool)
    start[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=start[1:])
    del ordered
    out[np.minimum.reduceat(order, np.flatnonzero(start))] = True
    return out


def in_category(
    records: pd.DataFrame, column: str, category: str, multi: bool, codes: list[str] | None = None
) -> np.ndarray:
    """Bool per record: does it count in ``category`` of the disaggregation by ``column``?
    Asks :func:`place_categories`, the engine's own placing (a multi-response record counts in
    each of its answers; a missing value is Unknown)."""
    frame = records[[column]].reset_index(drop=True)
    placed, _ = place_categories(frame, column, multi, codes)
    hit = placed.index[(placed["_cat"] == category).to_numpy(dtype=bool)]
    out = np.zeros(len(frame), dtype=bool)
    out[np.asarray(hit, dtype=np.int64)] = True
    return out
