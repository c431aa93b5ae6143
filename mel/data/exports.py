"""The exports of KoboToolbox and ODK forms, read as they come: every table of an export (the
submissions and each repeat group), with each row's number as the file shows it.

* KoboToolbox XLSX: the first sheet holds the submissions, one more sheet per repeat group
  (named after the group), linked by ``_index`` / ``_parent_index``.
* KoboToolbox CSV: the submissions (``;`` or ``,`` separated).
* ODK Central CSV zip: ``FORM.csv`` and ``FORM-REPEAT.csv``, linked by ``KEY`` / ``PARENT_KEY``.
* A snapshot pulled by ``mel pull`` (JSON, the server's records as it sent them), or a folder
  of them (the newest is read); repeat groups are the records' nested lists.

What each table means to a dataset (which columns, which repeat) is :mod:`mel.data.formdata`'s
work."""

from __future__ import annotations

import json
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from mel.data.readers import RawTable, _fail, cell_text, read_table
from mel.definitions.forms import SNAPSHOT_SUFFIX, newest_snapshot
from mel.definitions.yamlio import display_path
from mel.errors import Finding

SNAPSHOT_FORMAT = "mel-snapshot-1"


@dataclass
class FormTables:
    """An export's tables: the submissions and each repeat group's rows."""

    file: str
    kind: str  # "kobo", "odk" or "snapshot"
    main: RawTable
    repeats: dict[str, RawTable] = field(default_factory=dict)
    index: str = "_index"  # the submissions' column a repeat row's link points at
    parent: str = "_parent_index"  # the repeat rows' link to their submission
    findings: list[Finding] = field(default_factory=list)


def read_export(path: Path, *, shown: str | None = None, pulled: bool = False) -> FormTables:
    """Every table of a form's export (``pulled``: the folder of a server's snapshots);
    raises DataError naming the file."""
    path = Path(path)
    shown = shown or display_path(path)
    if path.is_dir() or (pulled and not path.exists()):
        snap = newest_snapshot(path) if path.is_dir() else None
        if snap is None:
            raise _fail(
                shown,
                "file-missing",
                f"{shown} holds no snapshot yet",
                "run 'mel pull' on the project to fetch the data from the server",
            )
        return _snapshot(snap, display_path(snap))
    if not path.exists():
        raise _fail(shown, "file-missing", f"{shown} does not exist", "check the path in mel.yaml")
    suffix = path.suffix.lower()
    if suffix == ".zip":
        return _odk_zip(path, shown)
    if suffix == SNAPSHOT_SUFFIX:
        return _snapshot(path, shown)
    if suffix in (".xlsx", ".xlsm"):
        return _kobo_workbook(path, shown)
    return FormTables(shown, "kobo", read_table(path, shown=shown))


def _kobo_workbook(path: Path, shown: str) -> FormTables:
    from mel.xlsx import BadWorkbook, UnsafeWorkbook, open_workbook

    try:
        wb = open_workbook(path)
        names = list(wb.sheetnames)
        wb.close()
    except (BadWorkbook, UnsafeWorkbook):
        return FormTables(shown, "kobo", read_table(path, shown=shown))  # its own message
    main = read_table(path, sheet=names[0], shown=shown)
    repeats = {n: read_table(path, sheet=n, shown=shown) for n in names[1:]}
    return FormTables(shown, "kobo", main, repeats)


def _odk_zip(path: Path, shown: str) -> FormTables:
    try:
        with zipfile.ZipFile(path) as zf:
            members = [m for m in zf.namelist() if m.lower().endswith(".csv")]
            if not members:
                raise _fail(shown, "file-format", f"{shown} holds no CSV file")
            main_name = min(members, key=lambda m: (len(Path(m).stem), m))
            stem = Path(main_name).stem
            with tempfile.TemporaryDirectory() as tmp:
                tables = {}
                for m in members:
                    target = Path(tmp) / Path(m).name
                    target.write_bytes(zf.read(m))
                    tables[m] = read_table(target, shown=f"{shown}:{Path(m).name}")
    except zipfile.BadZipFile:
        raise _fail(
            shown,
            "file-format",
            f"{shown} is not a zip file",
            "download the export from ODK Central again (Download > CSV zip)",
        ) from None
    repeats = {}
    for m, t in tables.items():
        if m != main_name:
            name = Path(m).stem
            repeats[name[len(stem) + 1 :] if name.startswith(stem + "-") else name] = t
    return FormTables(shown, "odk", tables[main_name], repeats, "KEY", "PARENT_KEY")


