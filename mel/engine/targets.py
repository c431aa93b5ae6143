"""Targets, baselines, achievement and status.

* % of target for an *increase* indicator: actual / target x 100.
* For a *decrease* indicator: (baseline - actual) / (baseline - target) x 100, the share of the
  planned reduction achieved.
* Distinct outcomes, never shown as 0 or as off track: ``no data`` (no value), ``no target``,
  ``target is 0`` (an increase indicator: no percentage exists), ``target equals baseline`` and
  ``no baseline`` (a decrease indicator: no reduction was planned, or none can be measured).
* Yes/no (milestone) targets: ``achieved`` or ``not achieved``.
* Otherwise the status is the first configured band whose minimum the % of target reaches.

A ``change_from_baseline`` indicator's value is the change of its measure against the cell's
baseline (in percent of the baseline, or in units); the measured value moves to ``numerator``,
and the target is a change too (20 for "20% increase", -20 for "20% decrease"), so the
achievement is computed against a baseline change of 0.

Targets apply to totals (not to categories). A target for a period in the targets file is
matched by its label (``FY2024-Q1``, ``FY2024``, ``LoP``); the baseline of a cell is its own
row's baseline, or else the LoP baseline of the same country.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from mel.definitions.models import ChangeFromBaseline, Indicator, Milestone, StatusBand

NO_DATA = "no data"
NO_TARGET = "no target"
TARGET_ZERO = "target is 0"
TARGET_IS_BASELINE = "target equals baseline"
NO_BASELINE = "no baseline"
ACHIEVED = "achieved"
NOT_ACHIEVED = "not achieved"


def _number(v):
    if v is None or isinstance(v, bool):
        return v
    return float(v)


def attach_targets(
    table: pd.DataFrame,
    indicators: dict[str, Indicator],
    targets: list,
    bands: list[StatusBand],
) -> pd.DataFrame:
    """Add target, baseline, pct_of_target and status columns to the result table."""
    by_key = {(t.target.indicator, t.target.country, t.target.period): t.target for t in targets}
    bands = sorted(bands, key=lambda b: b.min, reverse=True)
    out = table.copy()
    target_col, baseline_col, pct_col, status_col = [], [], [], []
    changes: dict[int, tuple] = {}  # row position -> (change, measured value, note)
    for row in out.itertuples(index=False):
        ind = indicators.get(row.indicator)
        t = (
            by_key.get((row.indicator, row.country, row.period))
            if row.disaggregation == ""
            else None
        )
        lop = by_key.get((row.indicator, row.country, "LoP"))
        target = _number(t.target) if t is not None else None
        baseline = (
            _number(t.baseline)
            if t is not None and t.baseline is not None
            else (_number(lop.baseline) if lop is not None and row.disaggregation == "" else None)
        )
        value = row.value
        if ind is not None and isinstance(ind.measure, ChangeFromBaseline):
            value, note = change(row.value, baseline, ind.measure.relative)
            changes[len(target_col)] = (value, row.value, note)
            pct, status = achievement(value, target, 0.0, ind, bands)
        else:
            pct, status = achievement(value, target, baseline, ind, bands)
        if row.disaggregation != "":
            status = ""
        target_col.append(target)
        baseline_col.append(baseline)
        pct_col.append(pct)
        status_col.append(status)
    out["target"] = pd.Series(target_col, index=out.index, dtype=object)
    out["baseline"] = pd.Series(baseline_col, index=out.index, dtype=object)
    out["pct_of_target"] = pd.Series(pct_col, index=out.index, dtype="float64")
    out["status"] = status_col
    if changes:
        pos = np.fromiter(changes, dtype=np.int64)
        values = [changes[i] for i in pos]
        out["value"] = out["value"].astype("float64")
        out.iloc[pos, out.columns.get_loc("numerator")] = [v[1] for v in values]
        out.iloc[pos, out.columns.get_loc("value")] = [v[0] for v in values]
        out.iloc[pos, out.columns.get_loc("note")] = [v[2] for v in values]
    return out


def change(measured, baseline, relative: bool) -> tuple[float, str]:
    """(change against the baseline, note): in percent of the baseline, or in units."""
    if measured is None or (isinstance(measured, float) and np.isnan(measured)):
        return np.nan, "no data"
    if baseline is None or isinstance(baseline, bool):
        return np.nan, "no baseline"
    if relative:
        if baseline == 0:
            return np.nan, "baseline is 0"
        return (measured - baseline) / baseline * 100, ""
    return measured - baseline, ""


def achievement(value, target, baseline, ind: Indicator | None, bands: list[StatusBand]):
    """(% of target or NaN, status) for one cell."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return np.nan, NO_DATA
    if target is None:
        return np.nan, NO_TARGET
    milestone = isinstance(target, bool) or (ind is not None and isinstance(ind.measure, Milestone))
    if milestone:
        done = bool(value) if not isinstance(target, bool) or target else not bool(value)
        return (100.0 if done else 0.0), (ACHIEVED if done else NOT_ACHIEVED)
    direction = ind.direction if ind is not None else "increase"
    if direction == "increase":
        if target == 0:
            return np.nan, TARGET_ZERO
        pct = value / target * 100
    else:
        if baseline is None or isinstance(baseline, bool):
            return np.nan, NO_BASELINE
        if baseline == target:
            return np.nan, TARGET_IS_BASELINE
        pct = (baseline - value) / (baseline - target) * 100
    for band in bands:
        if pct >= band.min:
            return pct, band.status
    return pct, bands[-1].status if bands else ""
