"""Data-entry kits' layouts, read as their authors meant them: a second header row of the
columns' labels under their names (the HTCDS Excel kit), and an unnamed first column of running
row numbers (a kit's pre-numbered empty rows). Both are set aside, so that the kit's labels are
not read as a record and its numbered empty rows are blank rows, not a thousand findings."""

from __future__ import annotations

import re
from dataclasses import replace

import numpy as np
import pandas as pd

from mel.data.readers import RawTable
from mel.definitions.models import Template


def _norm(text: str) -> str:
    return re.sub(r"[\s\-_./()]+", "_", str(text).strip().casefold()).strip("_")


def kit_layout(raw: RawTable, tpl: Template) -> RawTable:
    """The table with a labels row and a row-number column set aside (unchanged otherwise)."""
    raw = _row_numbers(raw)
    return _labels_row(raw, tpl)


def _row_numbers(raw: RawTable) -> RawTable:
    if not raw.header or raw.header[0] != "" or not len(raw.data):
        return raw
    col = raw.data["0"].str.strip()
    filled = col != ""
    numbers = pd.to_numeric(col[filled], errors="coerce")
    if not len(numbers) or numbers.isna().any():
        return raw
    if not (np.diff(numbers.to_numpy()) == 1).all():
        return raw  # not running numbers: data without a header, reported as such
    data = raw.data.assign(**{"0": ""})
    others = [c for c in data.columns if c != "0"]
    keep = (data[others].apply(lambda s: s.str.strip() != "")).any(axis=1).to_numpy()
    return replace(raw, data=data.loc[keep].reset_index(drop=True), rows=raw.rows[keep])


def _labels_row(raw: RawTable, tpl: Template) -> RawTable:
    """A first data row holding the columns' labels: the header's second row. Its labels also
    name the header cells left empty."""
    if not len(raw.data):
        return raw
    labels = {_norm(c.label): c.name for c in tpl.columns if c.label}
    names = {_norm(c.name): c.name for c in tpl.columns}
    names.update({_norm(h): c.name for c in tpl.columns for h in c.headers})
    first = [str(v).strip() for v in raw.data.iloc[0].tolist()]
    filled = [(i, v) for i, v in enumerate(first) if v]
    same = [
        i
        for i, v in filled
        if _norm(v) in labels
        and (not raw.header[i] or names.get(_norm(raw.header[i])) == labels[_norm(v)])
    ]
    if len(filled) < 3 or len(same) < 0.8 * len(filled):
        return raw
    header = list(raw.header)
    for i, v in filled:
        if not header[i] and _norm(v) in labels:
            header[i] = labels[_norm(v)]
    return replace(
        raw, header=header, data=raw.data.iloc[1:].reset_index(drop=True), rows=raw.rows[1:]
    )


__all__ = ["kit_layout"]
