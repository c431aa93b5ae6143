"""The PDF chart book: a contents page, then one A4 page per indicator with its charts.

Each page is drawn alone, by matplotlib, into a PDF of one page; the pages are then put
together into the book with pypdf. So a page is a unit of its own:

* **kept** from the previous run's book in the same folder where nothing it shows changed (its
  key, :mod:`mel.outputs.report.reuse`, is the one recorded for that page), copied out of that
  book rather than drawn again; a run after a one-cell fix draws only the pages the fix changed;
* **drawn by any process**: ``mel report`` shares the pages among its chart workers.

A book put together from kept pages is byte-identical to one put together from pages all drawn
again: pypdf writes a page copied out of a book it wrote exactly as it wrote it the first time
(tests/test_reuse.py). The earlier book is used only if it still has the SHA-256 recorded when
it was written; its bytes are read once, checked, and the pages are taken from those bytes.
Where every page is kept, in the same order, the earlier book is copied whole.

Every page embeds the fonts it uses (about 30 KB a page): the book is larger than one drawn
whole by matplotlib, which shares them across pages, but it renders the same.
"""

from __future__ import annotations

import hashlib
import io
import textwrap
from dataclasses import dataclass
from pathlib import Path

from mel.outputs.report.charts import (
    DPI,
    PDF_META,
    Content,
    _drawers,
    close_all,
    page_for,
    pyplot,
)
from mel.outputs.report.content import ReportContext, definition_hash, sha256
from mel.outputs.report.labels import label
from mel.outputs.report.reuse import Drawn, Earlier, Reads, asked_again, key
from mel.outputs.tidy import atomic_write

CONTENTS = ""  # the contents page's id; the others are their indicators' ids


@dataclass(frozen=True)
class Page:
    """One page of the book: its id, key and the questions its drawing asked; ``pdf`` the page
    drawn (a one-page PDF), or None where it is page ``earlier`` of the earlier book, kept."""

    id: str
    key: str
    reads: list
    pdf: bytes | None = None
    earlier: int | None = None


@dataclass(frozen=True)
class EarlierBook:
    """The previous run's book in the folder, checked against its recorded SHA-256: its bytes,
    its pages' ids in order, and each page's (index, key, questions) by id."""

    data: bytes
    order: list[str]
    pages: dict[str, tuple[int, str, list]]


def entries(ctx: Content) -> list[tuple[str, str, int, int]]:
    """The contents: each indicator with charts, its name, first and last page."""
    out = []
    page = 2
    for ind in ctx.indicators:
        if _drawers(ctx, ind):
            out.append((ind.id, ctx.name(ind), page, page))
            page += 1
    return out


def page_ids(ctx: ReportContext) -> list[str]:
    """The book's pages in order: the contents, then each indicator that has charts."""
    return [CONTENTS, *(iid for iid, *_ in entries(ctx))]


def earlier_book(earlier: dict[str, Earlier] | None, name: str) -> EarlierBook | None:
    """The earlier book named ``name`` in the record, if its file is unchanged since it was
    written and the record lists its pages; else None (every page is drawn)."""
    before = (earlier or {}).get(name)
    if before is None or not isinstance(before.reads, dict):
        return None
    listed = before.reads.get("pages")
    if not isinstance(listed, list):
        return None
    pages: dict[str, tuple[int, str, list]] = {}
    for i, entry in enumerate(listed):
        if not isinstance(entry, dict):
            return None  # a record of another form (an earlier mel's): nothing kept
        page, k, reads = entry.get("page"), entry.get("key"), entry.get("reads")
        if not (isinstance(page, str) and isinstance(k, str) and isinstance(reads, list)):
            return None
        pages[page] = (i, k, reads)
    try:
        data = before.path.read_bytes()
    except OSError:
        return None
    if hashlib.sha256(data).hexdigest() != before.sha256:
        return None
    return EarlierBook(data, [e["page"] for e in listed], pages)


