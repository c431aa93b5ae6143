"""The donor report: from the engine's result table to a workbook, charts and tidy files.

``write_report`` writes, into one output folder and each file atomically:

* ``report-<period>.xlsx``: the workbook (see :mod:`mel.outputs.report.workbook`);
* ``charts-<period>.pdf`` and ``charts/*.png``: the charts (:mod:`mel.outputs.report.charts`);
* ``results-<period>.csv`` and ``.parquet``: the tidy result table;
* ``report-<period>.html``: the report as one web page (:mod:`mel.outputs.report.web`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from mel import __version__
from mel.definitions.yamlio import display_path
from mel.engine.helper import die_with_parent
from mel.engine.periods import Calendar
from mel.outputs.excel import can_stream_xml, save_workbook
from mel.outputs.report.content import (
    ReportContext,
    definition_hash,
    ordered,
    sha256,
)
from mel.outputs.tidy import cannot_write, refuse_inputs, write_table


@dataclass
class ReportFiles:
    workbook: Path
    chart_book: Path
    charts: list[Path]
    tidy: list[Path]
    web: Path | None = None
    kept: int = 0  # PNG charts kept from the run before in the folder (unchanged)
    book_kept: bool = False  # and the chart book, whole
    book_pages: tuple[int, int] = (0, 0)  # else its pages kept, of its pages

    def kept_text(self) -> str:
        """What was kept from the run before, for the officer ("" where nothing was)."""
        kept = [f"{self.kept} of them"] if self.kept else []
        if self.book_kept:
            kept.append("the chart book")
        elif self.book_pages[0]:
            kept.append(f"{self.book_pages[0]} of the chart book's {self.book_pages[1]} pages")
        return f"kept from the last run here, unchanged: {' and '.join(kept)}" if kept else ""

    @property
    def all(self) -> list[Path]:
        return [self.workbook, self.chart_book, *self.charts, *self.tidy] + (
            [self.web] if self.web else []
        )


def report_context(spec, results, *, accepted: bool = False) -> ReportContext:
    """The report's content for a run (:class:`mel.engine.spec.RunSpec`) and its results."""
    if spec.period is None or spec.as_of is None:
        raise ValueError("a report needs a run specified with its period and as-of date")
    return context(
        spec.reported,
        results,
        period=spec.period,
        lang=spec.language,
        as_of=spec.as_of,
        full_project=spec.bundle.project,
        accepted=accepted,
        calendar=spec.calendar,
    )


def context(
    bundle,
    results,
    *,
    period: str,
    lang: str,
    as_of: dt.date,
    full_project=None,
    accepted: bool = False,
    calendar: Calendar | None = None,
) -> ReportContext:
    """The report's content. ``bundle`` is the project as reported (ending with ``period``);
    ``calendar`` its periods (built from it when not given)."""
    project = bundle.project
    calendar = calendar or Calendar.of(project)
    current = calendar.find(period, lop=False)
    indicators = ordered(bundle.indicators)
    manifest = [
        ("mel", __version__),
        (
            "options",
            f"--period {period} --lang {lang} --as-of {as_of}"
            + (" --internal" if results.internal else ""),
        ),
        ("privacy threshold", str(results.threshold)),
    ]
    for ind in indicators:
        manifest.append((f"definition {ind.id}", "sha256 " + definition_hash(ind)))
    for path in sorted(set(bundle.input_paths())):
        if path.exists():
            manifest.append((f"input {display_path(path)}", "sha256 " + sha256(path)))
    return ReportContext(
        project=project,
        full_project=full_project or project,
        indicators=indicators,
        table=results.table,
        exclusions=results.exclusions,
        checks=results.checks,
        findings=results.validation_findings,
        period=period,
        period_start=current.start,
        period_end=current.end,
        periods=[p.label for p in calendar.periods],
        years=[y.label for y in calendar.years],
        internal=results.internal,
        threshold=results.threshold,
        lang=lang,
        as_of=as_of,
        manifest=manifest,
        bands=list(project.status_bands),
        account=list(results.account),
        alarms=list(results.alarms),
        accepted=accepted,
        words=_words(bundle),
        narratives=dict(getattr(bundle, "narratives", {}) or {}),
        **_fiscal_year(calendar, current),
    )


def _fiscal_year(calendar, current) -> dict:
    """The fiscal year of the reporting period and its reporting periods up to it."""
    if current.kind == "year":
        return {"year": current.label, "year_periods": []}
    year = next((y for y in calendar.years if y.start <= current.start <= y.end), None)
    if year is None:
        return {"year": None, "year_periods": []}
    periods = [p.label for p in calendar.periods if year.start <= p.start <= current.start]
    return {"year": year.label, "year_periods": periods}


