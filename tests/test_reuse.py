"""Charts kept from the previous report in the same folder (mel.outputs.report.reuse): a kept
chart is byte-identical to drawing it again; a chart whose content changed, whose file changed
since, or whose code or drawing environment changed, is drawn again; chart code cannot read
the report's content unnoted; the folder's record names each chart's key and the SHA-256 of
its file."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import shutil
from pathlib import Path

import matplotlib.pyplot as plt
import pytest

from mel.definitions.project import load_project
from mel.engine.pipeline import run, truncated
from mel.outputs.report import MANIFEST, context, reuse
from mel.outputs.report import book as book_module
from mel.outputs.report import charts as charts_module
from tests.conftest import REPO, example_with

EXAMPLE = REPO / "examples" / "counter-trafficking"
PERIOD = "FY2023-Q3"
AS_OF = "2026-01-15"
FIXED_ROW = 3  # cases.csv line 3: an SDN case of 2023-01-02, recorded Female, fixed to Male


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    """The example with four indicators, one of them (PROT-01) broken down by sex first."""
    dest = tmp_path_factory.mktemp("reuse") / "ct"
    return example_with(dest, "[PROT-01, PROT-02, PART-01, PREV-11]")


def _fix_one_cell(project: Path) -> Path:
    """A copy of ``project`` with one case's sex corrected, as an officer fixes a cell."""
    fixed = project.parent / "fixed"
    if not fixed.exists():
        shutil.copytree(project, fixed)
        path = fixed / "data" / "cases.csv"
        lines = path.read_text(encoding="utf-8").split("\n")
        assert ",Female," in lines[FIXED_ROW - 1]
        lines[FIXED_ROW - 1] = lines[FIXED_ROW - 1].replace(",Female,", ",Male,", 1)
        path.write_text("\n".join(lines), encoding="utf-8")
    return fixed


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def _report(cli, project: Path, out: Path) -> str:
    result = cli("report", str(project), "--period", PERIOD, "-o", str(out), "--as-of", AS_OF)
    assert result.exit_code == 0, result.output
    return result.stdout


def _forget_keys(folder: Path) -> None:
    """The folder's record without its charts' keys: the next run draws every chart."""
    record = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    record.pop("drawn")
    (folder / MANIFEST).write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")


def test_rerun_after_a_fix_keeps_charts_and_equals_drawing_them_all(cli, project, tmp_path):
    warm, cold = tmp_path / "warm", tmp_path / "cold"
    said = _report(cli, project, warm)
    assert "kept" not in said  # a new folder: every chart drawn
    first = _files(warm)
    shutil.copytree(warm, cold)
    _forget_keys(cold)  # the same folder, the same reports published, no keys
    fixed = _fix_one_cell(project)
    said = _report(cli, fixed, warm)
    assert "kept" not in _report(cli, fixed, cold)
    after_warm, after_cold = _files(warm), _files(cold)
    assert after_warm.keys() == after_cold.keys()
    for name in after_warm:
        assert after_warm[name] == after_cold[name], name
    # the fix changed some charts and left others as they were
    pngs = [n for n in after_cold if n.endswith(".png")]
    changed = [n for n in pngs if after_cold[n] != first[n]]
    assert changed and len(changed) < len(pngs)
    # the record: every chart file's key and its file's SHA-256 (worked out here)
    record = json.loads(after_warm[MANIFEST])
    assert sorted(record["drawn"]) == sorted([*pngs, f"charts-{PERIOD}.pdf"])
    for name, entry in record["drawn"].items():
        assert entry["sha256"] == hashlib.sha256(after_warm[name]).hexdigest()
        assert re.fullmatch(r"[0-9a-f]{64}", entry["key"])
    # the officer is told how many were kept: those whose key is the one of the run before
    before = json.loads(first[MANIFEST])["drawn"]
    same = {n for n, e in record["drawn"].items() if before[n]["key"] == e["key"]}
    pngs_kept = len([n for n in same if n.endswith(".png")])
    assert 0 < pngs_kept < len(pngs)
    # and how many of the chart book's pages: those whose key is the same page's before
    name = f"charts-{PERIOD}.pdf"
    was = {e["page"]: e["key"] for e in before[name]["reads"]["pages"]}
    pages = record["drawn"][name]["reads"]["pages"]
    pages_kept = sum(was.get(e["page"]) == e["key"] for e in pages)
    assert 0 < pages_kept < len(pages)  # the fix changed some pages, not all
    book = f" and {pages_kept} of the chart book's {len(pages)} pages"
    said = " ".join(said.split())  # (the console wraps long lines)
    assert f"({len(pngs)} charts, PNG in" in said
    assert f"; kept from the last run here, unchanged: {pngs_kept} of them{book})" in said


def _context(project: Path):
    bundle = load_project(project)
    results = run(bundle, as_of=dt.date.fromisoformat(AS_OF), up_to=PERIOD)
    as_of = dt.date.fromisoformat(AS_OF)
    return context(truncated(bundle, PERIOD), results, period=PERIOD, lang="en", as_of=as_of)


