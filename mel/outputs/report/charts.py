"""Charts with matplotlib (Agg): per indicator, actual and target by period, by country, and by
its first disaggregation; PNG files and one PDF chart book with a contents page.

Files are byte-stable: no timestamps or software versions in the PNG and PDF metadata, fonts
bundled with matplotlib, fixed sizes and resolution."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.ticker import FuncFormatter

from mel.outputs.report.content import ALL, LOP, ReportContext, kind, plain
from mel.outputs.report.labels import label
from mel.outputs.tidy import atomic_write

DPI = 100
SIZE = (8.0, 4.2)
ACTUAL = "#1F4E78"
TARGET = "#C55A11"
PNG_META = {"Software": None}
PDF_META = {"Creator": None, "Producer": None, "CreationDate": None, "ModDate": None}


@dataclass
class Chart:
    name: str  # file stem
    title: str
    figure: object


def _formatter(ind):
    if kind(ind) in ("percentage", "change"):
        return FuncFormatter(lambda v, _: f"{v * 100:.0f}%")
    return FuncFormatter(lambda v, _: f"{v:,.0f}" if abs(v) >= 10 else f"{v:,.2g}")


def _decorate(ctx: ReportContext, fig, ax, title: str, ind, value_axis: str = "y") -> None:
    lines = [w for part in title.split("\n") for w in textwrap.wrap(part, 95)]
    ax.set_title("\n".join(lines), fontsize=9.5, loc="left")
    (ax.yaxis if value_axis == "y" else ax.xaxis).set_major_formatter(_formatter(ind))
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis="y", color="#DDDDDD", linewidth=0.6)
    ax.set_axisbelow(True)
    footer = f"{ctx.project.name} - {ctx.period}"  # type: ignore[attr-defined]
    fig.text(0.01, 0.01, footer, fontsize=6.5, color="#666666")
    if ctx.internal:
        fig.text(
            0.99,
            0.01,
            label("mode.internal", ctx.lang),
            fontsize=7,
            color="#C00000",
            ha="right",
            weight="bold",
        )
    else:
        fig.text(
            0.99, 0.01, label("mode.donor", ctx.lang), fontsize=6.5, color="#666666", ha="right"
        )


def _legend_room(ax) -> None:
    """A one-line legend above the bars, with head-room so that it covers none of them."""
    low, high = ax.get_ylim()
    ax.set_ylim(low, high + (high - low) * 0.18)
    ax.legend(fontsize=7, frameon=False, loc="upper left", ncol=3)


def _target_value(ind, row) -> float | None:
    if row is None:
        return None
    t = row["target"]
    try:
        x = float(t)
    except (TypeError, ValueError):
        return None
    if x != x:
        return None
    return x / 100 if kind(ind) in ("percentage", "change") else x


def charts_for(ctx: ReportContext, ind) -> list[Chart]:
    if kind(ind) == "milestone":
        return []
    out = []
    name = ctx.name(ind)
    # 1. actual and target by reporting period, all countries
    periods = ctx.periods
    actual = [plain(ind, ctx.cell(ind.id, ALL, p)) for p in periods]
    targets = [_target_value(ind, ctx.cell(ind.id, ALL, p)) for p in periods]
    fig, ax = plt.subplots(figsize=SIZE, dpi=DPI)
    xs = range(len(periods))
    ax.bar(
        xs,
        [a if a is not None else 0 for a in actual],
        color=ACTUAL,
        label=label("h.actual", ctx.lang),
    )
    for x, a in zip(xs, actual, strict=True):
        if a is None:
            ax.text(x, 0, "-", ha="center", va="bottom", fontsize=7, color="#999999")
    if any(t is not None for t in targets):
        ax.plot(
            [x for x, t in zip(xs, targets, strict=True) if t is not None],
            [t for t in targets if t is not None],
            "D",
            color=TARGET,
            label=label("h.target", ctx.lang),
        )
        _legend_room(ax)
    ax.set_xticks(list(xs), periods, rotation=45, ha="right", fontsize=7)
    _decorate(ctx, fig, ax, f"{label('chart.actual_target', ctx.lang, id=ind.id)}\n{name}", ind)
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    out.append(Chart(f"{ind.id}-1-by-period", f"{ind.id} {label('sheet.period', ctx.lang)}", fig))
    # 2. by country, the reporting period and the life of project to date
    countries = list(ctx.project.countries)  # type: ignore[attr-defined]
    fig, ax = plt.subplots(figsize=SIZE, dpi=DPI)
    width = 0.38
    for k, (per, color) in enumerate(((ctx.period, ACTUAL), (LOP, "#8EA9DB"))):
        vals = [plain(ind, ctx.cell(ind.id, c, per)) for c in countries]
        ax.bar(
            [i + (k - 0.5) * width for i in range(len(countries))],
            [v if v is not None else 0 for v in vals],
            width,
            color=color,
            label=ctx.period if per != LOP else label("h.lop_actual", ctx.lang),
        )
    lop_targets = [_target_value(ind, ctx.cell(ind.id, c, LOP)) for c in countries]
    if any(t is not None for t in lop_targets):
        ax.plot(
            [i + 0.5 * width for i, t in enumerate(lop_targets) if t is not None],
            [t for t in lop_targets if t is not None],
            "D",
            color=TARGET,
            label=label("h.lop_target", ctx.lang),
        )
    ax.set_xticks(range(len(countries)), countries, fontsize=8)
    _legend_room(ax)
    title = label("chart.by_country", ctx.lang, id=ind.id, period=ctx.period)
    _decorate(ctx, fig, ax, f"{title}\n{name}", ind)
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    out.append(Chart(f"{ind.id}-2-by-country", f"{ind.id} {label('sheet.country', ctx.lang)}", fig))
    # 3. by the first disaggregation, life of project to date, all countries
    if ind.disaggregations:
        d = ind.disaggregations[0]
        t = ctx.table
        cats = t[
            (t["indicator"] == ind.id)
            & (t["disaggregation"] == d.column)
            & (t["country"] == ALL)
            & (t["period"] == LOP)
        ]["category"].tolist()
        vals = [plain(ind, ctx.cell(ind.id, ALL, LOP, d.column, c)) for c in cats]
        if any(v is not None for v in vals):
            fig, ax = plt.subplots(figsize=(SIZE[0], max(2.6, 0.28 * len(cats) + 1.2)), dpi=DPI)
            ys = list(range(len(cats)))[::-1]
            ax.barh(ys, [v if v is not None else 0 for v in vals], color=ACTUAL)
            for y, v in zip(ys, vals, strict=True):
                if v is None:
                    ax.text(
                        0,
                        y,
                        " " + label("suppressed", ctx.lang),
                        va="center",
                        fontsize=7,
                        color="#999999",
                    )
            shown = [label("unknown", ctx.lang) if c == "Unknown" else c for c in cats]
            ax.set_yticks(ys, shown, fontsize=7)
            what = d.label or d.column
            title = label(
                "chart.by_disagg", ctx.lang, id=ind.id, what=what, period=label("lop", ctx.lang)
            )
            if d.multi_response:
                title += " " + label("multi", ctx.lang)
            _decorate(ctx, fig, ax, f"{title}\n{name}", ind, value_axis="x")
            ax.grid(axis="x", color="#DDDDDD", linewidth=0.6)
            ax.grid(axis="y", visible=False)
            fig.tight_layout(rect=(0, 0.04, 1, 1))
            out.append(Chart(f"{ind.id}-3-by-{d.column}", f"{ind.id} {what}", fig))
    return out


def write_charts(ctx: ReportContext, png_dir: Path, pdf_path: Path) -> list[Path]:
    """Every chart as PNG into ``png_dir`` and all of them in one PDF with a contents page.

    Charts are drawn one indicator at a time and closed once saved, so memory stays flat."""
    written: list[Path] = []
    entries: list[tuple[str, str, int, int]] = []  # id, name, first page, last page
    page = 2
    for ind in ctx.indicators:
        n = len(plan(ctx, ind))
        if n:
            entries.append((ind.id, ctx.name(ind), page, page + n - 1))
            page += n

    def book(p: Path) -> None:
        with PdfPages(p, metadata=PDF_META) as pdf:
            contents = _contents(ctx, entries)
            pdf.savefig(contents)
            plt.close(contents)
            for ind in ctx.indicators:
                for chart in charts_for(ctx, ind):
                    path = png_dir / f"{chart.name}.png"
                    atomic_write(
                        path,
                        lambda q, fig=chart.figure: fig.savefig(q, format="png", metadata=PNG_META),
                    )
                    written.append(path)
                    pdf.savefig(chart.figure)
                    plt.close(chart.figure)

    try:
        atomic_write(pdf_path, book)
    finally:
        plt.close("all")
    return [*written, pdf_path]


def plan(ctx: ReportContext, ind) -> list[str]:
    """The names of the charts ``charts_for`` draws for an indicator, without drawing them."""
    if kind(ind) == "milestone":
        return []
    names = [f"{ind.id}-1-by-period", f"{ind.id}-2-by-country"]
    if ind.disaggregations:
        d = ind.disaggregations[0]
        t = ctx.table
        cats = t[
            (t["indicator"] == ind.id)
            & (t["disaggregation"] == d.column)
            & (t["country"] == ALL)
            & (t["period"] == LOP)
        ]["category"].tolist()
        if any(plain(ind, ctx.cell(ind.id, ALL, LOP, d.column, c)) is not None for c in cats):
            names.append(f"{ind.id}-3-by-{d.column}")
    return names


def _contents(ctx: ReportContext, entries: list[tuple[str, str, int, int]]):
    """The chart book's first page: what it is, and each indicator's pages."""
    fig = plt.figure(figsize=(8.27, 11.69), dpi=DPI)
    p = ctx.project
    y = 0.95
    for line in textwrap.wrap(f"{label('chart.book', ctx.lang)}: {p.name}", 70):  # type: ignore[attr-defined]
        fig.text(0.08, y, line, fontsize=13, weight="bold")
        y -= 0.028
    facts = [
        f"{label('donor', ctx.lang)}: {p.donor}",  # type: ignore[attr-defined]
        f"{label('period', ctx.lang)}: {ctx.period} ({ctx.period_start} - {ctx.period_end})",
    ]
    for text in facts:
        fig.text(0.08, y, text, fontsize=9)
        y -= 0.022
    edition = label("mode.internal" if ctx.internal else "mode.donor", ctx.lang)
    fig.text(
        0.08,
        y,
        edition,
        fontsize=9,
        weight="bold" if ctx.internal else "normal",
        color="#C00000" if ctx.internal else "black",
    )
    y -= 0.04
    fig.text(0.08, y, label("contents", ctx.lang), fontsize=11, weight="bold")
    y -= 0.03
    for iid, name, first, last in entries:
        pages = f"{first}" if first == last else f"{first}-{last}"
        short = name if len(name) <= 78 else name[:75] + "..."
        fig.text(0.08, y, iid, fontsize=7.5, weight="bold")
        fig.text(0.19, y, short, fontsize=7.5)
        fig.text(0.92, y, f"{label('chart.page', ctx.lang)} {pages}", fontsize=7.5, ha="right")
        y -= 0.019
        if y < 0.04:
            break
    return fig
