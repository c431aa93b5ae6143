"""Charts kept from the previous report in the same folder, where nothing they show changed.

An officer fixes a cell and runs the report again into the same folder; most charts are then
the same as before, and drawing them is most of the report's time after the computation. A
chart is kept, not drawn again, only where its **key** is the same as the earlier file's and
the earlier file is unchanged since it was written.

The key is a SHA-256 of everything the chart's drawing depends on:

* **what it read of the report**: chart code is given :class:`Reads`, not the report's content
  itself. ``Reads`` answers the few questions a chart may ask (a cell, a category's label, the
  language, the period...) and notes each question and its answer; any other question is an
  error, so the notes are all the drawing learnt from the results. The questions (not the
  answers) are recorded with the key; the next run asks them again of its own results, in the
  same order. Drawing is deterministic, so if every answer is the same, the drawing would ask
  the same questions and build the same figure: the key is the same only then.
* **the indicator's definition** (``definition_hash``), which chart code reads directly;
* **the code**: every file of the ``mel`` package (a change anywhere draws every chart again);
* **the drawing's environment**: the versions of Python, matplotlib, numpy, Pillow, FreeType,
  pycountry and pypdf, the backend, every matplotlib setting (``rcParams``, which a ``matplotlibrc``
  can change) and the font files matplotlib can use.

The earlier file must still have the SHA-256 recorded when it was written, checked on the bytes
copied: a file edited or replaced since is drawn again. Keys, questions and SHA-256s are kept in
the report folder's record (``.mel-report.json``) beside the names of the files; nothing is
kept anywhere else. A kept chart is byte-identical to the one drawing it again would give
(tests/test_reuse.py).
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from types import SimpleNamespace
from typing import Any, NamedTuple

from mel.engine.results import ALL


class Drawn(NamedTuple):
    """A chart file written by this run: its path, its key, the questions its drawing asked
    (a list, or for the chart book its pages' keys and questions), its SHA-256, whether it is
    the earlier run's file, kept, and for a book put together again, how many of its pages
    were kept."""

    path: Path
    key: str
    reads: Any
    sha256: str
    kept: bool = False
    pages_kept: int = 0


class Earlier(NamedTuple):
    """A chart file the previous run wrote in the folder, as its record says."""

    path: Path
    key: str
    reads: Any
    sha256: str


def _canon(value) -> str:
    """A value as exact, deterministic text (a results row whole: repr would shorten it)."""
    from mel.outputs.report.content import Row

    if isinstance(value, Row):
        return repr([(str(k), repr(v)) for k, v in value.items()])
    return repr(value)


class Reads:
    """The report's content as a chart reads it (see the module's text): each question and its
    answer are noted, in order, into a running SHA-256; anything else is refused."""

    _VALUES = ("internal", "lang", "period", "period_start", "period_end", "periods", "threshold")

    def __init__(self, ctx) -> None:
        self._ctx = ctx
        self.questions: list[list] = []
        self._hash = hashlib.sha256()

    def _note(self, question: list, answer):
        self.questions.append(question)
        self._hash.update(repr(question).encode())
        self._hash.update(_canon(answer).encode())
        self._hash.update(b"\x00")
        return answer

    def __getattr__(self, name: str):
        if name in Reads._VALUES:
            return self._note([name], getattr(self._ctx, name))
        raise AttributeError(
            f"chart code read the report's '{name}', which mel.outputs.report.reuse.Reads does "
            "not answer: add it there (noted with its answer), or charts could be kept stale"
        )

    @property
    def project(self) -> SimpleNamespace:
        p = self._ctx.project
        facts = SimpleNamespace(name=p.name, donor=p.donor, countries=list(p.countries))
        return self._note(["project"], facts)

    def cell(self, ind: str, country: str = ALL, period: str | None = None, dis="", cat=""):
        args = [ind, country, period, dis, cat]
        return self._note(["cell", *args], self._ctx.cell(*args))

    def categories(self, ind: str, column: str) -> list[str]:
        return self._note(["categories", ind, column], self._ctx.categories(ind, column))

    def name(self, ind) -> str:
        return self._note(["name", ind.id], self._ctx.name(ind))

    def category(self, ind, column: str, code: str) -> str:
        return self._note(["category", ind.id, column, code], self._ctx.category(ind, column, code))

    def breakdown(self, ind, d) -> str:
        return self._note(["breakdown", ind.id, d.column], self._ctx.breakdown(ind, d))

    def ask(self, question: list) -> None:
        """Ask a recorded question again (of this run's content)."""
        what, *args = question
        if what in Reads._VALUES or what == "project":
            getattr(self, what)
            return
        if what in ("cell", "categories"):
            getattr(self, what)(*args)
            return
        ind = next((i for i in self._ctx.indicators if i.id == args[0]), None)
        if ind is None:
            raise LookupError(args[0])
        if what == "breakdown":
            d = next((d for d in ind.disaggregations if d.column == args[1]), None)
            if d is None:
                raise LookupError(args[1])
            self.breakdown(ind, d)
        elif what in ("name", "category"):
            getattr(self, what)(ind, *args[1:])
        else:
            raise LookupError(what)

    def digest(self) -> str:
        return self._hash.hexdigest()


def asked_again(ctx, questions) -> str | None:
    """The digest of ``questions`` asked of ``ctx``; None where one cannot be asked any more
    (its indicator or breakdown is gone) or the record is not a list of questions."""
    reads = Reads(ctx)
    try:
        for q in questions:
            reads.ask(list(q))
    except (LookupError, TypeError, ValueError, AttributeError):
        return None
    return reads.digest()


_BASE: list[bytes] = []  # computed once per process (the chart workers inherit it)


def base() -> bytes:
    """The code and the drawing's environment: what every key starts from."""
    if not _BASE:
        import platform

        import matplotlib
        import numpy
        import PIL
        import pycountry
        import pypdf
        from matplotlib import font_manager, ft2font

        import mel

        h = hashlib.sha256()
        package = Path(mel.__file__).parent
        for path in sorted(package.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                h.update(str(path.relative_to(package)).encode() + b"\x00" + path.read_bytes())
        versions = (
            platform.python_version(),
            matplotlib.__version__,
            numpy.__version__,
            PIL.__version__,
            ft2font.__freetype_version__,
            getattr(pycountry, "__version__", None) or _version("pycountry"),
            matplotlib.get_backend(),
            pypdf.__version__,  # puts the chart book's pages together (kept ones copied)
        )
        h.update(repr(versions).encode())
        h.update(repr(sorted(matplotlib.rcParams.items())).encode())
        for font in sorted(font_manager.fontManager.ttflist, key=lambda f: (f.fname, f.name)):
            try:
                st = Path(font.fname).stat()
                size, mtime = st.st_size, st.st_mtime_ns
            except OSError:
                size, mtime = -1, -1
            h.update(repr((font.fname, font.name, font.style, font.weight, size, mtime)).encode())
        _BASE.append(h.digest())
    return _BASE[0]


def _version(dist: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(dist)
    except PackageNotFoundError:
        return "?"


def key(*parts: str) -> str:
    """A chart's key: the base, then each part (a definition's hash, a digest of reads...)."""
    h = hashlib.sha256(base())
    for part in parts:
        h.update(part.encode())
        h.update(b"\x00")
    return h.hexdigest()


def earlier_charts(out_dir: Path, record: dict) -> dict[str, Earlier]:
    """The previous run's chart files in ``out_dir`` with their keys, by name relative to it."""
    out: dict[str, Earlier] = {}
    drawn = record.get("drawn")
    if not isinstance(drawn, dict):
        return out
    for rel, entry in drawn.items():
        if (
            isinstance(rel, str)
            and isinstance(entry, dict)
            and isinstance(entry.get("key"), str)
            and isinstance(entry.get("sha256"), str)
        ):
            out[rel] = Earlier(out_dir / rel, entry["key"], entry.get("reads"), entry["sha256"])
    return out


def keep(earlier: Earlier | None, key: str | None, dest: Path) -> str | None:
    """Copy the earlier file to ``dest`` if its key is ``key`` and it is unchanged since; its
    SHA-256, or None (the chart is to be drawn)."""
    if earlier is None or key is None or earlier.key != key:
        return None
    try:
        data = earlier.path.read_bytes()
    except OSError:
        return None
    digest = hashlib.sha256(data).hexdigest()
    if digest != earlier.sha256:
        return None
    from mel.outputs.tidy import atomic_write

    atomic_write(dest, lambda q: q.write_bytes(data))
    return digest


def record_of(drawn: list[Drawn], staging: Path) -> dict[str, dict]:
    """The record's entries for this run's chart files (names relative to the report folder)."""
    return {
        str(d.path.relative_to(staging)): {"key": d.key, "sha256": d.sha256, "reads": d.reads}
        for d in drawn
    }
