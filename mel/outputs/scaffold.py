"""A new project: ``mel.yaml`` with the chosen catalog indicators, a data-entry workbook for
each dataset those indicators read, and a targets workbook (indicator x country grid with a
baseline, a life-of-project target and one column per fiscal year and reporting period).

Everything is written into a temporary folder first and moved into place at the end, so a
failure leaves no half-made project.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation

from mel.definitions.catalog import Catalog
from mel.definitions.models import (
    TARGET_FORM_WORDS,
    Indicator,
    Project,
)
from mel.engine.periods import Calendar
from mel.engine.results import ALL, LOP
from mel.errors import UsageError, meant
from mel.outputs.entry_workbook import write_entry_workbook
from mel.outputs.excel import (
    BORDER,
    TITLE_FONT,
    WRAP,
    print_setup,
    save_workbook,
    set_text,
    write_header,
)

INPUT_FILL = PatternFill("solid", fgColor="FFF2CC")
INFO_COLUMNS = ["indicator", "indicator name", "unit", "target form", "country", "baseline"]


@dataclass
class Scaffolded:
    root: Path
    indicators: list[str]
    datasets: dict[str, Path]  # dataset -> workbook, relative to root
    targets: Path
    target_periods: list[str]


def datasets_needed(indicators: list[Indicator]) -> list[str]:
    """Every dataset the indicators read (their own and their measures'), in first-use order."""
    out: list[str] = []

    def add(name: str | None) -> None:
        if name and name not in out:
            out.append(name)

    for ind in indicators:
        add(ind.dataset)
        for _, m in ind.measure.parts():
            add(m.dataset)
    return out


def target_periods(project: Project) -> list[str]:
    """LoP, then each year of the reporting calendar followed by its reporting periods."""
    cal = Calendar.of(project)
    out = [LOP]
    for year in cal.years:
        out.append(year.label)
        if project.reporting.period != "year":
            out += [p.label for p in cal.periods if year.start <= p.start <= year.end]
    return out


def _yaml_text(project: Project, selection: list[str], datasets: dict[str, tuple[str, str]]):
    countries = ", ".join(project.countries)
    lines = [
        "# A counter-trafficking project (made by 'mel init'; edit freely).",
        f"name: {_quote(project.name)}",
        f"donor: {_quote(project.donor)}",
        f"countries: [{countries}]",
        f"start: {project.start.isoformat()}",
        f"end: {project.end.isoformat()}",
        "reporting:",
        f"  period: {project.reporting.period}          # month, quarter, half or year",
        f"  fiscal_year_start: {project.reporting.fiscal_year_start}       "
        "# 1 = calendar year; 10 = US fiscal year",
        "datasets:                     # fill in the workbooks in data/",
    ]
    for name, (path, sheet) in datasets.items():
        lines.append(f"  {name}: {{path: {path}, sheet: {sheet}}}")
    lines += [
        "indicators:",
        "  # catalog ids, id prefixes, pillars or reference codes; see 'mel indicators list'",
        f"  select: [{', '.join(selection)}]",
        "targets: targets.xlsx         # baseline, LoP and period targets per indicator, country",
        "narratives: targets.xlsx      # its 'narratives' sheet: why a result is off its target",
        "privacy:",
        "  threshold: 5                # counts 1-4 are shown as <5 in donor outputs",
        "",
    ]
    return "\n".join(lines)


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def write_targets_workbook(
    indicators: list[Indicator], project: Project, path: Path, periods: list[str]
) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.title = "targets"
    set_text(ws.cell(row=1, column=1), f"Targets and baselines: {project.name}").font = TITLE_FONT
    note = (
        "One row per indicator and country (ALL = the whole project). Enter the baseline and the "
        "targets in the yellow cells; leave a cell empty where there is no target (it is not "
        "read as 0). Milestones take yes or no; percentages are written as numbers (85 for 85%); "
        "'X% increase' targets are written as X. Do not rename the columns."
    )
    set_text(ws.cell(row=2, column=1), note).alignment = WRAP
    ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=10)
    ws.row_dimensions[2].height = 48
    header_row = 4
    headers = [*INFO_COLUMNS, *periods]
    widths = [10, 48, 14, 22, 9, 10, *[10] * len(periods)]
    write_header(ws, header_row, headers, widths)
    ws.cell(row=header_row, column=6).comment = Comment(
        "The value before the project (the handbook's baseline); used by 'X% increase' "
        "indicators and shown in the report.",
        "mel",
    )
    numbers = DataValidation(
        type="decimal",
        operator="greaterThanOrEqual",
        formula1="0",
        allow_blank=True,
        errorTitle="A number",
        error="Enter a number (or leave the cell empty).",
    )
    yes_no = DataValidation(
        type="list", formula1='"yes,no"', allow_blank=True, error="Enter yes or no."
    )
    ws.add_data_validation(numbers)
    ws.add_data_validation(yes_no)
    row = header_row + 1
    for ind in indicators:
        milestone = ind.measure.shape == "milestone"
        for country in [*project.countries, ALL]:
            info = [
                ind.id,
                ind.name,
                ind.unit,
                TARGET_FORM_WORDS[ind.target_kind],
                country,
            ]
            for col, v in enumerate(info, start=1):
                c = set_text(ws.cell(row=row, column=col), v)
                c.alignment = Alignment(vertical="top", wrap_text=col == 2)
                c.border = BORDER
            first = len(info) + 1
            last = len(headers)
            for col in range(first, last + 1):
                c = ws.cell(row=row, column=col)
                c.fill = INPUT_FILL
                c.border = BORDER
            rng = f"{_col(first)}{row}:{_col(last)}{row}"
            (yes_no if milestone else numbers).add(rng)
            row += 1
    ws.freeze_panes = ws.cell(row=header_row + 1, column=6)
    ws.auto_filter.ref = f"A{header_row}:{_col(len(headers))}{row - 1}"
    print_setup(ws, header_row)
    ws.cell(row=1, column=1).font = Font(bold=True, size=14)
    _narratives_sheet(wb, indicators, project)
    return save_workbook(wb, path)


