"""Targets, baselines, achievement and status.

* % of target for an *increase* indicator: actual / target x 100.
* For a *decrease* indicator: (baseline - actual) / (baseline - target) x 100, the share of the
  planned reduction achieved (so the same bands judge both directions).
* Distinct outcomes, never shown as 0 or as under target: ``no data`` (no value), ``n/a`` (a
  ratio whose denominator is 0), ``no target``,
  ``target is 0`` (an increase indicator: no percentage exists), ``target equals baseline`` and
  ``no baseline`` (a decrease indicator: no reduction was planned, or none can be measured),
  ``set by country`` (all countries of an indicator whose targets are set per country only).
* Yes/no (milestone) targets: ``achieved``; if not, ``not yet`` while the target's date is ahead
  and ``overdue`` once it has passed.
* Otherwise the status is the first configured band whose minimum the % of target reaches
  (``above``: exceeds). The default bands are TolaData's IPTT ones: within 15% of the target
  ``on track``, more than 15% above ``over-achieved`` (flagged), more than 15% below
  ``under target``.

**Targets at every level.** A target is matched by its period label (``FY2024-Q1``, ``FY2024``,
``LoP``) and country. Where the targets file gives none for all countries, one is derived from the
countries' targets by the indicator's ``all_countries_target`` rule: ``sum`` (the default for
counts and sums) when every country has one; never for ratios, percentages, means, medians,
milestones and changes. A derived target is marked (``target_derived``).

**One status basis per row, stated.** A reporting period's or a year's row is judged on its own
target (a year still running gets no status: its actual is partial). The life-of-project row is
judged *to date*: the actual so far against the target so far (``target_to_date``), which follows
the cumulation mode:

* per period: the sum of the period targets so far (a year's target where its periods have none,
  pro-rated by the year's elapsed reporting periods); without them, the LoP target pro-rated by
  the project's elapsed reporting periods;
* cumulative: the target of the reporting period (or of the year it closes); without one, the LoP
  target pro-rated by elapsed reporting periods;
* latest, and every ratio, percentage, mean, median and change: the reporting period's target,
  or else the LoP target (a level to reach, not pro-rated);
* milestones: the LoP target, ``not yet`` until the project's end.

``to_date_basis`` says which (``period targets``, ``year targets``, ``LoP target pro-rated
(k/n periods)``, ``LoP target``, ``period target``).

A ``change_from_baseline`` indicator's value is the change of its measure against the cell's
baseline (in percent of the baseline, or in units); the measured value moves to ``numerator``,
and the target is a change too (20 for "20% increase", -20 for "20% decrease"), so the
achievement is computed against a baseline change of 0.

Targets apply to totals (not to categories); the baseline of a cell is its own row's baseline,
or else the LoP baseline of the same country.
"""

from __future__ import annotations

from collections import defaultdict, namedtuple
from typing import cast

import numpy as np
import pandas as pd

from mel.definitions.models import (
    ChangeFromBaseline,
    Indicator,
    StatusBand,
)
from mel.engine.results import ALL, LOP

NO_DATA = "no data"
NO_TARGET = "no target"
TARGET_ZERO = "target is 0"
TARGET_IS_BASELINE = "target equals baseline"
NO_BASELINE = "no baseline"
BY_COUNTRY = "set by country"
NOT_APPLICABLE = "n/a"  # a ratio whose denominator is 0: no value can exist
ACHIEVED = "achieved"
NOT_YET = "not yet"
OVERDUE = "overdue"

TARGET_COLUMNS = [
    "target",
    "target_derived",
    "baseline",
    "pct_of_target",
    "status",
    "target_to_date",
    "pct_to_date",
    "to_date_basis",
]


def _number(v):
    if v is None or isinstance(v, bool):
        return v
    return float(v)


def additive(ind: Indicator | None) -> bool:
    """A measure whose countries' values (and targets) add up to all countries'."""
    return ind is not None and ind.measure.additive


def derives_sum(ind: Indicator | None) -> bool:
    if ind is None:
        return False
    rule = ind.all_countries_target
    return additive(ind) if rule is None else rule == "sum"


