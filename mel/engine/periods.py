"""Reporting periods: placing records in months, quarters, half-years, years (calendar or fiscal,
any start month) and the life of project (LoP).

A fiscal year is named after the calendar year in which it ends (the US convention): with a
fiscal year starting in October, FY2024 runs from 2023-10-01 to 2024-09-30 and FY2024-Q1 is
October-December 2023. With ``fiscal_year_start = 1`` periods are calendar periods (``2024-Q1``).
Months are always calendar months (``2024-07``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from mel.definitions.models import Project
from mel.definitions.periods import PeriodLabel, parse_period_label
from mel.definitions.words import LOP
from mel.errors import UsageError, did_you_mean

KIND_MONTHS = {"month": 1, "quarter": 3, "half": 6, "year": 12}


@dataclass(frozen=True)
class Period:
    label: str
    kind: str  # month, quarter, half, year, lop
    start: dt.date
    end: dt.date  # inclusive

    def contains(self, day: dt.date) -> bool:
        return self.start <= day <= self.end


def _add_months(year: int, month: int, n: int) -> tuple[int, int]:
    k = year * 12 + (month - 1) + n
    return k // 12, k % 12 + 1


def _month_end(year: int, month: int) -> dt.date:
    y, m = _add_months(year, month, 1)
    return dt.date(y, m, 1) - dt.timedelta(days=1)


def period_of(day: dt.date, kind: str, fy_start: int = 1) -> Period:
    """The period of ``kind`` that contains ``day``."""
    if kind == "month":
        return Period(
            f"{day.year}-{day.month:02d}",
            "month",
            dt.date(day.year, day.month, 1),
            _month_end(day.year, day.month),
        )
    size = KIND_MONTHS[kind]
    fiscal = fy_start != 1
    # months since the start of the (fiscal) year containing `day`
    offset = (day.month - fy_start) % 12
    start_year, start_month = _add_months(day.year, day.month, -offset)
    fy = start_year + (1 if fiscal else 0)
    index = offset // size + 1
    p_year, p_month = _add_months(start_year, start_month, (index - 1) * size)
    end_year, end_month = _add_months(p_year, p_month, size - 1)
    prefix = f"FY{fy}" if fiscal else f"{fy}"
    label = {"quarter": f"{prefix}-Q{index}", "half": f"{prefix}-H{index}", "year": prefix}[kind]
    return Period(label, kind, dt.date(p_year, p_month, 1), _month_end(end_year, end_month))


def periods_between(start: dt.date, end: dt.date, kind: str, fy_start: int = 1) -> list[Period]:
    """Every period of ``kind`` that overlaps [start, end], in order."""
    if kind == "lop":
        return [Period(LOP, "lop", start, end)]
    out: list[Period] = []
    day = start
    while day <= end:
        p = period_of(day, kind, fy_start)
        out.append(p)
        day = p.end + dt.timedelta(days=1)
    return out


def period_from_label(
    label: str, fy_start: int, project_start: dt.date, project_end: dt.date
) -> Period:
    """The period a label names, in the project's calendar. Raises ValueError if the label's
    kind of year (fiscal or calendar) does not match the project's."""
    lab: PeriodLabel = parse_period_label(label)
    if lab.kind == "lop":
        return Period(LOP, "lop", project_start, project_end)
    assert lab.year is not None  # every label but LoP names its year
    if lab.kind == "month":
        assert lab.index is not None  # a month label names its month
        return period_of(dt.date(lab.year, lab.index, 1), "month", fy_start)
    fiscal = fy_start != 1
    if lab.fiscal != fiscal:
        want = "FY2024-Q1" if fiscal else "2024-Q1"
        raise ValueError(
            f"'{label}': this project reports in {'fiscal' if fiscal else 'calendar'}"
            f" periods, written like {want}"
        )
    size = KIND_MONTHS[lab.kind]
    first_year = lab.year - (1 if fiscal else 0)
    y, m = _add_months(first_year, fy_start, ((lab.index or 1) - 1) * size)
    return period_of(dt.date(y, m, 1), lab.kind, fy_start)


def assign(dates: pd.Series, kind: str, fy_start: int = 1) -> pd.Series:
    """The label of the period of each date (vectorised); missing dates give missing labels.

    Labels are computed once per distinct date (a few thousand for millions of records)."""
    dates = pd.to_datetime(dates)
    codes, uniques = pd.factorize(dates, use_na_sentinel=True)
    labels = _assign(pd.Series(uniques), kind, fy_start).to_numpy(dtype=object)
    out = np.where(codes >= 0, labels[np.maximum(codes, 0)] if len(labels) else None, None)
    return pd.Series(out, index=dates.index).astype("str")


