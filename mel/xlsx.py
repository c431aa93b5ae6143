"""Opening workbooks that officers send, safely.

An ``.xlsx`` file is a zip archive of XML documents. Two kinds of hostile (or broken) workbook
are refused before openpyxl reads a cell:

* an XML bomb: entity declarations that expand to gigabytes ("billion laughs"), or external
  entities that read other files. openpyxl parses with ``defusedxml`` when it is installed (it
  is a dependency of mel), which raises on any entity declaration; Excel and LibreOffice never
  write one. mel refuses to open a workbook at all if that protection has been switched off
  (``OPENPYXL_DEFUSEDXML=False``).
* a zip bomb: members whose uncompressed size is huge, or compressed far beyond what
  spreadsheet XML compresses to.

Errors raise :class:`UnsafeWorkbook` or :class:`BadWorkbook` with a message for the user; the
callers turn them into findings naming the file.
"""

from __future__ import annotations

import warnings
import zipfile
from pathlib import Path

MAX_UNCOMPRESSED = 2 << 30  # 2 GiB of XML: far beyond any workbook mel is meant to read
MAX_RATIO = 1_000  # spreadsheet XML compresses 10-100 times; a bomb thousands of times
RATIO_FROM = 50 << 20  # small members may compress extremely well (empty sheets, styles)


class BadWorkbook(Exception):
    """Not a readable workbook (not a zip, truncated, missing parts)."""


class UnsafeWorkbook(Exception):
    """A workbook refused for safety (XML entities, zip bomb)."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.hint = hint or UNSAFE_HINT


def _check_archive(path: Path) -> None:
    try:
        with zipfile.ZipFile(path) as zf:
            members = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise BadWorkbook(f"not a valid .xlsx file ({exc})") from None
    total = sum(m.file_size for m in members)
    if total > MAX_UNCOMPRESSED:
        raise UnsafeWorkbook(
            f"it would unpack to {total / (1 << 30):.1f} GB (a 'zip bomb'); mel reads workbooks "
            f"of up to {MAX_UNCOMPRESSED >> 30} GB unpacked"
        )
    for m in members:
        if m.file_size >= RATIO_FROM and m.file_size > MAX_RATIO * max(m.compress_size, 1):
            raise UnsafeWorkbook(
                f"its part '{m.filename}' is compressed {m.file_size // max(m.compress_size, 1):,}"
                " times (a 'zip bomb')"
            )


def _defused() -> bool:
    import openpyxl

    return bool(getattr(openpyxl, "DEFUSEDXML", False))


def unsafe_xml_errors() -> tuple[type[BaseException], ...]:
    """The exceptions defusedxml raises for entity declarations and external references."""
    try:
        from defusedxml import DefusedXmlException
    except ImportError:  # pragma: no cover - defusedxml is a dependency
        return ()
    return (DefusedXmlException,)


UNSAFE_HINT = "ask whoever sent it for a fresh export from Excel or LibreOffice"
UNSAFE_XML_MESSAGE = (
    "it declares XML entities, which Excel and LibreOffice never write (an 'XML bomb' or an "
    "attempt to read other files)"
)


def open_workbook(path: Path, *, read_only: bool = True):
    """openpyxl's workbook of ``path`` (values, not formulas), after the safety checks."""
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    if not _defused():
        raise UnsafeWorkbook(
            "workbooks are read only with XML-bomb protection, which is switched off here "
            "(the environment sets OPENPYXL_DEFUSEDXML=False, or defusedxml is missing)",
            "unset OPENPYXL_DEFUSEDXML, or reinstall mel (pip install mel installs defusedxml)",
        )
    _check_archive(path)
    try:
        return load_workbook(path, read_only=read_only, data_only=True)
    except Exception as exc:
        if caused_by_unsafe_xml(exc):
            raise UnsafeWorkbook(UNSAFE_XML_MESSAGE) from None
        if isinstance(exc, InvalidFileException | zipfile.BadZipFile | KeyError | OSError):
            raise BadWorkbook(f"not a readable Excel workbook ({exc})") from None
        # broken XML inside the archive, and the like (openpyxl's own message is long)
        raise BadWorkbook(f"not a readable Excel workbook ({type(exc).__name__})") from None


def caused_by_unsafe_xml(exc: BaseException) -> bool:
    """Whether defusedxml's refusal is ``exc`` or behind it (openpyxl wraps it)."""
    unsafe = unsafe_xml_errors()
    seen = 0
    e: BaseException | None = exc
    while e is not None and seen < 20:
        if unsafe and isinstance(e, unsafe):
            return True
        e = e.__cause__ or e.__context__
        seen += 1
    return False


def sheet_rows(ws, *, min_row: int = 1) -> list[tuple]:
    """The values of a sheet's rows (openpyxl parses a read-only sheet's XML only now).
    Raises :class:`UnsafeWorkbook` for XML defusedxml refuses, :class:`BadWorkbook` for XML
    cut short or broken."""
    if hasattr(ws, "reset_dimensions"):
        # a read-only sheet trusts the size the file declares; some tools write a stale one
        # ('A1' over a full sheet) that Excel and pandas ignore: read every row and column
        ws.reset_dimensions()
    try:
        with warnings.catch_warnings():
            # Excel's data-validation extension (a kit's drop-down lists) is not needed to
            # read the values: openpyxl's warning about dropping it would only alarm the user
            warnings.filterwarnings("ignore", "Data Validation extension", UserWarning)
            return list(ws.iter_rows(min_row=min_row, values_only=True))
    except MemoryError:
        raise
    except Exception as exc:
        if caused_by_unsafe_xml(exc):
            raise UnsafeWorkbook(UNSAFE_XML_MESSAGE) from None
        raise BadWorkbook(f"sheet '{ws.title}' cannot be read ({type(exc).__name__})") from None
