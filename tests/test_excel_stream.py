"""Streamed rows (mel.outputs.excel.stream_rows) give the same file as cells written one by one.

The independent method is openpyxl itself: the same values written with ``set_text`` into cells
of an identical workbook, saved the same way; the two files must be equal byte for byte."""

from __future__ import annotations

import math
import zipfile

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font

from mel.outputs.excel import rows_xml, save_workbook, set_text, stream_rows, stream_xml

EDGE = [
    "plain",
    "",
    " leading space",
    "trailing space ",
    "   ",
    "a & b < c > d",
    "\"quoted\" 'single'",
    "=SUM(A1:A2)",
    "#N/A",
    "line\nbreak",
    "tab\there",
    "carriage\rreturn",
    "bell\x07gone",
    "\u00e9t\u00e9 \u2013 \u4e2d\u6587 \U0001f600",
    "x" * 40000,
    0,
    -3,
    2**53 + 1,
    0.1,
    1 / 3,
    -1e-300,
    1e300,
    123456789.125,
    float("nan"),
    math.inf,
    True,
    False,
    None,
    pd.NA,
    np.float64(2.5),
    np.int64(7),
    np.bool_(True),
]


def _book(rows: list[list], streamed: bool | str):
    wb = Workbook()
    ws = wb.active
    ws.title = "Data"
    set_text(ws.cell(row=1, column=1), "banner").font = Font(bold=True)
    for j in range(1, 4):
        set_text(ws.cell(row=3, column=j), f"head {j}")
    ws.freeze_panes = "B4"
    ws.auto_filter.ref = f"A3:C{3 + len(rows)}"
    if streamed == "xml":  # made ahead, as by another process, fetched when saved
        made = rows_xml(4, rows)
        stream_xml(ws, 4, lambda: made)
    elif streamed:
        stream_rows(ws, 4, rows)
    else:
        for i, row in enumerate(rows, start=4):
            for j, v in enumerate(row, start=1):
                if v is None or v is pd.NA or (isinstance(v, float) and v != v):
                    continue
                set_text(ws.cell(row=i, column=j), v.item() if hasattr(v, "item") else v)
    wb.create_sheet("After")["A1"] = "next sheet"
    return wb


def _same_file(tmp_path, rows: list[list], streamed: bool | str = True) -> None:
    a, b = tmp_path / "cells.xlsx", tmp_path / "streamed.xlsx"
    save_workbook(_book(rows, streamed=False), a)
    save_workbook(_book(rows, streamed=streamed), b)
    if a.read_bytes() != b.read_bytes():  # say which part differs, and where
        za, zb = zipfile.ZipFile(a), zipfile.ZipFile(b)
        for name in za.namelist():
            x, y = za.read(name), zb.read(name)
            if x != y:
                at = next(i for i in range(min(len(x), len(y))) if x[i] != y[i])
                near = slice(max(0, at - 80), at + 80)
                pytest.fail(f"{name} differs at {at}: {x[near]!r} / {y[near]!r}")
        pytest.fail("the files differ outside their parts")


def test_every_kind_of_value_is_written_as_openpyxl_writes_it(tmp_path):
    rows = [[v, "mid", EDGE[-1 - k]] for k, v in enumerate(EDGE)]
    rows.append([None, None, None])  # a row with no value: not written at all
    rows.append([None, None, "only the last column"])
    _same_file(tmp_path, rows)


def test_values_repeated_down_and_across_columns(tmp_path):
    """A text's XML is made once per column and reused: every repeat as openpyxl writes it,
    whatever was in that column before (a text, a number equal to it, a bool)."""
    rows = [[e, e, str(e)] for e in EDGE] * 3
    rows += [[1, True, "1"], [True, 1.0, "True"], [-0.0, 0.0, "-0.0"], ["1", "1", 1]]
    _same_file(tmp_path, rows)
    _same_file(tmp_path, rows, streamed="xml")


