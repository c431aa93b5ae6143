"""From a project to its result table: validate, compute, attach targets, suppress."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd

from mel.data.validate import release_memory
from mel.engine.account import Alarm, DatasetAccount, account, alarms
from mel.engine.compute import compute
from mel.engine.periods import Calendar, months, unknown_period
from mel.engine.prepare import columns_read, sources_from
from mel.engine.results import ALL, is_headline
from mel.engine.suppress import flags, suppress
from mel.engine.targets import attach_targets
from mel.errors import DataError, DefinitionError, Finding, UsageError
from mel.errors import unknown as unknown_name


@dataclass
class Results:
    table: pd.DataFrame
    exclusions: pd.DataFrame
    checks: pd.DataFrame
    internal: bool
    validation_findings: list[Finding] = field(default_factory=list)
    threshold: int = 5
    account: list[DatasetAccount] = field(default_factory=list)
    max_left_out: float = 10
    privacy_notes: list[str] = field(default_factory=list)
    # every value before suppression, for the disclosure audit's truth (tests, benchmarks);
    # never written by any output
    unsuppressed_for_audit: pd.DataFrame | None = field(default=None, repr=False)

    @property
    def alarms(self) -> list[Alarm]:
        """Datasets that lost all their rows, or more than the project allows."""
        return alarms(self.account, self.max_left_out)

    def headline(self) -> pd.DataFrame:
        """One row per indicator: the total for all countries over the life of project."""
        return self.table[is_headline(self.table)]

    @property
    def unread_files(self) -> list[Finding]:
        """Files of the project that could not be read (no indicator computed needs them)."""
        return unread(self.validation_findings)


def unread(findings: list[Finding]) -> list[Finding]:
    """The findings of files that could not be read at all."""
    return [f for f in findings if f.scope == "dataset" and f.severity == "error"]


def years_of(calendar: Calendar) -> dict[str, str]:
    """Reporting period label -> label of the year it belongs to."""
    out = {}
    for p in calendar.periods:
        for y in calendar.years:
            if y.start <= p.start <= y.end:
                out[p.label] = y.label
    return out


def check_target_periods(targets: list, calendar: Calendar) -> None:
    """Every target names a period of the project's calendar (or LoP)."""
    from mel.engine.periods import period_from_label

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


def last_period(project, as_of: dt.date) -> str:
    """The last reporting period that ended on or before ``as_of``; a usage error when none
    has (a report of a period still running would be incomplete)."""
    check_as_of(project, as_of)
    calendar = Calendar.of(project)
    ended = [p for p in calendar.periods if p.end <= as_of]
    if not ended:
        first = calendar.periods[0]
        raise UsageError(
            f"no reporting period of this project has ended by {as_of} (the first, "
            f"{first.label}, {months(first)}, ends on {first.end}); give the period with "
            f"--period, e.g. --period {first.label}"
        )
    return ended[-1].label


def check_as_of(project, as_of: dt.date | None) -> None:
    """--as-of before the project's start would report on nothing."""
    if as_of is not None and as_of < project.start:
        raise UsageError(
            f"--as-of {as_of} is before the project's start ({project.start}): no record "
            "can be reported as of that day; give a later date"
        )


def truncated(bundle, label: str):
    """The bundle with the project ending at the end of the period ``label``; targets of
    periods after it are dropped (LoP targets stay: they are what the project aims for)."""
    import copy

    from mel.engine.periods import period_from_label

    project = bundle.project
    calendar = Calendar.of(project)
    known = {p.label: p for p in [*calendar.periods, *calendar.years]}
    if label not in known:
        raise unknown_period(label, calendar, known)
    end = min(project.end, known[label].end)
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