@pytest.fixture(scope="module")
def contexts(project):
    return _context(project), _context(_fix_one_cell(project))


def drawn_files(run, first):
    """The files of ``run`` not copied from ``first``: their key differs from the earlier's."""
    return [d for d, e in zip(run, first, strict=True) if d.key != e.key]


_LAY_OUT, _ONE_PAGE = charts_module._lay_out, book_module._one_page


def _write(ctx, folder: Path, earlier, monkeypatch, pages: list | None = None):
    """Write the charts; what was written, and the PNG figures drawn (laid out); the book's
    pages drawn are appended to ``pages``."""
    drawn: list[str] = []
    real, real_page = _LAY_OUT, _ONE_PAGE  # (not a patch of an earlier call's)

    def lay_out(fig):
        drawn.append(fig)
        real(fig)

    def one_page(fig):
        (pages if pages is not None else []).append(fig)
        return real_page(fig)

    monkeypatch.setattr(charts_module, "_lay_out", lay_out)
    monkeypatch.setattr(book_module, "_one_page", one_page)
    written = charts_module.write_charts(ctx, folder / "charts", folder / "book.pdf", earlier)
    return written, drawn


def _earlier(folder: Path, written) -> dict:
    record = {"drawn": reuse.record_of(written, folder)}
    return reuse.earlier_charts(folder, record)


def test_only_charts_whose_figure_changed_are_drawn(contexts, tmp_path, monkeypatch):
    before, after = contexts
    pages_first: list = []
    first, drawn_first = _write(before, tmp_path / "a", None, monkeypatch, pages_first)
    n = len([d for d in first if d.path.suffix == ".png"])
    assert len(drawn_first) == n  # no earlier files: every PNG chart drawn
    n_pages = len(first[-1].reads["pages"])
    assert len(pages_first) == n_pages == len(book_module.page_ids(before))  # every page
    earlier = _earlier(tmp_path / "a", first)
    # drawn again from scratch, for the bytes each chart must have
    fresh, _ = _write(after, tmp_path / "fresh", None, monkeypatch)
    pages: list = []
    kept_run, drawn = _write(after, tmp_path / "a2", earlier, monkeypatch, pages)
    changed = {
        d.path.name
        for d, e in zip(fresh, first, strict=True)
        if d.path.suffix == ".png" and d.path.read_bytes() != e.path.read_bytes()
    }
    assert 0 < len(changed) < n
    # drawn again: every chart that changed, and not every chart
    assert changed <= {f.path.name for f in drawn_files(kept_run, first)}
    assert len(changed) <= len(drawn) < n
    for d, f in zip(kept_run, fresh, strict=True):
        assert d.path.read_bytes() == f.path.read_bytes(), d.path.name
    # the book: put together from kept pages and pages drawn again, it has the bytes of the
    # book drawn from scratch (above); drawn again are the pages whose content changed,
    # found here by drawing each page alone from both contents
    pages_drawn = len(pages)
    changed_pages = [
        p
        for p in book_module.page_ids(after)
        if book_module.draw_pages(before, [p], None)[0].pdf
        != book_module.draw_pages(after, [p], None)[0].pdf
    ]
    assert 0 < len(changed_pages) < n_pages
    assert pages_drawn == len(changed_pages) == n_pages - kept_run[-1].pages_kept
    plt.close("all")


def test_a_chart_file_changed_since_is_drawn_again(contexts, tmp_path, monkeypatch):
    before, _ = contexts
    first, _ = _write(before, tmp_path / "a", None, monkeypatch)
    good = {d.path.name: d.path.read_bytes() for d in first}
    earlier = _earlier(tmp_path / "a", first)
    victim = next(d.path for d in first if d.path.suffix == ".png")
    victim.write_bytes(good[victim.name][:-10] + b"0123456789")  # edited by hand since
    (tmp_path / "a" / "book.pdf").unlink()  # removed since
    again, drawn = _write(before, tmp_path / "b", earlier, monkeypatch)
    assert len(drawn) == 1  # the edited one; the others kept
    for d in again:
        assert d.path.read_bytes() == good[d.path.name], d.path.name


def test_a_book_changed_since_or_recorded_otherwise_keeps_no_page(contexts, tmp_path, monkeypatch):
    before, _ = contexts
    first, _ = _write(before, tmp_path / "a", None, monkeypatch)
    good = (tmp_path / "a" / "book.pdf").read_bytes()
    n_pages = len(first[-1].reads["pages"])
    earlier = _earlier(tmp_path / "a", first)
    (tmp_path / "a" / "book.pdf").write_bytes(good + b"\n% edited\n")  # edited since
    pages: list = []
    _write(before, tmp_path / "b", earlier, monkeypatch, pages)
    assert len(pages) == n_pages and (tmp_path / "b" / "book.pdf").read_bytes() == good
    # an earlier mel's record of the book (its questions, not its pages'): drawn whole
    (tmp_path / "a" / "book.pdf").write_bytes(good)
    old = first[-1]._replace(reads={"contents": [["lang"]], "pages": [["lang"]]})
    pages.clear()
    _write(before, tmp_path / "c", _earlier(tmp_path / "a", [*first[:-1], old]), monkeypatch, pages)
    assert len(pages) == n_pages and (tmp_path / "c" / "book.pdf").read_bytes() == good
    # and the record as written: every page kept, the book copied whole
    pages.clear()
    kept, _ = _write(before, tmp_path / "d", earlier, monkeypatch, pages)
    assert not pages and kept[-1].kept and (tmp_path / "d" / "book.pdf").read_bytes() == good