def _words(bundle) -> dict:
    """(dataset, column) -> (title, {code: Code} or 'country') for every disaggregation."""
    out: dict = {}
    catalog = bundle.catalog
    for ind in bundle.indicators:
        tpl = catalog.templates.get(ind.dataset)
        if tpl is None:
            continue
        for d in ind.disaggregations:
            spec = tpl.obj.column(d.column)
            if spec is None:
                continue
            cl = catalog.codelists.get(spec.codelist) if spec.codelist else None
            codes: object = {}
            title = spec.label
            if cl is not None:
                title = title or cl.obj.title
                if getattr(cl.obj, "source", None):
                    codes = "country"
                else:
                    codes = {c.code: c for c in cl.obj.values}
            out[(ind.dataset, d.column)] = (title, codes)
    return out


LABEL_COLUMNS = ("indicator_name", "country_name", "disaggregation_label", "category_label")


def labelled_columns(ctx: ReportContext) -> list[str]:
    """The columns of ``labelled(ctx)``, without making it."""
    return [*ctx.table.columns, *LABEL_COLUMNS]


def labelled(ctx: ReportContext):
    """The result table with words beside its codes, in the report's language: the
    indicator's name, the country's name, the breakdown's title and the category's label."""
    t = ctx.table
    inds = {i.id: i for i in ctx.indicators}
    from mel.outputs.report.labels import country_name

    names = {i: ctx.name(ind) for i, ind in inds.items()}
    countries = {c: country_name(c, ctx.lang) for c in t["country"].unique()}
    titles, cats = {}, {}
    for ind in ctx.indicators:
        for d in ind.disaggregations:
            titles[(ind.id, d.column)] = ctx.breakdown(ind, d)
    for i, d, c in set(zip(t["indicator"], t["disaggregation"], t["category"], strict=True)):
        if d and i in inds:
            cats[(i, d, c)] = ctx.category(inds[i], d, c)
    out = t.copy()
    out["indicator_name"] = t["indicator"].map(names)
    out["country_name"] = t["country"].map(countries)
    keys = list(zip(t["indicator"], t["disaggregation"], strict=True))
    out["disaggregation_label"] = [titles.get(k, "") for k in keys]
    keys3 = zip(t["indicator"], t["disaggregation"], t["category"], strict=True)
    out["category_label"] = [cats.get(k, "") for k in keys3]
    return out


def _chart_workers() -> int:
    """Processes drawing charts beside the one building the workbook: two on two cores (the
    three share them), one fewer than the cores on a larger machine, at most four."""
    return min(4, max(2, (os.cpu_count() or 2) - 1))


_FORKED: dict = {}  # what the chart workers inherit when they are forked: the report's content


