"""Charts kept from the previous report in the same folder, where nothing they show changed.

An officer fixes a cell and runs the report again into the same folder; most charts are then
the same as before, and drawing them is most of the report's time after the computation. A
chart is kept, not drawn again, only where the figure built for it this time is *the same*
as the one the earlier file was drawn from:

* **the figure's key**: the SHA-256 of the figure as Python pickles it (every artist, text,
  value, colour, size and font request in it), before it is laid out and drawn. Whatever the
  chart reads (a value, a label, the language, the period, the edition) is in the figure, so
  it is in the key; nothing has to list what a chart depends on.
* **the drawing's environment**: this module's and ``charts.py``'s source (how a figure is
  laid out and saved), mel's version, the versions of matplotlib, numpy, Pillow and FreeType,
  the backend, every matplotlib setting (``rcParams``, where a ``matplotlibrc`` can change
  how a figure is drawn) and the font files matplotlib can use.
* **the file itself**: the earlier file must still have the SHA-256 recorded when it was
  written, checked on the bytes copied (a file edited or replaced since is drawn again).

The keys are recorded in the report folder's record (``.mel-report.json``) beside the names of
the files. Nothing is kept anywhere else: the only copies are the report's own files, in the
folder the user chose. The same figure drawn in the same environment gives the same bytes, so a
kept chart is byte-identical to the one drawing it again would give (tests/test_reuse.py).
"""

from __future__ import annotations

import hashlib
import pickle
from pathlib import Path
from typing import NamedTuple

from matplotlib.figure import Figure
from matplotlib.transforms import TransformNode


class Drawn(NamedTuple):
    """A chart file written by this run: its path, its figure's key and its SHA-256."""

    path: Path
    key: str | None
    sha256: str


class Earlier(NamedTuple):
    """A chart file the previous run wrote in the folder, as its record says."""

    path: Path
    key: str
    sha256: str


_ENVIRONMENT: list[bytes] = []  # computed once per process (the chart workers inherit it)


def environment() -> bytes:
    """What decides how a figure becomes a file, other than the figure itself."""
    if not _ENVIRONMENT:
        import matplotlib
        import numpy
        import PIL
        from matplotlib import font_manager, ft2font

        from mel import __version__
        from mel.outputs.report import charts

        h = hashlib.sha256()
        for source in (Path(__file__), Path(charts.__file__)):
            h.update(source.read_bytes())
        versions = (
            __version__,
            matplotlib.__version__,
            numpy.__version__,
            PIL.__version__,
            ft2font.__freetype_version__,
            matplotlib.get_backend(),
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
        _ENVIRONMENT.append(h.digest())
    return _ENVIRONMENT[0]


class _Digest:
    """A file-like sink that hashes what is written to it (the pickle is never held whole)."""

    def __init__(self) -> None:
        self.hash = hashlib.sha256(environment())

    def write(self, data) -> int:
        self.hash.update(data)
        return len(data)


class _Pickler(pickle.Pickler):
    def reducer_override(self, obj):
        # a transform pickles the transforms that depend on it keyed by their id(), a memory
        # address that differs from run to run; they are reached through their own owners
        # anyway and decide nothing about the drawing (they are told when to recompute)
        if isinstance(obj, TransformNode):
            state = obj.__getstate__()
            state["_parents"] = None
            return (type(obj), (), state)
        if isinstance(obj, Figure):  # pyplot's number for the figure: how many others are open
            state = obj.__getstate__()
            state.pop("_number", None)
            return (type(obj), (), state)
        return NotImplemented


def figure_key(*figures) -> str | None:
    """The key of one or more figures (a chart book's pages in order), or None where a figure
    cannot be pickled (it is then always drawn)."""
    sink = _Digest()
    try:
        pickler = _Pickler(sink, protocol=5)
        for fig in figures:
            pickler.dump(fig)
    except (pickle.PicklingError, TypeError, AttributeError, RecursionError):
        return None
    return sink.hash.hexdigest()


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
            out[rel] = Earlier(out_dir / rel, entry["key"], entry["sha256"])
    return out


def keep(earlier: Earlier | None, key: str | None, dest: Path) -> str | None:
    """Copy the earlier file to ``dest`` if it was drawn from a figure with this key and is
    unchanged since; its SHA-256, or None (the figure is to be drawn)."""
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


def file_sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def record_of(drawn: list[Drawn], staging: Path) -> dict[str, dict[str, str]]:
    """The record's entries for this run's files (names relative to the report folder)."""
    return {
        str(d.path.relative_to(staging)): {"key": d.key, "sha256": d.sha256}
        for d in drawn
        if d.key is not None
    }