def _fixed(ctx: Content, page: str) -> list[str]:
    """What a page's key holds beside its reads: the contents page's list (read of the report
    directly) and every definition; an indicator page's definition."""
    if page == CONTENTS:
        return [repr(entries(ctx)), *(definition_hash(i) for i in ctx.indicators), "contents"]
    ind = next(i for i in ctx.indicators if i.id == page)
    return [definition_hash(ind), "page"]


def draw_pages(ctx: ReportContext, ids: list[str], before: EarlierBook | None) -> list[Page]:
    """The pages ``ids`` of the book: each kept from ``before`` where its key is the one
    recorded there, else drawn."""
    out = []
    try:
        for page in ids:
            fixed = _fixed(ctx, page)
            if before is not None and page in before.pages:
                index, k, questions = before.pages[page]
                again = asked_again(ctx, questions)
                if again is not None and key(*fixed, again) == k:
                    out.append(Page(page, k, questions, earlier=index))
                    continue
            reads = Reads(ctx)
            if page == CONTENTS:
                fig = _contents(reads, entries(ctx))
            else:
                fig = page_for(reads, next(i for i in ctx.indicators if i.id == page))
            out.append(Page(page, key(*fixed, reads.digest()), reads.questions, _one_page(fig)))
    finally:
        close_all()
    return out


def _one_page(fig) -> bytes:
    from matplotlib.backends.backend_pdf import PdfPages

    buf = io.BytesIO()
    with PdfPages(buf, metadata=PDF_META) as pdf:
        pdf.savefig(fig)
    pyplot().close(fig)
    return buf.getvalue()


def assemble(pages: list[Page], before: EarlierBook | None, pdf_path: Path) -> Drawn:
    """Write the book of ``pages`` (in order) to ``pdf_path``, atomically."""
    reads = {"pages": [{"page": p.id, "key": p.key, "reads": p.reads} for p in pages]}
    k = key(*(p.key for p in pages))
    kept = sum(p.pdf is None for p in pages)
    if before is not None and kept == len(pages) and before.order == [p.id for p in pages]:
        atomic_write(pdf_path, lambda q: q.write_bytes(before.data))
        return Drawn(pdf_path, k, reads, hashlib.sha256(before.data).hexdigest(), kept=True)

    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    old = PdfReader(io.BytesIO(before.data)) if before is not None and kept else None
    for p in pages:
        if p.pdf is None:
            assert old is not None and p.earlier is not None  # kept pages come from ``before``
            writer.add_page(old.pages[p.earlier])
        else:
            writer.add_page(PdfReader(io.BytesIO(p.pdf)).pages[0])
    writer.metadata = None  # no producer: the bytes depend on the pages only
    atomic_write(pdf_path, writer.write)
    return Drawn(pdf_path, k, reads, sha256(pdf_path), pages_kept=kept)


def write_book(
    ctx: ReportContext, pdf_path: Path, earlier: dict[str, Earlier] | None = None
) -> Drawn:
    """The whole book in this process: its pages kept from ``earlier``'s book or drawn, then
    put together."""
    before = earlier_book(earlier, pdf_path.name)
    return assemble(draw_pages(ctx, page_ids(ctx), before), before, pdf_path)


def _contents(ctx: Content, listed: list[tuple[str, str, int, int]]):
    """The chart book's first page: what it is, and each indicator's pages."""
    fig = pyplot().figure(figsize=(8.27, 11.69), dpi=DPI)
    p = ctx.project
    y = 0.95
    for line in textwrap.wrap(f"{label('chart.book', ctx.lang)}: {p.name}", 70):
        fig.text(0.08, y, line, fontsize=13, weight="bold")
        y -= 0.028
    facts = [
        f"{label('donor', ctx.lang)}: {p.donor}",
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
    for iid, name, first, last in listed:
        pages = f"{first}" if first == last else f"{first}-{last}"
        short = name if len(name) <= 78 else name[:75] + "..."
        fig.text(0.08, y, iid, fontsize=7.5, weight="bold")
        fig.text(0.19, y, short, fontsize=7.5)
        fig.text(0.92, y, f"{label('chart.page', ctx.lang)} {pages}", fontsize=7.5, ha="right")
        y -= 0.019
        if y < 0.04:
            break
    return fig
