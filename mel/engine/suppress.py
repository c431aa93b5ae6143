"""Small-cell suppression for donor outputs.

Victims of trafficking are a sensitive population: a count from 1 to threshold-1 (default
1-4) is not published (shown as ``<5``, as UNODC does). Zero is published.

Primary suppression hides such counts, means and medians of fewer records than the threshold,
and ratios whose numerator or denominator is such a count. Secondary suppression starts from a
quick group rule: in every group of cells that add up (the categories of a single-valued
disaggregation and their total; the countries and all countries; the reporting periods of a
year and the year; the years and the life of project), a group with exactly one hidden cell
gets its smallest other non-zero cell hidden too (for a ratio, by its numerator). It then solves
the whole table, with the other indicators sharing its cells and the earlier donor outputs, as
one system (:mod:`mel.engine.disclosure`, docs/privacy.md) and hides more until no hidden count
can be worked out.

A hidden cell's value, numerator, denominator, % of target and status are removed from the
table; donors get no record counts.

Every row gets a ``flag`` (:func:`flags`): ``small`` (a count from 1 to threshold-1, shown as
``<5``), ``protected`` (any other hidden cell, shown as ``[c]``: hidden so that no small count
can be worked out; it says nothing of the value, and a small count whose ``<5`` would narrow
another hidden count is shown so too), ``n/a`` (a ratio whose denominator is 0), ``no data``
(no value), or empty. The disclosure audit reads a ``<5`` as "1 to 4".
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from mel.definitions.models import Count, CountDistinct, Indicator, Mean, Median, Sum
from mel.engine.quantities import PROTECTED, SMALL
from mel.engine.results import ALL, LOP, TOTAL

NOT_APPLICABLE = "n/a"
NO_DATA = "no data"
FLAGS = (SMALL, PROTECTED, NOT_APPLICABLE, NO_DATA)


def _small(v: pd.Series, threshold: int) -> np.ndarray:
    x = pd.to_numeric(v, errors="coerce")
    return ((x >= 1) & (x < threshold)).fillna(False).to_numpy(dtype=bool)


def primary(table: pd.DataFrame, indicators: dict[str, Indicator], threshold: int) -> np.ndarray:
    hide = np.zeros(len(table), dtype=bool)
    kind = table["indicator"].map(lambda i: type(indicators[i].measure).__name__)
    counts = kind.isin([Count.__name__, CountDistinct.__name__, Sum.__name__]).to_numpy()
    averages = kind.isin([Mean.__name__, Median.__name__]).to_numpy()
    hide |= counts & _small(table["value"], threshold)
    hide |= averages & _small(table["n_records"], threshold)
    ratios = kind.isin(["Ratio", "Percentage", "ChangeFromBaseline"]).to_numpy()
    hide |= ratios & (
        _small(table["numerator"], threshold) | _small(table["denominator"], threshold)
    )
    if "value_low" in table:  # a range over censored values whose low end is a small count
        low = pd.to_numeric(table["value_low"], errors="coerce")
        hide |= (low < threshold).fillna(False).to_numpy(dtype=bool)
    return hide


def _groups(table: pd.DataFrame, years: dict[str, str]) -> tuple[list[np.ndarray], list[str]]:
    """Index arrays of cells that add up: (parts..., total); and the kind of each group
    (category, country, period, year)."""
    groups: list[np.ndarray] = []
    kinds: list[str] = []
    t = table.reset_index(drop=True)
    ind = t["indicator"].to_numpy(dtype=object)
    geo = t["country"].to_numpy(dtype=object)
    per = t["period"].to_numpy(dtype=object)
    dis = t["disaggregation"].to_numpy(dtype=object)
    cat = t["category"].to_numpy(dtype=object)
    kind = t["period_kind"].to_numpy(dtype=object)
    single = (dis == TOTAL) | ~t["multi_response"].to_numpy(dtype=bool)
    row_of = {k: i for i, k in enumerate(zip(ind, geo, per, dis, cat, strict=True))}
    # categories of a disaggregation + the total of the same indicator, country and period
    parts = t[(dis != TOTAL) & single]
    for (i, g, p, _d), idx in parts.groupby(
        ["indicator", "country", "period", "disaggregation"], sort=False
    ).groups.items():
        total = row_of.get((i, g, p, TOTAL, TOTAL))
        if total is not None:
            groups.append(np.append(np.asarray(idx), total))
            kinds.append("category")
    # countries + all countries, per indicator, period, disaggregation and category
    for idx in t.groupby(
        ["indicator", "period", "disaggregation", "category"], sort=False
    ).indices.values():
        is_all = geo[idx] == ALL
        if is_all.sum() == 1 and len(idx) > 1:
            groups.append(idx[np.argsort(is_all, kind="stable")])
            kinds.append("country")
    # reporting periods of a year + the year
    sub = np.flatnonzero(np.isin(kind, ["quarter", "month", "half"]))
    year_of = np.array([years.get(x) for x in per[sub]], dtype=object)
    keys = pd.DataFrame({"i": ind[sub], "g": geo[sub], "d": dis[sub], "c": cat[sub], "y": year_of})
    for (i, g, d, c, y), pos in keys.groupby(
        ["i", "g", "d", "c", "y"], sort=False, dropna=True
    ).indices.items():
        year_row = row_of.get((i, g, y, d, c))
        if year_row is not None:
            groups.append(np.append(sub[pos], year_row))
            kinds.append("period")
    # years + the life of project
    sub = np.flatnonzero(np.isin(kind, ["year", "lop"]))
    keys = pd.DataFrame({"i": ind[sub], "g": geo[sub], "d": dis[sub], "c": cat[sub]})
    for pos in keys.groupby(["i", "g", "d", "c"], sort=False).indices.values():
        idx = sub[pos]
        is_lop = per[idx] == LOP
        if is_lop.sum() == 1 and len(idx) > 2:
            groups.append(idx[np.argsort(is_lop, kind="stable")])
            kinds.append("year")
    return groups, kinds


def additive_basis(table: pd.DataFrame, indicators: dict[str, Indicator]) -> np.ndarray:
    """The quantity that adds up across a group: the value of a count, the numerator of a
    ratio; nothing (NaN) for averages and milestones, which get primary suppression only."""
    kind = table["indicator"].map(lambda i: type(indicators[i].measure).__name__).to_numpy()
    value = pd.to_numeric(table["value"], errors="coerce").to_numpy(dtype="float64")
    numerator = pd.to_numeric(table["numerator"], errors="coerce").to_numpy(dtype="float64")
    counts = np.isin(kind, [Count.__name__, CountDistinct.__name__, Sum.__name__])
    ratios = np.isin(kind, ["Ratio", "Percentage", "ChangeFromBaseline"])
    return np.where(counts, value, np.where(ratios, numerator, np.nan))


def secondary(
    table: pd.DataFrame, hide: np.ndarray, groups: list[np.ndarray], values: np.ndarray
) -> np.ndarray:
    """Hide more cells until no group that adds up has exactly one hidden cell."""
    hide = hide.copy()
    changed = True
    while changed:
        changed = False
        for g in groups:
            hidden = hide[g]
            if hidden.sum() != 1:
                continue
            others = [i for i in g if not hide[i] and np.isfinite(values[i]) and values[i] != 0]
            if not others:
                continue
            pick = min(others, key=lambda i: values[i])
            hide[pick] = True
            changed = True
    return hide


def suppress(
    table: pd.DataFrame,
    indicators: dict[str, Indicator],
    threshold: int,
    years: dict[str, str],
    *,
    secondary_suppression: bool = True,
    calendar=None,
    as_of=None,
    earlier: list | None = None,
    notes: list[str] | None = None,
) -> pd.DataFrame:
    """The table for donors: hidden cells flagged, their values removed. With the project's
    ``calendar`` and the date the table runs to (``as_of``), secondary suppression is solved
    over every quantity of the table and of the ``earlier`` publications together
    (:mod:`mel.engine.disclosure`); without, group by group only."""
    t = table.reset_index(drop=True)
    first = hide = primary(t, indicators, threshold)
    marked = None
    if secondary_suppression and threshold > 1:
        groups = _groups(t, years)
        hide = secondary(t, hide, groups[0], additive_basis(t, indicators))
        if calendar is not None:
            from mel.engine.disclosure import protect
            from mel.engine.quantities import Publication, build

            pubs = [Publication(t, as_of, True), *(earlier or [])]
            system, row_vars = build(pubs, indicators, calendar, years, threshold, hide, groups)
            hide = protect(system, row_vars, hide, threshold, first)
            from mel.engine.bounds import marked_small

            small = marked_small(system)
            marked = np.array([any(small[v] for v in vs) for vs in row_vars], dtype=bool)
            if system.left and notes is not None:
                notes.append(
                    f"{len(system.left)} small count(s) cannot be fully protected: the earlier "
                    "donor outputs read back (the report folder, privacy.published) already "
                    "allow working them out or narrowing them; see docs/privacy.md"
                )
    out = t.copy()
    out["suppressed"] = hide
    out["flag"] = flags(t, indicators, threshold, hide, marked)
    for col in (
        "value",
        "numerator",
        "denominator",
        "pct_of_target",
        "pct_to_date",
        "value_low",
        "value_high",
    ):
        if col in out:
            out[col] = out[col].astype("float64").where(~hide)
    # the number of records behind a cell is one more number tied to the hidden ones: donors
    # get the values only
    out["n_records"] = np.nan
    if "status" in out:  # a status word would place the hidden value in a band
        out["status"] = out["status"].where(~hide, "")
    return out


def flags(
    table: pd.DataFrame,
    indicators: dict[str, Indicator],
    threshold: int = 0,
    hide: np.ndarray | None = None,
    marked: np.ndarray | None = None,
) -> np.ndarray:
    """The marker of each row (see the module's docstring), from its values before hiding;
    ``marked``: the rows whose count the disclosure audit lets read as '<N' (default: every
    small count)."""
    n = len(table)
    out = np.full(n, "", dtype=object)
    kind = table["indicator"].map(lambda i: type(indicators[i].measure).__name__)
    counts = kind.isin([Count.__name__, CountDistinct.__name__, Sum.__name__]).to_numpy()
    ratios = kind.isin(["Ratio", "Percentage", "ChangeFromBaseline"]).to_numpy()
    value = pd.to_numeric(table["value"], errors="coerce").to_numpy(dtype="float64")
    den = pd.to_numeric(table["denominator"], errors="coerce").to_numpy(dtype="float64")
    low = (
        pd.to_numeric(table["value_low"], errors="coerce").to_numpy(dtype="float64")
        if "value_low" in table
        else np.full(n, np.nan)
    )
    out[np.isnan(value) & np.isnan(low)] = NO_DATA
    out[ratios & (den == 0)] = NOT_APPLICABLE
    if hide is not None:
        small = counts & (value >= 1) & (value <= threshold - 1)
        if marked is not None:
            small &= marked
        out[hide] = PROTECTED
        out[hide & small] = SMALL
    return out