def _narratives_sheet(wb: Workbook, indicators: list[Indicator], project: Project) -> None:
    """The sheet for variance explanations, read by ``narratives:`` in mel.yaml."""
    ws = wb.create_sheet("narratives")
    set_text(ws.cell(row=1, column=1), "Variance explanations").font = TITLE_FONT
    note = (
        "One row per indicator, country (ALL = the whole project) and reporting period: why the "
        "result is above or below its target. The report shows the text of its period beside "
        "the figures. Write no names or other personal details: donors read this text."
    )
    set_text(ws.cell(row=2, column=1), note).alignment = WRAP
    ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=4)
    ws.row_dimensions[2].height = 48
    write_header(ws, 4, ["indicator", "country", "period", "text"], [12, 10, 12, 90])
    ids = DataValidation(
        type="list",
        formula1='"' + ",".join(i.id for i in indicators) + '"',
        allow_blank=True,
        error="Enter one of the project's indicator ids.",
    )
    if len(ids.formula1) <= 255:  # Excel's limit for a list written in the rule
        ws.add_data_validation(ids)
        ids.add("A5:A500")
    places = DataValidation(
        type="list",
        formula1='"' + ",".join([*project.countries, ALL]) + '"',
        allow_blank=True,
        error="Enter a project country or ALL.",
    )
    ws.add_data_validation(places)
    places.add("B5:B500")
    for row in range(5, 40):
        ws.cell(row=row, column=4).alignment = WRAP
    ws.freeze_panes = "A5"
    print_setup(ws, 4)


def _col(n: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(n)


def scaffold(
    root: Path,
    project: Project,
    selection: list[str],
    catalog: Catalog,
    *,
    rows: int = 2000,
) -> Scaffolded:
    """Write a new project into ``root`` (which must not exist or be empty)."""
    from mel.definitions.project import resolve_selection

    root = Path(root)
    if root.exists() and (not root.is_dir() or any(root.iterdir())):
        raise UsageError(
            f"{root} already exists and is not empty; give a new folder so that nothing is "
            "overwritten"
        )
    ids, unmatched = resolve_selection(selection, catalog)
    if unmatched:
        guess = meant(unmatched[0], list(catalog.indicators), quote=False)
        raise UsageError(
            f"'{unmatched[0]}' matches no catalog indicator"
            + (f"; {guess}" if guess else "")
            + " (give ids, id prefixes such as PROT, pillars or codes such as PS.5.1-28; "
            "see 'mel indicators list')"
        )
    if not ids:
        raise UsageError("choose at least one indicator with --indicators")
    indicators = [catalog.indicators[i].obj for i in ids]
    needed = datasets_needed(indicators)
    periods = target_periods(project)
    parent = root.parent
    parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{root.name}.", dir=parent))
    try:
        (tmp / "data").mkdir()
        refs: dict[str, tuple[str, str]] = {}
        for name in needed:
            tpl = catalog.templates[name].obj
            rel = f"data/{name}.xlsx"
            write_entry_workbook(tpl, catalog, tmp / rel, rows=rows)
            refs[name] = (rel, tpl.name[:31])
        write_targets_workbook(indicators, project, tmp / "targets.xlsx", periods)
        (tmp / "mel.yaml").write_text(_yaml_text(project, ids, refs), encoding="utf-8")
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(tmp, 0o777 & ~mask)
        if root.exists():
            root.rmdir()  # empty, checked above
        os.replace(tmp, root)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return Scaffolded(
        root,
        ids,
        {n: Path(p) for n, (p, _) in refs.items()},
        Path("targets.xlsx"),
        periods,
    )


def default_dates(today: dt.date, fy_start: int = 1) -> tuple[dt.date, dt.date]:
    """The current (fiscal) year: data already entered for it falls inside the project."""
    year = today.year if today.month >= fy_start else today.year - 1
    start = dt.date(year, fy_start, 1)
    end = dt.date(year + 1, fy_start, 1) - dt.timedelta(days=1)
    return start, end