def test_rows_made_ahead_as_xml_give_the_same_file(tmp_path):
    rows = [[v, "mid", EDGE[-1 - k]] for k, v in enumerate(EDGE)]
    rows += [[None, None, None], [None, None, "only the last column"]]
    _same_file(tmp_path, rows, streamed="xml")
    _same_file(tmp_path, [], streamed="xml")
    _same_file(tmp_path, [["one"], [None, 2.0]], streamed="xml")


def test_rows_made_ahead_are_fetched_when_the_workbook_is_saved(tmp_path):
    wb = Workbook()
    fetched = []
    made = rows_xml(2, [["a", 1]])
    stream_xml(wb.active, 2, lambda: fetched.append(1) or made)
    assert fetched == []
    save_workbook(wb, tmp_path / "w.xlsx")
    assert fetched == [1]
    assert [c.value for c in load_workbook(tmp_path / "w.xlsx").active[2]] == ["a", 1]


def test_rows_made_as_xml_are_refused_where_openpyxl_writes_with_lxml(monkeypatch):
    import openpyxl

    monkeypatch.setattr(openpyxl, "LXML", True)
    with pytest.raises(ValueError, match="lxml"):
        stream_xml(Workbook().active, 1, lambda: rows_xml(1, []))


def test_no_rows_and_rows_narrower_than_the_header(tmp_path):
    _same_file(tmp_path, [])
    _same_file(tmp_path, [["one"], [None, 2.0]])


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.lists(
            st.one_of(
                st.none(),
                st.text(max_size=12),
                st.integers(min_value=-(10**15), max_value=10**15),
                st.floats(allow_nan=True, allow_infinity=False),
                st.booleans(),
            ),
            min_size=1,
            max_size=4,
        ),
        max_size=8,
    )
)
def test_random_tables(tmp_path_factory, rows):
    _same_file(tmp_path_factory.mktemp("t"), rows)
    _same_file(tmp_path_factory.mktemp("t"), rows, streamed="xml")


def test_streamed_values_read_back(tmp_path):
    path = tmp_path / "s.xlsx"
    save_workbook(_book([["=1+1", 2.5, True], [" x ", None, "a&b"]], streamed=True), path)
    ws = load_workbook(path)["Data"]
    assert [c.value for c in ws[4]] == ["=1+1", 2.5, True]
    assert ws["A4"].data_type == "s"  # text, never a formula
    assert [c.value for c in ws[5]] == [" x ", None, "a&b"]
    assert ws.dimensions == "A1:C5"


def test_rows_may_not_overlap_the_sheets_cells():
    ws = Workbook().active
    ws["A5"] = "x"
    with pytest.raises(ValueError, match="overlap"):
        stream_rows(ws, 5, [["y"]])


def test_where_openpyxl_writes_with_lxml_the_rows_become_cells(tmp_path, monkeypatch):
    """lxml's XML writer takes no raw text: with it, the streamed rows are written as cells,
    and the file is the one the cells give."""
    import openpyxl

    monkeypatch.setattr(openpyxl, "LXML", True)
    _same_file(tmp_path, [[v, "x"] for v in EDGE[:20]])


