"""The report as one web page (``report-<period>.html``): opens offline from an email attachment.

Everything is inside the file: the styles, a few lines of script for the filters, the charts as
SVG drawn here. No request goes to any other host. The values are the workbook's own
(:func:`mel.outputs.report.tracking.tracking_values` gives both), with the same markers for
hidden values; each value cell carries the workbook's value in ``data-value``."""

from __future__ import annotations

import html
import math

from mel.outputs.report.content import (
    ALL,
    LOP,
    ReportContext,
    display,
    kind,
    marker,
    plain,
)
from mel.outputs.report.labels import country_name, label, status
from mel.outputs.report.sheets import legend_lines, suppression_note
from mel.outputs.report.tracking import TRACKING, tracking_values

_SEP = {"en": (",", "."), "fr": ("\u202f", ","), "es": (".", ",")}


def fmt_text(value: object, fmt: str | None, lang: str) -> str:
    """A workbook cell's value as the workbook shows it, as text."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    x = float(value)  # type: ignore[arg-type]  # numbers: text was returned above
    thousands, decimal = _SEP.get(lang, _SEP["en"])

    def num(v: float, places: int, trim: bool = False) -> str:
        s = f"{v:,.{places}f}"
        if trim and "." in s:
            s = s.rstrip("0").rstrip(".")
        return s.replace(",", "\x00").replace(".", decimal).replace("\x00", thousands)

    f = fmt or ""
    if f.startswith("+0.0%"):
        return ("+" if x > 0 else "") + num(x * 100, 1) + "%"
    if f == "0.0%":
        return num(x * 100, 1) + "%"
    if f == "#,##0.00":
        return num(x, 2)
    if '"' in f:  # money: #,##0 "USD"
        unit = f.split('"')[1]
        return f"{num(x, 0 if '.00' not in f else 2)} {unit}"
    if f in ("#,##0.0#", "#,##0.##"):
        return num(x, 2, trim=True)
    return num(x, 0)


def _e(text: object) -> str:
    return html.escape("" if text is None else str(text), quote=True)


def _cell(value: object, fmt: str | None, lang: str, cls: str = "", actual: str = "") -> str:
    """A value cell: the text the workbook shows, its value in ``data-value``; an actual's cell
    also names its indicator (``actual``), for the privacy scans."""
    shown = fmt_text(value, fmt, lang)
    raw = value if isinstance(value, str) else "" if value is None else repr(float(value))  # type: ignore[arg-type]  # reason: numbers and text only
    klass = f' class="{cls}{" actual" if actual else ""}"' if cls or actual else ""
    owner = f' data-indicator="{_e(actual)}"' if actual else ""
    return f'<td{klass}{owner} data-value="{_e(raw)}">{_e(shown)}</td>'


def _countries(ctx: ReportContext) -> list[str]:
    return [ALL, *ctx.project.countries]


def _country(ctx: ReportContext, c: str) -> str:
    return label("all", ctx.lang) if c == ALL else country_name(c, ctx.lang)


# --- sections ------------------------------------------------------------------------------------


def _summary(ctx: ReportContext) -> str:
    L = ctx.lang
    rows = []
    for ind in ctx.indicators:
        lop = ctx.cell(ind.id, ALL, LOP)
        st = "" if lop is None or lop["status"] != lop["status"] else str(lop["status"] or "")
        value, fmt = display(ind, lop, L, ctx.threshold)
        rows.append(
            f"<tr><td>{_e(ind.id)}</td><td>{_e(ctx.name(ind))}</td>"
            f"{_cell(value, fmt, L, 'num', ind.id)}<td>{_e(status(st, L) if st else '')}</td></tr>"
        )
    head = "".join(
        f"<th scope=col>{_e(h)}</th>"
        for h in (label("h.no", L), label("h.indicator", L), label("h.actual_to_date", L),
                  label("h.status_to_date", L))
    )  # fmt: skip
    return (
        f"<section id=summary><h2>{_e(label('sheet.summary', L))}</h2>"
        f"<table class=data><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
        "</section>"
    )


def _filters(ctx: ReportContext) -> str:
    L = ctx.lang
    pillars = list(dict.fromkeys(i.pillar for i in ctx.indicators))
    statuses = sorted(
        {str(s) for s in ctx.table.loc[ctx.table["period"] == LOP, "status"].dropna() if s}
    )

    def select(name: str, what: str, options: list[tuple[str, str]]) -> str:
        opts = "".join(f'<option value="{_e(v)}">{_e(t)}</option>' for v, t in options)
        return (
            f'<label for="f-{name}">{_e(what)}</label> '
            f'<select id="f-{name}" data-filter="{name}"><option value="">'
            f"{_e(label('filter.all', L))}</option>{opts}</select>"
        )

    return (
        '<div class=filters role=search id=filters>'
        + select("pillar", label("filter.pillar", L),
                 [(p, label(f"pillar.{p}", L)) for p in pillars])
        + select("country", label("filter.country", L),
                 [(c, _country(ctx, c)) for c in _countries(ctx)])
        + select("status", label("h.status_to_date", L), [(s, status(s, L)) for s in statuses])
        + ' <output id=shown aria-live=polite></output></div>'
    )  # fmt: skip


def _tracking(ctx: ReportContext) -> str:
    L = ctx.lang
    heads = [label("h.no", L), label("h.indicator", L), label("filter.country", L)] + [
        label(k, L) + (f" ({ctx.period})" if k in ("h.period_target", "h.period_actual") else "")
        for k, _ in TRACKING
    ]
    head = "".join(f"<th scope=col>{_e(h)}</th>" for h in heads)
    body = []
    for ind in ctx.indicators:
        for c in _countries(ctx):
            values = tracking_values(ctx, ind, c)
            lop = ctx.cell(ind.id, c, LOP)
            st = "" if lop is None or lop["status"] != lop["status"] else str(lop["status"] or "")
            p = ctx.cell(ind.id, c)
            derived = {
                k
                for k, row in ((1, lop), (2, p))
                if row is not None and bool(row["target_derived"])
            }
            cells = "".join(
                _cell(
                    v,
                    f,
                    L,
                    ("num" if k not in (7, 11, 12) else "") + (" derived" if k in derived else ""),
                    ind.id if k in (3, 9) else "",
                )
                for k, (v, f) in enumerate(values)
            )
            body.append(
                f'<tr data-pillar="{_e(ind.pillar)}" data-country="{_e(c)}" '
                f'data-status="{_e(st)}" data-indicator="{_e(ind.id)}">'
                f"<td>{_e(ind.id)}</td><td>{_e(ctx.name(ind))}</td><td>{_e(_country(ctx, c))}</td>"
                f"{cells}</tr>"
            )
    return (
        f"<section id=tracking><h2>{_e(label('sheet.tracking', L))}</h2>{_filters(ctx)}"
        f"<div class=scroll><table class=data id=tracking-table><thead><tr>{head}</tr></thead>"
        f"<tbody>{''.join(body)}</tbody></table></div></section>"
    )


def _chart(ctx: ReportContext, ind) -> str:
    """Actual vs target by period (all countries) as an SVG: bars for actuals, a line of dots
    for targets; a hidden or missing actual is a labelled gap; axes from 0."""
    L = ctx.lang
    periods = ctx.periods
    actual = [plain(ind, ctx.cell(ind.id, ALL, p)) for p in periods]
    targets: list[float | None] = []
    for p in periods:
        row = ctx.cell(ind.id, ALL, p)
        t = None if row is None else row["target"]
        if t is None or (isinstance(t, float) and math.isnan(t)) or kind(ind) == "milestone":
            targets.append(None)
        else:
            targets.append(float(t) / (100 if kind(ind) in ("percentage", "change") else 1))
    top = max([v for v in actual + targets if v is not None] + [0.0]) or 1.0
    w, h, left, bottom = 640, 220, 56, 40
    step = (w - left - 10) / max(1, len(periods))
    y = lambda v: h - bottom - (h - bottom - 16) * (v / top)  # noqa: E731
    parts = [
        f'<svg role="img" viewBox="0 0 {w} {h}" width="100%" aria-label="{_e(ctx.name(ind))}">',
        f'<line x1="{left}" y1="{h - bottom}" x2="{w - 8}" y2="{h - bottom}" class=axis />',
        f'<line x1="{left}" y1="12" x2="{left}" y2="{h - bottom}" class=axis />',
    ]
    pct = kind(ind) in ("percentage", "change")
    for frac in (0, 0.5, 1):
        v = top * frac
        text = fmt_text(v, "0.0%" if pct else "#,##0.0#", L)
        parts.append(f'<text x="{left - 6}" y="{y(v) + 4:.1f}" class=tick>{_e(text)}</text>')
    unit = "0.0%" if pct else "#,##0.0#"
    for i, p in enumerate(periods):
        x = left + i * step + step * 0.15
        if actual[i] is not None:
            parts.append(
                f'<rect x="{x:.1f}" y="{y(actual[i]):.1f}" width="{step * 0.7:.1f}" '
                f'height="{max(0.5, h - bottom - y(actual[i])):.1f}" class=bar>'
                f"<title>{_e(p)}: {_e(fmt_text(actual[i], unit, L))}</title></rect>"
            )
        else:
            mark = marker(ctx.cell(ind.id, ALL, p), L, ctx.threshold) or ""
            parts.append(
                f'<text x="{x + step * 0.35:.1f}" y="{h - bottom - 4}" class=gap>{_e(mark)}</text>'
            )
        if targets[i] is not None:
            cy = y(targets[i])
            parts.append(
                f'<circle cx="{x + step * 0.35:.1f}" cy="{cy:.1f}" r="3.5" class=target />'
            )
        if len(periods) <= 16 or i % 2 == 0:
            parts.append(
                f'<text x="{x + step * 0.35:.1f}" y="{h - bottom + 14}" class=period>{_e(p)}</text>'
            )
    parts.append(
        f'<text x="{left}" y="{h - 6}" class=key><tspan class=bar>■</tspan> '
        f"{_e(label('h.period_actual', L))}  <tspan class=target>●</tspan> "
        f"{_e(label('h.period_target', L))}</text></svg>"
    )
    return "".join(parts)


def _charts(ctx: ReportContext) -> str:
    L = ctx.lang
    figs = [
        f'<figure data-indicator="{_e(ind.id)}"><figcaption>{_e(ind.id)} {_e(ctx.name(ind))}'
        f"</figcaption>{_chart(ctx, ind)}</figure>"
        for ind in ctx.indicators
        if kind(ind) != "milestone"
    ]
    return f"<section id=charts><h2>{_e(label('sheet.charts', L))}</h2>{''.join(figs)}</section>"


def _disaggregations(ctx: ReportContext) -> str:
    L = ctx.lang
    blocks = []
    for ind in ctx.indicators:
        for d in ind.disaggregations:
            cats = ctx.categories(ind.id, d.column)
            if not cats:
                continue
            rows = "".join(
                f"<tr><th scope=row>{_e(ctx.category(ind, d.column, c))}</th>"
                + _cell(*display(ind, ctx.cell(ind.id, ALL, ctx.period, d.column, c), L,
                                 ctx.threshold), L, "num", ind.id)
                + _cell(*display(ind, ctx.cell(ind.id, ALL, LOP, d.column, c), L, ctx.threshold),
                        L, "num", ind.id)
                + "</tr>"
                for c in cats
            )  # fmt: skip
            blocks.append(
                f'<table class=data data-indicator="{_e(ind.id)}"><caption>{_e(ind.id)} '
                f"{_e(ctx.name(ind))}: {_e(ctx.breakdown(ind, d))}</caption><thead><tr><th></th>"
                f"<th scope=col>{_e(label('h.period_actual', L))} ({_e(ctx.period)})</th>"
                f"<th scope=col>{_e(label('h.actual_to_date', L))}</th></tr></thead>"
                f"<tbody>{rows}</tbody></table>"
            )
    return (
        f"<section id=disaggregations><h2>{_e(label('sheet.disagg', L))}</h2>"
        f"{''.join(blocks)}</section>"
    )


def _readme(ctx: ReportContext) -> str:
    L = ctx.lang
    project = ctx.project
    about = [
        (label("countries", L), ", ".join(country_name(c, L) for c in project.countries)),
        (label("project_dates", L), f"{ctx.full_project.start} - {ctx.full_project.end}"),
        (label("period", L), ctx.period),
        (label("period_dates", L), f"{ctx.period_start} - {ctx.period_end}"),
        (label("as_of", L), str(ctx.as_of)),
        (label("mode", L), label("mode.internal" if ctx.internal else "mode.donor", L)),
    ]
    about += [(k, v) for k, v in ctx.manifest if not k.startswith(("definition ", "input "))]
    facts = "".join(f"<tr><th scope=row>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in about)
    legend = "".join(f"<li>{_e(t)}</li>" for t in legend_lines(ctx)[1:])
    return (
        f"<section id=readme><h2>{_e(label('sheet.readme', L))}</h2>"
        f"<p>{_e(suppression_note(ctx))}</p><table class=facts>{facts}</table>"
        f"<h3>{_e(legend_lines(ctx)[0])}</h3><ul class=legend>{legend}</ul></section>"
    )


_STYLE = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;margin:0;
  color:#1f2328}
header{background:#1f4e79;color:#fff;padding:16px 24px}
header h1{margin:0 0 4px;font-size:22px}
header .edition{display:inline-block;margin-top:6px;padding:2px 8px;border-radius:4px;
  background:#fff;color:#1f4e79;font-weight:600}
header .internal{background:#c00000;color:#fff}
nav{padding:8px 24px;background:#eef3f8;position:sticky;top:0;z-index:1}
nav a{margin-right:16px}
main{padding:8px 24px 40px}
section{margin:24px 0}
h2{font-size:18px;border-bottom:2px solid #1f4e79;padding-bottom:4px}
table.data{border-collapse:collapse;margin:8px 0 16px;font-size:13px}
table.data th,table.data td{border:1px solid #c8d1dc;padding:3px 6px;vertical-align:top}
table.data thead th{background:#dde7f1}
td.num{text-align:right;white-space:nowrap}
td.derived{font-style:italic}
tbody th{text-align:left;font-weight:normal}
#tracking-table td:first-child{white-space:nowrap}
#tracking-table td:nth-child(2){min-width:18em}
#disaggregations table{display:inline-table;margin-right:18px;vertical-align:top}
caption{text-align:left;font-weight:600;padding:4px 0}
.scroll{overflow-x:auto}
.filters{display:flex;gap:14px;flex-wrap:wrap;align-items:center;margin:8px 0}
select{font:inherit;padding:2px 4px}
select:focus,a:focus{outline:3px solid #f0a500;outline-offset:1px}
figure{display:inline-block;width:min(640px,100%);margin:8px 16px 16px 0;vertical-align:top}
figcaption{font-weight:600;font-size:13px}
.axis{stroke:#555}
.bar{fill:#2e75b6}
.target{fill:#c55a11}
.tick{font-size:10px;text-anchor:end;fill:#333}
.period{font-size:9px;text-anchor:middle;fill:#333}
.gap{font-size:10px;text-anchor:middle;fill:#7f7f7f}
.key{font-size:11px;fill:#333}
.skip{position:absolute;left:-999px}
.skip:focus{left:8px;top:8px;background:#fff;padding:4px;z-index:2}
table.facts th{text-align:left;padding-right:12px;font-weight:600}
@media print{nav,.filters{display:none}
table.data thead th{position:static}
"""

