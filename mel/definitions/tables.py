"""The tables a programme officer fills in: targets (a long CSV, or the targets workbook's grid
of one column per period) and variance narratives, each row checked and located by file, row
and column."""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import math
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from mel.definitions.models import (
    Target,
)
from mel.definitions.periods import parse_period_label
from mel.definitions.words import ALL, LOP
from mel.definitions.yamlio import display_path
from mel.errors import Finding, hint_for, make

TARGET_COLUMNS = ("indicator", "country", "period", "baseline", "target", "note")


def _cell(value: str) -> Any:
    """A targets-file cell: empty -> None; yes/true -> True; no/false -> False; numbers."""
    v = value.strip()
    if v == "":
        return None
    low = v.lower()
    if low in ("yes", "true"):
        return True
    if low in ("no", "false"):
        return False
    for number in (int, float):
        try:
            got = number(v)
        except ValueError:
            continue
        # 'nan', 'inf', '1e400' are not targets: left as text, the model refuses them
        return got if math.isfinite(got) else v
    return v


def load_targets_csv(path: Path) -> tuple[list[tuple[int, Target]], list[Finding]]:
    """Targets from a CSV file; each target with its row number (the header is row 1)."""
    shown = display_path(path)
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        return [], [
            Finding("file-missing", make("file-missing", path=shown), file=shown, hint=exc.strerror)
        ]
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    if not text.strip():
        return [], [Finding("file-empty", make("file-empty"), file=shown, line=1)]
    dialect: type[csv.Dialect] = csv.excel
    with contextlib.suppress(csv.Error):
        dialect = csv.Sniffer().sniff(text.splitlines()[0], delimiters=",;\t")
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), dialect))
    except csv.Error as exc:
        return [], [
            Finding(
                "file-format",
                f"not a well-formed CSV file ({exc})",
                file=shown,
                hint="save the targets again as CSV UTF-8 from a spreadsheet",
            )
        ]
    if not rows:
        return [], [Finding("file-empty", make("file-empty"), file=shown, line=1)]
    header = [h.strip() for h in rows[0]]
    return _targets_long(shown, header, enumerate(rows[1:], start=2), strict=True)


def load_targets(path: Path) -> tuple[list[tuple[int, Target]], list[Finding]]:
    """Targets from a CSV file or an Excel workbook (long: one row per indicator, country and
    period; or the grid ``mel init`` writes: one row per indicator and country, a column per
    period)."""
    if Path(path).suffix.lower() in (".xlsx", ".xlsm"):
        return load_targets_workbook(path)
    return load_targets_csv(path)


NARRATIVE_COLUMNS = ("indicator", "country", "period", "text")


def _no_header(shown: str, columns: tuple[str, ...]) -> Finding:
    return Finding(
        "bad-header",
        "no header row starting with 'indicator'",
        file=shown,
        line=1,
        scope="column",
        hint="the header needs: " + ", ".join(columns),
    )


def load_narratives(path: Path) -> tuple[list[tuple[int, Any]], list[Finding]]:
    """Variance explanations: a CSV file, or a workbook's 'narratives' sheet (else its first),
    with the columns indicator, country (optional, ALL), period and text."""
    from mel.definitions.models import Narrative

    shown = display_path(path)
    try:
        if Path(path).suffix.lower() in (".xlsx", ".xlsm"):
            from mel.xlsx import open_workbook, sheet_rows

            wb = open_workbook(path)
            try:
                name = "narratives" if "narratives" in wb.sheetnames else wb.sheetnames[0]
                ws = wb[name]
                rows = [[_excel_text(v) for v in r] for r in sheet_rows(ws)]
            finally:
                wb.close()
            shown = f"{shown}[{name}]"
        else:
            raw = Path(path).read_bytes()
            try:
                text = raw.decode("utf-8-sig")
            except UnicodeDecodeError:
                text = raw.decode("latin-1")
            rows = list(csv.reader(io.StringIO(text, newline="")))
    except FileNotFoundError:
        return [], [Finding("file-missing", make("file-missing", path=shown), file=shown)]
    except Exception as exc:  # an unreadable file: said, with the file
        return [], [
            Finding(
                "file-format",
                f"cannot read the narratives ({exc})",
                file=shown,
                hint="save it as CSV UTF-8 or .xlsx with the columns "
                + ", ".join(NARRATIVE_COLUMNS),
            )
        ]
    start = next((i for i, r in enumerate(rows) if r and r[0].strip().lower() == "indicator"), None)
    if start is None:
        return [], [_no_header(shown, NARRATIVE_COLUMNS)]
    header = [h.strip().lower() for h in rows[start]]
    findings = [
        Finding(
            "bad-header",
            f"the column '{need}' is missing",
            file=shown,
            line=start + 1,
            scope="column",
            hint="the header needs: " + ", ".join(NARRATIVE_COLUMNS),
        )
        for need in ("indicator", "period", "text")
        if need not in header
    ]
    if findings:
        return [], findings
    out = []
    for k, row in enumerate(rows[start + 1 :], start=start + 2):
        record = {
            h: str(v).strip()
            for h, v in zip(header, row, strict=False)
            if h in NARRATIVE_COLUMNS and str(v).strip()
        }
        if not record:
            continue
        try:
            out.append((k, Narrative.model_validate(record)))
        except ValidationError as exc:
            for err in exc.errors(include_url=False):
                col = str(err["loc"][0]) if err["loc"] else None
                msg = err["msg"].removeprefix("Value error, ")
                if err["type"] == "missing":
                    msg = f"a value is required in column '{col}'"
                findings.append(
                    Finding("bad-cell", msg, file=shown, line=k, field=col, scope="cell")
                )
    return out, findings


