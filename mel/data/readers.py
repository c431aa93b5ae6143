"""Reading data files as officers send them, keeping each row's place as the user sees it.

Every reader returns a :class:`RawTable`: the header as written and every cell as text (empty
cells are ``""``), with each data row's number as a spreadsheet shows it (the header is row 1
unless ``header_row`` says otherwise; blank rows keep their number). Types are parsed later,
against the template, so that a bad cell is reported rather than silently coerced.

* CSV: UTF-8 with or without BOM, or Latin-1 (with a warning); ``,`` ``;`` or tab separated.
* Excel (.xlsx, .xlsm): a named sheet, or the sheet named after the dataset, or the only sheet.
* Parquet.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from mel.data.arrowcsv import read as _arrow_csv
from mel.definitions.yamlio import display_path
from mel.errors import DataError, Finding, did_you_mean, hint_for

CSV_SUFFIXES = (".csv", ".tsv", ".txt")
EXCEL_SUFFIXES = (".xlsx", ".xlsm")
PARQUET_SUFFIXES = (".parquet", ".pq")
SNIFF_BYTES = 1 << 20


@dataclass
class RawTable:
    file: str  # as shown to the user
    header: list[str]  # as written, stripped
    data: pd.DataFrame  # one text column per header position, named by position "0", "1", ...
    rows: np.ndarray  # the user-visible row number of each data row
    sheet: str | None = None
    header_row: int = 1
    findings: list[Finding] = field(default_factory=list)  # warnings about the file itself


def _fail(file: str, code: str, message: str, hint: str | None = None, **kw) -> DataError:
    return DataError(Finding(code, message, file=file, hint=hint, scope="dataset", **kw))


def read_table(
    path: Path,
    *,
    sheet: str | None = None,
    header_row: int = 1,
    dataset: str | None = None,
    shown: str | None = None,
) -> RawTable:
    """Read a CSV, Excel or Parquet file; raises DataError naming the file for what cannot be
    read at all (missing file, binary garbage, unknown sheet, no header)."""
    path = Path(path)
    shown = shown or display_path(path)
    if not path.exists():
        raise _fail(shown, "file-missing", f"{shown} does not exist", "check the path in mel.yaml")
    if path.is_dir():
        raise _fail(shown, "file-format", f"{shown} is a folder, not a data file")
    suffix = path.suffix.lower()
    if suffix in EXCEL_SUFFIXES:
        return _read_excel(path, shown, sheet, header_row, dataset)
    if suffix in PARQUET_SUFFIXES:
        return _read_parquet(path, shown)
    if suffix in CSV_SUFFIXES:
        if sheet is not None:
            raise _fail(
                shown,
                "wrong-sheet",
                f"{shown} is a CSV file: it has no sheet '{sheet}'",
                "remove 'sheet:' for this dataset in mel.yaml",
            )
        return _read_csv(path, shown, header_row)
    if suffix == ".xls":
        raise _fail(
            shown,
            "file-format",
            f"{shown} is an old Excel 97-2003 file",
            "save it as .xlsx (Excel: File > Save As > Excel Workbook)",
        )
    raise _fail(
        shown,
        "file-format",
        f"{shown}: files ending in '{suffix}' cannot be read",
        "use .csv, .xlsx or .parquet",
    )


# --- CSV -----------------------------------------------------------------------------------------


def _decode_probe(raw: bytes) -> tuple[str, str | None]:
    """(encoding, warning) for a file's first bytes."""
    if raw.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig", None
    try:
        raw.decode("utf-8")
        return "utf-8", None
    except UnicodeDecodeError as exc:
        if exc.start >= len(raw) - 3:  # a character cut by the probe's end
            return "utf-8", None
        return "latin-1", "the file is not UTF-8; it was read as Latin-1 (Windows Western)"


def _delimiter(first_line: str) -> str:
    counts = dict.fromkeys((",", ";", "\t"), 0)
    in_quotes = False
    for ch in first_line:
        if ch == '"':
            in_quotes = not in_quotes
        elif not in_quotes and ch in counts:
            counts[ch] += 1
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _pandas_csv(source, sep: str, encoding: str | None, header_row: int) -> pd.DataFrame:
    """Every cell as text, empty cells as "", blank lines kept (so row numbers hold)."""
    return pd.read_csv(
        source,
        sep=sep,
        header=None,
        dtype=str,
        keep_default_na=False,
        na_filter=False,
        skip_blank_lines=False,
        encoding=encoding,
        skiprows=header_row - 1,
        engine="c",
        quoting=csv.QUOTE_MINIMAL,
    )


