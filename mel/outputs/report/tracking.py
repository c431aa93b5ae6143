"""The tables of the donor workbook: indicator tracking, the IPTT of the fiscal year, by country,
by period and the disaggregations."""

from __future__ import annotations

from openpyxl.styles import PatternFill
from openpyxl.worksheet.worksheet import Worksheet

from mel.outputs.excel import (
    alignment,
    fit_row_height,
    font,
    set_text,
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
from mel.outputs.report.labels import country_name, label, unit
from mel.outputs.report.sheets import (
    FIRST_ROW,
    LEVEL_FILL,
    PILLAR_FILL,
    TOP,
    TOP_WRAP,
    banner,
    basis_text,
    finish,
    legend,
    put,
    status_rules,
    status_word,
    table_header,
    target_cell,
)

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


def tracking_values(ctx: ReportContext, ind, country: str) -> list[tuple[object, str | None]]:
    """The 13 tracking columns of one indicator and country, as (value, number format): what
    the workbook's tracking sheets and the web report both show."""
    L = ctx.lang
    p = ctx.cell(ind.id, country)
    lop = ctx.cell(ind.id, country, LOP)
    th = ctx.threshold
    out: list[tuple[object, str | None]] = [
        baseline_display(ind, lop["baseline"] if lop is not None else None, L),
        target_display(ind, lop["target"] if lop is not None else None, L),
        target_display(ind, p["target"] if p is not None else None, L),
        display(ind, p, L, th),
    ]
    ratio = kind(ind) in ("percentage", "ratio")
    for col in ("numerator", "denominator"):
        v = p[col] if ratio and p is not None and not bool(p["suppressed"]) else None
        out.append((None if v is None or v != v else float(v), "#,##0"))
    out.append(pct_display(p["pct_of_target"]) if p is not None else (None, None))
    out.append((status_word(p, "status", L), None))
    out.append(target_display(ind, lop["target_to_date"] if lop is not None else None, L))
    out.append(display(ind, lop, L, th))
    out.append(pct_display(lop["pct_to_date"]) if lop is not None else (None, None))
    out.append((status_word(lop, "status", L), None))
    out.append((basis_text(lop["to_date_basis"] if lop is not None else None, L), None))
    return out


def _tracking_values(ctx: ReportContext, ws, r: int, first: int, ind, country: str) -> None:
    """The tracking columns of one indicator and country, from column ``first``."""
    values = tracking_values(ctx, ind, country)
    lop = ctx.cell(ind.id, country, LOP)
    p = ctx.cell(ind.id, country)
    for k, (v, fmt) in enumerate(values):
        c = put(ws, r, first + k, v, fmt)
        row = lop if k == 1 else p if k == 2 else None
        if row is not None and bool(row.get("target_derived", False)):
            c.font = font(italic=True)
    for k in range(13):
        c = ws.cell(row=r, column=first + k)
        text = isinstance(c.value, str)
        c.alignment = alignment(
            wrap_text=text and k in (7, 11, 12),
            vertical="top",
            horizontal="right" if k not in (7, 11, 12) else None,
        )


def tracking_sheet(ctx: ReportContext, ws: Worksheet) -> None:
    banner(ctx, ws, label("sheet.tracking", ctx.lang))
    L = ctx.lang
    headers = [label("h.no", L), label("h.indicator", L), label("h.unit", L)]
    headers += [
        label(k, L) + (f" ({ctx.period})" if k in ("h.period_target", "h.period_actual") else "")
        for k, _ in TRACKING
    ]
    table_header(ws, FIRST_ROW, headers, [9, 48, 12, *[w for _, w in TRACKING]])
    r = FIRST_ROW + 1
    last: tuple[str | None, str | None] = (None, None)
    for ind in ctx.indicators:
        if last[0] != ind.pillar:
            c = put(ws, r, 1, label(f"pillar.{ind.pillar}", L))
            c.font = font(bold=True)
            for j in range(1, len(headers) + 1):
                ws.cell(row=r, column=j).fill = PILLAR_FILL
            r += 1
            last = (ind.pillar, None)
        if last[1] != ind.level:
            c = put(ws, r, 2, label(f"level.{ind.level}", L))
            c.font = font(italic=True)
            for j in range(1, len(headers) + 1):
                ws.cell(row=r, column=j).fill = LEVEL_FILL
            r += 1
            last = (ind.pillar, ind.level)
        put(ws, r, 1, ind.id).alignment = TOP
        put(ws, r, 2, ctx.name(ind)).alignment = TOP_WRAP
        put(ws, r, 3, unit(ind, L)).alignment = TOP_WRAP
        _tracking_values(ctx, ws, r, 4, ind, ALL)
        fit_row_height(ws, r, columns=len(headers))
        r += 1
    last_row = max(r - 1, FIRST_ROW + 1)
    for col in ("K", "O"):
        status_rules(ctx, ws, f"{col}{FIRST_ROW + 1}:{col}{last_row}")
    finish(ws, FIRST_ROW, r - 1, len(headers), f"C{FIRST_ROW + 1}")
    legend(ctx, ws, r)


HIGHLIGHT = PatternFill("solid", fgColor="FFF2CC")  # the reported period's columns


def iptt_sheet(ctx: ReportContext, ws: Worksheet) -> None:
    """TolaData's indicator performance tracking table: per indicator (all countries, then each
    country, folded), for each reporting period of the fiscal year so far target / actual /
    % met, then the fiscal year and the life of project; the reported period highlighted; the
    officer's variance explanation for it."""
    L = ctx.lang
    banner(ctx, ws, label("sheet.iptt", L))
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
    table_header(ws, sub, headers, widths)
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
        c.font = font(bold=True)
        c.alignment = alignment(horizontal="center")
        ws.merge_cells(start_row=top, start_column=col, end_row=top, end_column=col + 2)
        if per == ctx.period:
            for j in range(col, col + 3):
                ws.cell(row=top, column=j).fill = HIGHLIGHT
    r = sub + 1
    countries = [ALL, *ctx.project.countries]
    for ind in ctx.indicators:
        for country in countries:
            put(ws, r, 1, ind.id).alignment = TOP
            # the name once, on the all-countries row; the id on every row, for filters
            put(ws, r, 2, ctx.name(ind) if country == ALL else None).alignment = TOP_WRAP
            put(ws, r, 3, country_name(country, L)).alignment = TOP
            put(ws, r, 4, unit(ind, L)).alignment = TOP_WRAP
            for k, (per, _what) in enumerate(blocks):
                col = len(fixed) + 1 + 3 * k
                row = ctx.cell(ind.id, country, per)
                target_cell(ws, r, col, ind, row, "target", L)
                put(ws, r, col + 1, *display(ind, row, L, ctx.threshold))
                put(
                    ws,
                    r,
                    col + 2,
                    *(pct_display(row["pct_of_target"]) if row is not None else (None, None)),
                )
                for j in range(col, col + 3):
                    cell = ws.cell(row=r, column=j)
                    cell.alignment = alignment(horizontal="right", vertical="top")
                    if per == ctx.period:
                        cell.fill = HIGHLIGHT
            text = ctx.narratives.get((ind.id, country, ctx.period))
            put(ws, r, len(headers), text).alignment = TOP_WRAP
            if country == ALL:
                for j in range(1, len(headers) + 1):
                    cell = ws.cell(row=r, column=j)
                    cell.font = font(bold=True, italic=cell.font.italic)
            else:
                ws.row_dimensions[r].outlineLevel = 1
            fit_row_height(ws, r, columns=len(headers))
            r += 1
    ws.sheet_properties.outlinePr.summaryBelow = False
    finish(ws, sub, r - 1, len(headers), f"E{sub + 1}")
    ws.print_title_rows = f"{top}:{sub}"
    legend(ctx, ws, r)


def by_country_sheet(ctx: ReportContext, ws: Worksheet) -> None:
    banner(ctx, ws, label("sheet.country", ctx.lang))
    L = ctx.lang
    headers = [label("h.no", L), label("h.indicator", L), label("h.country", L)]
    headers += [
        label(k, L) + (f" ({ctx.period})" if k in ("h.period_target", "h.period_actual") else "")
        for k, _ in TRACKING
    ]
    table_header(ws, FIRST_ROW, headers, [9, 40, 16, *[w for _, w in TRACKING]])
    r = FIRST_ROW + 1
    countries = [*ctx.project.countries, ALL]
    for ind in ctx.indicators:
        for country in countries:
            put(ws, r, 1, ind.id)
            put(ws, r, 2, ctx.name(ind)).alignment = TOP_WRAP
            put(ws, r, 3, country_name(country, L))
            _tracking_values(ctx, ws, r, 4, ind, country)
            if country == ALL:
                for j in range(1, len(headers) + 1):
                    cell = ws.cell(row=r, column=j)
                    cell.font = font(bold=True, italic=cell.font.italic)
            fit_row_height(ws, r, columns=len(headers))
            r += 1
    last_row = max(r - 1, FIRST_ROW + 1)
    for col in ("K", "O"):
        status_rules(ctx, ws, f"{col}{FIRST_ROW + 1}:{col}{last_row}")
    finish(ws, FIRST_ROW, r - 1, len(headers), f"D{FIRST_ROW + 1}")
    legend(ctx, ws, r)


def by_period_sheet(ctx: ReportContext, ws: Worksheet) -> dict[str, int]:
    """Indicators x periods (all countries); returns each indicator's row, for the charts."""
    banner(ctx, ws, label("sheet.period", ctx.lang))
    L = ctx.lang
    columns = [*ctx.periods, *ctx.years, LOP]
    headers = [label("h.no", L), label("h.indicator", L), label("h.unit", L), *columns]
    table_header(ws, FIRST_ROW, headers, [9, 50, 14, *[11] * len(columns)])
    rows_of: dict[str, int] = {}
    r = FIRST_ROW + 1
    for ind in ctx.indicators:
        rows_of[ind.id] = r
        put(ws, r, 1, ind.id)
        put(ws, r, 2, ctx.name(ind))
        put(ws, r, 3, unit(ind, L))
        for j, per in enumerate(columns, start=4):
            row = ctx.cell(ind.id, period=per)
            mark = marker(row, L, ctx.threshold)
            if mark is not None:
                put(ws, r, j, mark).alignment = alignment(horizontal="right")
            else:
                put(ws, r, j, plain(ind, row), plain_format(ind))
        r += 1
    finish(ws, FIRST_ROW, r - 1, len(headers), f"D{FIRST_ROW + 1}")
    legend(ctx, ws, r)
    return rows_of


def disaggregations_sheet(ctx: ReportContext, ws: Worksheet) -> None:
    """Per indicator and disaggregation, the categories for the period and the life of project,
    all countries and each; rows grouped (outline) so an officer can fold them."""
    banner(ctx, ws, label("sheet.disagg", ctx.lang))
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
    table_header(ws, FIRST_ROW, headers, [9, 48, 30, 18, 20, *[14] * len(countries)])
    ws.sheet_properties.outlinePr.summaryBelow = False
    r = FIRST_ROW + 1
    for ind in ctx.indicators:
        if not ind.disaggregations:
            continue
        put(ws, r, 1, ind.id).font = font(bold=True)
        put(ws, r, 2, ctx.name(ind)).font = font(bold=True)
        put(ws, r, 3, label("h.total", L)).font = font(bold=True)
        for j, (country, per) in enumerate(
            [(ALL, ctx.period), (ALL, LOP), *[(c, ctx.period) for c in countries]], start=4
        ):
            put(ws, r, j, *display(ind, ctx.cell(ind.id, country, per), L, ctx.threshold))
        for j in range(1, len(headers) + 1):
            ws.cell(row=r, column=j).fill = PILLAR_FILL
        r += 1
        for d in ind.disaggregations:
            title = ctx.breakdown(ind, d)
            if d.multi_response:
                title += " " + label("multi", L)
            put(ws, r, 2, title).font = font(italic=True)
            ws.row_dimensions[r].outlineLevel = 1
            r += 1
            cats = ctx.categories(ind.id, d.column)
            for cat in cats:
                put(ws, r, 1, ind.id)
                put(ws, r, 2, title)
                put(ws, r, 3, ctx.category(ind, d.column, cat))
                for j, (country, per) in enumerate(
                    [(ALL, ctx.period), (ALL, LOP), *[(c, ctx.period) for c in countries]],
                    start=4,
                ):
                    put(
                        ws,
                        r,
                        j,
                        *display(
                            ind, ctx.cell(ind.id, country, per, d.column, cat), L, ctx.threshold
                        ),
                    )
                ws.row_dimensions[r].outlineLevel = 2
                r += 1
    finish(ws, FIRST_ROW, r - 1, len(headers), f"D{FIRST_ROW + 1}")
    legend(ctx, ws, r)