# columns of the targets grid that are there for the reader, not for mel
GRID_INFO_COLUMNS = ("indicator name", "unit", "direction", "target form", "note")


def _excel_text(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, dt.datetime | dt.date):
        return v.strftime("%Y-%m-%d")
    return str(v).strip()


def load_targets_workbook(path: Path) -> tuple[list[tuple[int, Target]], list[Finding]]:
    """Targets from the first sheet of a workbook whose header row starts with 'indicator'."""
    shown = display_path(path)
    from mel.xlsx import BadWorkbook, UnsafeWorkbook, open_workbook, sheet_rows

    def cannot(message: str, code: str = "file-format") -> list[Finding]:
        return [
            Finding(
                code,
                message,
                file=shown,
                hint="save it again from Excel as .xlsx, or write the targets as CSV",
            )
        ]

    try:
        wb = open_workbook(path)
    except UnsafeWorkbook as exc:
        return [], cannot(f"the workbook was not read: {exc}", "unsafe-file")
    except Exception as exc:
        return [], cannot(f"cannot read the workbook ({exc})")
    try:
        ws = wb[wb.sheetnames[0]]
        rows = [[_excel_text(v) for v in r] for r in sheet_rows(ws)]
    except UnsafeWorkbook as exc:
        return [], cannot(f"the workbook was not read: {exc}", "unsafe-file")
    except BadWorkbook as exc:
        return [], cannot(f"cannot read the workbook: {exc}")
    finally:
        wb.close()
    for i, r in enumerate(rows):
        if r and r[0].lower() == "indicator":
            header_at = i
            break
    else:
        return [], [_no_header(shown, TARGET_COLUMNS)]
    header = [h.strip() for h in rows[header_at]]
    while header and header[-1] == "":
        header.pop()
    body = ((header_at + 2 + k, r) for k, r in enumerate(rows[header_at + 1 :]))
    if "period" in header:
        return _targets_long(f"{shown}[{ws.title}]", header, body, header_at + 1)
    return _targets_grid(f"{shown}[{ws.title}]", header, body, header_at + 1)


def _targets_grid(
    shown: str, header: list[str], rows, header_line: int = 1
) -> tuple[list[tuple[int, Target]], list[Finding]]:
    """indicator, country, baseline, LoP, and one column per period label."""
    findings: list[Finding] = []
    periods: list[str] = []
    for h in header:
        if h in ("indicator", "country", "baseline") or h.lower() in GRID_INFO_COLUMNS:
            continue
        try:
            parse_period_label(h)
            periods.append(h)
        except ValueError:
            findings.append(
                Finding(
                    "bad-header",
                    f"column '{h}' is neither a period label nor a known column",
                    file=shown,
                    line=header_line,
                    field=h,
                    scope="column",
                    hint="period columns are labels like LoP, FY2024, FY2024-Q1, 2024-Q1",
                )
            )
    for needed in ("indicator", "country"):
        if needed not in header:
            findings.append(
                Finding(
                    "bad-header",
                    f"the column '{needed}' is missing",
                    file=shown,
                    line=header_line,
                    scope="column",
                )
            )
    if findings:
        return [], findings
    col = {h: header.index(h) for h in header}
    out: list[tuple[int, Target]] = []
    for rowno, row in rows:
        if any(str(c).strip() for c in row[len(header) :]):
            findings.append(_too_many_fields(shown, rowno, row, header))
            continue
        row = [*row, *[""] * (len(header) - len(row))]
        if not row[col["indicator"]]:
            continue
        base = {"indicator": row[col["indicator"]], "country": row[col["country"]] or ALL}
        baseline = _cell(row[col["baseline"]]) if "baseline" in col else None
        for p in periods:
            value = _cell(row[col[p]])
            if value is None and not (p == LOP and baseline is not None):
                continue
            record = {**base, "period": p, "target": value}
            if p == LOP:
                record["baseline"] = baseline
            try:
                out.append((rowno, Target.model_validate(record)))
            except ValidationError as exc:
                for err in exc.errors(include_url=False):
                    field = str(err["loc"][0]) if err["loc"] else None
                    where = p if field == "target" else (field or p)
                    findings.append(
                        Finding(
                            "bad-cell",
                            f"expected a number or yes/no, found '{row[col[where]]}'"
                            if where in col and err["type"].endswith("_type")
                            else err["msg"].removeprefix("Value error, "),
                            file=shown,
                            line=rowno,
                            field=where,
                            scope="cell",
                        )
                    )
                    break
    return out, findings


