"""The catalog as a reference document: every indicator's reference sheet (PIRS), grouped by
pillar and logframe level, as Markdown or as an Excel workbook with an index sheet."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.worksheet.hyperlink import Hyperlink

from mel.definitions.models import LEVELS, PILLARS, TARGET_FORM_WORDS, Indicator
from mel.outputs import reference_sheet
from mel.outputs.excel import (
    BORDER,
    TITLE_FONT,
    WRAP,
    fit_row_height,
    print_setup,
    save_workbook,
    set_text,
    sheet_title,
    write_header,
)
from mel.outputs.tidy import atomic_write

PILLAR_TITLES = {
    "prevention": "Prevention",
    "protection": "Protection",
    "prosecution": "Prosecution",
    "partnership": "Partnership and coordination",
    "context": "Context",
}
FORMATS = ("md", "xlsx")


def ordered(indicators: Sequence[Indicator]) -> list[Indicator]:
    return sorted(indicators, key=lambda i: (PILLARS.index(i.pillar), LEVELS.index(i.level), i.id))


def _sources(ind: Indicator) -> str:
    return "; ".join(
        r.source + (f" {r.code}" if r.code else "") + f" ({r.provenance})" for r in ind.references
    )


def markdown(indicators: Sequence[Indicator], title: str) -> str:
    inds = ordered(indicators)
    lines = [
        f"# {title}",
        "",
        f"{len(inds)} indicators, grouped by pillar and logframe level. Each reference sheet "
        "gives the definition, the computation, the data source and the references, with their "
        "provenance: *taken* from the source, *adapted* from it, or *derived* from a case-data "
        "standard.",
        "",
    ]
    for pillar in PILLARS:
        group = [i for i in inds if i.pillar == pillar]
        if not group:
            continue
        lines += [f"- **{PILLAR_TITLES[pillar]}**"]
        for ind in group:
            anchor = f"{ind.id} {ind.name}".lower()
            anchor = "".join(ch for ch in anchor if ch.isalnum() or ch in " -").replace(" ", "-")
            lines.append(f"  - [{ind.id}](#{anchor}) {ind.name}")
    lines.append("")
    for pillar in PILLARS:
        group = [i for i in inds if i.pillar == pillar]
        if not group:
            continue
        lines += [f"# {PILLAR_TITLES[pillar]}", ""]
        for ind in group:
            lines.append(reference_sheet.markdown(ind))
    return "\n".join(lines)


def workbook(indicators: Sequence[Indicator], title: str) -> Workbook:
    inds = ordered(indicators)
    wb = Workbook()
    index = wb.active
    index.title = "Index"
    taken = {"Index"}
    set_text(index.cell(row=1, column=1), title).font = TITLE_FONT
    set_text(
        index.cell(row=2, column=1),
        f"{len(inds)} indicators by pillar and logframe level; one reference sheet each "
        "(click an id).",
    )
    headers = ["Id", "Pillar", "Level", "Indicator", "Unit", "Target", "Sources"]
    widths = [10, 16, 18, 60, 16, 26, 60]
    write_header(index, 4, headers, widths)
    for r, ind in enumerate(inds, start=5):
        name = sheet_title(ind.id, taken)
        values = [
            ind.id,
            PILLAR_TITLES[ind.pillar],
            reference_sheet.LEVEL_WORDS[ind.level],
            ind.name,
            ind.unit,
            TARGET_FORM_WORDS[ind.target_kind],
            _sources(ind),
        ]
        for c, v in enumerate(values, start=1):
            cell = set_text(index.cell(row=r, column=c), v)
            cell.alignment = WRAP
            cell.border = BORDER
        link = index.cell(row=r, column=1)
        link.hyperlink = Hyperlink(ref=link.coordinate, location=f"'{name}'!A1")
        link.font = Font(color="0563C1", underline="single")
        fit_row_height(index, r)
        ws = wb.create_sheet(name)
        ws.column_dimensions["A"].width = 26
        ws.column_dimensions["B"].width = 95
        set_text(ws.cell(row=1, column=1), f"{ind.id}  {ind.name}").font = TITLE_FONT
        back = set_text(ws.cell(row=2, column=1), "back to the index")
        back.hyperlink = Hyperlink(ref="A2", location="'Index'!A1")
        back.font = Font(color="0563C1", underline="single")
        for k, (field, text) in enumerate(reference_sheet.sheet(ind)[1:], start=4):
            a = set_text(ws.cell(row=k, column=1), field)
            a.font = Font(bold=True)
            a.alignment = Alignment(vertical="top")
            a.border = BORDER
            b = set_text(ws.cell(row=k, column=2), text)
            b.alignment = WRAP
            b.border = BORDER
            fit_row_height(ws, k)
        ws.page_setup.orientation = "portrait"
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
        ws.sheet_properties.pageSetUpPr.fitToPage = True
    index.freeze_panes = "B5"
    index.auto_filter.ref = f"A4:G{4 + len(inds)}"
    print_setup(index, header_row=4)
    return wb


def write(indicators: Sequence[Indicator], path: Path, title: str, fmt: str | None = None) -> Path:
    fmt = (fmt or Path(path).suffix.lstrip(".")).lower()
    if fmt == "xlsx":
        return save_workbook(workbook(indicators, title), Path(path))
    text = markdown(indicators, title)
    return atomic_write(Path(path), lambda p: p.write_text(text, encoding="utf-8"))
