"""The donor workbook: cover and manifest, indicator tracking table, by country, by period,
disaggregations, reference sheets, data quality, tidy data and native charts.

Every value from data goes through ``set_text`` (never a formula); every sheet has styled
headers, frozen panes, filters, number formats, column widths and print setup; the internal
edition says so at the top of every sheet."""

from __future__ import annotations

from collections import defaultdict

from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.formatting.rule import CellIsRule
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.hyperlink import Hyperlink
from openpyxl.worksheet.worksheet import Worksheet

from mel.engine.account import conversions_text
from mel.engine.results import categories_of
from mel.errors import ERROR_TYPES
from mel.outputs import reference_sheet
from mel.outputs.excel import (
    BORDER,
    TITLE_FONT,
    WRAP,
    fit_row_height,
    print_setup,
    set_text,
    write_header,
)
from mel.outputs.report.content import (
    ALL,
    LOP,
    ReportContext,
    baseline_display,
    display,
    kind,
    marker,
    pct_display,
    plain,
    plain_format,
    target_display,
)
from mel.outputs.report.labels import country_name, label, problem, status, unit
from mel.outputs.report.labels import keys as label_keys

PILLAR_FILL = PatternFill("solid", fgColor="D9E1F2")
LEVEL_FILL = PatternFill("solid", fgColor="F2F2F2")
INTERNAL_FONT = Font(bold=True, color="C00000")
LINK_FONT = Font(color="0563C1", underline="single")
STATUS_COLORS = {"achieved": "C6EFCE", "overdue": "FFC7CE", "not yet": "FFEB9C"}
FIRST_ROW = 4  # rows 1-2: title and edition; the header row of each table sheet
TOP = Alignment(vertical="top")
TOP_WRAP = Alignment(vertical="top", wrap_text=True)


def build(ctx: ReportContext) -> Workbook:
    wb = Workbook()
    summary = wb.active
    summary.title = label("sheet.summary", ctx.lang)
    cover = wb.create_sheet(label("sheet.readme", ctx.lang))
    sheets = {
        "tracking": wb.create_sheet(label("sheet.tracking", ctx.lang)),
        "iptt": wb.create_sheet(label("sheet.iptt", ctx.lang)),
        "country": wb.create_sheet(label("sheet.country", ctx.lang)),
        "period": wb.create_sheet(label("sheet.period", ctx.lang)),
        "charts": wb.create_sheet(label("sheet.charts", ctx.lang)),
        "disagg": wb.create_sheet(label("sheet.disagg", ctx.lang)),
        "reference": wb.create_sheet(label("sheet.reference", ctx.lang)),
        "quality": wb.create_sheet(label("sheet.quality", ctx.lang)),
        "data": wb.create_sheet(label("sheet.data", ctx.lang)),
    }
    _tracking(ctx, sheets["tracking"])
    _iptt(ctx, sheets["iptt"])
    _by_country(ctx, sheets["country"])
    rows_of = _by_period(ctx, sheets["period"])
    _charts(ctx, sheets["charts"], sheets["period"], rows_of)
    _disaggregations(ctx, sheets["disagg"])
    _reference(ctx, sheets["reference"])
    _quality(ctx, sheets["quality"])
    _data(ctx, sheets["data"])
    _cover(ctx, cover, [summary, *sheets.values()])
    _summary(ctx, summary, sheets["period"], rows_of)
    return wb


# --- shared --------------------------------------------------------------------------------------


def _banner(ctx: ReportContext, ws: Worksheet, title: str) -> None:
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


def _header(ws: Worksheet, row: int, titles: list[str], widths: list[int] | None = None) -> None:
    write_header(ws, row, titles, widths)
    longest = max(len(t) / max(1, (widths or [12] * len(titles))[j]) for j, t in enumerate(titles))
    ws.row_dimensions[row].height = 15 * max(1, min(4, int(longest) + 1))


def _put(ws: Worksheet, row: int, col: int, value: object, fmt: str | None = None):
    c = set_text(ws.cell(row=row, column=col), value)
    c.border = BORDER
    if fmt:
        c.number_format = fmt
    return c


def _status_rules(ctx: ReportContext, ws: Worksheet, ref: str) -> None:
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


def _finish(ws: Worksheet, header_row: int, last_row: int, last_col: int, freeze: str) -> None:
    ws.freeze_panes = freeze
    if last_row > header_row:
        ws.auto_filter.ref = f"A{header_row}:{get_column_letter(last_col)}{last_row}"
    print_setup(ws, header_row)