def _chart_pool(ctx: ReportContext, earlier: dict, pdf_name: str):
    """The processes that draw the charts (``_chart_workers``), forked with ``ctx``, the
    earlier run's charts and its chart book named ``pdf_name``, read and checked here once (so
    that no task sends them); None where processes cannot be forked or there is one core."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from mel.outputs.report import book, reuse

    if "fork" not in multiprocessing.get_all_start_methods() or (os.cpu_count() or 1) < 2:
        return None
    reuse.base()  # once, inherited by the workers
    _FORKED["ctx"] = ctx
    _FORKED["earlier"] = earlier
    _FORKED["book"] = book.earlier_book(earlier, pdf_name)
    return ProcessPoolExecutor(
        max_workers=_chart_workers(),
        mp_context=multiprocessing.get_context("fork"),
        initializer=die_with_parent,
        initargs=(os.getpid(),),
    )


def _data_xml():
    from mel.outputs.report import workbook

    return workbook.data_rows_xml(_FORKED["ctx"])


def _web_and_tidy(files: dict[str, Path]) -> None:
    _write_web_and_tidy(_FORKED["ctx"], files)


def _draw_pages(ids: list[str]):
    from mel.outputs.report import book

    return book.draw_pages(_FORKED["ctx"], ids, _FORKED["book"])


def _draw_pngs(png_dir: Path, part: int, parts: int):
    from mel.outputs.report import charts

    return charts.write_pngs(_FORKED["ctx"], png_dir, part, parts, _FORKED["earlier"])


def _in_parallel(pool, ctx: ReportContext, files: dict[str, Path], png_dir: Path):
    """The workbook built here while ``pool`` makes its Data sheet's rows, the web page, the
    tidy files, each indicator's PNG files and each page of the chart book, as tasks its
    processes take in turn; then the book put together. The chart files written, the book
    last."""
    from mel.outputs.report import book, workbook

    # the Data sheet's rows first: the workbook waits for them when it is saved
    data = pool.submit(_data_xml) if can_stream_xml() else None
    web = pool.submit(_web_and_tidy, files)
    pages = [pool.submit(_draw_pages, [book.CONTENTS])]
    parts = []
    with_page = set(book.page_ids(ctx))
    for k, ind in enumerate(ctx.indicators):  # an indicator's charts, then its page
        parts.append(pool.submit(_draw_pngs, png_dir, k, len(ctx.indicators)))
        if ind.id in with_page:
            pages.append(pool.submit(_draw_pages, [ind.id]))
    save_workbook(workbook.build(ctx, data.result if data else None), files["xlsx"])
    web.result()
    drawn = [d for part in parts for d in part.result()]
    done = [p for task in pages for p in task.result()]
    return [*drawn, book.assemble(done, _FORKED["book"], files["pdf"])]


def _stop(pool) -> None:
    """End the chart worker now (an interrupted run does not wait for its charts)."""
    procs = list((getattr(pool, "_processes", None) or {}).values())  # before shutdown drops them
    for proc in procs:
        proc.kill()
    for proc in procs:  # gone before its staging folder is removed under it
        proc.join(10)
    pool.shutdown(wait=False, cancel_futures=True)


def _write_web_and_tidy(ctx: ReportContext, files: dict[str, Path]) -> None:
    """The web page and the tidy results (CSV and Parquet) into their staging files."""
    from mel.outputs.report.web import web_report

    files["html"].write_text(web_report(ctx), encoding="utf-8")
    tidy = labelled(ctx)
    write_table(tidy, files["csv"], "csv")
    write_table(tidy, files["parquet"], "parquet")


STAGING = ".mel-staging-"
MANIFEST = ".mel-report.json"  # the files a run wrote here, and its edition


def _clear_stale_staging(out_dir: Path) -> None:
    """Remove the staging folders of runs that were killed (their process is gone)."""
    for d in out_dir.glob(STAGING + "*"):
        try:
            pid = int(d.name[len(STAGING) :].split("-", 1)[0])
            os.kill(pid, 0)
            continue  # a run still going (a concurrent one): its staging is its own
        except (ValueError, ProcessLookupError):
            shutil.rmtree(d, ignore_errors=True)
        except PermissionError:  # another user's live process
            continue


def _previous_run(out_dir: Path) -> dict:
    import json

    try:
        return json.loads((out_dir / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _check_edition(out_dir: Path, internal: bool, written: set[str]) -> None:
    """A donor run never shares a folder with an internal edition's files (nor the reverse):
    other periods' reports of the other edition would stay beside it."""
    from mel.errors import UsageError

    before = _previous_run(out_dir)
    if not before or bool(before.get("internal")) == internal:
        return
    left = sorted(  # charts/ is the latest run's, replaced whole
        f
        for f in before.get("files", [])
        if f not in written and not f.startswith("charts/") and (out_dir / f).exists()
    )
    if left:
        kind = "an internal" if before.get("internal") else "a donor"
        raise UsageError(
            f"{out_dir} holds files of {kind} edition ({', '.join(left[:3])}"
            + (", ..." if len(left) > 3 else "")
            + "); write this report into another folder, or remove them first"
        )


def write_report(ctx: ReportContext, out_dir: Path, inputs: list[Path]) -> ReportFiles:
    """Write the report's files into ``out_dir``, all or nothing: everything is written into a
    hidden staging folder inside ``out_dir`` first and only then moved into place (renames),
    so a failure anywhere leaves the previous report, or no folder at all if there was none.
    Nothing is written outside ``out_dir``."""
    from mel.outputs.report import charts, reuse, workbook

    out_dir = Path(out_dir)
    earlier: dict = {}
    stem = ctx.period
    names = {
        "xlsx": f"report-{stem}.xlsx",
        "pdf": f"charts-{stem}.pdf",
        "csv": f"results-{stem}.csv",
        "parquet": f"results-{stem}.parquet",
        "html": f"report-{stem}.html",
    }
    for name in names.values():
        refuse_inputs(out_dir / name, inputs)
    if (out_dir / "charts").resolve() in {p.parent for p in inputs}:
        refuse_inputs(out_dir / "charts", [(out_dir / "charts").resolve()])
    _check_folder(out_dir)
    if out_dir.is_dir():
        _check_edition(out_dir, ctx.internal, set(names.values()))
        earlier = reuse.earlier_charts(out_dir, _previous_run(out_dir))
    created = not out_dir.exists()
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        _clear_stale_staging(out_dir)
        staging = Path(tempfile.mkdtemp(prefix=f"{STAGING}{os.getpid()}-", dir=out_dir))
    except OSError as exc:
        _undo(None, out_dir, created)
        raise cannot_write(out_dir, exc) from None
    pool = None
    try:
        files = {k: staging / n for k, n in names.items()}
        # the web page, the tidy files and the charts are made in two more processes while this
        # one builds the workbook (all CPU-bound; the machine has at least two cores): the web
        # page and tidy files, each indicator's PNG files and each page of the chart book, as
        # tasks the two take in turn (_in_parallel); without fork, one after the other
        pool = _chart_pool(ctx, earlier, names["pdf"])
        if pool is None:
            save_workbook(workbook.build(ctx), files["xlsx"])
            _write_web_and_tidy(ctx, files)
            drawn = charts.write_charts(ctx, staging / "charts", files["pdf"], earlier)
        else:
            drawn = _in_parallel(pool, ctx, files, staging / "charts")
            pool.shutdown()
            pool = None
            _FORKED.clear()
        keys = reuse.record_of(drawn, staging)
        moved = _move_into(staging, out_dir)
        written = {str(p.relative_to(out_dir)) for p in moved.values()}
        _forget_earlier_charts(out_dir, written, ctx.internal, keys)
    except OSError as exc:
        _undo(pool, out_dir, created, staging)
        raise cannot_write(out_dir, exc) from None
    except BaseException:
        _undo(pool, out_dir, created, staging)
        raise
    shutil.rmtree(staging, ignore_errors=True)
    final = {k: moved[v] for k, v in files.items()}
    return ReportFiles(
        final["xlsx"],
        final["pdf"],
        [moved[d.path] for d in drawn if d.path.suffix == ".png"],
        [final["csv"], final["parquet"]],
        final["html"],
        kept=sum(d.kept for d in drawn if d.path.suffix == ".png"),
        book_kept=drawn[-1].kept,
        book_pages=(drawn[-1].pages_kept, len(drawn[-1].reads["pages"])),
    )


