"""Tidy results as CSV, Parquet or JSON, for other tools.

Written atomically (a temporary file renamed over the target). In CSV, a text cell that a
spreadsheet would read as a formula (starting with = + - @, or a tab or carriage return) is
prefixed with a single quote; numbers are written as numbers.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import pandas as pd

FORMATS = ("csv", "parquet", "json")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_text(value: object) -> object:
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        try:
            float(value)
            return value  # a negative number written as text stays a number
        except ValueError:
            return "'" + value
    return value


def _no_formula(column: pd.Series) -> bool:
    """A column of pandas' own text type where no cell starts as a formula does: what
    :func:`safe_text` leaves as it is, found by one Arrow kernel rather than a Python call per
    cell (object columns are mapped: the map may also change their type)."""
    if column.dtype != "str":
        return False
    return not column.str.startswith(_FORMULA_START, na=False).any()


def refuse_inputs(output: Path, inputs: list[Path]) -> None:
    """An output must never overwrite one of the files it was made from."""
    from mel.errors import UsageError

    if Path(output).resolve() in set(inputs):
        raise UsageError(f"{output} is one of the project's input files; write results elsewhere")


def cannot_write(path: Path, exc: OSError):
    """The user's error for an output place that cannot be written (a read-only folder, a
    missing drive, a file where a folder belongs)."""
    from mel.errors import UsageError

    reason = exc.strerror or type(exc).__name__
    return UsageError(
        f"cannot write {path}: {reason}; choose a folder you may write to (-o), or check the path"
    )


def atomic_write(path: Path, write) -> Path:
    """Call write(temporary path) and rename the result over path: all or nothing. A place
    that cannot be written is the user's error, naming ``path``."""
    path = Path(path)
    if path.is_dir():
        from mel.errors import UsageError

        raise UsageError(f"{path} is a folder; give a file name to write to")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        os.close(fd)
    except OSError as exc:
        raise cannot_write(path, exc) from None
    try:
        write(Path(tmp))
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(tmp, 0o666 & ~mask)
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise cannot_write(path, exc) from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def write_table(table: pd.DataFrame, path: Path, fmt: str | None = None) -> Path:
    fmt = fmt or Path(path).suffix.lstrip(".").lower()
    out = table.copy()
    for c in out.columns:
        if out[c].dtype == object or pd.api.types.is_string_dtype(out[c].dtype):
            if _no_formula(out[c]):
                continue  # (the map would give the same texts, of the same type)
            out[c] = out[c].map(safe_text, na_action="ignore")
    if fmt == "csv":
        return atomic_write(path, lambda p: out.to_csv(p, index=False, lineterminator="\n"))
    if fmt == "parquet":
        for c in ("target", "baseline"):
            if c in out:
                out[c] = out[c].map(lambda v: None if v is None else str(v)).astype("str")
        return atomic_write(path, lambda p: out.to_parquet(p, index=False))
    if fmt == "json":
        records = json.loads(out.to_json(orient="records", double_precision=10))
        text = json.dumps(records, ensure_ascii=False, indent=1, allow_nan=False)
        return atomic_write(path, lambda p: p.write_text(text + "\n", encoding="utf-8"))
    raise ValueError(f"unknown format {fmt!r}")


__all__ = ["FORMATS", "refuse_inputs", "safe_text", "write_table"]
