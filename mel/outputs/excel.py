"""What every workbook `mel` writes shares: safe cell values, styles, deterministic atomic saving.

* A value from data is always written as text or a number, never as a formula: openpyxl would
  store a string starting with ``=`` as a formula, so such strings are forced to be text, and
  characters that XML cannot hold are removed.
* Saving is deterministic: the workbook's created/modified properties and every zip entry's time
  are fixed, so the same inputs give byte-identical files.
* Saving is atomic: the workbook is written to a temporary file beside the target and renamed
  over it, so a failure leaves the previous file or nothing, never half a workbook.
"""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter

FIXED_TIME = dt.datetime(2000, 1, 1, 0, 0, 0)

HEADER_FILL = PatternFill("solid", fgColor="1F4E78")
HEADER_FONT = Font(bold=True, color="FFFFFF")
TITLE_FONT = Font(bold=True, size=14)
ERROR_FILL = PatternFill("solid", fgColor="FFC7CE")
WARNING_FILL = PatternFill("solid", fgColor="FFEB9C")
THIN = Side(style="thin", color="BFBFBF")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
WRAP = Alignment(wrap_text=True, vertical="top")


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
            ExcelWriter(wb, archive).save()

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


def fit_row_height(ws: Worksheet, row: int, line_height: float = 15.0) -> None:
    """Set a row's height for its wrapped text (spreadsheet programs do not do it on opening)."""
    import math

    lines = 1
    for cell in ws[row]:
        if cell.value is None:
            continue
        width = ws.column_dimensions[cell.column_letter].width or 10
        chars = max(1, int(width * 1.1))
        n = sum(max(1, math.ceil(len(part) / chars)) for part in str(cell.value).split("\n"))
        lines = max(lines, n)
    ws.row_dimensions[row].height = line_height * lines
