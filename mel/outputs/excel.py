"""What every workbook `mel` writes shares: safe cell values, styles, deterministic atomic saving.

* A value from data is always written as text or a number, never as a formula: openpyxl would
  store a string starting with ``=`` as a formula, so such strings are forced to be text, and
  characters that XML cannot hold are removed.
* Saving is deterministic: the workbook's created/modified properties and every zip entry's time
  are fixed, so the same inputs give byte-identical files.
* Saving is atomic: the workbook is written to a temporary file beside the target and renamed
  over it, so a failure leaves the previous file or nothing, never half a workbook.
* A sheet of many plain rows (the report's tidy Data sheet) can be given its rows with
  ``stream_rows``: they are written straight into the sheet's XML when it is saved, the same
  bytes openpyxl would write for them as cells, without a cell object each.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import zipfile
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.utils.indexed_list import IndexedList
from openpyxl.workbook import Workbook
from openpyxl.worksheet._writer import WorksheetWriter
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter
from pandas import NA as _NA

FIXED_TIME = dt.datetime(2000, 1, 1, 0, 0, 0)

HEADER_FILL = PatternFill("solid", fgColor="1F4E78")
HEADER_FONT = Font(bold=True, color="FFFFFF")
TITLE_FONT = Font(bold=True, size=14)
ERROR_FILL = PatternFill("solid", fgColor="FFC7CE")
WARNING_FILL = PatternFill("solid", fgColor="FFEB9C")
THIN = Side(style="thin", color="BFBFBF")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
WRAP = Alignment(wrap_text=True, vertical="top")


@functools.cache
def font(**kw: object) -> Font:
    """One Font per set of arguments, for styles set cell by cell in a loop: the workbook finds
    the same object again by identity (``_StyleIndex``), where a new equal one is hashed field
    by field. (openpyxl's styles are not changed once made.)"""
    return Font(**kw)


@functools.cache
def alignment(**kw: object) -> Alignment:
    """One Alignment per set of arguments (see ``font``)."""
    return Alignment(**kw)


def set_text(cell: Cell, value: object) -> Cell:
    """Write a value from data into a cell so that it can never become a formula."""
    if value is None:
        cell.value = None
        return cell
    if isinstance(value, bool | int | float | dt.date | dt.datetime):
        cell.value = value
        return cell
    text = ILLEGAL_CHARACTERS_RE.sub("", str(value))
    cell.value = text
    cell.data_type = "s"  # a leading '=' stays text
    return cell


def write_header(ws: Worksheet, row: int, titles: list[str], widths: list[int] | None = None):
    for j, title in enumerate(titles, start=1):
        c = set_text(ws.cell(row=row, column=j), title)
        c.fill = HEADER_FILL
        c.font = HEADER_FONT
        c.alignment = Alignment(wrap_text=True, vertical="center")
        c.border = BORDER
        if widths:
            ws.column_dimensions[get_column_letter(j)].width = widths[j - 1]


def print_setup(ws: Worksheet, header_row: int = 1) -> None:
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = f"{header_row}:{header_row}"


class _FixedTimeZip(zipfile.ZipFile):
    """A zip whose entries all carry the same time, for byte-identical workbooks."""

    def writestr(self, zinfo_or_arcname, data, compress_type=None, compresslevel=None):
        if not isinstance(zinfo_or_arcname, zipfile.ZipInfo):
            zinfo = zipfile.ZipInfo(zinfo_or_arcname, date_time=FIXED_TIME.timetuple()[:6])
            zinfo.compress_type = self.compression
            zinfo.external_attr = 0o600 << 16
            zinfo_or_arcname = zinfo
        return super().writestr(zinfo_or_arcname, data, compress_type, compresslevel)

    def write(self, filename, arcname=None, compress_type=None, compresslevel=None):
        # openpyxl writes worksheets from temporary files, whose time zipfile would copy
        data = Path(filename).read_bytes()
        return self.writestr(arcname or Path(filename).name, data, compress_type, compresslevel)


_STREAMED = "_mel_streamed_rows"  # the attribute of a worksheet holding its streamed rows
_ESCAPE = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})


def stream_rows(ws: Worksheet, first_row: int, rows: Iterable[Sequence]) -> None:
    """Give ``ws`` rows of plain values (text, numbers, booleans; None, NaN and pandas' NA
    leave a cell empty) to be written from ``first_row`` on, below its cells, when the
    workbook is saved with ``save_workbook``: the same file as writing each value with
    ``set_text`` into a cell (a date is written as its ISO text), at a fraction of the time
    and memory (no cell objects)."""
    _below_cells(ws, first_row)
    setattr(ws, _STREAMED, (first_row, list(rows)))


def _below_cells(ws: Worksheet, first_row: int) -> None:
    if ws._cells and first_row <= max(r for r, _ in ws._cells):
        raise ValueError(f"streamed rows from row {first_row} would overlap the sheet's cells")