class _Targets:
    """The targets file as a lookup, with the all-countries targets derived where allowed."""

    def __init__(self, targets: list, indicators: dict[str, Indicator], countries: list[str]):
        self.given = {
            (t.target.indicator, t.target.country, t.target.period): t.target for t in targets
        }
        self.value: dict[tuple, object] = {
            k: _number(t.target) for k, t in self.given.items() if t.target is not None
        }
        self.derived: set[tuple] = set()
        self.by_country: set[tuple] = set()  # (indicator, period) with country targets only
        per_label: dict[tuple, dict[str, object]] = defaultdict(dict)
        for (ind, country, label), v in self.value.items():
            if country != ALL:
                per_label[(ind, label)][country] = v
        for (ind, label), values in per_label.items():
            if (ind, ALL, label) in self.value:
                continue
            if derives_sum(indicators.get(ind)):
                if all(c in values for c in countries):
                    # derives_sum: counts and sums, whose targets are numbers
                    total = sum(cast(float, values[c]) for c in countries)
                    self.value[(ind, ALL, label)] = float(total)
                    self.derived.add((ind, ALL, label))
            else:
                self.by_country.add((ind, label))

    def get(self, ind: str, country: str, label: str):
        return self.value.get((ind, country, label))

    def baseline(self, ind: str, country: str, label: str):
        t = self.given.get((ind, country, label))
        if t is not None and t.baseline is not None:
            return _number(t.baseline)
        lop = self.given.get((ind, country, LOP))
        return _number(lop.baseline) if lop is not None and lop.baseline is not None else None


class _Clock:
    """Where the report stands in the project: the reporting periods elapsed (of the project as
    reported) and all of them (of the project as declared), with their years."""

    def __init__(self, calendar, full):
        self.full_periods = [p.label for p in full.periods]
        self.elapsed = [p.label for p in calendar.periods]
        self.current = self.elapsed[-1] if self.elapsed else None
        self.year_of = {}
        self.periods_of: dict[str, list[str]] = defaultdict(list)
        for p in full.periods:
            for y in full.years:
                if y.start <= p.start <= y.end:
                    self.year_of[p.label] = y.label
                    self.periods_of[y.label].append(p.label)
        self.end = calendar.end
        self.full_end = full.end
        self.year_end = {y.label: y.end for y in full.years}
        self.period_end = {p.label: p.end for p in full.periods}

    @property
    def running_project(self) -> bool:
        return self.end < self.full_end

    def running(self, label: str) -> bool:
        """A year that has not ended by the report's end (its actual is partial)."""
        end = self.year_end.get(label)
        return end is not None and min(end, self.full_end) > self.end


def _to_date(ind: Indicator, country: str, T: _Targets, clock: _Clock):
    """(target to date, basis) for one indicator and country."""
    lop = T.get(ind.id, country, LOP)
    current = clock.current
    if ind.measure.shape == "milestone":
        return lop, "LoP target"
    n, k = len(clock.full_periods), len(clock.elapsed)
    prorated = (
        (float(lop) * k / n, f"LoP target pro-rated ({k}/{n} periods)")
        if lop is not None and n and not isinstance(lop, bool)
        else (None, "")
    )
    if additive(ind) and ind.cumulation == "per_period":
        if not clock.year_of:  # yearly reporting: the periods are the years
            parts = [T.get(ind.id, country, p) for p in clock.elapsed]
            if clock.elapsed and all(v is not None for v in parts):
                return float(sum(parts)), "period targets"
            return prorated
        total, used_year = 0.0, False
        years = list(dict.fromkeys(clock.year_of[p] for p in clock.elapsed))
        for y in years:
            done = [p for p in clock.elapsed if clock.year_of[p] == y]
            parts = [T.get(ind.id, country, p) for p in done]
            if all(v is not None for v in parts):
                total += sum(float(v) for v in parts)
                continue
            ty = T.get(ind.id, country, y)
            if ty is None:
                return prorated
            total += float(ty) * len(done) / len(clock.periods_of[y])
            used_year = True
        return total, "year targets" if used_year else "period targets"
    if additive(ind) and ind.cumulation == "cumulative":
        own = T.get(ind.id, country, current) if current else None
        if own is not None:
            return float(own), "period target"
        year = clock.year_of.get(current) if current else None
        if year is not None and clock.periods_of[year][-1] == current:
            ty = T.get(ind.id, country, year)
            if ty is not None:
                return float(ty), "year target"
        return prorated
    own = T.get(ind.id, country, current) if current else None
    if own is not None:
        return own, "period target"
    return lop, "LoP target" if lop is not None else ""


