"""Charts with matplotlib (Agg): per indicator, actual and target by period, by country, and by
its first disaggregation; PNG files, and the pages of the PDF chart book
(:mod:`mel.outputs.report.book` puts the book together).

Files are byte-stable: no timestamps or software versions in the PNG and PDF metadata, fonts
bundled with matplotlib, fixed sizes and resolution."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # before pyplot is imported, wherever that is

from mel.engine.results import ALL, LOP
from mel.outputs.report.content import (
    ReportContext,
    definition_hash,
    kind,
    marker,
    plain,
    sha256,
)
from mel.outputs.report.labels import country_name, label
from mel.outputs.report.reuse import Drawn, Earlier, Reads, asked_again, keep, key
from mel.outputs.tidy import atomic_write

DPI = 100
SIZE = (8.0, 4.2)
PAGE = (8.27, 11.69)  # A4 portrait, a page of the chart book
ACTUAL = "#1F4E78"
TARGET = "#C55A11"
PNG_META = {"Software": None}
PDF_META = {"Creator": None, "Producer": None, "CreationDate": None, "ModDate": None}
Content = ReportContext | Reads  # what chart code reads the report's content through


@dataclass
class Chart:
    name: str  # file stem
    title: str
    figure: Any  # a matplotlib Figure


def pyplot():
    """matplotlib's pyplot, imported where a figure is first made (about 0.4 s a process): a
    rerun whose charts are all kept never needs it, nor does the process building the workbook
    while the chart workers draw."""
    import matplotlib.pyplot as plt

    return plt


def close_all() -> None:
    """Close every figure of this process, if it made any."""
    import sys

    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")


def _formatter(ind):
    from matplotlib.ticker import FuncFormatter

    if kind(ind) in ("percentage", "change"):
        return FuncFormatter(lambda v, _: f"{v * 100:.0f}%")
    return FuncFormatter(lambda v, _: f"{v:,.0f}" if abs(v) >= 10 else f"{v:,.2g}")


def _decorate(ctx: Content, fig, ax, title: str, ind, value_axis: str = "y") -> None:
    lines = [w for part in title.split("\n") for w in textwrap.wrap(part, 95)]
    ax.set_title("\n".join(lines), fontsize=9.5, loc="left", y=1.0)  # no autoposition: faster
    (ax.yaxis if value_axis == "y" else ax.xaxis).set_major_formatter(_formatter(ind))
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis="y", color="#DDDDDD", linewidth=0.6)
    ax.set_axisbelow(True)
    footer = f"{ctx.project.name} - {ctx.period}"
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


def _number(ind, v) -> float | None:
    try:
        x = float(v)
    except (TypeError, ValueError):
        return None
    if x != x:
        return None
    return x / 100 if kind(ind) in ("percentage", "change") else x


def _target_value(ind, row, column: str = "target") -> float | None:
    return None if row is None else _number(ind, row[column])


def _placeholders(ctx, ax, positions, rows, horizontal: bool = False) -> None:
    """A labelled mark where a bar has no value ('<5', '[c]', 'n/a', 'no data') or is 0:
    never a vanished bar that reads as zero."""
    for pos, row in zip(positions, rows, strict=True):
        mark = marker(row, ctx.lang, ctx.threshold)
        if mark is None and row is not None and row["value"] == 0:
            mark = "0"  # a zero, said: not a bar that failed to draw
        if mark is None:
            continue
        if horizontal:
            ax.text(0, pos, " " + mark, va="center", ha="left", fontsize=7, color="#7F7F7F")
        else:
            ax.text(
                pos,
                0,
                mark,
                ha="center",
                va="bottom",
                fontsize=6.5,
                color="#7F7F7F",
                rotation=90 if len(mark) > 3 else 0,
            )


def _from_zero(ind, ax, axis: str = "y") -> None:
    """Counts and percentages start at 0 (a change from a baseline may be negative)."""
    if kind(ind) == "change":
        return
    if axis == "y":
        ax.set_ylim(bottom=0)
    else:
        ax.set_xlim(left=0)


def _empty(ctx, ax) -> None:
    ax.text(
        0.5,
        0.5,
        label("marker.no_data", ctx.lang),
        transform=ax.transAxes,
        ha="center",
        va="center",
        fontsize=11,
        color="#7F7F7F",
    )


def draw_by_period(ctx: Content, ind, ax) -> str:
    """Actual and target by reporting period, all countries; the title."""
    periods = ctx.periods
    rows = [ctx.cell(ind.id, ALL, p) for p in periods]
    actual = [plain(ind, r) for r in rows]
    targets = [_target_value(ind, r) for r in rows]
    xs = list(range(len(periods)))
    ax.bar(
        xs,
        [a if a is not None else 0 for a in actual],
        color=ACTUAL,
        label=label("h.actual", ctx.lang),
    )
    _placeholders(ctx, ax, xs, rows)
    if any(t is not None for t in targets):
        ax.plot(
            [x for x, t in zip(xs, targets, strict=True) if t is not None],
            [t for t in targets if t is not None],
            "D",
            color=TARGET,
            label=label("h.target", ctx.lang),
        )
    if all(a is None for a in actual) and all(t is None for t in targets):
        for text in list(ax.texts):  # one 'no data' for the chart, not one per bar
            text.remove()
        _empty(ctx, ax)
    _from_zero(ind, ax)
    if any(t is not None for t in targets):
        _legend_room(ax)
    ax.set_xticks(xs, periods, rotation=45, ha="right", fontsize=7)
    return label("chart.actual_target", ctx.lang, id=ind.id)


def draw_by_country(ctx: Content, ind, ax) -> str:
    """Per country and all countries: the period's actual against its target, and the actual
    to date against the target to date (the status basis of the tables)."""
    countries = [*ctx.project.countries, ALL]
    width = 0.38
    drawn = False
    for k, (per, color, name, tcol) in enumerate(
        (
            (ctx.period, ACTUAL, ctx.period, "target"),
            (LOP, "#8EA9DB", label("h.actual_to_date", ctx.lang), "target_to_date"),
        )
    ):
        rows = [ctx.cell(ind.id, c, per) for c in countries]
        vals = [plain(ind, r) for r in rows]
        xs = [i + (k - 0.5) * width for i in range(len(countries))]
        ax.bar(xs, [v if v is not None else 0 for v in vals], width, color=color, label=name)
        _placeholders(ctx, ax, xs, rows)
        targets = [_target_value(ind, r, tcol) for r in rows]
        if any(t is not None for t in targets):
            ax.plot(
                [x for x, t in zip(xs, targets, strict=True) if t is not None],
                [t for t in targets if t is not None],
                "D",
                color=TARGET if k == 0 else "#F4B183",
                label=label("h.period_target" if k == 0 else "h.target_to_date", ctx.lang),
            )
        drawn |= any(v is not None for v in vals) or any(t is not None for t in targets)
    if not drawn:
        for text in list(ax.texts):
            text.remove()
        _empty(ctx, ax)
    _from_zero(ind, ax)
    ax.set_xticks(range(len(countries)), [country_name(c, ctx.lang) for c in countries], fontsize=8)
    _legend_room(ax)
    return label("chart.by_country", ctx.lang, id=ind.id, period=ctx.period)


def draw_by_category(ctx: Content, ind, ax) -> str:
    """The first disaggregation, life of project to date, all countries."""
    d = ind.disaggregations[0]
    cats = ctx.categories(ind.id, d.column)
    rows = [ctx.cell(ind.id, ALL, LOP, d.column, c) for c in cats]
    vals = [plain(ind, r) for r in rows]
    ys = list(range(len(cats)))[::-1]
    ax.barh(ys, [v if v is not None else 0 for v in vals], color=ACTUAL)
    _placeholders(ctx, ax, ys, rows, horizontal=True)
    ax.set_yticks(ys, [ctx.category(ind, d.column, c) for c in cats], fontsize=7)
    _from_zero(ind, ax, "x")
    ax.grid(axis="x", color="#DDDDDD", linewidth=0.6)
    ax.grid(axis="y", visible=False)
    what = ctx.breakdown(ind, d)
    if len(what) > 1 and what[1].islower():  # "by type of exploitation", not "by Type of"
        what = what[0].lower() + what[1:]
    title = label("chart.by_disagg", ctx.lang, id=ind.id, what=what, period=label("lop", ctx.lang))
    if d.multi_response:
        title += " " + label("multi", ctx.lang)
    return title


def _drawers(ctx: Content, ind) -> list[tuple[str, Callable[..., str], str, float]]:
    """(file stem, draw function, value axis, relative height) of an indicator's charts."""
    if kind(ind) == "milestone":
        return []
    out = [
        (f"{ind.id}-1-by-period", draw_by_period, "y", 1.0),
        (f"{ind.id}-2-by-country", draw_by_country, "y", 1.0),
    ]
    if ind.disaggregations:
        d = ind.disaggregations[0]
        cats = ctx.categories(ind.id, d.column)
        if any(plain(ind, ctx.cell(ind.id, ALL, LOP, d.column, c)) is not None for c in cats):
            height = max(2.6, 0.28 * len(cats) + 1.2) / SIZE[1]
            out.append((f"{ind.id}-3-by-{d.column}", draw_by_category, "x", height))
    return out