def _too_many_fields(shown: str, rowno: int, row: list[str], header: list[str]) -> Finding:
    """A targets row longer than the header: most often a number written 1,000 without
    quotes, which would otherwise be read as 1."""
    return Finding(
        "bad-cell",
        f"row {rowno} has {len(row)} fields, the header {len(header)}: a number with a "
        "thousands separator (1,000) splits into two fields",
        file=shown,
        line=rowno,
        scope="row",
        hint="write numbers without thousands separators (1000), or put the value in double "
        'quotes ("1,000")',
    )


def _targets_long(
    shown: str, header: list[str], rows, header_line: int = 1, *, strict: bool = False
) -> tuple[list[tuple[int, Target]], list[Finding]]:
    """Targets in long form. ``strict``: a CSV row may not have more fields than the header,
    empty or not (a spreadsheet exports every row as wide as the widest)."""
    findings: list[Finding] = []
    unknown = [h for h in header if h not in TARGET_COLUMNS]
    for h in unknown:
        from mel.errors import did_you_mean

        guess = did_you_mean(h, TARGET_COLUMNS)
        findings.append(
            Finding(
                "bad-header",
                f"unknown column '{h}'",
                file=shown,
                line=header_line,
                field=h,
                scope="column",
                hint=hint_for(guess, "columns: " + ", ".join(TARGET_COLUMNS)),
            )
        )
    for i, h in enumerate(header):
        if h and h in header[:i]:
            findings.append(
                Finding(
                    "bad-header",
                    f"the column '{h}' appears twice (columns {header.index(h) + 1} and {i + 1})",
                    file=shown,
                    line=header_line,
                    field=h,
                    scope="column",
                    hint="keep one of them",
                )
            )
    if "indicator" not in header:
        findings.append(
            Finding(
                "bad-header",
                "the column 'indicator' is missing",
                file=shown,
                line=header_line,
                scope="column",
                hint="the header needs: " + ", ".join(TARGET_COLUMNS),
            )
        )
    if findings:
        return [], findings
    out: list[tuple[int, Target]] = []
    for rowno, row in rows:
        if not any(c.strip() for c in row):
            continue
        if len(row) > len(header) if strict else any(c.strip() for c in row[len(header) :]):
            findings.append(_too_many_fields(shown, rowno, row, header))
            continue
        record = {h: _cell(v) for h, v in zip(header, row, strict=False) if _cell(v) is not None}
        for k in ("indicator", "country", "period", "note"):
            if k in record and not isinstance(record[k], str):
                record[k] = str(row[header.index(k)]).strip()
        try:
            out.append((rowno, Target.model_validate(record)))
        except ValidationError as exc:
            reported: set[str | None] = set()
            for err in exc.errors(include_url=False):
                col = str(err["loc"][0]) if err["loc"] else None
                if col in reported:  # a union reports each member; one message per cell
                    continue
                reported.add(col)
                msg = err["msg"].removeprefix("Value error, ")
                if err["type"] in ("float_type", "int_type", "bool_type"):
                    wanted = "a number or yes/no"
                    found = row[header.index(col)].strip() if col in header else err.get("input")
                    msg = f"expected {wanted}, found '{found}'"
                elif err["type"] == "missing":
                    msg = f"a value is required in column '{col}'"
                findings.append(
                    Finding(
                        "bad-cell",
                        msg,
                        file=shown,
                        line=rowno,
                        field=col,
                        scope="cell",
                        value=str(err.get("input")),
                    )
                )
    return out, findings