def _read_csv(path: Path, shown: str, header_row: int) -> RawTable:
    with open(path, "rb") as fh:
        probe = fh.read(SNIFF_BYTES)
    if not probe.strip():
        raise _fail(shown, "no-rows", f"{shown} is empty", "export the data with its header row")
    if b"\x00" in probe:
        raise _fail(
            shown,
            "file-format",
            f"{shown} is not a text (CSV) file",
            "export the sheet as CSV, or name the .xlsx file in mel.yaml",
        )
    encoding, warning = _decode_probe(probe)
    text = probe.decode(encoding, errors="replace")
    lines = text.splitlines()
    if len(lines) < header_row:
        raise _fail(shown, "bad-header", f"{shown} has no row {header_row} to read the header from")
    sep = _delimiter(lines[header_row - 1])
    fast = _arrow_csv(path, sep, encoding, header_row, lines[header_row - 1])
    ragged: list[Finding] = []
    try:
        try:
            df = fast
            if df is None:
                df, ragged = _uneven_rows(path, shown, sep, encoding, header_row)
            if df is None:
                df = _pandas_csv(path, sep, encoding, header_row)
        except UnicodeDecodeError:  # the probe was UTF-8, a later part is not
            encoding = "latin-1"
            warning = "the file is not UTF-8; it was read as Latin-1 (Windows Western)"
            df, ragged = _uneven_rows(path, shown, sep, encoding, header_row)
            if df is None:
                df = _pandas_csv(path, sep, encoding, header_row)
    except pd.errors.ParserError as exc:
        raise _fail(
            shown,
            "file-format",
            f"{shown} is not a well-formed CSV file: {exc}",
            "check the quotes and separators around the line named",
        ) from None
    except pd.errors.EmptyDataError:
        raise _fail(shown, "no-rows", f"{shown} is empty") from None
    header = [str(h).strip() for h in df.iloc[0].tolist()]
    body = df.iloc[1:].reset_index(drop=True)
    rows = np.arange(header_row + 1, header_row + 1 + len(body), dtype=np.int64)
    findings = []
    if warning:
        findings.append(
            Finding(
                "file-format",
                warning,
                file=shown,
                severity="warning",
                hint="save the file as CSV UTF-8",
                scope="dataset",
            )
        )
    return _finish(shown, header, body, rows, None, header_row, findings + ragged)


def _uneven_rows(
    path: Path, shown: str, sep: str, encoding: str, header_row: int
) -> tuple[pd.DataFrame | None, list[Finding]]:
    """(the file's records cut or padded to the header's width, a finding per row with fewer
    or more fields than the header) when any record's width differs from the header's; (None,
    []) when every record has the header's width (blank lines aside). Records are numbered as
    the other readers number them, one per record from the header's row."""
    csv.field_size_limit(2**31 - 1)  # a pasted page in a cell is a long value, not an error
    try:
        with open(path, newline="", encoding=encoding) as fh:
            records = list(csv.reader(fh, delimiter=sep))
    except csv.Error:  # e.g. a cell beyond the csv module's size limit: pandas' reader reads it
        return None, []
    records = records[header_row - 1 :]
    if not records:
        return None, []
    width = len(records[0])
    last = records[-1]
    if len(records) > 1 and last and "\n" in last[-1] and len(last) != width:
        return None, []  # a quote never closed runs to the end: pandas' reader says where
    widths = [len(r) for r in records[1:] if r and any(r)]
    findings = []
    usual = max(set(widths), key=widths.count) if widths else width
    if usual < width and widths.count(usual) >= 0.9 * len(widths):
        # (nearly) every row stops before the header's last columns: those columns are
        # empty in this export, not cut off row by row
        empty = ", ".join(f"'{h}'" for h in records[0][usual:])
        findings.append(
            Finding(
                "bad-row",
                f"the rows have {usual} fields, the header {width}: its last columns "
                f"({empty}) hold no values",
                file=shown,
                severity="warning",
                hint="remove those columns from the header, or fill them in",
                scope="dataset",
            )
        )
    else:
        usual = width
    uneven = [
        i
        for i, r in enumerate(records[1:], start=1)
        if r and len(r) not in (width, usual) and any(r)
    ]
    if not uneven and not findings:
        return None, []
    for i in uneven:
        n = len(records[i])
        row = header_row + i
        if n < width:
            message = (
                f"row {row} has {n} of {width} fields: the file may be cut short, or a "
                "separator is missing"
            )
            hint = "check the row against the header; the row is left out until it is fixed"
        else:
            message = (
                f"row {row} has {n} fields, the header {width}: a value may hold a "
                f"separator ('{sep}') without quotes"
            )
            hint = 'put the value in double quotes ("...") or remove the extra separator'
        findings.append(
            Finding(
                "bad-row",
                message,
                file=shown,
                line=row,
                hint=hint,
                scope="row",
            )
        )
    cells = [(r + [""] * (width - len(r)))[:width] if r else [""] * width for r in records]
    return pd.DataFrame(cells, columns=range(width), dtype="str"), findings