@pytest.mark.parametrize("lxml", [False, True])
def test_a_date_is_written_as_its_iso_text_on_either_path(tmp_path, monkeypatch, lxml):
    import datetime as dt

    import openpyxl

    monkeypatch.setattr(openpyxl, "LXML", lxml)
    path = tmp_path / "d.xlsx"
    rows = [[dt.date(2025, 1, 2), dt.datetime(2025, 1, 2, 3, 4, 5)]]
    save_workbook(_book(rows, streamed=True), path)
    ws = load_workbook(path)["Data"]
    assert [c.value for c in ws[4]][:2] == ["2025-01-02", "2025-01-02T03:04:05"]


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 5), st.booleans()), min_size=1, max_size=60))
def test_style_index_by_identity_gives_openpyxl_s_indices(picks):
    """new_workbook's style lists find an object seen before by identity: the indices must be
    those openpyxl's own list gives, for the same objects added in the same order, where equal
    objects may be distinct ones."""
    from openpyxl.utils.indexed_list import IndexedList

    from mel.outputs.excel import _StyleIndex

    shared = [Font(bold=k % 2 == 0, size=8 + k // 2) for k in range(6)]
    ours, theirs = _StyleIndex([Font()]), IndexedList([Font()])
    for k, fresh in picks:
        font = Font(bold=k % 2 == 0, size=8 + k // 2) if fresh else shared[k]  # equal, or same
        assert ours.add(font) == theirs.add(font)
    assert list(ours) == list(theirs)


def test_a_report_workbook_with_fast_styles_is_the_same_file(tmp_path):
    """The same sheet built on openpyxl's own workbook and on new_workbook: the same bytes."""
    from openpyxl.styles import Border, Side

    from mel.outputs.excel import new_workbook

    border = Border(left=Side(style="thin"))
    bold = Font(bold=True)
    paths = []
    for name, wb in (("plain", Workbook()), ("fast", new_workbook())):
        ws = wb.active
        for r in range(1, 200):
            for c in range(1, 6):
                cell = set_text(ws.cell(row=r, column=c), f"{r}-{c}")
                cell.border = border if (r + c) % 3 else Border(left=Side(style="thin"))
                if c == 1:
                    cell.font = bold
        paths.append(save_workbook(wb, tmp_path / f"{name}.xlsx"))
    assert paths[0].read_bytes() == paths[1].read_bytes()


def test_styles_made_once_per_arguments_give_the_same_file(tmp_path):
    """Cells styled with ``font``/``alignment`` (one object per set of arguments) and with a new
    Font/Alignment each: the same bytes; and the factories give one object per arguments."""
    from openpyxl.styles import Alignment

    from mel.outputs.excel import alignment, font, new_workbook

    assert font(bold=True, italic=False) is font(bold=True, italic=False)
    assert font(bold=True, italic=False) is not font(bold=True, italic=True)
    assert alignment(horizontal="right") == Alignment(horizontal="right")
    paths = []
    for name, make_font, make_alignment in (
        ("new", Font, Alignment),
        ("cached", font, alignment),
    ):
        wb = new_workbook()
        ws = wb.active
        for r in range(1, 120):
            for c in range(1, 5):
                cell = set_text(ws.cell(row=r, column=c), f"{r}-{c}")
                cell.font = make_font(bold=(r + c) % 2 == 0, italic=r % 3 == 0)
                cell.alignment = make_alignment(
                    horizontal="right" if c % 2 else None, vertical="top", wrap_text=r % 5 == 0
                )
        paths.append(save_workbook(wb, tmp_path / f"{name}.xlsx"))
    assert paths[0].read_bytes() == paths[1].read_bytes()


def test_row_heights_from_the_first_columns_equal_those_from_the_whole_row():
    """``fit_row_height(..., columns=k)`` reads the row's first k cells only (the sheet's
    widest row is not looked for): the same height wherever the row's texts are in them, and
    no empty cell made."""
    import random

    from mel.outputs.excel import fit_row_height

    rng = random.Random(7)  # noqa: S311 - test data
    words = ["a", "word", "a longer phrase of words", "line\nbreak", "x" * 150, ""]
    for _ in range(40):
        width = rng.randint(1, 6)
        sheets = [Workbook().active for _ in range(2)]
        for ws in sheets:
            for j, w in enumerate([9, 26, 40, 12, 100, 8][:width], start=1):
                ws.column_dimensions[chr(64 + j)].width = w
        rows = [[rng.choice([None, *words]) for _ in range(width)] for _ in range(8)]
        for ws, columns in zip(sheets, (None, width), strict=True):
            for i, row in enumerate(rows, start=1):
                for j, v in enumerate(row, start=1):
                    if v is not None:
                        set_text(ws.cell(row=i, column=j), v)
            cells = set(ws._cells)
            for i in range(1, len(rows) + 1):
                fit_row_height(ws, i, columns=columns)
            if columns is not None:
                assert set(ws._cells) == cells  # nothing made
        heights = [[ws.row_dimensions[i].height for i in range(1, 9)] for ws in sheets]
        assert heights[0] == heights[1]
