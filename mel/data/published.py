"""Earlier donor outputs: the results tables (CSV, Parquet or JSON) a donor already holds.

Later suppression must not give away what these hid (:mod:`mel.engine.disclosure`). A file is a
donor results table when it has the result columns and a ``suppressed`` column; internal tables
(no hidden cell can be in them) and other files in a folder are passed over; a file named
explicitly that is not one is an error.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from mel.errors import UsageError

KEY_COLUMNS = ["indicator", "country", "period", "period_kind", "disaggregation", "category"]
NUMBERS = ["value", "numerator", "denominator"]
SUFFIXES = (".csv", ".parquet", ".json")


def _read(path: Path) -> pd.DataFrame | None:
    try:
        if path.suffix == ".csv":
            head = pd.read_csv(path, nrows=0)
            if not {*KEY_COLUMNS, *NUMBERS, "suppressed"} <= set(head.columns):
                return None
            t = pd.read_csv(
                path,
                dtype=dict.fromkeys(KEY_COLUMNS, "str"),
                keep_default_na=False,
                na_values={c: [""] for c in NUMBERS},
            )
        elif path.suffix == ".parquet":
            t = pd.read_parquet(path)
        else:
            t = pd.read_json(path, orient="records", dtype=False)
    except (OSError, ValueError, ImportError) as exc:
        raise UsageError(
            f"{path}: cannot read this earlier output ({exc}); remove it from privacy.published "
            "or from the report folder"
        ) from None
    if not {*KEY_COLUMNS, *NUMBERS, "suppressed"} <= set(t.columns):
        return None
    flags = "flag" in t.columns  # the markers a donor read ('<5' says 1..4)
    t = t[[*KEY_COLUMNS, *NUMBERS, "multi_response", "suppressed", *(["flag"] if flags else [])]]
    t = t.copy()
    if flags:
        t["flag"] = t["flag"].astype("str").where(t["flag"].notna(), "").replace({"nan": ""})
    for c in KEY_COLUMNS:
        t[c] = t[c].astype("str").where(t[c].notna(), "").replace({"nan": ""})
    for c in NUMBERS:
        t[c] = pd.to_numeric(t[c], errors="coerce")
    t["suppressed"] = t["suppressed"].astype("str").str.lower().isin(["true", "1"])
    t["multi_response"] = t["multi_response"].astype("str").str.lower().isin(["true", "1"])
    return t


def donor_tables(paths: list[Path], *, explicit: bool) -> list[tuple[Path, pd.DataFrame]]:
    """(file, table) of every donor results table among ``paths`` (files, or folders whose
    results files are read; one table per name, CSV preferred). ``explicit``: the user named
    these paths, so one that is missing or not a results table is an error."""
    files: list[Path] = []
    for p in paths:
        if p.is_dir():
            stems: dict[str, Path] = {}
            for f in sorted(p.iterdir()):
                wanted = f.is_file() and f.suffix in SUFFIXES and not f.name.startswith(".")
                if wanted and (f.stem not in stems or f.suffix == ".csv"):
                    stems[f.stem] = f
            files.extend(stems.values())
        elif p.is_file():
            files.append(p)
        elif explicit:
            raise UsageError(
                f"privacy.published names {p}, which does not exist; remove it from mel.yaml "
                "or restore the file"
            )
    out = []
    for f in files:
        table = _read(f) if f.suffix in SUFFIXES else None
        if table is None:
            if explicit and not any(f.parent == p for p in paths):
                raise UsageError(
                    f"{f} is not a donor results table of mel (it needs the result columns and "
                    "'suppressed'); name results files written by mel report or mel compute"
                )
            continue
        out.append((f, table))
    return out
