"""The donor workbook: cover and manifest, indicator tracking table, by country, by period,
disaggregations, reference sheets, data quality, tidy data and native charts.

Every value from data goes through ``set_text`` (never a formula); every sheet has styled
headers, frozen panes, filters, number formats, column widths and print setup; the internal
edition says so at the top of every sheet."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.worksheet.hyperlink import Hyperlink
from openpyxl.worksheet.worksheet import Worksheet

from mel.engine.account import conversions_text
from mel.errors import ERROR_TYPES
from mel.outputs import reference_sheet
from mel.outputs.excel import (
    BORDER,
    TITLE_FONT,
    WRAP,
    Extent,
    fit_row_height,
    new_workbook,
    print_setup,
    rows_xml,
    set_text,
    stream_rows,
    stream_xml,
    write_header,
)
from mel.outputs.report.content import (
    ReportContext,
)
from mel.outputs.report.labels import country_name, label, problem, unit
from mel.outputs.report.sheets import (
    FIRST_ROW,
    INTERNAL_FONT,
    LINK_FONT,
    PILLAR_FILL,
    TOP,
    TOP_WRAP,
    banner,
    finish,
    legend_lines,
    put,
    suppression_note,
    table_header,
)
from mel.outputs.report.summary import (
    charts_sheet,
    summary_sheet,
)
from mel.outputs.report.tracking import (
    by_country_sheet,
    by_period_sheet,
    disaggregations_sheet,
    iptt_sheet,
    tracking_sheet,
)


def build(
    ctx: ReportContext, data: Callable[[], tuple[str, Extent | None]] | None = None
) -> Workbook:
    """The report's workbook. ``data``: where given, gives the Data sheet's rows as XML
    (``data_rows_xml``, made by another process while this one builds the other sheets) when
    the workbook is saved; else they are made here."""
    wb = new_workbook()
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
    tracking_sheet(ctx, sheets["tracking"])
    iptt_sheet(ctx, sheets["iptt"])
    by_country_sheet(ctx, sheets["country"])
    rows_of = by_period_sheet(ctx, sheets["period"])
    charts_sheet(ctx, sheets["charts"], sheets["period"], rows_of)
    disaggregations_sheet(ctx, sheets["disagg"])
    _reference(ctx, sheets["reference"])
    _quality(ctx, sheets["quality"])
    _data(ctx, sheets["data"], data)
    _cover(ctx, cover, [summary, *sheets.values()])
    summary_sheet(ctx, summary, sheets["period"], rows_of)
    return wb


def _reference(ctx: ReportContext, ws: Worksheet) -> None:
    banner(ctx, ws, label("sheet.reference", ctx.lang))
    L = ctx.lang
    write_header(
        ws, FIRST_ROW, [label("h.no", L), label("h.field", L), label("h.text", L)], [9, 26, 100]
    )
    r = FIRST_ROW + 1
    for ind in ctx.indicators:
        for k, (fld, text) in enumerate(_reference_rows(ctx, ind)):
            put(ws, r, 1, ind.id)
            c = put(ws, r, 2, fld)
            c.font = Font(bold=k == 0)
            v = put(ws, r, 3, text)
            v.alignment = WRAP
            if k == 0:
                v.font = Font(bold=True)
                for j in (1, 2, 3):
                    ws.cell(row=r, column=j).fill = PILLAR_FILL
            fit_row_height(ws, r, columns=3)
            r += 1
    finish(ws, FIRST_ROW, r - 1, 3, f"B{FIRST_ROW + 1}")


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
    banner(ctx, ws, label("sheet.quality", ctx.lang))
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
    table_header(ws, FIRST_ROW + 1, headers, [18, 24, 12, 48, 10, 40])
    set_text(ws.cell(row=FIRST_ROW, column=1), label("quality.findings", L)).font = Font(bold=True)
    groups: dict[tuple, list] = defaultdict(list)
    for f in ctx.findings:
        groups[(f.dataset or f.file or "", f.field or "", f.severity, f.code)].append(f)
    r = FIRST_ROW + 2
    if not groups:
        put(ws, r, 1, label("quality.none", L))
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
            put(ws, r, j, v, "#,##0" if j == 5 else None)
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
    table_header(ws, r, ex_headers)
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
            put(ws, r, j, v, "#,##0" if j == 5 else None)
        r += 1
    ws.freeze_panes = f"A{FIRST_ROW + 2}"
    print_setup(ws, FIRST_ROW + 1)


def data_rows_xml(ctx: ReportContext) -> tuple[str, Extent | None]:
    """The Data sheet's rows as the XML ``build`` writes for them (``excel.rows_xml``)."""
    return rows_xml(FIRST_ROW + 1, _data_rows(ctx))


def _data_rows(ctx: ReportContext):
    """The Data sheet's rows: the labelled table's, each value as ``itertuples`` gives it, read
    column by column (iterating its text columns cell by cell took most of the time)."""
    from mel.outputs.report import labelled

    t = labelled(ctx)
    return zip(*(t[c].tolist() for c in t.columns), strict=True)


def _data(
    ctx: ReportContext, ws: Worksheet, xml: Callable[[], tuple[str, Extent | None]] | None
) -> None:
    from mel.outputs.report import labelled_columns

    banner(ctx, ws, label("sheet.data", ctx.lang))
    set_text(ws.cell(row=3, column=1), label("data.note", ctx.lang)).font = Font(italic=True)
    cols = labelled_columns(ctx)
    table_header(ws, FIRST_ROW, cols, [14 if c in ("indicator", "country") else 13 for c in cols])
    # thousands of plain rows: written straight into the sheet's XML when saved (no cell objects)
    if xml is None:
        stream_rows(ws, FIRST_ROW + 1, _data_rows(ctx))
    else:
        stream_xml(ws, FIRST_ROW + 1, xml)
    finish(ws, FIRST_ROW, FIRST_ROW + len(ctx.table), len(cols), f"B{FIRST_ROW + 1}")
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
    set_text(ws.cell(row=r, column=1), suppression_note(ctx)).alignment = WRAP
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
    table_header(ws, r, [label("item", L), label("value", L)])
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
    table_header(ws, r, headers)
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
            c = put(ws, r, j, v, "#,##0" if j > 2 else None)
            c.alignment = TOP_WRAP if j == 2 else TOP
        ws.row_dimensions[r].height = 15 * min(6, 1 + len(text) // 70)
        r += 1
    return r + 1
