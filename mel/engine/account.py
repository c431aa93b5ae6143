"""The account of every record: for each dataset the selected indicators read, how many rows
were read, how many the indicators can use, and how many were left out and why (with example
row numbers), before any indicator's own filter.

A row is *used* when at least one indicator can place it in a country and a period of the
project. A row none can place is left out for the first reason that applies: it failed
validation, its key repeats an earlier row's, the file lacks the date or country column, it
has no date, it is dated outside the project, or its country is not one of the project's. A row
without a value in an optional date column (a case not yet closed, read through
``closure_date``) is *not dated*: not a loss, it has not happened.

A dataset that loses all its rows, or more than ``quality.max_left_out`` percent of them, for
these reasons raises an alarm: the commands print it and exit 1 unless the user accepts it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from mel.definitions.models import Indicator
from mel.engine.periods import Calendar
from mel.engine.prepare import SourceData, placement
from mel.engine.results import REASONS
from mel.filters import columns_of, parse

# reasons a row is lost, in the order they are checked
LOSS_REASONS = ("invalid", "duplicate", "no_column", "no_date", "outside", "country")
NOT_DATED = "not_dated"
LATER = "later"  # dated after the reported period, within the project: for later reports
EXAMPLES = 5


@dataclass
class Loss:
    reason: str  # a key of REASONS
    rows: int
    examples: list[int]  # the first row numbers
    detail: str = ""  # e.g. which column is missing

    @property
    def text(self) -> str:
        return REASONS[self.reason] + (f" ({self.detail})" if self.detail else "")


@dataclass
class MissingColumn:
    """A column the indicators read that the file does not have."""

    column: str
    role: str  # "disaggregation", "measure", "filter", "date", "country"
    indicators: list[str]

    @property
    def effect(self) -> str:
        return {
            "disaggregation": "every record falls in 'Unknown'",
            "measure": "the indicator has no value",
            "filter": "the filter is unknown for every record: none is counted",
            "date": "no record can be placed in a period",
            "country": "no record can be placed in a country",
        }[self.role]


@dataclass
class DatasetAccount:
    dataset: str
    file: str
    indicators: list[str]
    read: int
    used: int
    losses: list[Loss] = field(default_factory=list)
    not_dated: int = 0
    later: int = 0  # dated after the reported period (within the project)
    notes: list[str] = field(default_factory=list)  # e.g. country codes converted
    converted: dict = field(default_factory=dict)  # column -> {value written: project code}
    national: list[str] = field(default_factory=list)  # geography columns the template lacks
    missing_columns: list[MissingColumn] = field(default_factory=list)

    @property
    def left_out(self) -> int:
        return sum(loss.rows for loss in self.losses)

    @property
    def share_left_out(self) -> float:
        return self.left_out / self.read if self.read else 0.0


@dataclass
class Alarm:
    """A dataset that lost too many of its rows."""

    account: DatasetAccount
    limit: float  # percent

    @property
    def text(self) -> str:
        a = self.account
        every = a.used == 0 and a.read > 0
        head = (
            f"{a.dataset} ({a.file}): all {a.read:,} rows were left out"
            if every
            else f"{a.dataset} ({a.file}): {a.left_out:,} of {a.read:,} rows "
            f"({a.share_left_out:.0%}) were left out, more than the {self.limit:g}% allowed"
        )
        lines = [head]
        for loss in a.losses:
            rows = ", ".join(str(r) for r in loss.examples)
            more = " ..." if loss.rows > len(loss.examples) else ""
            lines.append(f"  {loss.rows:,} {loss.text}: rows {rows}{more}")
        lines.append(f"  read by {', '.join(a.indicators)}")
        return "\n".join(lines)


def _filter_columns(text: str | None) -> set[str]:
    return {c.name for c in columns_of(parse(text))} if text else set()


def _reads(indicators: Iterable[Indicator]):
    """dataset -> {(date column, geography)}, {column: (role, [indicator ids])}, [ids]."""
    placements: dict[str, dict[tuple[str, str], None]] = {}
    columns: dict[str, dict[str, tuple[str, list[str]]]] = {}
    readers: dict[str, list[str]] = {}

    def note(dataset: str, column: str, role: str, ind: str) -> None:
        _, ids = columns.setdefault(dataset, {}).setdefault(column, (role, []))
        if ind not in ids:
            ids.append(ind)

    for ind in indicators:
        for _, m in ind.measure.parts():
            dataset = m.dataset or ind.dataset
            date = m.date or ind.date
            placements.setdefault(dataset, {})[(date, ind.geography)] = None
            if ind.id not in readers.setdefault(dataset, []):
                readers[dataset].append(ind.id)
            note(dataset, date, "date", ind.id)
            note(dataset, ind.geography, "country", ind.id)
            if m.measured:
                note(dataset, m.measured, "measure", ind.id)
            for c in _filter_columns(m.where):
                note(dataset, c, "filter", ind.id)
            if dataset == ind.dataset:
                for c in _filter_columns(ind.where):
                    note(dataset, c, "filter", ind.id)
                for d in ind.disaggregations:
                    note(dataset, d.column, "disaggregation", ind.id)
    return placements, columns, readers


def account(
    indicators: list[Indicator],
    sources: dict[str, SourceData],
    calendar: Calendar,
    countries: list[str],
    cache: dict | None = None,
    project_end=None,
    root=None,
) -> list[DatasetAccount]:
    """The account of each dataset the indicators read (in the order they first read it).
    ``cache``: the engine's, so that records are placed once for both. ``project_end``: the
    project's own end when the calendar ends earlier (a report for a period): records dated
    between the two belong to later reports and are not lost. ``root``: the project folder,
    to show files by their path in it."""
    from mel.definitions.yamlio import display_path

    prefix = display_path(root).rstrip("/") + "/" if root is not None else None
    placements, columns, readers = _reads(indicators)
    out = []
    for name, pairs in placements.items():
        src = sources.get(name)
        if src is None:
            continue
        n = len(src.frame)
        used, first, converted, national = _placed(
            src, pairs, calendar, countries, cache, project_end
        )
        missing = [
            MissingColumn(col, role, ids)
            for col, (role, ids) in columns.get(name, {}).items()
            if col in src.template.column_names and not src.has(col)
        ]
        losses = []
        for reason in LOSS_REASONS:
            hit = np.flatnonzero(first == reason)
            if len(hit):
                detail = ""
                if reason == "no_column":
                    detail = ", ".join(
                        f"'{m.column}'" for m in missing if m.role in ("date", "country")
                    )
                losses.append(
                    Loss(reason, len(hit), [int(x) for x in src.rows[hit[:EXAMPLES]]], detail)
                )
        out.append(
            DatasetAccount(
                dataset=name,
                file=src.file.removeprefix(prefix) if prefix else src.file,
                indicators=readers[name],
                read=n,
                used=int(used.sum()),
                losses=losses,
                not_dated=int((first == NOT_DATED).sum()),
                later=int((first == LATER).sum()),
                notes=[_conversion_note(col, conv) for col, conv in converted.items()]
                + [
                    f"the template has no '{col}' column: its records are counted for all "
                    "countries together (ALL), none per country"
                    for col in sorted(national)
                ],
                converted=dict(converted),
                national=sorted(national),
                missing_columns=missing,
            )
        )
    return out


def _placed(src: SourceData, pairs, calendar: Calendar, countries, cache, project_end):
    """(used: bool per record, first: why each unused record is left out, geography
    conversions made, geography columns the template lacks) over every way the indicators
    place the dataset's records (a record is used when any of them uses it)."""
    n = len(src.frame)
    # placements through a required date column first: their reasons are the real ones
    ordered = sorted(
        pairs,
        key=lambda p: not ((spec := src.template.column(p[0])) is not None and spec.required),
    )
    reasons = []
    optional = []
    dates = None
    converted: dict[str, dict[str, str]] = {}
    national: set[str] = set()
    for date, geo in ordered:
        placed = placement(src, date, geo, calendar, countries, cache)
        reasons.append(placed.reason)
        if src.template.column(geo) is None:
            national.add(geo)
        for value, code in placed.converted.items():
            converted.setdefault(geo, {})[value] = code
        dates = placed.dates if dates is None else dates
        spec = src.template.column(date)
        optional.append(spec is None or not spec.required)
    used = np.zeros(n, dtype=bool)
    for r in reasons:
        used |= r == ""
    first = reasons[0].copy() if reasons else np.full(n, "", dtype=object)
    if optional and optional[0]:  # read only through optional dates: blank means not yet
        first[first == "no_date"] = NOT_DATED
    if project_end is not None and dates is not None and project_end > calendar.end:
        after = (dates > np.datetime64(calendar.end)) & (dates <= np.datetime64(project_end))
        first[(first == "outside") & after] = LATER
    first[used] = ""
    return used, first, converted, national


def conversions_text(converted: dict[str, str]) -> str:
    """The first conversions of a geography column, 'Sudan -> SDN, ...'."""
    shown = ", ".join(f"{v} -> {c}" for v, c in sorted(converted.items())[:6])
    return shown + (", ..." if len(converted) > 6 else "")


def _conversion_note(column: str, converted: dict[str, str]) -> str:
    text = conversions_text(converted)
    return f"'{column}' names countries another way; read as the project's codes: {text}"


def alarms(accounts: list[DatasetAccount], limit: float) -> list[Alarm]:
    """The datasets that lost all their rows, or more than ``limit`` percent of them."""
    return [
        Alarm(a, limit)
        for a in accounts
        if a.left_out and (a.used == 0 or a.share_left_out * 100 > limit)
    ]