def assign_categorical(dates: pd.Series, kind: str, fy_start: int = 1) -> pd.Categorical:
    """:func:`assign` as a categorical (missing dates: missing), without a text label per
    record: labels are made per distinct date and the records keep integer codes."""
    dates = pd.to_datetime(dates)
    codes, uniques = pd.factorize(dates, use_na_sentinel=True)
    if not len(uniques):
        return pd.Categorical.from_codes(
            np.full(len(codes), -1, dtype=np.int8), categories=pd.Index([], dtype="str")
        )
    labels = _assign(pd.Series(uniques), kind, fy_start).to_numpy(dtype=object)
    label_codes, label_uniques = pd.factorize(labels)
    out = np.where(codes >= 0, label_codes[np.maximum(codes, 0)], -1)
    return pd.Categorical.from_codes(out, categories=pd.Index(label_uniques, dtype="str"))


def _assign(dates: pd.Series, kind: str, fy_start: int = 1) -> pd.Series:
    d = pd.to_datetime(dates)
    year = d.dt.year.to_numpy(dtype="float64")
    month = d.dt.month.to_numpy(dtype="float64")
    missing = np.isnan(year)
    year = np.where(missing, 2000, year).astype(np.int64)
    month = np.where(missing, 1, month).astype(np.int64)
    if kind == "month":
        labels = np.char.add(
            np.char.add(year.astype(str), "-"), np.char.zfill(month.astype(str), 2)
        )
    elif kind == "lop":
        labels = np.full(len(d), LOP)
    else:
        size = KIND_MONTHS[kind]
        fiscal = fy_start != 1
        offset = (month - fy_start) % 12
        # the calendar year in which the (fiscal) year containing the date started
        start_year = np.where(month - offset < 1, year - 1, year)
        fy = start_year + (1 if fiscal else 0)
        index = offset // size + 1
        prefix = np.char.add("FY" if fiscal else "", fy.astype(str))
        if kind == "year":
            labels = prefix
        else:
            letter = {"quarter": "-Q", "half": "-H"}[kind]
            labels = np.char.add(np.char.add(prefix, letter), index.astype(str))
    out = pd.Series(labels.astype(object), index=dates.index)
    out[missing] = None
    return out.astype("str")


MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


def months(period: Period) -> str:
    """The months a period covers, e.g. 'July-September 2025', 'October 2024-September 2025'."""
    a, b = period.start, period.end
    if (a.year, a.month) == (b.year, b.month):
        return f"{MONTHS[a.month - 1]} {a.year}"
    if a.year == b.year:
        return f"{MONTHS[a.month - 1]}-{MONTHS[b.month - 1]} {a.year}"
    return f"{MONTHS[a.month - 1]} {a.year}-{MONTHS[b.month - 1]} {b.year}"


@dataclass
class Calendar:
    """The project's periods: its reporting periods, its years (unless the reporting period is
    the year) and the life of project."""

    start: dt.date
    end: dt.date
    kind: str
    fy_start: int
    periods: list[Period]
    years: list[Period]

    @classmethod
    def of(cls, project: Project) -> Calendar:
        kind, fy = project.reporting.period, project.reporting.fiscal_year_start
        periods = periods_between(project.start, project.end, kind, fy)
        years = [] if kind == "year" else periods_between(project.start, project.end, "year", fy)
        return cls(project.start, project.end, kind, fy, periods, years)

    @property
    def lop(self) -> Period:
        return Period(LOP, "lop", self.start, self.end)

    @property
    def all_periods(self) -> list[Period]:
        return [*self.periods, *self.years, self.lop]

    def find(self, label: str, *, lop: bool = True) -> Period:
        """The period called ``label`` (a reporting period, a year, or LoP unless ``lop`` is
        false); the one "not a period of this project" error otherwise."""
        known = {p.label: p for p in (self.all_periods if lop else [*self.periods, *self.years])}
        if label not in known:
            raise unknown_period(label, self, known)
        return known[label]


def unknown_period(label: str, calendar: Calendar, known: dict) -> UsageError:
    """The error for a period label that is not one of the project's, with the period the user
    most likely meant and the months it covers."""
    if not label.strip():
        return UsageError(
            f"--period is empty; give a period of this project, e.g. {calendar.periods[-1].label}"
        )
    meant = None
    try:  # the same months, named in the other kind of year (2025-Q4 for FY2026-Q1)
        other = period_from_label(label, 1, calendar.start, calendar.end)
        if not label.startswith("FY") and calendar.fy_start != 1:
            same = period_of(other.start, other.kind, calendar.fy_start)
            if same.label in known:
                meant = (
                    f"{label} is {months(other)}, which this project, with fiscal years "
                    f"starting in {MONTHS[calendar.fy_start - 1]}, calls {same.label}"
                )
    except ValueError:
        pass
    if meant is None:
        guess = did_you_mean(label, known)
        if guess:
            meant = f"did you mean {guess} ({months(known[guess])})?"
        else:
            last = calendar.periods[-1]
            meant = f"its periods are like {last.label} ({months(last)})"
    return UsageError(f"period '{label}' is not a reporting period of this project; {meant}")
