"""What every sheet of the donor workbook shares: its banner, headers, cells, status colours,
frozen panes and print setup, and the legend of markers and statuses."""

from __future__ import annotations

from openpyxl.formatting.rule import CellIsRule
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from mel.outputs.excel import (
    BORDER,
    TITLE_FONT,
    font,
    print_setup,
    set_text,
    write_header,
)
from mel.outputs.report.content import (
    ReportContext,
    target_display,
)
from mel.outputs.report.labels import keys as label_keys
from mel.outputs.report.labels import label, status

PILLAR_FILL = PatternFill("solid", fgColor="D9E1F2")


LEVEL_FILL = PatternFill("solid", fgColor="F2F2F2")


INTERNAL_FONT = Font(bold=True, color="C00000")


LINK_FONT = Font(color="0563C1", underline="single")


STATUS_COLORS = {"achieved": "C6EFCE", "overdue": "FFC7CE", "not yet": "FFEB9C"}


FIRST_ROW = 4  # rows 1-2: title and edition; the header row of each table sheet


TOP = Alignment(vertical="top")


TOP_WRAP = Alignment(vertical="top", wrap_text=True)


def banner(ctx: ReportContext, ws: Worksheet, title: str) -> None:
    set_text(ws.cell(row=1, column=1), title).font = TITLE_FONT
    edition = set_text(
        ws.cell(row=2, column=1),
        f"{ctx.project.name} - {label('period', ctx.lang)}: {ctx.period} - "
        + label("mode.internal" if ctx.internal else "mode.donor", ctx.lang),
    )
    if ctx.internal:
        edition.font = INTERNAL_FONT
        ws.oddHeader.center.text = label("mode.internal", ctx.lang)
        ws.oddHeader.center.color = "C00000"
    ws.oddFooter.right.text = "&P / &N"
    ws.oddFooter.left.text = f"{ctx.project.name}, {ctx.period}"


def table_header(
    ws: Worksheet, row: int, titles: list[str], widths: list[int] | None = None
) -> None:
    write_header(ws, row, titles, widths)
    longest = max(len(t) / max(1, (widths or [12] * len(titles))[j]) for j, t in enumerate(titles))
    ws.row_dimensions[row].height = 15 * max(1, min(4, int(longest) + 1))


def put(ws: Worksheet, row: int, col: int, value: object, fmt: str | None = None):
    c = set_text(ws.cell(row=row, column=col), value)
    c.border = BORDER
    if fmt:
        c.number_format = fmt
    return c


def status_rules(ctx: ReportContext, ws: Worksheet, ref: str) -> None:
    """Colour the status words: the project's bands, achieved and not achieved."""
    colors = {b.status: b.color for b in ctx.bands}
    colors.update(STATUS_COLORS)
    for word, color in colors.items():
        shown = status(word, ctx.lang).replace('"', '""')
        ws.conditional_formatting.add(
            ref,
            CellIsRule(
                operator="equal",
                formula=[f'"{shown}"'],
                fill=PatternFill("solid", fgColor=color, bgColor=color),
            ),
        )


def finish(ws: Worksheet, header_row: int, last_row: int, last_col: int, freeze: str) -> None:
    ws.freeze_panes = freeze
    if last_row > header_row:
        ws.auto_filter.ref = f"A{header_row}:{get_column_letter(last_col)}{last_row}"
    print_setup(ws, header_row)


def basis_text(basis: object, lang: str) -> str:
    """The basis of a target to date in the report's language."""
    import re

    text = "" if basis is None or (isinstance(basis, float) and basis != basis) else str(basis)
    m = re.fullmatch(r"LoP target pro-rated \((\d+)/(\d+) periods\)", text)
    if m:
        return label("basis.prorated", lang, k=m.group(1), n=m.group(2))
    key = f"basis.{text}"
    return label(key, lang) if text and key in label_keys() else text


def legend(ctx: ReportContext, ws: Worksheet, r: int) -> int:
    """The legend of markers under a table (from row ``r``); the next free row."""
    lines = legend_lines(ctx)
    r += 1
    for k, text in enumerate(lines):
        c = set_text(ws.cell(row=r, column=2), text)
        c.font = font(bold=k == 0, italic=k > 0, size=9)
        r += 1
    return r


def legend_lines(ctx: ReportContext) -> list[str]:
    """The legend: its title, the markers, the derived targets and the status basis."""
    L = ctx.lang
    lines = [label("legend.title", L)]
    if not ctx.internal and ctx.threshold > 1:
        lines.append(label("legend.small", L, n=ctx.threshold, m=ctx.threshold - 1))
        lines.append(label("legend.protected", L))
    lines += [label("legend.na", L), label("legend.no_data", L), label("legend.zero", L)]
    lines.append(label("legend.derived", L))
    lines.append(label("legend.to_date", L, bands=bands_text(ctx)))
    return lines


def bands_text(ctx: ReportContext) -> str:
    parts = []
    for b in sorted(ctx.bands, key=lambda b: (b.min, b.above), reverse=True):
        sign = ">" if b.above else ">="
        parts.append(f"{status(b.status, ctx.lang)} {sign} {b.min:g}%")
    return "; ".join(parts)


def target_cell(ws, r, j, ind, row, column: str, L) -> None:
    v, fmt = target_display(ind, row[column] if row is not None else None, L)
    c = put(ws, r, j, v, fmt)
    if row is not None and column == "target" and bool(row.get("target_derived", False)):
        c.font = Font(italic=True)


def status_word(row, column: str, L) -> str:
    if row is None:
        return ""
    v = row[column]
    return "" if v is None or (isinstance(v, float) and v != v) else status(str(v), L)


def suppression_note(ctx: ReportContext) -> str:
    L = ctx.lang
    if ctx.internal:
        return label("suppression.internal", L)
    if ctx.threshold <= 1:
        return label("suppression.off", L)
    return label(
        "suppression" if ctx.project.privacy.secondary else "suppression.primary",
        L,
        n=ctx.threshold,
        m=ctx.threshold - 1,
    )