def _undo(pool, out_dir: Path, created: bool, staging: Path | None = None) -> None:
    """After a failure or an interrupt: stop the chart worker, remove the staging folder, and
    the output folder only if this run created it and it is empty (a file the user or a
    concurrent run put there stays)."""
    _FORKED.clear()
    if pool is not None:
        _stop(pool)
    if staging is not None:
        shutil.rmtree(staging, ignore_errors=True)
    if created:
        with contextlib.suppress(OSError):
            out_dir.rmdir()


def _forget_earlier_charts(
    out_dir: Path, written: set[str], internal: bool, keys: dict[str, dict[str, str]]
) -> None:
    """Remove the chart images an earlier run left that this one did not draw (charts/ holds
    the latest run's charts), then record what this run wrote, its edition, and each chart
    file's key (``keys``, mel.outputs.report.reuse; with those of the chart books of other
    periods still here)."""
    import json
    import re

    before = _previous_run(out_dir)
    earlier = set(before.get("files", []))
    charts = out_dir / "charts"
    if not before and charts.is_dir():  # a folder from before the record was kept
        earlier = {
            f"charts/{p.name}"
            for p in charts.glob("*.png")
            if re.fullmatch(r"[A-Za-z0-9._-]+-\d+-[a-z0-9-]+\.png", p.name)
        }
    for rel in sorted(earlier - written):
        if rel.startswith("charts/"):
            (out_dir / rel).unlink(missing_ok=True)
    kept = {f for f in earlier if not f.startswith("charts/") and (out_dir / f).exists()}
    record: dict = {"internal": internal, "files": sorted(written | kept)}
    books = before.get("drawn")
    books = books if isinstance(books, dict) else {}
    drawn = {f: e for f, e in books.items() if f in kept and f not in written} | keys
    if drawn:
        record["drawn"] = dict(sorted(drawn.items()))
    (out_dir / MANIFEST).write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")


def _check_folder(out_dir: Path) -> None:
    """The report folder is a folder (or can be made one) whose charts/ stays inside it."""
    from mel.errors import UsageError

    if out_dir.exists() and not out_dir.is_dir():
        raise UsageError(f"{out_dir} is a file; -o names the folder to write the report into")
    charts = out_dir / "charts"
    if charts.is_symlink() or (
        charts.exists() and not charts.resolve().is_relative_to(out_dir.resolve())
    ):
        raise UsageError(
            f"{charts} is a link to {charts.resolve()}, outside the report folder; mel writes "
            "nothing outside -o: remove the link, or choose another folder"
        )


def _move_into(staging: Path, out_dir: Path) -> dict[Path, Path]:
    """Rename every staged file into the same place under ``out_dir``; staged -> final."""
    root = out_dir.resolve()
    moved = {}
    for src in sorted(p for p in staging.rglob("*") if p.is_file()):
        dest = out_dir / src.relative_to(staging)
        if not dest.resolve().is_relative_to(root):  # pragma: no cover - names are checked
            raise ValueError(f"{dest} is outside {out_dir}")
        dest.parent.mkdir(parents=True, exist_ok=True)
        os.replace(src, dest)
        moved[src] = dest
    return moved