def _figure(ctx: Content, ind, draw, axis: str, height: float):
    """One chart of an indicator as its own figure, built but not yet laid out."""
    fig, ax = pyplot().subplots(figsize=(SIZE[0], SIZE[1] * height), dpi=DPI)
    title = draw(ctx, ind, ax)
    _decorate(ctx, fig, ax, f"{title}\n{ctx.name(ind)}", ind, value_axis=axis)
    return title, fig


def _lay_out(fig) -> None:
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    # the layout is done: with its engine left in place, saving would draw the figure
    # once more, unseen, only to lay it out again the same way (an eighth of the time)
    fig.set_layout_engine(None)


def charts_for(ctx: ReportContext, ind) -> list[Chart]:
    """Each chart of an indicator as its own figure (the PNG files)."""
    out = []
    for stem, draw, axis, height in _drawers(ctx, ind):
        title, fig = _figure(ctx, ind, draw, axis, height)
        _lay_out(fig)
        out.append(Chart(stem, title, fig))
    return out


def page_for(ctx: Content, ind):
    """An indicator's page of the chart book: its charts one above the other on an A4 page."""
    drawers = _drawers(ctx, ind)
    if not drawers:
        return None
    fig = pyplot().figure(figsize=PAGE, dpi=DPI)
    heights = [h for *_, h in drawers]
    grid = fig.add_gridspec(
        len(drawers),
        1,
        height_ratios=heights,
        hspace=0.55,
        left=0.1,
        right=0.95,
        top=0.9,
        bottom=0.07,
    )
    title = f"{ind.id}: {ctx.name(ind)}"
    lines = textwrap.wrap(title, 72)
    fig.text(0.06, 0.965, "\n".join(lines[:2]), fontsize=11, weight="bold", va="top")
    for k, (_stem, draw, axis, _h) in enumerate(drawers):
        ax = fig.add_subplot(grid[k])
        sub = draw(ctx, ind, ax)
        if axis == "x":  # category names on the left need room
            box = ax.get_position()
            ax.set_position((0.32, box.y0, 0.95 - 0.32, box.height))
        ax.set_title(sub, fontsize=9, loc="left", y=1.0)  # (nothing is above the axes)
        (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(_formatter(ind))
        ax.spines[["top", "right"]].set_visible(False)
        if axis == "y":
            ax.grid(axis="y", color="#DDDDDD", linewidth=0.6)
        ax.set_axisbelow(True)
    _page_footer(ctx, fig)
    return fig


def _page_footer(ctx: Content, fig) -> None:
    footer = f"{ctx.project.name} - {ctx.period}"
    fig.text(0.06, 0.02, footer, fontsize=7, color="#666666")
    edition = label("mode.internal" if ctx.internal else "mode.donor", ctx.lang)
    fig.text(
        0.95,
        0.02,
        edition,
        fontsize=7.5 if ctx.internal else 7,
        ha="right",
        color="#C00000" if ctx.internal else "#666666",
        weight="bold" if ctx.internal else "normal",
    )


def write_charts(
    ctx: ReportContext, png_dir: Path, pdf_path: Path, earlier: dict[str, Earlier] | None = None
) -> list[Drawn]:
    """Every chart as PNG into ``png_dir``, and a PDF chart book: a contents page, then one A4
    page per indicator with its charts (2 or 3 to a page). ``mel report`` runs the two parts
    (and the PNG files in parts) in parallel; this runs them one after the other. ``earlier``:
    the previous run's files, by name relative to the folder above ``png_dir``, kept where
    their figures are the same (:mod:`mel.outputs.report.reuse`); the book's pages each where
    its own figure is the same (:mod:`mel.outputs.report.book`)."""
    from mel.outputs.report.book import write_book

    return [*write_pngs(ctx, png_dir, earlier=earlier), write_book(ctx, pdf_path, earlier)]


def write_pngs(
    ctx: ReportContext,
    png_dir: Path,
    part: int = 0,
    parts: int = 1,
    earlier: dict[str, Earlier] | None = None,
) -> list[Drawn]:
    """The PNG charts of every ``parts``-th indicator from the ``part``-th (0-based), in the
    indicators' order; where ``earlier`` holds a file of the same key, that file. Each chart
    is closed once saved, so memory stays flat."""
    written: list[Drawn] = []
    earlier = earlier or {}
    try:
        for ind in ctx.indicators[part::parts]:
            plan = Reads(ctx)  # which charts, and their heights
            for stem, draw, axis, height in _drawers(plan, ind):
                path = png_dir / f"{stem}.png"
                parts_of_key = [definition_hash(ind), plan.digest(), stem]
                before = earlier.get(f"{png_dir.name}/{path.name}")
                if before is not None and (again := asked_again(ctx, before.reads)) is not None:
                    sha = keep(before, key(*parts_of_key, again), path)
                    if sha is not None:
                        written.append(Drawn(path, before.key, before.reads, sha, kept=True))
                        continue
                reads = Reads(ctx)
                _title, fig = _figure(reads, ind, draw, axis, height)
                _lay_out(fig)
                atomic_write(
                    path, lambda q, fig=fig: fig.savefig(q, format="png", metadata=PNG_META)
                )
                pyplot().close(fig)
                k = key(*parts_of_key, reads.digest())
                written.append(Drawn(path, k, reads.questions, sha256(path)))
    finally:
        close_all()
    return written


def plan(ctx: Content, ind) -> list[str]:
    """The names of the charts ``charts_for`` draws for an indicator, without drawing them."""
    return [stem for stem, *_ in _drawers(ctx, ind)]
