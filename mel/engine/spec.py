"""A run, specified once: the project as declared and as this run reports it, its calendars,
the resolved period, the countries, the as-of date, the edition and the language.

``mel compute``, ``mel report``, ``mel explain`` and future exports build one :class:`RunSpec`
and hand it down; the period is resolved and the project truncated exactly once, here.

Two ways to name periods, kept apart on purpose: ``period`` is the reporting period a report
runs *to* (the project as it stood at that period's end: later periods do not exist and records
dated later are left out); ``periods`` are the rows ``mel compute --period`` keeps of the whole
project's table (nothing is recomputed as of an earlier date).
"""

from __future__ import annotations

import copy
import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mel.engine.periods import Calendar, months, period_from_label
from mel.errors import DefinitionError, Finding, UsageError
from mel.errors import unknown as unknown_name

if TYPE_CHECKING:
    from mel.definitions.project import ProjectBundle


@dataclass(frozen=True)
class RunSpec:
    """Everything one run needs to know before it reads a record."""

    bundle: ProjectBundle  # the project as declared
    reported: ProjectBundle  # the bundle as this run computes it (ending with ``period``)
    calendar: Calendar  # the reported project's periods
    full_calendar: Calendar  # the declared project's periods
    as_of: dt.date | None = None
    internal: bool = False
    language: str = "en"
    period: str | None = None  # the reporting period the run reports to
    periods: tuple[str, ...] = ()  # the rows kept (``mel compute --period``)
    countries: tuple[str, ...] = ()  # the countries kept (all when empty)
    published: tuple = ()  # earlier donor outputs suppression must stay consistent with

    @property
    def project(self):
        """The project as reported."""
        return self.reported.project

    @classmethod
    def build(
        cls,
        bundle,
        *,
        period: str | None = None,
        latest: bool = False,
        periods: list[str] | None = None,
        countries: list[str] | None = None,
        as_of: dt.date | None = None,
        internal: bool = False,
        language: str | None = None,
        published: list | tuple = (),
    ) -> RunSpec:
        """Resolve and check a run's options against the project; every wrong option is a
        usage error before any record is read. ``latest``: no ``period`` given means the last
        reporting period ended by ``as_of``."""
        project = bundle.project
        check_as_of(project, as_of)
        full = Calendar.of(project)
        if period is None and latest:
            period = last_period(project, as_of or dt.date.today(), full)
        reported = truncated(bundle, period, full) if period is not None else bundle
        calendar = Calendar.of(reported.project) if period is not None else full
        for country in countries or []:
            if country not in project.countries:
                raise unknown_name(
                    "country",
                    country,
                    f"one of the project's countries ({', '.join(project.countries)})",
                    project.countries,
                    quote=False,
                )
        check_target_periods(reported.targets, calendar)
        for label in periods or []:  # a wrong --period is said before minutes of computing
            calendar.find(label)
        return cls(
            bundle=bundle,
            reported=reported,
            calendar=calendar,
            full_calendar=full,
            as_of=as_of,
            internal=internal,
            language=str(language or project.language),
            period=period,
            periods=tuple(periods or ()),
            countries=tuple(countries or ()),
            published=tuple(published),
        )


def check_as_of(project, as_of: dt.date | None) -> None:
    """--as-of before the project's start would report on nothing."""
    if as_of is not None and as_of < project.start:
        raise UsageError(
            f"--as-of {as_of} is before the project's start ({project.start}): no record "
            "can be reported as of that day; give a later date"
        )


def last_period(project, as_of: dt.date, calendar: Calendar | None = None) -> str:
    """The last reporting period that ended on or before ``as_of``; a usage error when none
    has (a report of a period still running would be incomplete)."""
    check_as_of(project, as_of)
    calendar = calendar or Calendar.of(project)
    ended = [p for p in calendar.periods if p.end <= as_of]
    if not ended:
        first = calendar.periods[0]
        raise UsageError(
            f"no reporting period of this project has ended by {as_of} (the first, "
            f"{first.label}, {months(first)}, ends on {first.end}); give the period with "
            f"--period, e.g. --period {first.label}"
        )
    return ended[-1].label


def truncated(bundle, label: str, calendar: Calendar | None = None):
    """The bundle with the project ending at the end of the period ``label``; targets of
    periods after it are dropped (LoP targets stay: they are what the project aims for)."""
    project = bundle.project
    calendar = calendar or Calendar.of(project)
    end = min(project.end, calendar.find(label, lop=False).end)
    new_project = project.model_copy(update={"end": end})
    new_cal = Calendar.of(new_project)
    labels = {p.label for p in new_cal.all_periods}
    out = copy.copy(bundle)
    out.project = new_project
    out.targets = []
    for lt in bundle.targets:
        if lt.target.period in labels:
            out.targets.append(lt)
            continue
        try:  # a period of the original calendar that ends later: not part of this report
            period_from_label(lt.target.period, calendar.fy_start, calendar.start, calendar.end)
        except ValueError:
            out.targets.append(lt)  # a wrong label: let check_target_periods report it
    return out


def check_target_periods(targets: list, calendar: Calendar) -> None:
    """Every target names a period of the project's calendar (or LoP)."""
    labels = {p.label for p in calendar.all_periods}
    findings = []
    for lt in targets:
        label = lt.target.period
        if label in labels:
            continue
        try:
            period_from_label(label, calendar.fy_start, calendar.start, calendar.end)
            reason = f"period '{label}' is outside the project ({calendar.start} to {calendar.end})"
            hint = None
        except ValueError as exc:
            reason = f"period '{label}' is not a reporting period of this project"
            hint = str(exc).split(": ", 1)[-1]
        findings.append(
            Finding(
                "bad-cell",
                reason,
                file=lt.file,
                line=lt.line,
                field="period",
                scope="cell",
                value=label,
                hint=hint,
            )
        )
    if findings:
        raise DefinitionError(findings)