def _finish(
    shown: str,
    header: list[str],
    body: pd.DataFrame,
    rows: np.ndarray,
    sheet: str | None,
    header_row: int,
    findings: list[Finding],
) -> RawTable:
    body.columns = [str(i) for i in range(body.shape[1])]
    if len(body):
        blank = np.ones(len(body), dtype=bool)
        for c in body.columns:  # only rows blank so far are looked at in the next column
            todo = np.flatnonzero(blank)
            if not len(todo):
                break
            blank[todo] = (body[c].iloc[todo].str.strip() == "").to_numpy()
        if blank.any():
            body = body.loc[~blank].reset_index(drop=True)
            rows = rows[~blank]
    # drop trailing unnamed, empty columns (a common artefact of spreadsheets)
    while (
        header
        and header[-1] == ""
        and (body.shape[1] < len(header) or (body[str(len(header) - 1)].str.strip() == "").all())
    ):
        header.pop()
        if str(len(header)) in body.columns:
            body = body.drop(columns=str(len(header)))
    return RawTable(shown, header, body, rows, sheet, header_row, findings)


# --- Excel ---------------------------------------------------------------------------------------


def cell_text(value: object) -> str:
    """An Excel cell's value as the text a CSV export would hold (dates as YYYY-MM-DD)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer():
            return str(int(value))
        return repr(value)
    return str(value)


def _read_excel(
    path: Path, shown: str, sheet: str | None, header_row: int, dataset: str | None
) -> RawTable:
    from mel.xlsx import BadWorkbook, UnsafeWorkbook, open_workbook, sheet_rows

    resave = "open it in Excel or LibreOffice and save it again as .xlsx"
    try:
        wb = open_workbook(path)
    except BadWorkbook as exc:
        raise _fail(shown, "file-format", f"{shown} is {exc}", resave) from None
    except UnsafeWorkbook as exc:
        raise _fail(shown, "unsafe-file", f"{shown} was not read: {exc}", exc.hint) from None
    try:
        names = list(wb.sheetnames)
        if sheet is None:
            if dataset and dataset in names:
                sheet = dataset
            elif len(names) == 1:
                sheet = names[0]
            else:
                raise _fail(
                    shown,
                    "wrong-sheet",
                    f"{shown} has several sheets ({', '.join(names)}) and none is named "
                    f"'{dataset}'",
                    "name the sheet with 'sheet:' in mel.yaml",
                )
        if sheet not in names:
            guess = did_you_mean(sheet, names)
            raise _fail(
                shown,
                "wrong-sheet",
                f"{shown} has no sheet '{sheet}'",
                hint_for(guess, "its sheets: " + ", ".join(names)),
                suggestion=guess,
            )
        try:
            values = [
                [cell_text(v) for v in row] for row in sheet_rows(wb[sheet], min_row=header_row)
            ]
        except BadWorkbook as exc:
            raise _fail(shown, "file-format", f"{shown}: {exc}", resave) from None
        except UnsafeWorkbook as exc:
            raise _fail(shown, "unsafe-file", f"{shown} was not read: {exc}", exc.hint) from None
    finally:
        wb.close()
    if not values or not any(v.strip() for v in values[0]):
        raise _fail(
            f"{shown} [{sheet}]",
            "bad-header",
            f"sheet '{sheet}' has no header in row {header_row}",
            "the first row must name the columns",
        )
    width = max(len(r) for r in values)
    values = [r + [""] * (width - len(r)) for r in values]
    header = [h.strip() for h in values[0]]
    body = (
        pd.DataFrame(values[1:], dtype="str")
        if len(values) > 1
        else pd.DataFrame({i: pd.Series([], dtype="str") for i in range(width)})
    )
    rows = np.arange(header_row + 1, header_row + 1 + len(body), dtype=np.int64)
    return _finish(shown, header, body, rows, sheet, header_row, [])


# --- Parquet -------------------------------------------------------------------------------------


def _read_parquet(path: Path, shown: str) -> RawTable:
    try:
        df = pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises many types for a broken file
        raise _fail(
            shown, "file-format", f"{shown} is not a readable Parquet file ({exc})"
        ) from None
    body = pd.DataFrame(
        {
            str(i): df[c].map(cell_text, na_action="ignore").fillna("").astype("str")
            for i, c in enumerate(df.columns)
        }
    )
    rows = np.arange(1, len(body) + 1, dtype=np.int64)  # record numbers
    return _finish(shown, [str(c).strip() for c in df.columns], body, rows, None, 0, [])


def read_csv_text(text: str, name: str = "<text>") -> RawTable:
    """Read CSV from a string (tests, fixtures)."""
    df = _pandas_csv(io.StringIO(text), _delimiter(text.split("\n")[0]), None, 1)
    header = [str(h).strip() for h in df.iloc[0].tolist()]
    body = df.iloc[1:].reset_index(drop=True)
    return _finish(name, header, body, np.arange(2, 2 + len(body), dtype=np.int64), None, 1, [])