_SCRIPT = """
(function(){
  var sel=[].slice.call(document.querySelectorAll('select[data-filter]'));
  var rows=[].slice.call(document.querySelectorAll('#tracking-table tbody tr'));
  var out=document.getElementById('shown');
  function apply(){
    var n=0;
    rows.forEach(function(r){
      var ok=sel.every(function(s){
        return !s.value||r.getAttribute('data-'+s.getAttribute('data-filter'))===s.value;
      });
      r.hidden=!ok; if(ok){n++;}
    });
    out.textContent=out.getAttribute('data-template').replace('{n}',n).replace('{total}',rows.length);
  }
  sel.forEach(function(s){s.addEventListener('change',apply);});
  apply();
})();
"""


def web_report(ctx: ReportContext) -> str:
    L = ctx.lang
    edition = label("mode.internal" if ctx.internal else "mode.donor", L)
    title = f"{ctx.project.name} - {label('period', L)}: {ctx.period}"
    nav = "".join(
        f'<a href="#{a}">{_e(label(k, L))}</a>'
        for a, k in (("summary", "sheet.summary"), ("tracking", "sheet.tracking"),
                     ("charts", "sheet.charts"), ("disaggregations", "sheet.disagg"),
                     ("readme", "sheet.readme"))
    )  # fmt: skip
    shown = label("filter.shown", L)
    return (
        f'<!DOCTYPE html><html lang="{_e(L)}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">"
        f"<title>{_e(title)}</title><style>{_STYLE}</style></head><body>"
        f'<a class=skip href="#filters">{_e(label("filter.skip", L))}</a>'
        f"<header><h1>{_e(ctx.project.name)}</h1><div>{_e(ctx.project.donor)} - "
        f"{_e(label('period', L))}: {_e(ctx.period)} - {_e(str(ctx.as_of))}</div>"
        f'<div class="edition{" internal" if ctx.internal else ""}">{_e(edition)}</div></header>'
        f"<nav>{nav}</nav><main>"
        + _summary(ctx)
        + _tracking(ctx).replace(
            "<output id=shown", f'<output id=shown data-template="{_e(shown)}"'
        )
        + _charts(ctx)
        + _disaggregations(ctx)
        + _readme(ctx)
        + f"</main><script>{_SCRIPT}</script></body></html>\n"
    )


__all__ = ["fmt_text", "web_report"]