def _basis(basis: object, lang: str) -> str:
    """The basis of a target to date in the report's language."""
    import re

    text = "" if basis is None or (isinstance(basis, float) and basis != basis) else str(basis)
    m = re.fullmatch(r"LoP target pro-rated \((\d+)/(\d+) periods\)", text)
    if m:
        return label("basis.prorated", lang, k=m.group(1), n=m.group(2))
    key = f"basis.{text}"
    return label(key, lang) if text and key in label_keys() else text


def _legend(ctx: ReportContext, ws: Worksheet, r: int) -> int:
    """The legend of markers under a table (from row ``r``); the next free row."""
    lines = legend_lines(ctx)
    r += 1
    for k, text in enumerate(lines):
        c = set_text(ws.cell(row=r, column=2), text)
        c.font = Font(bold=k == 0, italic=k > 0, size=9)
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


def _target_cell(ws, r, j, ind, row, column: str, L) -> None:
    v, fmt = target_display(ind, row[column] if row is not None else None, L)
    c = _put(ws, r, j, v, fmt)
    if row is not None and column == "target" and bool(row.get("target_derived", False)):
        c.font = Font(italic=True)


def _status_word(row, column: str, L) -> str:
    if row is None:
        return ""
    v = row[column]
    return "" if v is None or (isinstance(v, float) and v != v) else status(str(v), L)


# --- sheets --------------------------------------------------------------------------------------


TRACKING = [  # (header key, width) of the tracking columns after No., Indicator, Unit
    ("h.baseline", 11),
    ("h.lop_target", 11),
    ("h.period_target", 11),
    ("h.period_actual", 11),
    ("h.numerator", 12),
    ("h.denominator", 12),
    ("h.pct_period", 10),
    ("h.status_period", 14),
    ("h.target_to_date", 11),
    ("h.actual_to_date", 11),
    ("h.pct_to_date", 10),
    ("h.status_to_date", 14),
    ("h.basis", 18),
]


def _tracking_values(ctx: ReportContext, ws, r: int, first: int, ind, country: str) -> None:
    """The tracking columns of one indicator and country, from column ``first``."""
    L = ctx.lang
    p = ctx.cell(ind.id, country)
    lop = ctx.cell(ind.id, country, LOP)
    th = ctx.threshold
    j = first
    _put(ws, r, j, *baseline_display(ind, lop["baseline"] if lop is not None else None, L))
    _target_cell(ws, r, j + 1, ind, lop, "target", L)
    _target_cell(ws, r, j + 2, ind, p, "target", L)
    _put(ws, r, j + 3, *display(ind, p, L, th))
    ratio = kind(ind) in ("percentage", "ratio")
    for k, col in ((4, "numerator"), (5, "denominator")):
        v = p[col] if ratio and p is not None and not bool(p["suppressed"]) else None
        _put(ws, r, j + k, None if v is None or v != v else float(v), "#,##0")
    _put(ws, r, j + 6, *(pct_display(p["pct_of_target"]) if p is not None else (None, None)))
    _put(ws, r, j + 7, _status_word(p, "status", L))
    _put(ws, r, j + 8, *target_display(ind, lop["target_to_date"] if lop is not None else None, L))
    _put(ws, r, j + 9, *display(ind, lop, L, th))
    _put(ws, r, j + 10, *(pct_display(lop["pct_to_date"]) if lop is not None else (None, None)))
    _put(ws, r, j + 11, _status_word(lop, "status", L))
    _put(ws, r, j + 12, _basis(lop["to_date_basis"] if lop is not None else None, L))
    for k in range(13):
        c = ws.cell(row=r, column=j + k)
        text = isinstance(c.value, str)
        c.alignment = Alignment(
            wrap_text=text and k in (7, 11, 12),
            vertical="top",
            horizontal="right" if k not in (7, 11, 12) else None,
        )


