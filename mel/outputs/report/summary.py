"""The Summary sheet: indicators by status to date per pillar, headline figures, small native
charts (their data on the tidy sheet), the suppression rule and the legend."""

from __future__ import annotations

from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from mel.outputs.excel import (
    TITLE_FONT,
    WRAP,
    fit_row_height,
    print_setup,
    set_text,
)
from mel.outputs.report.content import (
    LOP,
    ReportContext,
    display,
    kind,
    pct_display,
    plain,
    plain_format,
    target_display,
)
from mel.outputs.report.labels import label, status, unit
from mel.outputs.report.sheets import (
    FIRST_ROW,
    INTERNAL_FONT,
    STATUS_COLORS,
    TOP_WRAP,
    bands_text,
    banner,
    legend_lines,
    put,
    status_rules,
    status_word,
    suppression_note,
    table_header,
)


def headline(ctx: ReportContext, n: int = 4) -> list:
    """The headline indicators: per pillar, the first number or percentage indicator with a
    value for the period (objective level first, in logframe order)."""
    out, seen = [], set()
    for ind in ctx.indicators:
        if ind.pillar in seen or kind(ind) in ("milestone", "change"):
            continue
        row = ctx.cell(ind.id, period=LOP)
        if row is None or plain(ind, row) is None:
            continue
        out.append(ind)
        seen.add(ind.pillar)
    return out[:n]


def charts_sheet(ctx: ReportContext, ws: Worksheet, data_ws: Worksheet, rows_of) -> None:
    """Native Excel column charts of the headline indicators by reporting period."""
    banner(ctx, ws, label("chart.headline", ctx.lang))
    n_periods = len(ctx.periods)
    cats = Reference(
        data_ws, min_col=4, max_col=3 + n_periods, min_row=FIRST_ROW, max_row=FIRST_ROW
    )
    for k, ind in enumerate(headline(ctx)):
        chart = _native_chart(ctx, ind, data_ws, rows_of[ind.id], n_periods, cats)
        chart.height, chart.width = 7.5, 16
        ws.add_chart(chart, f"{'A' if k % 2 == 0 else 'K'}{4 + (k // 2) * 16}")
    print_setup(ws, 1)


STATUS_ORDER = [  # the columns of the Summary's count of indicators by status
    ("over-achieved",),
    ("on track", "achieved"),
    ("under target", "overdue"),
    ("not yet",),
]


def summary_sheet(ctx: ReportContext, ws: Worksheet, data_ws: Worksheet, rows_of) -> None:
    """One landscape page: the indicators by status (to date) per pillar, the headline figures
    with small charts, the period and the suppression rule."""
    L = ctx.lang
    p = ctx.project
    widths = [44, 13, 13, 13, 12, 16, 12, 12, 12, 12, 10, 10]
    for j, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(j)].width = w
    set_text(ws.cell(row=1, column=1), label("title", L) + f": {p.name}").font = TITLE_FONT
    edition = set_text(
        ws.cell(row=2, column=1),
        f"{label('donor', L)}: {p.donor} - {label('period', L)}: {ctx.period} "
        f"({ctx.period_start} - {ctx.period_end}) - "
        + label("mode.internal" if ctx.internal else "mode.donor", L),
    )
    if ctx.internal:
        edition.font = INTERNAL_FONT
    set_text(ws.cell(row=3, column=1), suppression_note(ctx)).alignment = WRAP
    ws.merge_cells(start_row=3, start_column=1, end_row=3, end_column=9)
    ws.row_dimensions[3].height = 42
    r = _by_status(ctx, ws, 5)
    r, heads = _headline_table(ctx, ws, r + 3)
    _headline_charts(ctx, ws, data_ws, rows_of, heads, r)
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 1
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_area = f"A1:L{r + 26}"
    ws.oddFooter.left.text = f"{p.name}, {ctx.period}"
    if ctx.internal:
        ws.oddHeader.center.text = label("mode.internal", L)


