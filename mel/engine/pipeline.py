"""From a project to its result table: validate, compute, attach targets, suppress."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd

from mel.data.memory import release_memory
from mel.engine.account import Alarm, DatasetAccount, account, alarms
from mel.engine.compute import compute
from mel.engine.periods import Calendar
from mel.engine.prepare import columns_read, sources_from
from mel.engine.results import ALL, TOTAL, is_headline
from mel.engine.spec import (  # noqa: F401 - read by the CLI and tests from here
    RunSpec,
    check_as_of,
    check_target_periods,
    last_period,
    truncated,
)
from mel.engine.suppress import flags, suppress
from mel.engine.targets import attach_targets
from mel.errors import DataError, Finding, UsageError


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
        """The totals for all countries to show first: one row per indicator over the life of
        project; where the run was for given periods (the table then holds only those), one
        row per indicator and period."""
        t = self.table
        rows = t[is_headline(t)]
        if len(rows):
            return rows
        return t[(t["disaggregation"] == TOTAL) & (t["country"] == ALL)]

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
    """Validate and compute: :func:`execute` of the :class:`RunSpec` these options make.
    ``up_to`` (a reporting period label) computes the project as it stood at that period's
    end; ``periods`` keeps those rows of the whole project's table; ``published``: folders or
    files of earlier donor outputs (beside those of ``privacy.published``) that suppression
    must stay consistent with."""
    spec = RunSpec.build(
        bundle,
        period=up_to,
        periods=periods,
        countries=countries,
        as_of=as_of,
        internal=internal,
        published=published or (),
    )
    return execute(spec, progress=progress)


def execute(spec: RunSpec, *, progress: Callable[[str], None] | None = None) -> Results:
    """Validate the reported project's data, compute every indicator, attach targets and
    status, and suppress small counts (unless the run is internal)."""
    bundle, project = spec.reported, spec.project
    earlier = []
    if not spec.internal:
        earlier = earlier_publications(spec.bundle, spec.full_calendar, list(spec.published))
    sources, findings = _sources(bundle, spec.as_of)
    indicators = {i.id: i for i in bundle.indicators}
    cache: dict = {}
    countries = list(spec.countries) or None
    table, exclusions, checks = compute(
        bundle.indicators,
        sources,
        project,
        bundle.catalog,
        countries=countries,
        progress=progress,
        cache=cache,
        calendar=spec.calendar,
    )
    accounts = account(
        bundle.indicators,
        sources,
        spec.calendar,
        list(project.countries),  # rows of countries left out by --country are not lost
        cache,
        project_end=spec.bundle.project.end,
        root=bundle.root,
    )
    del cache
    table = attach_targets(
        table, indicators, bundle.targets, project.status_bands, spec.calendar, spec.full_calendar
    )
    privacy_notes: list[str] = []
    before = table
    if spec.internal:
        table = table.assign(suppressed=False, flag=flags(table, indicators))
    else:
        table = suppress(
            table,
            indicators,
            project.privacy.threshold,
            years_of(spec.full_calendar),
            secondary_suppression=project.privacy.secondary,
            calendar=spec.full_calendar,
            as_of=project.end,
            earlier=earlier,
            notes=privacy_notes,
        )
    if spec.countries:
        table = table[table["country"].isin([*spec.countries, ALL])]
    if spec.periods:
        table = table[table["period"].isin(spec.periods)]
    if spec.period is not None:
        exclusions = exclusions.assign(reason=exclusions["reason"].replace(AFTER_THE_PERIOD))
    return Results(
        table.reset_index(drop=True),
        exclusions,
        checks,
        spec.internal,
        findings,
        project.privacy.threshold,
        accounts,
        project.quality.max_left_out,
        privacy_notes,
        before.reset_index(drop=True),
    )


AFTER_THE_PERIOD = {
    "outside the project dates": "outside the project dates or after the reporting period"
}


def _sources(bundle, as_of: dt.date | None):
    """The engine's view of the validated datasets the indicators read (only the columns they
    read are kept), and the validation's findings; a dataset they need and cannot have is an
    error here."""
    from mel.data.validate import validate_project

    read = columns_read(bundle.indicators)
    validation = validate_project(bundle, as_of=as_of, keep_raw=False, keep_columns=read)
    sources = sources_from(validation)
    findings = validation.findings
    dropped = sum(len(ds.frame) for ds in validation.datasets.values())
    del validation  # the raw text tables are not needed by the engine
    release_memory(dropped)
    missing = sorted(set(read) - set(sources))
    if missing:
        unreadable = [f for f in unread(findings) if f.dataset in missing]
        if unreadable:  # the file is named in mel.yaml but cannot be read: say why
            raise DataError(unreadable)
        raise UsageError(
            f"the indicators need the dataset(s) {', '.join(missing)}, which mel.yaml does not "
            "name or which could not be read (see mel validate)"
        )
    return sources, findings


def earlier_publications(bundle, calendar: Calendar, extra: list) -> list:
    """The donor tables already published (``privacy.published`` and ``extra``), each with the
    date it ran to: the end of the last reporting period it holds."""
    from pathlib import Path

    from mel.data.published import donor_tables
    from mel.engine.quantities import Publication

    named = [Path(bundle.root) / p for p in bundle.project.privacy.published]
    tables = [(*t, True) for t in donor_tables(named, explicit=True)] + [
        (*t, False)
        for t in donor_tables([Path(p) for p in extra if Path(p).exists()], explicit=False)
    ]
    seen: set = set()
    out = []
    base = {p.label: p for p in calendar.periods}
    labels = {p.label for p in calendar.all_periods}
    for path, table, explicit in tables:
        real = Path(path).resolve()
        if real in seen:
            continue
        seen.add(real)
        foreign = sorted(set(table["period"].astype(str)) - labels)
        if foreign:  # another project's results (another calendar) beside the output
            if explicit:
                raise UsageError(
                    f"privacy.published names {path}, whose period '{foreign[0]}' is not a "
                    "period of this project: name only this project's earlier results files"
                )
            continue
        ends = [base[x].end for x in table["period"].unique() if x in base]
        as_of = min(max(ends), calendar.end) if ends else calendar.end
        out.append(Publication(table, as_of, False))
    return out


def validate_with_account(bundle, *, as_of: dt.date | None = None, keep_data: bool = False):
    """(validation result, account of the records the selected indicators read). Only the
    typed columns the indicators read are kept; with ``keep_data`` the text of the rows the
    feedback workbook shows too (every row of a short dataset, the rows with findings of a
    long one)."""
    from mel.data.validate import validate_project

    read = columns_read(bundle.indicators)
    validation = validate_project(
        bundle, as_of=as_of, keep_raw="findings" if keep_data else False, keep_columns=read
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
