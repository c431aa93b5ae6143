"""Keeping memory low on large projects: typed frames compacted to the columns the engine reads,
text cells let go, and freed memory given back to the system."""

from __future__ import annotations

import pandas as pd

from mel.data.readers import RawTable


def compact(frame: pd.DataFrame, columns: set[str]) -> pd.DataFrame:
    """Only ``columns``, text columns as categoricals (integer codes and one copy of each
    distinct text)."""
    out = {}
    for c in frame.columns:
        if c not in columns:
            continue
        values = frame[c]
        if pd.api.types.is_string_dtype(values.dtype):
            codes, uniques = pd.factorize(values)
            values = pd.Series(
                pd.Categorical.from_codes(codes, categories=pd.Index(uniques, dtype="str")),
                index=frame.index,
                name=c,
            )
        out[c] = values
    return pd.DataFrame(out, index=frame.index)


def without_cells(raw: RawTable) -> RawTable:
    from dataclasses import replace

    return replace(raw, data=pd.DataFrame(index=pd.RangeIndex(0)))


# below this many rows (or cells) dropped there is nothing worth a collection: a full
# collection of the interpreter's objects costs about a tenth of a second on a slow machine,
# eleven of them a second and a half of a small project's run
LARGE = 100_000


def release_memory(rows: int | None = None, *, collect: bool = True) -> None:
    """Free what was dropped and give it back to the system: Arrow's memory pool (mimalloc or
    jemalloc) and glibc's allocator keep freed memory otherwise. ``rows``: how many rows were
    dropped; fewer than :data:`LARGE` leave nothing worth the cost. ``collect=False`` when
    what was dropped is known to be freed already (no reference cycle holds it)."""
    import gc

    if rows is not None and rows < LARGE:
        return
    if collect:
        gc.collect()
    try:
        import pyarrow as pa

        pa.default_memory_pool().release_unused()
    except ImportError:  # pragma: no cover - pyarrow is a dependency
        pass
    _trim_malloc()


def _trim_malloc() -> None:
    """Give the C allocator's freed pages back to the system (glibc keeps them otherwise)."""
    import contextlib
    import ctypes
    import sys

    if sys.platform.startswith("linux"):
        # another C library (musl) has no malloc_trim: nothing to trim then
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL("libc.so.6").malloc_trim(0)