def _by_status(ctx: ReportContext, ws: Worksheet, r: int) -> int:
    """The count of indicators by status to date, per pillar, from row ``r``; the last row."""
    L = ctx.lang
    set_text(ws.cell(row=r, column=1), label("summary.by_status", L)).font = Font(bold=True)
    r += 1
    bands = [b.status for b in ctx.bands]
    columns = [w for w in ("over-achieved", "on track", "under target") if w in bands]
    columns += [b for b in bands if b not in columns]
    columns += ["achieved", "not yet", "overdue", "no target", "other"]
    table_header(
        ws,
        r,
        [
            label("h.pillar", L),
            *[status(c, L) if c != "other" else label("summary.other", L) for c in columns],
            label("summary.total", L),
        ],
    )
    colors = {b.status: b.color for b in ctx.bands}
    colors.update(STATUS_COLORS)
    counts: dict[str, dict[str, int]] = {}
    for ind in ctx.indicators:
        lop = ctx.cell(ind.id, period=LOP)
        word = "" if lop is None else str(lop["status"] or "")
        if word in ("set by country",):
            word = "no target"
        if word not in columns:
            word = "other"  # no data, a hidden value, target is 0, no baseline
        counts.setdefault(ind.pillar, {}).setdefault(word, 0)
        counts[ind.pillar][word] += 1
    for pillar, by_word in counts.items():
        r += 1
        put(ws, r, 1, label(f"pillar.{pillar}", L))
        for j, c in enumerate(columns, start=2):
            n = by_word.get(c, 0)
            cell = put(ws, r, j, n, "0")
            if n and c in colors:
                cell.fill = PatternFill("solid", fgColor=colors[c])
        put(ws, r, len(columns) + 2, sum(by_word.values()), "0").font = Font(bold=True)
    set_text(ws.cell(row=r + 1, column=1), label("summary.basis", L, bands=bands_text(ctx)))
    ws.cell(row=r + 1, column=1).font = Font(italic=True, size=9)
    return r


def _headline_table(ctx: ReportContext, ws: Worksheet, r: int):
    """The headline figures and the legend of markers from row ``r``: (the row after them,
    the headline indicators)."""
    L = ctx.lang
    set_text(ws.cell(row=r, column=1), label("summary.headline", L)).font = Font(bold=True)
    r += 1
    table_header(
        ws,
        r,
        [
            label("h.indicator", L),
            label("h.period_actual", L) + f" ({ctx.period})",
            label("h.target_to_date", L),
            label("h.actual_to_date", L),
            label("h.pct_to_date", L),
            label("h.status_to_date", L),
        ],
    )
    heads = headline(ctx)
    for ind in heads:
        r += 1
        p_row = ctx.cell(ind.id)
        lop = ctx.cell(ind.id, period=LOP)
        put(ws, r, 1, f"{ind.id}: {ctx.name(ind)}").alignment = TOP_WRAP
        put(ws, r, 2, *display(ind, p_row, L, ctx.threshold))
        put(ws, r, 3, *target_display(ind, lop["target_to_date"] if lop is not None else None, L))
        put(ws, r, 4, *display(ind, lop, L, ctx.threshold))
        put(ws, r, 5, *(pct_display(lop["pct_to_date"]) if lop is not None else (None, None)))
        put(ws, r, 6, status_word(lop, "status", L)).alignment = TOP_WRAP
        for j in range(2, 6):
            ws.cell(row=r, column=j).alignment = Alignment(horizontal="right", vertical="top")
        fit_row_height(ws, r, columns=6)
    status_rules(ctx, ws, f"F{r - len(heads) + 1}:F{max(r, r - len(heads) + 1)}")
    r += 2
    marks = legend_lines(ctx)[1:-2]  # the markers; the basis is said above
    c = set_text(ws.cell(row=r, column=1), "; ".join(marks))
    c.font = Font(italic=True, size=8)
    c.alignment = WRAP
    ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=9)
    ws.row_dimensions[r].height = 24
    return r + 2, heads


def _headline_charts(ctx: ReportContext, ws: Worksheet, data_ws, rows_of, heads, r: int) -> None:
    """Small native charts of the headline indicators by period (their data on By period)."""
    n_periods = len(ctx.periods)
    cats = Reference(
        data_ws, min_col=4, max_col=3 + n_periods, min_row=FIRST_ROW, max_row=FIRST_ROW
    )
    for k, ind in enumerate(heads):
        chart = _native_chart(ctx, ind, data_ws, rows_of[ind.id], n_periods, cats)
        chart.title = None  # the cell above names it: a title would crowd out the bars
        chart.height, chart.width = 5.6, 12.5
        col = "A" if k % 2 == 0 else "E"
        top = r + (k // 2) * 13
        c = set_text(ws.cell(row=top, column=1 if k % 2 == 0 else 5), f"{ind.id}: {ctx.name(ind)}")
        c.font = Font(bold=True, size=9)
        ws.add_chart(chart, f"{col}{top + 1}")


def _native_chart(ctx: ReportContext, ind, data_ws, row: int, n_periods: int, cats) -> BarChart:
    """A column chart of an indicator by reporting period, axes from 0 and visible."""
    chart = BarChart()
    chart.type = "col"
    chart.title = f"{ind.id}: {ctx.name(ind)}"[:120]
    chart.y_axis.title = unit(ind, ctx.lang)
    chart.y_axis.numFmt = plain_format(ind)
    if kind(ind) != "change":
        chart.y_axis.scaling.min = 0
    chart.y_axis.delete = False
    chart.x_axis.delete = False
    chart.legend = None
    values = Reference(data_ws, min_col=4, max_col=3 + n_periods, min_row=row, max_row=row)
    chart.add_data(values, from_rows=True, titles_from_data=False)
    chart.set_categories(cats)
    return chart