def _tracking(ctx: ReportContext, ws: Worksheet) -> None:
    _banner(ctx, ws, label("sheet.tracking", ctx.lang))
    L = ctx.lang
    headers = [label("h.no", L), label("h.indicator", L), label("h.unit", L)]
    headers += [
        label(k, L) + (f" ({ctx.period})" if k in ("h.period_target", "h.period_actual") else "")
        for k, _ in TRACKING
    ]
    _header(ws, FIRST_ROW, headers, [9, 48, 12, *[w for _, w in TRACKING]])
    r = FIRST_ROW + 1
    last: tuple[str | None, str | None] = (None, None)
    for ind in ctx.indicators:
        if last[0] != ind.pillar:
            c = _put(ws, r, 1, label(f"pillar.{ind.pillar}", L))
            c.font = Font(bold=True)
            for j in range(1, len(headers) + 1):
                ws.cell(row=r, column=j).fill = PILLAR_FILL
            r += 1
            last = (ind.pillar, None)
        if last[1] != ind.level:
            c = _put(ws, r, 2, label(f"level.{ind.level}", L))
            c.font = Font(italic=True)
            for j in range(1, len(headers) + 1):
                ws.cell(row=r, column=j).fill = LEVEL_FILL
            r += 1
            last = (ind.pillar, ind.level)
        _put(ws, r, 1, ind.id).alignment = TOP
        _put(ws, r, 2, ctx.name(ind)).alignment = TOP_WRAP
        _put(ws, r, 3, unit(ind, L)).alignment = TOP_WRAP
        _tracking_values(ctx, ws, r, 4, ind, ALL)
        fit_row_height(ws, r)
        r += 1
    last_row = max(r - 1, FIRST_ROW + 1)
    for col in ("K", "O"):
        _status_rules(ctx, ws, f"{col}{FIRST_ROW + 1}:{col}{last_row}")
    _finish(ws, FIRST_ROW, r - 1, len(headers), f"C{FIRST_ROW + 1}")
    _legend(ctx, ws, r)


HIGHLIGHT = PatternFill("solid", fgColor="FFF2CC")  # the reported period's columns


def _iptt(ctx: ReportContext, ws: Worksheet) -> None:
    """TolaData's indicator performance tracking table: per indicator (all countries, then each
    country, folded), for each reporting period of the fiscal year so far target / actual /
    % met, then the fiscal year and the life of project; the reported period highlighted; the
    officer's variance explanation for it."""
    L = ctx.lang
    _banner(ctx, ws, label("sheet.iptt", L))
    blocks = [(p, "period") for p in ctx.year_periods]
    if ctx.year:
        blocks.append((ctx.year, "year"))
    blocks.append((LOP, "lop"))
    top, sub = FIRST_ROW - 1, FIRST_ROW  # block titles above, target/actual/% below
    fixed = [label("h.no", L), label("h.indicator", L), label("h.country", L), label("h.unit", L)]
    headers = [*fixed]
    for _per, what in blocks:
        headers += [
            label("h.target" if what != "lop" else "h.lop_target", L),
            label("h.actual" if what != "lop" else "h.actual_to_date", L),
            label("h.pct_met", L),
        ]
    headers.append(label("h.variance", L) + f" ({ctx.period})")
    widths = [9, 40, 14, 11, *[10, 10, 8] * len(blocks), 40]
    _header(ws, sub, headers, widths)
    for k, (per, what) in enumerate(blocks):
        col = len(fixed) + 1 + 3 * k
        name = (
            f"{per} ({label('year_total', L)})"
            if what == "year"
            else label("lop", L)
            if what == "lop"
            else per
        )
        c = set_text(ws.cell(row=top, column=col), name)
        c.font = Font(bold=True)
        c.alignment = Alignment(horizontal="center")
        ws.merge_cells(start_row=top, start_column=col, end_row=top, end_column=col + 2)
        if per == ctx.period:
            for j in range(col, col + 3):
                ws.cell(row=top, column=j).fill = HIGHLIGHT
    r = sub + 1
    countries = [ALL, *ctx.project.countries]
    for ind in ctx.indicators:
        for country in countries:
            _put(ws, r, 1, ind.id).alignment = TOP
            # the name once, on the all-countries row; the id on every row, for filters
            _put(ws, r, 2, ctx.name(ind) if country == ALL else None).alignment = TOP_WRAP
            _put(ws, r, 3, country_name(country, L)).alignment = TOP
            _put(ws, r, 4, unit(ind, L)).alignment = TOP_WRAP
            for k, (per, _what) in enumerate(blocks):
                col = len(fixed) + 1 + 3 * k
                row = ctx.cell(ind.id, country, per)
                _target_cell(ws, r, col, ind, row, "target", L)
                _put(ws, r, col + 1, *display(ind, row, L, ctx.threshold))
                _put(
                    ws,
                    r,
                    col + 2,
                    *(pct_display(row["pct_of_target"]) if row is not None else (None, None)),
                )
                for j in range(col, col + 3):
                    cell = ws.cell(row=r, column=j)
                    cell.alignment = Alignment(horizontal="right", vertical="top")
                    if per == ctx.period:
                        cell.fill = HIGHLIGHT
            text = ctx.narratives.get((ind.id, country, ctx.period))
            _put(ws, r, len(headers), text).alignment = TOP_WRAP
            if country == ALL:
                for j in range(1, len(headers) + 1):
                    cell = ws.cell(row=r, column=j)
                    cell.font = Font(bold=True, italic=cell.font.italic)
            else:
                ws.row_dimensions[r].outlineLevel = 1
            fit_row_height(ws, r)
            r += 1
    ws.sheet_properties.outlinePr.summaryBelow = False
    _finish(ws, sub, r - 1, len(headers), f"E{sub + 1}")
    ws.print_title_rows = f"{top}:{sub}"
    _legend(ctx, ws, r)


