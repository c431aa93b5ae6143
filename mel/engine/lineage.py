"""Lineage: which records make a reported value, and which were left out and why.

The rows are selected with the same preparation as the computation (same filters, dates,
exclusions), so that the distinct keys of the numerator rows are the numerator (for a distinct
count), the number of rows is the value (for a count), and so on.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from mel.engine.compute import compute_indicator
from mel.engine.cumulate import in_period
from mel.engine.kernels import in_category
from mel.engine.periods import unknown_period
from mel.engine.prepare import disaggregations_of, measure_parts, prepare_measure, sources_from
from mel.engine.results import ALL, LOP, REASONS, TOTAL
from mel.engine.spec import RunSpec
from mel.errors import UsageError, unknown


@dataclass
class PartRows:
    part: str  # value, numerator or denominator
    dataset: str
    file: str
    key: str  # the column that identifies what is counted
    rows: pd.DataFrame  # row, key
    counted: float  # what the part counts: distinct keys or rows (or NaN for sum/mean)


@dataclass
class Explanation:
    indicator: str
    country: str
    period: str
    disaggregation: str
    category: str
    cell: dict
    parts: list[PartRows]
    excluded: pd.DataFrame  # dataset, file, row, reason


def explain(
    bundle,
    indicator: str,
    *,
    country: str = ALL,
    period: str = LOP,
    disaggregation: str = TOTAL,
    category: str = TOTAL,
    as_of: dt.date | None = None,
    sources: dict | None = None,
) -> Explanation:
    """The rows behind one cell. ``bundle``: the project, or a run of it
    (:class:`~mel.engine.spec.RunSpec`); ``sources`` (from :func:`sources_from`) saves validating
    the project again when several cells are explained."""
    from mel.data.validate import validate_project

    spec = bundle if isinstance(bundle, RunSpec) else RunSpec.build(bundle, as_of=as_of)
    bundle, as_of = spec.reported, spec.as_of
    project = bundle.project
    inds = {i.id: i for i in bundle.indicators}
    if indicator not in inds:
        raise unknown("indicator", indicator, "computed for this project", inds)
    ind = inds[indicator]
    if country != ALL and country not in project.countries:
        raise UsageError(
            f"country '{country}' is not one of the project's countries "
            f"({', '.join(project.countries)}, or ALL)"
        )
    calendar = spec.calendar
    periods = {p.label: p for p in calendar.all_periods}
    if period not in periods:
        raise unknown_period(period, calendar, periods)
    disaggs = {d.column: d for d in ind.disaggregations}
    if disaggregation and disaggregation not in disaggs:
        raise UsageError(
            f"{indicator} has no disaggregation '{disaggregation}' "
            f"(it has: {', '.join(disaggs) or 'none'})"
        )
    if bool(disaggregation) != bool(category):
        raise UsageError("give --disaggregation and --category together")
    if sources is None:
        sources = sources_from(validate_project(bundle, as_of=as_of))
    cells, _ = compute_indicator(ind, sources, project, bundle.catalog, calendar=calendar)
    sel = cells[
        (cells["country"] == country)
        & (cells["period"] == period)
        & (cells["disaggregation"] == disaggregation)
        & (cells["category"] == category)
    ]
    if sel.empty:
        known = sorted(cells.loc[cells["disaggregation"] == disaggregation, "category"].unique())
        raise UsageError(
            f"'{category}' is not a category of {disaggregation} (categories: {', '.join(known)})"
        )
    cell = sel.iloc[0].to_dict()
    p = periods[period]
    parts: list[PartRows] = []
    excluded = []
    all_disaggs = disaggregations_of(ind, sources[ind.dataset], bundle.catalog)
    for name, m in measure_parts(ind):
        src, prepared, _ = prepare_measure(
            ind, m, sources, calendar, list(project.countries), all_disaggs
        )
        rec = prepared.records
        keep = np.ones(len(rec), dtype=bool)
        if country != ALL:
            keep &= (rec["_geo"] == country).to_numpy()
        cumulation = "cumulative" if m.shape == "milestone" else ind.cumulation
        keep &= in_period(rec, p, cumulation, calendar, stock=prepared.stock)
        codes = {d.column: d.codes for d in all_disaggs}
        if disaggregation and disaggregation in rec.columns:
            keep &= in_category(
                rec,
                disaggregation,
                category,
                disaggs[disaggregation].multi_response,
                codes.get(disaggregation),
            )
        key = m.measured or (src.template.key[0] if src.template.key else None)
        rows = rec.loc[keep, ["_row", *([key] if key else [])]].rename(columns={"_row": "row"})
        if m.type == "count_distinct":
            counted = float(rows[key].nunique())
        elif m.type == "count":
            counted = float(len(rows))
        else:
            counted = float("nan")
        parts.append(
            PartRows(name, src.name, src.file, key or "", rows.reset_index(drop=True), counted)
        )
        ex = prepared.excluded
        mask = np.ones(len(ex), dtype=bool)
        if country != ALL:
            mask &= (ex["_geo"] == country).to_numpy()
        dated = ex["_date"].notna().to_numpy()
        in_window = (
            (ex["_date"] >= pd.Timestamp(p.start)) & (ex["_date"] <= pd.Timestamp(p.end))
        ).to_numpy(dtype=bool)
        mask &= ~dated | in_window
        excluded.append(
            pd.DataFrame(
                {
                    "dataset": src.name,
                    "file": src.file,
                    "row": ex.loc[mask, "_row"].to_numpy(),
                    "reason": ex.loc[mask, "_reason"].map(REASONS).to_numpy(),
                }
            )
        )
    excl = (
        pd.concat(excluded, ignore_index=True).drop_duplicates()
        if excluded
        else pd.DataFrame(columns=["dataset", "file", "row", "reason"])
    )
    return Explanation(indicator, country, period, disaggregation, category, cell, parts, excl)