def attach_targets(
    table: pd.DataFrame,
    indicators: dict[str, Indicator],
    targets: list,
    bands: list[StatusBand],
    calendar=None,
    full_calendar=None,
) -> pd.DataFrame:
    """Add the columns of ``TARGET_COLUMNS`` to the result table. With the project's calendar
    as reported (``calendar``) and as declared (``full_calendar``), the life-of-project rows get
    their target to date and are judged on it."""
    countries = sorted({c for c in table["country"].unique() if c != ALL})
    T = _Targets(targets, indicators, countries)
    clock = _Clock(calendar, full_calendar or calendar) if calendar is not None else None
    bands = ordered_bands(bands)
    out = table.copy()
    cols: dict[str, list] = {c: [] for c in TARGET_COLUMNS}
    changes: dict[int, tuple] = {}  # row position -> (change, measured value, note)
    to_date_cache: dict[tuple, tuple] = {}
    for pos, row in enumerate(_rows(out)):
        ind = indicators.get(row.indicator)
        total = row.disaggregation == ""
        key = (row.indicator, row.country, row.period)
        target = T.get(*key) if total else None
        baseline = T.baseline(*key) if total else None
        value = row.value
        if ind is not None and isinstance(ind.measure, ChangeFromBaseline):
            value, note = change(row.value, baseline, ind.measure.relative)
            changes[pos] = (value, row.value, note)
            against: object = 0.0
        else:
            against = baseline
        pct, status = achievement(value, target, against, ind, bands)
        to_date, pct_to_date, basis = None, np.nan, ""
        if total and clock is not None and ind is not None and row.period == LOP:
            tkey = (row.indicator, row.country)
            if tkey not in to_date_cache:
                to_date_cache[tkey] = _to_date(ind, row.country, T, clock)
            to_date, basis = to_date_cache[tkey]
            pct_to_date, status = achievement(value, to_date, against, ind, bands)
            if ind.measure.shape == "milestone" and status == OVERDUE and clock.running_project:
                status = NOT_YET
        elif (
            total
            and clock is not None
            and row.period in clock.year_end
            and clock.running(row.period)
            and target is not None
        ):
            status = ""  # a year still running: its actual is partial
        if (
            total
            and status == NO_TARGET
            and row.country == ALL
            and (row.indicator, row.period) in T.by_country
        ):
            status = BY_COUNTRY
        if status == NO_DATA and ind is not None and ind.is_ratio and row.denominator == 0:
            status = NOT_APPLICABLE  # no value can exist: not the same as no records
        if not total:
            status = ""
        cols["target"].append(target)
        cols["target_derived"].append(total and key in T.derived)
        cols["baseline"].append(baseline)
        cols["pct_of_target"].append(pct)
        cols["status"].append(status)
        cols["target_to_date"].append(to_date)
        cols["pct_to_date"].append(pct_to_date)
        cols["to_date_basis"].append(basis)
    return _with_columns(out, cols, changes)


_Row = namedtuple("_Row", "indicator country period disaggregation value denominator")


def _rows(table: pd.DataFrame):
    """The rows of the columns ``attach_targets`` reads, each value as ``itertuples`` gives
    it, read column by column (``itertuples`` steps through each Arrow text cell alone: most of
    the loop's time)."""
    return map(_Row._make, zip(*(table[c].tolist() for c in _Row._fields), strict=True))


def _with_columns(out: pd.DataFrame, cols: dict[str, list], changes: dict) -> pd.DataFrame:
    """The result table with the target columns, typed, and each change indicator's row
    showing the change (its measured value kept as the numerator)."""
    for c in ("target", "baseline", "target_to_date"):
        out[c] = pd.Series(cols[c], index=out.index, dtype=object)
    out["target_derived"] = pd.Series(cols["target_derived"], index=out.index, dtype=bool)
    for c in ("pct_of_target", "pct_to_date"):
        out[c] = pd.Series(cols[c], index=out.index, dtype="float64")
    out["status"] = cols["status"]
    out["to_date_basis"] = cols["to_date_basis"]
    if changes:
        at = np.fromiter(changes, dtype=np.int64)
        values = [changes[i] for i in at]
        out["value"] = out["value"].astype("float64")
        out.iloc[at, out.columns.get_loc("numerator")] = [v[1] for v in values]
        out.iloc[at, out.columns.get_loc("value")] = [v[0] for v in values]
        out.iloc[at, out.columns.get_loc("note")] = [v[2] for v in values]
    return out


def ordered_bands(bands: list[StatusBand]) -> list[StatusBand]:
    return sorted(bands, key=lambda b: (b.min, b.above), reverse=True)


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


def band_of(pct: float, bands: list[StatusBand]) -> str:
    """The status of a % of target: the first band (highest first) it reaches."""
    for band in bands:
        if pct > band.min or (pct == band.min and not band.above):
            return band.status
    return bands[-1].status if bands else ""


def achievement(value, target, baseline, ind: Indicator | None, bands: list[StatusBand]):
    """(% of target or NaN, status) for one cell; ``bands`` highest first."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return np.nan, NO_DATA
    if target is None:
        return np.nan, NO_TARGET
    milestone = isinstance(target, bool) or (ind is not None and ind.measure.shape == "milestone")
    if milestone:
        done = bool(value) if not isinstance(target, bool) or target else not bool(value)
        return (100.0 if done else 0.0), (ACHIEVED if done else OVERDUE)
    direction = ind.direction if ind is not None else "increase"
    if direction == "increase":
        if target == 0:
            return np.nan, TARGET_ZERO
        pct = value * 100 / target
    else:
        if baseline is None or isinstance(baseline, bool):
            return np.nan, NO_BASELINE
        if baseline == target:
            return np.nan, TARGET_IS_BASELINE
        pct = (baseline - value) * 100 / (baseline - target)
    return pct, band_of(pct, bands)