def _by_country(ctx: ReportContext, ws: Worksheet) -> None:
    _banner(ctx, ws, label("sheet.country", ctx.lang))
    L = ctx.lang
    headers = [label("h.no", L), label("h.indicator", L), label("h.country", L)]
    headers += [
        label(k, L) + (f" ({ctx.period})" if k in ("h.period_target", "h.period_actual") else "")
        for k, _ in TRACKING
    ]
    _header(ws, FIRST_ROW, headers, [9, 40, 16, *[w for _, w in TRACKING]])
    r = FIRST_ROW + 1
    countries = [*ctx.project.countries, ALL]
    for ind in ctx.indicators:
        for country in countries:
            _put(ws, r, 1, ind.id)
            _put(ws, r, 2, ctx.name(ind)).alignment = TOP_WRAP
            _put(ws, r, 3, country_name(country, L))
            _tracking_values(ctx, ws, r, 4, ind, country)
            if country == ALL:
                for j in range(1, len(headers) + 1):
                    cell = ws.cell(row=r, column=j)
                    cell.font = Font(bold=True, italic=cell.font.italic)
            fit_row_height(ws, r)
            r += 1
    last_row = max(r - 1, FIRST_ROW + 1)
    for col in ("K", "O"):
        _status_rules(ctx, ws, f"{col}{FIRST_ROW + 1}:{col}{last_row}")
    _finish(ws, FIRST_ROW, r - 1, len(headers), f"D{FIRST_ROW + 1}")
    _legend(ctx, ws, r)


def _by_period(ctx: ReportContext, ws: Worksheet) -> dict[str, int]:
    """Indicators x periods (all countries); returns each indicator's row, for the charts."""
    _banner(ctx, ws, label("sheet.period", ctx.lang))
    L = ctx.lang
    columns = [*ctx.periods, *ctx.years, LOP]
    headers = [label("h.no", L), label("h.indicator", L), label("h.unit", L), *columns]
    _header(ws, FIRST_ROW, headers, [9, 50, 14, *[11] * len(columns)])
    rows_of: dict[str, int] = {}
    r = FIRST_ROW + 1
    for ind in ctx.indicators:
        rows_of[ind.id] = r
        _put(ws, r, 1, ind.id)
        _put(ws, r, 2, ctx.name(ind))
        _put(ws, r, 3, unit(ind, L))
        for j, per in enumerate(columns, start=4):
            row = ctx.cell(ind.id, period=per)
            mark = marker(row, L, ctx.threshold)
            if mark is not None:
                _put(ws, r, j, mark).alignment = Alignment(horizontal="right")
            else:
                _put(ws, r, j, plain(ind, row), plain_format(ind))
        r += 1
    _finish(ws, FIRST_ROW, r - 1, len(headers), f"D{FIRST_ROW + 1}")
    _legend(ctx, ws, r)
    return rows_of


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


def _charts(ctx: ReportContext, ws: Worksheet, data_ws: Worksheet, rows_of) -> None:
    """Native Excel column charts of the headline indicators by reporting period."""
    _banner(ctx, ws, label("chart.headline", ctx.lang))
    n_periods = len(ctx.periods)
    cats = Reference(
        data_ws, min_col=4, max_col=3 + n_periods, min_row=FIRST_ROW, max_row=FIRST_ROW
    )
    for k, ind in enumerate(headline(ctx)):
        chart = _native_chart(ctx, ind, data_ws, rows_of[ind.id], n_periods, cats)
        chart.height, chart.width = 7.5, 16
        ws.add_chart(chart, f"{'A' if k % 2 == 0 else 'K'}{4 + (k // 2) * 16}")
    print_setup(ws, 1)