def test_another_drawing_environment_keeps_nothing(contexts, tmp_path, monkeypatch):
    before, _ = contexts
    first, _ = _write(before, tmp_path / "a", None, monkeypatch)
    earlier = _earlier(tmp_path / "a", first)
    monkeypatch.setattr(reuse, "_BASE", [b"matplotlib upgraded"])
    again, drawn = _write(before, tmp_path / "b", earlier, monkeypatch)
    assert len(drawn) == len([d for d in first if d.path.suffix == ".png"])
    assert [d.path.read_bytes() for d in again] == [d.path.read_bytes() for d in first]


def test_chart_code_reads_the_report_only_through_what_is_noted(contexts):
    before, after = contexts
    reads = reuse.Reads(before)
    with pytest.raises(AttributeError, match="table"):
        reads.table  # noqa: B018 - the read is the test
    # a question is noted with its answer: the same questions of the same content give the
    # same digest, of content where an answer changed another one
    ind = before.indicators[0]
    assert reads.name(ind) == before.name(ind)
    row = reads.cell(ind.id, "SDN", PERIOD)
    assert row is not None and row is before.cell(ind.id, "SDN", PERIOD)  # (the same row read)
    reads.lang  # noqa: B018
    assert reads.questions == [["name", ind.id], ["cell", ind.id, "SDN", PERIOD, "", ""], ["lang"]]
    assert reuse.asked_again(before, reads.questions) == reads.digest()
    changed = [k for k in before._index if not _same(before.cell(*k), after.cell(*k))]
    assert changed  # the fix changed cells
    q = [["cell", *changed[0]]]
    assert reuse.asked_again(before, q) != reuse.asked_again(after, q)
    # a question that cannot be asked any more (its indicator is gone): drawn again
    assert reuse.asked_again(before, [["name", "NO-SUCH-1"]]) is None
    assert reuse.asked_again(before, "not a list of questions") is None


def _same(a, b) -> bool:
    if a is None or b is None:
        return a is b
    return repr(list(a.items())) == repr(list(b.items()))


def test_charts_drawn_through_reads_equal_charts_drawn_from_the_report(contexts, tmp_path):
    """Reads only notes: the PNG files drawn through it equal the same charts drawn from the
    report's content itself."""
    import io

    before, _ = contexts
    written = charts_module.write_pngs(before, tmp_path / "charts")
    by_name = {d.path.stem: d.path.read_bytes() for d in written}
    n = 0
    for ind in before.indicators:
        for chart in charts_module.charts_for(before, ind):
            buf = io.BytesIO()
            chart.figure.savefig(buf, format="png", metadata=charts_module.PNG_META)
            plt.close(chart.figure)
            assert buf.getvalue() == by_name[chart.name], chart.name
            n += 1
    assert n == len(written) > 0


def test_categories_and_cells_read_once_equal_reading_the_table(contexts):
    """The report's breakdown categories, read once for all breakdowns, are those the results
    table gives each one (its all-countries LoP cells, in order); a cell read again is the
    table's row."""
    from mel.engine.results import categories_of

    ctx, _ = contexts
    asked = [(ind.id, d.column) for ind in ctx.indicators for d in ind.disaggregations]
    asked += [(ctx.indicators[0].id, "no_such_column"), ("NO-SUCH-1", "sex")]
    assert any(ctx.categories(*a) for a in asked)
    for ind, column in asked:
        assert ctx.categories(ind, column) == categories_of(ctx.table, ind, column)
    ctx.categories(*asked[0]).append("changed by a caller")  # a copy: the next read is whole
    assert ctx.categories(*asked[0]) == categories_of(ctx.table, *asked[0])
    key = next(iter(ctx._index))
    first, again = ctx.cell(*key), ctx.cell(*key)
    assert first.name == ctx.table.index[ctx._index[key]] and again is first
    # every row as the table's own iloc gives it: values of the same types (they reach the
    # charts' keys through their repr), by the same column labels, in order, and its name
    for i in range(len(ctx.table)):
        row, want = ctx._row(i), ctx.table.iloc[i]
        assert row.name == want.name and list(row) == list(want.index)
        assert [(type(v), repr(v)) for v in row.values()] == [
            (type(v), repr(v)) for v in want.array
        ]
        assert row.get("no such column", "default") == "default"
