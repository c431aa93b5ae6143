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
from mel.engine.prepare import disaggregations_of, prepare_measure, sources_from
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
    bundle = spec.reported
    ind = _check_cell(spec, indicator, country, period, disaggregation, category)
    project, calendar = bundle.project, spec.calendar
    if sources is None:
        sources = sources_from(validate_project(bundle, as_of=spec.as_of))
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
    p = calendar.find(period)
    parts: list[PartRows] = []
    excluded = []
    all_disaggs = disaggregations_of(ind, sources[ind.dataset], bundle.catalog)
    for name, m in ind.measure.parts():
        src, prepared, _ = prepare_measure(
            ind, m, sources, calendar, list(project.countries), all_disaggs
        )
        rec = prepared.records
        keep = np.ones(len(rec), dtype=bool)
        if country != ALL:
            keep &= (rec["_geo"] == country).to_numpy()
        cumulation = "cumulative" if m.shape == "milestone" else ind.cumulation
        keep &= in_period(rec, p, cumulation, calendar, stock=prepared.stock)
        if disaggregation and disaggregation in rec.columns:
            d = next(d for d in all_disaggs if d.column == disaggregation)
            keep &= in_category(rec, disaggregation, category, d.multi, d.codes)
        parts.append(_part_rows(name, m, src, rec[keep]))
        excluded.append(_left_out(prepared.excluded, src, country, p))
    excl = (
        pd.concat(excluded, ignore_index=True).drop_duplicates()
        if excluded
        else pd.DataFrame(columns=["dataset", "file", "row", "reason"])
    )
    cell = sel.iloc[0].to_dict()
    return Explanation(indicator, country, period, disaggregation, category, cell, parts, excl)


def _check_cell(spec: RunSpec, indicator, country, period, disaggregation, category):
    """The indicator asked about; a usage error for any name that is not the project's."""
    bundle = spec.reported
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
    spec.calendar.find(period)
    disaggs = {d.column: d for d in ind.disaggregations}
    if disaggregation and disaggregation not in disaggs:
        raise UsageError(
            f"{indicator} has no disaggregation '{disaggregation}' "
            f"(it has: {', '.join(disaggs) or 'none'})"
        )
    if bool(disaggregation) != bool(category):
        raise UsageError("give --disaggregation and --category together")
    return ind


def _part_rows(name: str, m, src, rec: pd.DataFrame) -> PartRows:
    """The rows one part of the value counts, by the key they count (or the dataset's key)."""
    key = m.measured or (src.template.key[0] if src.template.key else None)
    rows = rec[["_row", *([key] if key else [])]].rename(columns={"_row": "row"})
    if m.type == "count_distinct":
        counted = float(rows[key].nunique())
    elif m.type == "count":
        counted = float(len(rows))
    else:
        counted = float("nan")
    return PartRows(name, src.name, src.file, key or "", rows.reset_index(drop=True), counted)


def _left_out(ex: pd.DataFrame, src, country: str, p) -> pd.DataFrame:
    """The rows a part left out in this country and period (undated ones too), with why."""
    mask = np.ones(len(ex), dtype=bool)
    if country != ALL:
        mask &= (ex["_geo"] == country).to_numpy()
    dated = ex["_date"].notna().to_numpy()
    in_window = (
        (ex["_date"] >= pd.Timestamp(p.start)) & (ex["_date"] <= pd.Timestamp(p.end))
    ).to_numpy(dtype=bool)
    mask &= ~dated | in_window
    return pd.DataFrame(
        {
            "dataset": src.name,
            "file": src.file,
            "row": ex.loc[mask, "_row"].to_numpy(),
            "reason": ex.loc[mask, "_reason"].map(REASONS).to_numpy(),
        }
    )