def run(
    bundle,
    *,
    internal: bool = False,
    countries: list[str] | None = None,
    periods: list[str] | None = None,
    as_of: dt.date | None = None,
    progress: Callable[[str], None] | None = None,
    up_to: str | None = None,
    published: list | None = None,
) -> Results:
    """Validate and compute. ``up_to`` (a reporting period label) computes the project as it
    stood at that period's end: later periods do not exist, the life of project runs to the end
    of that period, and records dated later are left out. ``published``: folders or files of
    earlier donor outputs (beside those of ``privacy.published``) that suppression must stay
    consistent with."""
    from mel.data.validate import validate_project

    check_as_of(bundle.project, as_of)
    project_end = bundle.project.end
    full_calendar = Calendar.of(bundle.project)
    earlier = [] if internal else earlier_publications(bundle, full_calendar, published or [])
    if up_to is not None:
        bundle = truncated(bundle, up_to)
    project = bundle.project
    if countries:
        unknown = [c for c in countries if c not in project.countries]
        if unknown:
            raise unknown_name(
                "country",
                unknown[0],
                f"one of the project's countries ({', '.join(project.countries)})",
                project.countries,
                quote=False,
            )
    check_target_periods(bundle.targets, Calendar.of(project))
    if periods:  # a wrong --period is said before minutes of computing, not after
        calendar = Calendar.of(project)
        known = {p.label: p for p in calendar.all_periods}
        bad = [p for p in periods if p not in known]
        if bad:
            raise unknown_period(bad[0], calendar, known)
    read = columns_read(bundle.indicators)
    validation = validate_project(bundle, as_of=as_of, keep_raw=False, keep_columns=read)
    sources = sources_from(validation)
    findings = validation.findings
    del validation  # the raw text tables are not needed by the engine
    release_memory()
    missing = sorted(set(read) - set(sources))
    if missing:
        unreadable = [f for f in unread(findings) if f.dataset in missing]
        if unreadable:  # the file is named in mel.yaml but cannot be read: say why
            raise DataError(unreadable)
        raise UsageError(
            f"the indicators need the dataset(s) {', '.join(missing)}, which mel.yaml does not "
            "name or which could not be read (see mel validate)"
        )
    indicators = {i.id: i for i in bundle.indicators}
    cache: dict = {}
    table, exclusions, checks = compute(
        bundle.indicators,
        sources,
        project,
        bundle.catalog,
        countries=countries,
        progress=progress,
        cache=cache,
    )
    calendar = Calendar.of(project)
    accounts = account(
        bundle.indicators,
        sources,
        calendar,
        list(project.countries),  # rows of countries left out by --country are not lost
        cache,
        project_end=project_end,
        root=bundle.root,
    )
    del cache
    table = attach_targets(
        table, indicators, bundle.targets, project.status_bands, calendar, full_calendar
    )
    privacy_notes: list[str] = []
    before = table
    if internal:
        table = table.assign(suppressed=False, flag=flags(table, indicators))
    else:
        table = suppress(
            table,
            indicators,
            project.privacy.threshold,
            years_of(full_calendar),
            secondary_suppression=project.privacy.secondary,
            calendar=full_calendar,
            as_of=project.end,
            earlier=earlier,
            notes=privacy_notes,
        )
    if countries:
        table = table[table["country"].isin([*countries, ALL])]
    if periods:
        table = table[table["period"].isin(periods)]
    if up_to is not None:
        exclusions = exclusions.assign(
            reason=exclusions["reason"].replace(
                {
                    "outside the project dates": "outside the project dates or after the "
                    "reporting period"
                }
            )
        )
    return Results(
        table.reset_index(drop=True),
        exclusions,
        checks,
        internal,
        findings,
        project.privacy.threshold,
        accounts,
        project.quality.max_left_out,
        privacy_notes,
        before.reset_index(drop=True),
    )


def earlier_publications(bundle, calendar: Calendar, extra: list) -> list:
    """The donor tables already published (``privacy.published`` and ``extra``), each with the
    date it ran to: the end of the last reporting period it holds."""
    from pathlib import Path

    from mel.data.published import donor_tables
    from mel.engine.disclosure import Publication

    named = [Path(bundle.root) / p for p in bundle.project.privacy.published]
    tables = donor_tables(named, explicit=True) + donor_tables(
        [Path(p) for p in extra if Path(p).exists()], explicit=False
    )
    seen: set = set()
    out = []
    base = {p.label: p for p in calendar.periods}
    for path, table in tables:
        real = Path(path).resolve()
        if real in seen:
            continue
        seen.add(real)
        ends = [base[x].end for x in table["period"].unique() if x in base]
        as_of = min(max(ends), calendar.end) if ends else calendar.end
        out.append(Publication(table, as_of, False))
    return out


def validate_with_account(bundle, *, as_of: dt.date | None = None, keep_data: bool = False):
    """(validation result, account of the records the selected indicators read). Without
    ``keep_data`` only the columns the indicators read are kept (the cells' text is let go)."""
    from mel.data.validate import validate_project

    read = columns_read(bundle.indicators)
    validation = validate_project(
        bundle,
        as_of=as_of,
        keep_raw=keep_data,
        keep_columns=None if keep_data else read,
    )
    sources = sources_from(validation)
    project = bundle.project
    accounts = account(
        bundle.indicators,
        sources,
        Calendar.of(project),
        list(project.countries),
        root=bundle.root,
    )
    return validation, accounts


def validate_any(path, *, as_of: dt.date, keep_data: bool, **single_file):
    """``mel validate``'s work: a project folder (or its mel.yaml) with the account of the
    records its indicators read and the loss alarms; or one data file (``single_file``: its
    template, sheet, header row and date format), without an account.

    Returns (validation result, accounts, alarms)."""
    from pathlib import Path

    from mel.data.validate import validate_path
    from mel.definitions.loader import PROJECT_FILE
    from mel.definitions.project import load_project

    path = Path(path)
    if path.exists() and (path.is_dir() or path.name == PROJECT_FILE):
        if single_file.get("template") is not None:
            raise UsageError(
                "--template is for a single data file; a project folder names its "
                "templates in mel.yaml"
            )
        bundle = load_project(path)
        validation, accounts = validate_with_account(bundle, as_of=as_of, keep_data=keep_data)
        return validation, accounts, alarms(accounts, bundle.project.quality.max_left_out)
    return validate_path(path, as_of=as_of, keep_data=keep_data, **single_file), [], []