def _disaggregations(ctx: ReportContext, ws: Worksheet) -> None:
    """Per indicator and disaggregation, the categories for the period and the life of project,
    all countries and each; rows grouped (outline) so an officer can fold them."""
    _banner(ctx, ws, label("sheet.disagg", ctx.lang))
    L = ctx.lang
    countries = list(ctx.project.countries)
    headers = [
        label("h.no", L),
        label("h.indicator", L) + " / " + label("h.disaggregation", L),
        label("h.category", L),
        f"{label('all', L)}, {ctx.period}",
        f"{label('all', L)}, {label('h.lop_actual', L)}",
        *[f"{country_name(c, L)}, {ctx.period}" for c in countries],
    ]
    _header(ws, FIRST_ROW, headers, [9, 48, 30, 18, 20, *[14] * len(countries)])
    ws.sheet_properties.outlinePr.summaryBelow = False
    t = ctx.table
    r = FIRST_ROW + 1
    for ind in ctx.indicators:
        if not ind.disaggregations:
            continue
        _put(ws, r, 1, ind.id).font = Font(bold=True)
        _put(ws, r, 2, ctx.name(ind)).font = Font(bold=True)
        _put(ws, r, 3, label("h.total", L)).font = Font(bold=True)
        for j, (country, per) in enumerate(
            [(ALL, ctx.period), (ALL, LOP), *[(c, ctx.period) for c in countries]], start=4
        ):
            _put(ws, r, j, *display(ind, ctx.cell(ind.id, country, per), L, ctx.threshold))
        for j in range(1, len(headers) + 1):
            ws.cell(row=r, column=j).fill = PILLAR_FILL
        r += 1
        for d in ind.disaggregations:
            title = ctx.breakdown(ind, d)
            if d.multi_response:
                title += " " + label("multi", L)
            _put(ws, r, 2, title).font = Font(italic=True)
            ws.row_dimensions[r].outlineLevel = 1
            r += 1
            cats = categories_of(t, ind.id, d.column)
            for cat in cats:
                _put(ws, r, 1, ind.id)
                _put(ws, r, 2, title)
                _put(ws, r, 3, ctx.category(ind, d.column, cat))
                for j, (country, per) in enumerate(
                    [(ALL, ctx.period), (ALL, LOP), *[(c, ctx.period) for c in countries]],
                    start=4,
                ):
                    _put(
                        ws,
                        r,
                        j,
                        *display(
                            ind, ctx.cell(ind.id, country, per, d.column, cat), L, ctx.threshold
                        ),
                    )
                ws.row_dimensions[r].outlineLevel = 2
                r += 1
    _finish(ws, FIRST_ROW, r - 1, len(headers), f"D{FIRST_ROW + 1}")
    _legend(ctx, ws, r)


STATUS_ORDER = [  # the columns of the Summary's count of indicators by status
    ("over-achieved",),
    ("on track", "achieved"),
    ("under target", "overdue"),
    ("not yet",),
]