Extent = tuple[int, int, int, int]  # (min row, min col, max row, max col) of the cells written


def rows_xml(first_row: int, rows: Iterable[Sequence]) -> tuple[str, Extent | None]:
    """What ``stream_rows`` writes for ``rows`` from ``first_row`` on, made ahead: the rows'
    XML and their extent, for ``stream_xml`` (so another process can make them)."""
    out, extent = _rows_xml(first_row, list(rows))
    return "".join(out), extent


def can_stream_xml() -> bool:
    """Whether ``stream_xml`` can be used: openpyxl writes with the standard library's XML
    writer (lxml's takes no raw XML)."""
    from openpyxl import LXML

    return not LXML


def stream_xml(
    ws: Worksheet, first_row: int, fetch: Callable[[], tuple[str, Extent | None]]
) -> None:
    """Give ``ws`` rows made by ``rows_xml(first_row, ...)``, fetched when the workbook is saved
    with ``save_workbook`` (``fetch`` may wait for another process): the same file as
    ``stream_rows(ws, first_row, rows)``."""
    if not can_stream_xml():
        raise ValueError("rows made as XML cannot be written with lxml: use stream_rows")
    _below_cells(ws, first_row)
    setattr(ws, _STREAMED, (first_row, fetch))


def _plain(v: object) -> object:
    """A streamed value as ``set_text`` would store it: None for an empty cell."""
    if v is None or v is _NA:
        return None
    if hasattr(v, "item") and not isinstance(v, str):  # a numpy scalar
        v = v.item()
    if isinstance(v, float) and v != v:
        return None
    if isinstance(v, dt.date):  # as text, on both paths of _Writer
        return v.isoformat()
    return v


def _cell_tail(v: object) -> str:
    """A cell's XML after its reference (``<c r="A1"``), exactly as openpyxl (with its
    standard-library XML writer) writes a cell holding ``v`` after ``set_text``
    (tests/test_excel_stream.py compares the two)."""
    if isinstance(v, bool):
        return f' t="b"><v>{int(v)}</v></c>'
    if isinstance(v, int | float):
        if math.isinf(v):
            return ' t="n"><v /></c>'
        return f' t="n"><v>{v:.16g}</v></c>'
    text = ILLEGAL_CHARACTERS_RE.sub("", str(v))[:32767]
    if not text:
        return ' t="inlineStr" />'
    stripped = text.strip()
    space = ' xml:space="preserve"' if stripped and stripped != text else ""
    return f' t="inlineStr"><is><t{space}>{text.translate(_ESCAPE)}</t></is></c>'


def _rows_xml(first_row: int, rows: list[Sequence]) -> tuple[list[str], Extent | None]:
    """The rows' XML, and the (min row, min col, max row, max col) of the cells written. A
    text's XML is made once per column and text (a tidy table repeats its labels and codes
    on every row); other values each time."""
    width = max((len(r) for r in rows), default=0)
    letters = [get_column_letter(j) for j in range(1, 1 + width)]
    texts: list[dict[str, str]] = [{} for _ in range(width)]
    out: list[str] = []
    lo_col, hi_col, lo_row, hi_row = 1 << 30, 0, 0, 0
    for i, values in enumerate(rows, start=first_row):
        cells = []
        for j, raw in enumerate(values):
            if type(raw) is str:  # (as _plain gives it back)
                tail = texts[j].get(raw)
                if tail is None:
                    tail = texts[j][raw] = _cell_tail(raw)
            else:
                v = _plain(raw)
                if v is None:
                    continue
                tail = _cell_tail(v)
            cells.append(f'<c r="{letters[j]}{i}"{tail}')
            lo_col, hi_col = min(lo_col, j + 1), max(hi_col, j + 1)
        if cells:  # a row without a value is not written (as openpyxl does)
            lo_row = lo_row or i
            hi_row = i
            out.append(f'<row r="{i}">{"".join(cells)}</row>')
    return out, ((lo_row, lo_col, hi_row, hi_col) if hi_row else None)


class _StreamingSheetWriter(WorksheetWriter):
    """openpyxl's worksheet writer, with the sheet's streamed rows written after its cells."""

    def __init__(self, ws):
        first, rows = getattr(ws, _STREAMED)
        if callable(rows):  # made ahead (stream_xml)
            xml, self._extent = rows()
            self._streamed = [xml]
        else:
            self._streamed, self._extent = _rows_xml(first, rows)
        super().__init__(ws)

    def write_dimensions(self):
        from openpyxl.worksheet.dimensions import SheetDimension

        cells = list(self.ws._cells)
        if self._extent is not None:
            lo_r, lo_c, hi_r, hi_c = self._extent
            cells += [(lo_r, lo_c), (hi_r, hi_c)]
        ref = "A1:A1"
        if cells:
            rows = [r for r, _ in cells]
            cols = [c for _, c in cells]
            ref = (
                f"{get_column_letter(min(cols))}{min(rows)}:"
                f"{get_column_letter(max(cols))}{max(rows)}"
            )
        self.xf.send(SheetDimension(ref).to_tree())

    def write_rows(self):
        xf = self.xf.send(True)
        with xf.element("sheetData"):
            for row_idx, row in self.rows():
                self.write_row(xf, row, row_idx)
            raw = xf._file  # et_xmlfile's text sink: the rows are XML already
            for text in self._streamed:
                raw(text)
        self.xf.send(None)