# --- snapshots -----------------------------------------------------------------------------------


def load_snapshot(path: Path, shown: str) -> dict:
    """A snapshot file's content, checked for shape; raises DataError naming the file."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _fail(
            shown,
            "file-format",
            f"{shown} is not a readable snapshot ({exc})",
            "pull it again with 'mel pull'",
        ) from None
    if (
        not isinstance(data, dict)
        or data.get("format") != SNAPSHOT_FORMAT
        or not isinstance(data.get("results"), list)
    ):
        raise _fail(
            shown,
            "file-format",
            f"{shown} is not a snapshot written by mel pull",
            "pull it again with 'mel pull'",
        )
    return data


def _snapshot(path: Path, shown: str) -> FormTables:
    data = load_snapshot(path, shown)
    records, findings = latest_versions(data["results"], shown)
    main_rows: list[dict] = []
    repeats: dict[str, list[dict]] = {}
    for i, rec in enumerate(records, start=1):
        main_rows.append(_flatten(rec, i, "", repeats))
    main = _table(shown, None, main_rows)
    tables = {name: _table(shown, name, rows) for name, rows in repeats.items()}
    return FormTables(shown, "snapshot", main, tables, findings=findings)


def latest_versions(records: list, shown: str) -> tuple[list[dict], list[Finding]]:
    """The records with one version of each submission (by ``_id``): a submission edited on
    the server keeps its ``_id``; the version no other one replaces (``meta/deprecatedID``)
    is read, else the last one sent."""
    versions: dict = {}
    for rec in records:
        if isinstance(rec, dict):
            versions.setdefault(rec.get("_id", id(rec)), []).append(rec)
    kept = []
    for group in versions.values():
        if len(group) > 1:
            replaced = {r.get("meta/deprecatedID") for r in group} - {None}
            current = [r for r in group if r.get("meta/instanceID") not in replaced]
            group = current or group
        kept.append(group[-1])
    findings = []
    edited = sum(len(g) > 1 for g in versions.values())
    if edited:
        findings.append(
            Finding(
                "edited",
                f"{edited} submission(s) appear in more than one version (the same _id): the "
                "last version of each is read",
                file=shown,
                severity="warning",
                scope="dataset",
            )
        )
    return kept, findings


def _flatten(rec: dict, index: int, parent: str, repeats: dict[str, list[dict]], up=None) -> dict:
    """A record's answers as text, its repeat groups' rows added to ``repeats``."""
    row: dict = {"_index": str(index)}
    if up is not None:
        row["_parent_index"] = str(up)
    for key, value in rec.items():
        if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            name = key.rsplit("/", 1)[-1]
            rows = repeats.setdefault(name, [])
            for child in value:
                rows.append(_flatten(child, len(rows) + 1, key, repeats, up=index))
        elif isinstance(value, (dict, list)):
            continue  # attachments, geolocation, notes: not answers
        else:
            row[key] = "" if value is None else cell_text(value)
    return row


def _table(shown: str, sheet: str | None, rows: list[dict]) -> RawTable:
    header: list[str] = list(dict.fromkeys(k for r in rows for k in r))
    body = pd.DataFrame(
        {str(i): pd.Series([r.get(h, "") for r in rows], dtype="str") for i, h in enumerate(header)}
    )
    numbers = np.arange(1, len(rows) + 1, dtype=np.int64)  # the record's place in the snapshot
    return RawTable(shown, header, body, numbers, sheet, 0, [])


__all__ = ["FormTables", "latest_versions", "load_snapshot", "newest_snapshot", "read_export"]