def _summary(ctx: ReportContext, ws: Worksheet, data_ws: Worksheet, rows_of) -> None:
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
    set_text(ws.cell(row=3, column=1), _suppression_note(ctx)).alignment = WRAP
    ws.merge_cells(start_row=3, start_column=1, end_row=3, end_column=9)
    ws.row_dimensions[3].height = 42
    # 1. indicators by status to date, per pillar
    r = 5
    set_text(ws.cell(row=r, column=1), label("summary.by_status", L)).font = Font(bold=True)
    r += 1
    bands = [b.status for b in ctx.bands]
    columns = [w for w in ("over-achieved", "on track", "under target") if w in bands]
    columns += [b for b in bands if b not in columns]
    columns += ["achieved", "not yet", "overdue", "no target", "other"]
    _header(
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
        _put(ws, r, 1, label(f"pillar.{pillar}", L))
        for j, c in enumerate(columns, start=2):
            n = by_word.get(c, 0)
            cell = _put(ws, r, j, n, "0")
            if n and c in colors:
                cell.fill = PatternFill("solid", fgColor=colors[c])
        _put(ws, r, len(columns) + 2, sum(by_word.values()), "0").font = Font(bold=True)
    set_text(ws.cell(row=r + 1, column=1), label("summary.basis", L, bands=bands_text(ctx)))
    ws.cell(row=r + 1, column=1).font = Font(italic=True, size=9)
    # 2. headline figures
    r += 3
    set_text(ws.cell(row=r, column=1), label("summary.headline", L)).font = Font(bold=True)
    r += 1
    _header(
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
        _put(ws, r, 1, f"{ind.id}: {ctx.name(ind)}").alignment = TOP_WRAP
        _put(ws, r, 2, *display(ind, p_row, L, ctx.threshold))
        _put(ws, r, 3, *target_display(ind, lop["target_to_date"] if lop is not None else None, L))
        _put(ws, r, 4, *display(ind, lop, L, ctx.threshold))
        _put(ws, r, 5, *(pct_display(lop["pct_to_date"]) if lop is not None else (None, None)))
        _put(ws, r, 6, _status_word(lop, "status", L)).alignment = TOP_WRAP
        for j in range(2, 6):
            ws.cell(row=r, column=j).alignment = Alignment(horizontal="right", vertical="top")
        fit_row_height(ws, r)
    _status_rules(ctx, ws, f"F{r - len(heads) + 1}:F{max(r, r - len(heads) + 1)}")
    r += 2
    marks = legend_lines(ctx)[1:-2]  # the markers; the basis is said above
    c = set_text(ws.cell(row=r, column=1), "; ".join(marks))
    c.font = Font(italic=True, size=8)
    c.alignment = WRAP
    ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=9)
    ws.row_dimensions[r].height = 24
    # 3. small charts of the headline indicators by period (native, from By period)
    n_periods = len(ctx.periods)
    cats = Reference(
        data_ws, min_col=4, max_col=3 + n_periods, min_row=FIRST_ROW, max_row=FIRST_ROW
    )
    r += 2
    for k, ind in enumerate(heads):
        chart = _native_chart(ctx, ind, data_ws, rows_of[ind.id], n_periods, cats)
        chart.title = None  # the cell above names it: a title would crowd out the bars
        chart.height, chart.width = 5.6, 12.5
        col = "A" if k % 2 == 0 else "E"
        top = r + (k // 2) * 13
        c = set_text(ws.cell(row=top, column=1 if k % 2 == 0 else 5), f"{ind.id}: {ctx.name(ind)}")
        c.font = Font(bold=True, size=9)
        ws.add_chart(chart, f"{col}{top + 1}")
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 1
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_area = f"A1:L{r + 26}"
    ws.oddFooter.left.text = f"{p.name}, {ctx.period}"
    if ctx.internal:
        ws.oddHeader.center.text = label("mode.internal", L)


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


def _reference(ctx: ReportContext, ws: Worksheet) -> None:
    _banner(ctx, ws, label("sheet.reference", ctx.lang))
    L = ctx.lang
    write_header(
        ws, FIRST_ROW, [label("h.no", L), label("h.field", L), label("h.text", L)], [9, 26, 100]
    )
    r = FIRST_ROW + 1
    for ind in ctx.indicators:
        for k, (fld, text) in enumerate(_reference_rows(ctx, ind)):
            _put(ws, r, 1, ind.id)
            c = _put(ws, r, 2, fld)
            c.font = Font(bold=k == 0)
            v = _put(ws, r, 3, text)
            v.alignment = WRAP
            if k == 0:
                v.font = Font(bold=True)
                for j in (1, 2, 3):
                    ws.cell(row=r, column=j).fill = PILLAR_FILL
            fit_row_height(ws, r)
            r += 1
    _finish(ws, FIRST_ROW, r - 1, 3, f"B{FIRST_ROW + 1}")


def _reference_rows(ctx: ReportContext, ind) -> list[tuple[str, str]]:
    """The indicator's reference sheet in the report's language: field names and fixed words
    translated, with the indicator's translated name, definition and unit and the breakdowns'
    titles. The logframe result, rationale, computation, verification and references are
    shown as the catalog writes them (English)."""
    from mel.outputs.report.labels import REFERENCE_FIELDS, reference_word

    L = ctx.lang
    tr = ind.translations.get(L) if L != "en" else None
    words = {
        "Indicator": ctx.name(ind),
        "Pillar": label(f"pillar.{ind.pillar}", L),
        "Logframe level": label(f"level.{ind.level}", L),
        "Unit": unit(ind, L),
        "Disaggregation": ", ".join(
            ctx.breakdown(ind, d) + (" " + label("multi", L) if d.multi_response else "")
            for d in ind.disaggregations
        )
        or reference_word("none", L),
    }
    if tr is not None and tr.definition:
        words["Definition"] = tr.definition
    out = []
    for fld, text in reference_sheet.sheet(ind):
        value = words.get(fld, reference_word(text, L))
        out.append((reference_word(fld, L, REFERENCE_FIELDS), value))
    return out


def _quality(ctx: ReportContext, ws: Worksheet) -> None:
    """Validation findings (counted, with example row numbers; never the values, which may be
    personal data) and the records each indicator left out, with the reason."""
    _banner(ctx, ws, label("sheet.quality", ctx.lang))
    L = ctx.lang
    set_text(ws.cell(row=3, column=1), label("quality.note", L)).alignment = WRAP
    ws.merge_cells(start_row=3, start_column=1, end_row=3, end_column=6)
    ws.row_dimensions[3].height = 30
    headers = [
        label("h.dataset", L),
        label("h.column", L),
        label("h.severity", L),
        label("h.problem", L),
        label("h.rows", L),
        label("h.example_rows", L),
    ]
    _header(ws, FIRST_ROW + 1, headers, [18, 24, 12, 48, 10, 40])
    set_text(ws.cell(row=FIRST_ROW, column=1), label("quality.findings", L)).font = Font(bold=True)
    groups: dict[tuple, list] = defaultdict(list)
    for f in ctx.findings:
        groups[(f.dataset or f.file or "", f.field or "", f.severity, f.code)].append(f)
    r = FIRST_ROW + 2
    if not groups:
        _put(ws, r, 1, label("quality.none", L))
        r += 1
    for (dataset, column, severity, code), items in sorted(groups.items()):
        lines = sorted({f.line for f in items if f.line is not None})
        title = problem(ERROR_TYPES[code].title if code in ERROR_TYPES else code, L)
        values = [
            dataset,
            column,
            problem(severity, L),
            title,
            len(items),
            ", ".join(str(x) for x in lines[:8]) + (" ..." if len(lines) > 8 else ""),
        ]
        for j, v in enumerate(values, start=1):
            _put(ws, r, j, v, "#,##0" if j == 5 else None)
        r += 1
    r += 1
    set_text(ws.cell(row=r, column=1), label("quality.excluded", L)).font = Font(bold=True)
    r += 1
    ex_headers = [
        label("h.indicator", L),
        label("h.dataset", L),
        label("h.country", L),
        label("h.reason", L),
        label("h.records", L),
    ]
    _header(ws, r, ex_headers)
    r += 1
    ex = ctx.exclusions.sort_values(["indicator", "dataset", "country", "reason"], kind="stable")
    for row in ex.itertuples(index=False):
        for j, v in enumerate(
            [
                row.indicator,
                row.dataset,
                country_name(row.country, L) if len(str(row.country)) == 3 else row.country,
                problem(row.reason, L),
                int(row.records),
            ],
            start=1,
        ):
            _put(ws, r, j, v, "#,##0" if j == 5 else None)
        r += 1
    ws.freeze_panes = f"A{FIRST_ROW + 2}"
    print_setup(ws, FIRST_ROW + 1)


def _data(ctx: ReportContext, ws: Worksheet) -> None:
    from mel.outputs.report import labelled

    _banner(ctx, ws, label("sheet.data", ctx.lang))
    set_text(ws.cell(row=3, column=1), label("data.note", ctx.lang)).font = Font(italic=True)
    t = labelled(ctx)
    cols = list(t.columns)
    _header(ws, FIRST_ROW, cols, [14 if c in ("indicator", "country") else 13 for c in cols])
    for i, row in enumerate(t.itertuples(index=False), start=FIRST_ROW + 1):
        for j, v in enumerate(row, start=1):
            if v is None or (isinstance(v, float) and v != v) or v is _NA:
                continue
            set_text(ws.cell(row=i, column=j), v.item() if hasattr(v, "item") else v)
    _finish(ws, FIRST_ROW, FIRST_ROW + len(t), len(cols), f"B{FIRST_ROW + 1}")
    # thousands of rows for machines: printing the workbook prints this sheet's note only
    ws.print_area = "A1:H3"
    ws.print_title_rows = None


def _cover(ctx: ReportContext, ws: Worksheet, sheets: list[Worksheet]) -> None:
    L = ctx.lang
    p = ctx.project
    set_text(ws.cell(row=1, column=1), label("title", L) + f": {p.name}").font = TITLE_FONT
    facts = [
        (label("project", L), p.name),
        (label("donor", L), p.donor),
        (label("period", L), ctx.period),
        (label("period_dates", L), f"{ctx.period_start} - {ctx.period_end}"),
        (label("countries", L), ", ".join(country_name(c, L) for c in p.countries)),
        (label("project_dates", L), f"{ctx.full_project.start} - {ctx.full_project.end}"),
        (label("as_of", L), str(ctx.as_of)),
        (label("mode", L), label("mode.internal" if ctx.internal else "mode.donor", L)),
    ]
    r = 3
    for k, v in facts:
        set_text(ws.cell(row=r, column=1), k).font = Font(bold=True)
        c = set_text(ws.cell(row=r, column=2), v)
        if ctx.internal and k == label("mode", L):
            c.font = INTERNAL_FONT
        r += 1
    r += 1
    if ctx.alarms:
        text = label("account.alarm", L)
        if ctx.accepted:
            text += " " + label("account.accepted", L)
        c = set_text(ws.cell(row=r, column=1), text)
        c.font = INTERNAL_FONT
        c.alignment = WRAP
        ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=4)
        ws.row_dimensions[r].height = 48
        r += 2
    set_text(ws.cell(row=r, column=1), _suppression_note(ctx)).alignment = WRAP
    ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=4)
    ws.row_dimensions[r].height = 48
    r += 2
    # the legend of every table, and how each status is judged
    for line, text in enumerate(legend_lines(ctx)):
        c = set_text(ws.cell(row=r, column=1), text)
        c.font = Font(bold=line == 0)
        c.alignment = WRAP
        ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=4)
        ws.row_dimensions[r].height = 15 * (1 + len(text) // 120)
        r += 1
    r += 1
    r = _account(ctx, ws, r)
    set_text(ws.cell(row=r, column=1), label("contents", L)).font = Font(bold=True)
    r += 1
    for s in sheets:
        c = set_text(ws.cell(row=r, column=1), s.title)
        c.hyperlink = Hyperlink(ref=c.coordinate, location=f"'{s.title}'!A1")
        c.font = LINK_FONT
        r += 1
    r += 1
    set_text(ws.cell(row=r, column=1), label("manifest", L)).font = Font(bold=True)
    r += 1
    _header(ws, r, [label("item", L), label("value", L)])
    r += 1
    for k, v in ctx.manifest:
        set_text(ws.cell(row=r, column=1), k).border = BORDER
        c = set_text(ws.cell(row=r, column=2), v)
        c.border = BORDER
        r += 1
    ws.column_dimensions["A"].width = 34
    ws.column_dimensions["B"].width = 80
    ws.column_dimensions["C"].width = 12
    ws.column_dimensions["D"].width = 12
    if ctx.internal:
        ws.oddHeader.center.text = label("mode.internal", L)
    ws.page_setup.orientation = "portrait"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True


def _suppression_note(ctx: ReportContext) -> str:
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


def _account(ctx: ReportContext, ws: Worksheet, r: int) -> int:
    """The account of every record (rows read, used, left out and why) from row ``r``; the
    next free row. Never a value from the data: counts and row numbers only."""
    if not ctx.account:
        return r
    L = ctx.lang
    set_text(ws.cell(row=r, column=1), label("account.title", L)).font = Font(bold=True)
    r += 1
    headers = [
        label("h.dataset", L),
        label("h.why", L),
        label("h.read", L),
        label("h.used", L),
        label("h.left_out", L),
    ]
    _header(ws, r, headers)
    r += 1
    for a in ctx.account:
        why = "; ".join(
            f"{loss.rows:,} {label(f'reason.{loss.reason}', L)}"
            + (f" ({loss.detail})" if loss.detail else "")
            + ": "
            + ", ".join(str(x) for x in loss.examples)
            + (" ..." if loss.rows > len(loss.examples) else "")
            for loss in a.losses
        )
        notes = [
            label(
                "account.missing",
                L,
                file=a.file.rsplit("/", 1)[-1],
                column=m.column,
                indicators=", ".join(m.indicators),
                effect=label(f"effect.{m.role}", L),
            )
            for m in a.missing_columns
            if m.role not in ("date", "country")
        ]
        notes += [
            label("account.converted", L, column=col, shown=conversions_text(conv))
            for col, conv in a.converted.items()
        ]
        notes += [label("account.national", L, column=col) for col in a.national]
        if a.later:
            notes.append(label("account.later", L, n=f"{a.later:,}"))
        if a.not_dated:
            notes.append(label("account.not_dated", L, n=f"{a.not_dated:,}"))
        text = "; ".join([why, *notes] if why else notes) or "-"
        for j, v in enumerate([a.dataset, text, a.read, a.used, a.left_out], start=1):
            c = _put(ws, r, j, v, "#,##0" if j > 2 else None)
            c.alignment = TOP_WRAP if j == 2 else TOP
        ws.row_dimensions[r].height = 15 * min(6, 1 + len(text) // 70)
        r += 1
    return r + 1


try:  # pandas' missing-value marker, skipped when writing the tidy sheet
    from pandas import NA as _NA
except ImportError:  # pragma: no cover
    _NA = None