class _Writer(ExcelWriter):
    """openpyxl's workbook writer; a sheet with streamed rows is written by the writer above."""

    def write_worksheet(self, ws) -> None:
        if getattr(ws, _STREAMED, None) is None:
            super().write_worksheet(ws)
            return
        from openpyxl import LXML
        from openpyxl.drawing.spreadsheet_drawing import SpreadsheetDrawing

        if LXML:  # lxml's writer takes no raw XML: the rows become cells (the same workbook)
            first, rows = getattr(ws, _STREAMED)
            for i, values in enumerate(rows, start=first):
                for j, raw_value in enumerate(values, start=1):
                    v = _plain(raw_value)
                    if v is not None:
                        set_text(ws.cell(row=i, column=j), v)
            delattr(ws, _STREAMED)
            super().write_worksheet(ws)
            return
        ws._drawing = SpreadsheetDrawing()
        ws._drawing.charts = ws._charts
        ws._drawing.images = ws._images
        writer = _StreamingSheetWriter(ws)
        writer.write()
        ws._rels = writer._rels
        self._archive.write(writer.out, ws.path[1:])
        self.manifest.append(ws)
        writer.cleanup()


class _StyleIndex(IndexedList):
    """A workbook's list of fonts (borders, fills, alignments, protections) that finds an object
    it was given before by identity. openpyxl hashes the whole style object, field by nested
    field, twice for every cell it is set on; a report sets the same few module-level objects
    on tens of thousands of cells. The index found is the one openpyxl's own lookup gives: an
    object keeps its place once added, and is kept alive here so that its id is never reused.
    (Style objects are not changed once made: openpyxl's own index relies on that too.)"""

    def __init__(self, iterable=None) -> None:
        super().__init__(iterable)
        self._seen: dict[int, tuple[object, int]] = {}

    def add(self, value) -> int:
        seen = self._seen.get(id(value))
        if seen is not None and seen[0] is value:
            return seen[1]
        index = super().add(value)
        self._seen[id(value)] = (value, index)
        return index


def new_workbook() -> Workbook:
    """An empty workbook whose cell styles are set without hashing them for every cell."""
    wb = Workbook()
    for name in ("_fonts", "_borders", "_fills", "_alignments", "_protections"):
        setattr(wb, name, _StyleIndex(getattr(wb, name)))
    return wb


def save_workbook(wb: Workbook, path: Path) -> Path:
    """Save deterministically and atomically; returns the path written."""
    from mel.outputs.tidy import atomic_write

    path = Path(path)
    wb.properties.created = FIXED_TIME
    wb.properties.modified = FIXED_TIME
    wb.properties.creator = "mel"
    wb.properties.lastModifiedBy = "mel"

    def write(tmp: Path) -> None:
        with _FixedTimeZip(tmp, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
            _Writer(wb, archive).save()

    return atomic_write(path, write)


def sheet_title(name: str, taken: set[str]) -> str:
    """A valid, unique sheet name (at most 31 characters, none of []:*?/\\)."""
    clean = "".join("_" if ch in "[]:*?/\\" else ch for ch in name)[:31] or "Sheet"
    title, k = clean, 2
    while title.lower() in {t.lower() for t in taken}:
        suffix = f" ({k})"
        title = clean[: 31 - len(suffix)] + suffix
        k += 1
    taken.add(title)
    return title


def fit_row_height(
    ws: Worksheet, row: int, line_height: float = 15.0, columns: int | None = None
) -> None:
    """Set a row's height for its wrapped text (spreadsheet programs do not do it on opening).
    ``columns``: the row's cells are in its first ``columns`` columns; without, the sheet's
    widest row is found first, over all its cells (in a loop over rows, most of the time)."""
    import math

    lines = 1
    cells = ws[row] if columns is None else (ws._cells.get((row, j)) for j in range(1, columns + 1))
    for cell in cells:
        if cell is None or cell.value is None:
            continue
        width = ws.column_dimensions[cell.column_letter].width or 10
        chars = max(1, int(width * 1.1))
        n = sum(max(1, math.ceil(len(part) / chars)) for part in str(cell.value).split("\n"))
        lines = max(lines, n)
    ws.row_dimensions[row].height = line_height * lines
