"""The bad-input corpus: every kind of broken file an officer may feed mel, run through the
command a user would run on it.

Each case copies the small clean project (tests/data/clean) into a temporary folder, breaks one
file in one way, runs the command, and checks: the exit code; the message names the file and
the place (line or row, and column, where there is one) and says what to do; no traceback and
no internal error; no output written (not even a folder) when the command fails; every input
file byte-identical afterwards. The broken-definition files of tests/definitions/broken are
cases too (run through `mel indicators lint`), with their exact locations checked in
tests/test_lint_corpus.py.

docs/reliability.md lists these classes with the test that covers each.
"""

from __future__ import annotations

import hashlib
import io
import shutil
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl
import pytest

from tests.conftest import REPO, with_sheet_xml

CLEAN = REPO / "tests" / "data" / "clean"
BROKEN_DEFINITIONS = REPO / "tests" / "definitions" / "broken"
REPORT = ["report", "{p}", "--period", "2024-Q4", "--as-of", "2026-01-15", "-o", "{out}"]
COMPUTE = ["compute", "{p}", "--as-of", "2026-01-15", "-o", "{out}/results.csv"]
VALIDATE = ["validate", "{p}", "--as-of", "2026-01-15"]

Edit = Callable[[Path], None]


@dataclass
class Case:
    id: str
    group: str  # definitions, project, targets, data, output
    what: str  # the class of bad input, as docs/reliability.md lists it
    edit: Edit
    args: list[str]
    exit: int
    says: list[str] = field(default_factory=list)  # fragments of the message (file, place, fix)
    writes: bool = False  # the output is written all the same (records left out: exit 1)
    check: Callable[[Path, Path], None] | None = None  # more checks on (project, output)


def replace(path: str, old: str, new: str, count: int = 1) -> Edit:
    def edit(p: Path) -> None:
        f = p / path
        text = f.read_text(encoding="utf-8")
        assert old in text, (path, old)
        f.write_text(text.replace(old, new, count), encoding="utf-8")

    return edit


def write(path: str, content: str | bytes) -> Edit:
    def edit(p: Path) -> None:
        f = p / path
        f.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            f.write_bytes(content)
        else:
            f.write_text(content, encoding="utf-8")

    return edit


def cell(path: str, row: int, column: str, value: str) -> Edit:
    """Set one cell of a CSV (row: the spreadsheet row, header = 1)."""

    def edit(p: Path) -> None:
        f = p / path
        lines = f.read_text(encoding="utf-8").splitlines()
        header = lines[0].split(",")
        parts = lines[row - 1].split(",")
        parts[header.index(column)] = value
        lines[row - 1] = ",".join(parts)
        f.write_text("\n".join(lines) + "\n", encoding="utf-8")

    return edit


def both(*edits: Edit) -> Edit:
    def edit(p: Path) -> None:
        for e in edits:
            e(p)

    return edit


def as_xlsx(
    name: str, sheet: str = "cases", merge_header: bool = False, other_sheet: str | None = None
) -> Edit:
    """Replace cases.csv by a workbook with its content (mel.yaml points at it)."""

    def edit(p: Path) -> None:
        import csv

        rows = list(csv.reader((p / "cases.csv").open(encoding="utf-8")))
        wb = openpyxl.Workbook()
        ws = wb.active
        ws.title = sheet
        if merge_header:  # a title row merged over the columns, the header below it
            ws.append(["Cases register"] + [None] * (len(rows[0]) - 1))
            ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(rows[0]))
        for r in rows:
            ws.append(r)
        if other_sheet:
            wb.create_sheet(other_sheet).append(["notes"])
        wb.save(p / name)
        (p / "cases.csv").unlink()
        y = (p / "mel.yaml").read_text(encoding="utf-8")
        (p / "mel.yaml").write_text(y.replace("cases.csv", name), encoding="utf-8")

    return edit


def header(path: str, old: str, new: str) -> Edit:
    """Rename a column in a CSV's header."""

    def edit(p: Path) -> None:
        f = p / path
        lines = f.read_text(encoding="utf-8").splitlines(keepends=True)
        names = lines[0].rstrip("\n").split(",")
        assert old in names, (path, old)
        lines[0] = ",".join(new if n == old else n for n in names) + "\n"
        f.write_text("".join(lines), encoding="utf-8")

    return edit


def fields(path: str, row: int, keep: int | None = None, extra: str | None = None) -> Edit:
    """Cut a CSV row to its first ``keep`` fields, or add a field ``extra`` to it."""

    def edit(p: Path) -> None:
        f = p / path
        lines = f.read_text(encoding="utf-8").splitlines()
        parts = lines[row - 1].split(",")
        parts = parts[:keep] if keep is not None else [*parts, extra]
        lines[row - 1] = ",".join(parts)
        f.write_text("\n".join(lines) + "\n", encoding="utf-8")

    return edit


CTDC_SAMPLE = REPO / "tests" / "data" / "ctdc_sample.csv"
CTDC_INDICATOR = """\
id: CTDC-01
name: Victims registered
pillar: protection
level: result
result: r
definition: d
unit: victims
dataset: ctdc
measure: {type: count}
date: registration_year
geography: country_of_exploitation
verification: {method: m, source: s}
frequency: {collection: annual, reporting: annual}
references: [{source: CTDC, provenance: derived}]
"""


def ctdc_project(p: Path) -> None:
    """The project turned into one over CTDC rows (countries ISO alpha-2, dates by year) of
    Cambodia and Malaysia."""
    import csv

    with CTDC_SAMPLE.open(newline="", encoding="utf-8") as fh:
        rows = [
            r
            for r in csv.DictReader(fh)
            if r["country_of_exploitation"] in ("KH", "MY") and r["citizenship"] != "00"
        ]
    with (p / "ctdc.csv").open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    (p / "ind.yaml").write_text(CTDC_INDICATOR, encoding="utf-8")
    (p / "mel.yaml").write_text(
        "name: CTDC\ndonor: none\ncountries: [KHM, MYS]\nstart: 2017-01-01\nend: 2018-12-31\n"
        "reporting: {period: year}\ndatasets:\n  ctdc: {path: ctdc.csv}\n"
        "indicators:\n  paths: [ind.yaml]\n",
        encoding="utf-8",
    )


def ctdc_lop_is_every_row(p: Path, out: Path) -> None:
    """Every Cambodian and Malaysian row counted in the life of project, years added up."""
    import csv

    with (p / "ctdc.csv").open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    with (out / "results.csv").open(newline="", encoding="utf-8") as fh:
        got = {
            (r["country"], r["period"]): float(r["value"])
            for r in csv.DictReader(fh)
            if r["disaggregation"] == "" and r["value"]
        }
    assert got["ALL", "LoP"] == len(rows)
    kh = sum(r["country_of_exploitation"] == "KH" for r in rows)
    assert got["KHM", "LoP"] == kh == got.get(("KHM", "2017"), 0) + got.get(("KHM", "2018"), 0)


def ratio_left_out_once(p: Path, out: Path) -> None:
    """The Data quality sheet counts each of the 4 left-out cases once for PROT-02 (a
    percentage: it counted them for the numerator and again for the denominator)."""
    wb = openpyxl.load_workbook(out / "report-2024-Q4.xlsx")
    ws = wb["Data quality"]
    total = sum(
        int(row[4])
        for row in ws.iter_rows(values_only=True)
        if row[0] == "PROT-02" and str(row[3]).startswith("outside the project dates")
    )
    assert total == 4, total


def stale_dimension(data: bytes) -> bytes:
    """The first worksheet declaring its size as 'A1' whatever it holds."""
    import re

    return with_sheet_xml(
        data, lambda xml: re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1"', xml)
    )


def xlsx_then(name: str, change: Callable[[bytes], bytes]) -> Edit:
    """cases as a workbook, whose bytes are then changed."""

    def edit(p: Path) -> None:
        as_xlsx(name)(p)
        f = p / name
        f.write_bytes(change(f.read_bytes()))

    return edit


def xml_bomb(data: bytes) -> bytes:
    """The first worksheet's XML with a 'billion laughs' entity declaration."""

    def bomb(body: bytes) -> bytes:
        laughs = "".join(
            f'<!ENTITY l{i} "{"".join(f"&l{i - 1};" for _ in range(10))}">' for i in range(1, 10)
        )
        return (
            b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY l0 "lol">'
            + laughs.encode()
            + b"]>"
            + body.split(b"?>", 1)[-1].replace(b"<v>", b"<v>&l9;", 1)
        )

    return with_sheet_xml(data, bomb)


def targets_workbook_then(change: Callable[[bytes], bytes]) -> Edit:
    def edit(p: Path) -> None:
        wb = openpyxl.Workbook()
        wb.active.append(["indicator", "country", "period", "target"])
        wb.active.append(["PROT-01", "ALL", "LoP", 30])
        buf = io.BytesIO()
        wb.save(buf)
        (p / "targets.xlsx").write_bytes(change(buf.getvalue()))

    return edit


def zip_bomb(data: bytes) -> bytes:
    """A workbook with an extra member of 300 MB of zeros (compresses ~1000 times)."""
    out = io.BytesIO(data)
    with zipfile.ZipFile(out, "a", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/media/padding.bin", b"\0" * (300 << 20))
    return out.getvalue()


def huge_csv(megabytes: int) -> Edit:
    """cases.csv grown to ``megabytes`` MB of valid rows (distinct ids), the last row with a
    bad age, and assistance emptied of references."""

    def edit(p: Path) -> None:
        lines = (p / "cases.csv").read_text(encoding="utf-8").splitlines()
        header, body = lines[0], [ln.split(",", 1)[1] for ln in lines[1:]]
        size = megabytes << 20
        with (p / "cases.csv").open("w", encoding="utf-8", newline="\n") as fh:
            fh.write(header + "\n")
            written, i = len(header) + 1, 0
            while written < size:
                chunk = "".join(
                    f"SDN-{i + k:07d},{body[(i + k) % len(body)]}\n" for k in range(10_000)
                )
                fh.write(chunk)
                written += len(chunk)
                i += 10_000
            last = body[0].split(",")
            last[4] = "two hundred"  # age (the id is the first column, cut off above)
            fh.write(f"SDN-{i:07d}," + ",".join(last) + "\n")
        rows = i + 2
        (p / "rows.txt").write_text(str(rows))
        a = (p / "assistance.csv").read_text(encoding="utf-8").splitlines()[0]
        (p / "assistance.csv").write_text(a + "\n", encoding="utf-8")

    return edit


# rows 2-5 of cases.csv dated before the project started (4 of 30 rows: more than 10 %)
FOUR_ROWS_BEFORE_THE_PROJECT = both(
    *(cell("cases.csv", r, "registration_date", "2023-05-01") for r in (2, 3, 4, 5))
)


CASES: list[Case] = [
    # --- project file (mel.yaml) ------------------------------------------------------------------
    Case(
        "project-missing",
        "project",
        "project folder without mel.yaml",
        lambda p: (p / "mel.yaml").unlink(),
        VALIDATE,
        2,
        ["mel.yaml", "no mel.yaml in"],
    ),
    Case(
        "project-empty",
        "project",
        "empty mel.yaml",
        write("mel.yaml", ""),
        REPORT,
        2,
        ["mel.yaml", "empty"],
    ),
    Case(
        "project-binary",
        "project",
        "binary garbage as mel.yaml",
        write("mel.yaml", bytes(range(256)) * 4),
        REPORT,
        2,
        ["mel.yaml", "not UTF-8", "save the file as UTF-8"],
    ),
    Case(
        "project-norway",
        "project",
        "YAML trap: NO read as false (Norway)",
        replace("mel.yaml", "countries: [SDN, TZA]", "countries: [SDN, NO]"),
        REPORT,
        2,
        ["mel.yaml:4:12:", "'NO' is not an ISO 3166 alpha-3 country code", "did you mean NOR?"],
    ),
    Case(
        "project-bad-date",
        "project",
        "impossible date",
        replace("mel.yaml", "start: 2024-01-01", "start: 2024-13-01"),
        REPORT,
        2,
        ["mel.yaml:5:", "2024-13-01"],
    ),
    Case(
        "project-end-before-start",
        "project",
        "end before start",
        replace("mel.yaml", "end: 2024-12-31", "end: 2023-12-31"),
        REPORT,
        2,
        ["mel.yaml:2:1:", "end 2023-12-31 is before start 2024-01-01"],
    ),
    Case(
        "project-duplicate-key",
        "project",
        "YAML trap: duplicate key",
        replace("mel.yaml", "donor: Test donor", "donor: Test donor\ndonor: Other donor"),
        REPORT,
        2,
        ["mel.yaml:4:", "'donor' appears twice"],
    ),
    Case(
        "project-unknown-key",
        "project",
        "misspelt key",
        replace("mel.yaml", "countries:", "countrys:"),
        REPORT,
        2,
        ["mel.yaml:4:", "did you mean 'countries'"],
    ),
    Case(
        "project-tab",
        "project",
        "tab indentation",
        replace("mel.yaml", "  cases: {path: cases.csv}", "\tcases: {path: cases.csv}"),
        REPORT,
        2,
        ["mel.yaml:8:", "tab"],
    ),
    Case(
        "project-unknown-indicator",
        "project",
        "unknown indicator selected",
        replace("mel.yaml", "select: [PROT-01, PROT-02]", "select: [PROT-01, PROT-2]"),
        REPORT,
        2,
        ["mel.yaml:11:", "PROT-02"],
    ),
    Case(
        "project-missing-data-file",
        "project",
        "data file named in mel.yaml missing",
        lambda p: (p / "cases.csv").unlink(),
        REPORT,
        1,
        ["cases.csv does not exist", "check the path in mel.yaml"],
    ),
    Case(
        "project-unused-file-missing",
        "project",
        "data file missing that no selected indicator reads",
        both(
            lambda p: (p / "assistance.csv").unlink(),
            replace("mel.yaml", "[PROT-01, PROT-02]", "[PROT-01]"),
        ),
        COMPUTE,
        0,
        ["warning: not read", "assistance.csv does not exist"],
    ),
    Case(
        "project-python-tag",
        "project",
        "YAML code-execution tag",
        replace(
            "mel.yaml", "name: Test", "name: !!python/object/apply:os.system ['true']\nx: Test"
        ),
        REPORT,
        2,
        ["mel.yaml:2:", "!!python/object/apply:os.system"],
    ),
    # --- targets ---------------------------------------------------------------------------------
    Case(
        "targets-unknown-indicator",
        "targets",
        "target of an unknown indicator",
        both(
            replace("mel.yaml", "indicators:", "targets: targets.csv\nindicators:"),
            write("targets.csv", "indicator,country,period,target\nPROT-1,ALL,LoP,30\n"),
        ),
        REPORT,
        2,
        ["targets.csv:2", "PROT-01"],
    ),
    Case(
        "targets-text-value",
        "targets",
        "wrong type: text where a number belongs",
        both(
            replace("mel.yaml", "indicators:", "targets: targets.csv\nindicators:"),
            write("targets.csv", "indicator,country,period,target\nPROT-01,ALL,LoP,ten\n"),
        ),
        REPORT,
        2,
        ["targets.csv:2", "target", "ten"],
    ),
    Case(
        "targets-thousands-separator",
        "targets",
        "unquoted thousands separator (1,000 read as 1 before)",
        both(
            replace("mel.yaml", "indicators:", "targets: targets.csv\nindicators:"),
            write("targets.csv", "indicator,country,period,target\nPROT-01,ALL,LoP,1,000\n"),
        ),
        REPORT,
        2,
        ["targets.csv:2", "row 2 has 5 fields, the header 4", "thousands separator"],
    ),
    Case(
        "targets-not-a-number",
        "targets",
        "nan, inf or 1e400 as a target",
        both(
            replace("mel.yaml", "indicators:", "targets: targets.csv\nindicators:"),
            write(
                "targets.csv",
                "indicator,country,period,target\nPROT-01,ALL,LoP,nan\n"
                "PROT-01,SDN,LoP,inf\nPROT-01,TZA,LoP,1e400\n",
            ),
        ),
        REPORT,
        2,
        ["targets.csv:2", "found 'nan'", "targets.csv:3", "found 'inf'", "found '1e400'"],
    ),
    Case(
        "targets-bad-period",
        "targets",
        "period label that does not exist",
        both(
            replace("mel.yaml", "indicators:", "targets: targets.csv\nindicators:"),
            write("targets.csv", "indicator,country,period,target\nPROT-01,ALL,2024-Q5,3\n"),
        ),
        REPORT,
        2,
        ["targets.csv:2", "2024-Q5"],
    ),
    Case(
        "targets-unknown-country",
        "targets",
        "target for a country outside the project",
        both(
            replace("mel.yaml", "indicators:", "targets: targets.csv\nindicators:"),
            write("targets.csv", "indicator,country,period,target\nPROT-01,NGA,LoP,3\n"),
        ),
        REPORT,
        2,
        ["targets.csv:2", "NGA"],
    ),
    Case(
        "targets-duplicate-row",
        "targets",
        "the same target twice",
        both(
            replace("mel.yaml", "indicators:", "targets: targets.csv\nindicators:"),
            write(
                "targets.csv",
                "indicator,country,period,target\nPROT-01,ALL,LoP,3\nPROT-01,ALL,LoP,4\n",
            ),
        ),
        REPORT,
        2,
        ["targets.csv:3", "a second target for PROT-01, ALL, LoP (first at row 2)"],
    ),
    Case(
        "targets-duplicated-header",
        "targets",
        "duplicated header",
        both(
            replace("mel.yaml", "indicators:", "targets: targets.csv\nindicators:"),
            write("targets.csv", "indicator,country,period,target,target\nPROT-01,ALL,LoP,3,4\n"),
        ),
        REPORT,
        2,
        ["targets.csv:1", "'target' appears twice (columns 4 and 5)"],
    ),
    Case(
        "targets-missing-column",
        "targets",
        "missing column",
        both(
            replace("mel.yaml", "indicators:", "targets: targets.csv\nindicators:"),
            write("targets.csv", "indicatr,period,target\nPROT-01,LoP,3\n"),
        ),
        REPORT,
        2,
        ["targets.csv:1", "'indicatr'", "did you mean 'indicator'", "'indicator' is missing"],
    ),
    Case(
        "targets-stray-carriage-return",
        "targets",
        "stray carriage return inside a line (found by fuzzing): read as a line break",
        both(
            replace("mel.yaml", "indicators:", "targets: targets.csv\nindicators:"),
            write("targets.csv", "indicator,country,period,target\nPROT-01,ALL\r,LoP,3\n"),
        ),
        REPORT,
        2,
        ["targets.csv:3 (column 'indicator')", "a value is required in column 'indicator'"],
    ),
    Case(
        "targets-xml-bomb",
        "targets",
        "XML bomb in a targets workbook",
        both(
            replace("mel.yaml", "indicators:", "targets: targets.xlsx\nindicators:"),
            targets_workbook_then(xml_bomb),
        ),
        REPORT,
        2,
        ["targets.xlsx", "declares XML entities"],
    ),
    Case(
        "targets-garbage-xlsx",
        "targets",
        "targets workbook that is not a workbook",
        both(
            replace("mel.yaml", "indicators:", "targets: targets.xlsx\nindicators:"),
            write("targets.xlsx", b"PK\x03\x04 this is not really a zip file"),
        ),
        REPORT,
        2,
        ["targets.xlsx", "cannot read the workbook"],
    ),
    # --- data ------------------------------------------------------------------------------------
    Case(
        "data-wrong-type",
        "data",
        "wrong type in a cell",
        cell("cases.csv", 3, "age", "twelve"),
        VALIDATE,
        1,
        ["cases.csv:3", "'age'", "'twelve' is not a whole number"],
    ),
    Case(
        "data-excel-serial-date",
        "data",
        "Excel date as serial number",
        cell("cases.csv", 4, "registration_date", "45292"),
        VALIDATE,
        1,
        ["cases.csv:4", "'registration_date'", "2024-01-01"],
    ),
    Case(
        "data-day-first-date",
        "data",
        "date written day first",
        cell("cases.csv", 5, "registration_date", "16/06/2024"),
        VALIDATE,
        1,
        ["cases.csv:5", "'registration_date'", "2024-06-16"],
    ),
    Case(
        "data-unknown-code",
        "data",
        "value not in the code list, with a suggestion",
        cell("cases.csv", 2, "sex", "Femle"),
        VALIDATE,
        1,
        ["cases.csv:2", "'sex'", "did you mean 'Female'"],
    ),
    Case(
        "data-unknown-column",
        "data",
        "unknown column",
        replace("cases.csv", "full_name,phone", "full_name,phone,favourite_colour"),
        VALIDATE,
        0,
        ["cases.csv:1", "favourite_colour"],
    ),
    Case(
        "data-missing-column",
        "data",
        "required column missing",
        replace("cases.csv", "case_id,", "caseid,"),
        VALIDATE,
        1,
        ["cases.csv:1", "case_id"],
    ),
    Case(
        "data-duplicated-header",
        "data",
        "duplicated header",
        replace("cases.csv", ",phone", ",sex"),
        VALIDATE,
        1,
        ["cases.csv:1", "'sex' appears twice"],
    ),
    Case(
        "data-empty",
        "data",
        "empty file",
        write("cases.csv", ""),
        VALIDATE,
        1,
        ["cases.csv", "empty"],
    ),
    Case(
        "data-header-only",
        "data",
        "header-only file",
        lambda p: (p / "cases.csv").write_text(
            (p / "cases.csv").read_text(encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8"
        ),
        VALIDATE,
        0,
        ["cases.csv", "no data rows"],
    ),
    Case(
        "data-binary-csv",
        "data",
        "binary garbage named .csv",
        write("cases.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256))),
        VALIDATE,
        1,
        ["cases.csv", "not a text (CSV) file"],
    ),
    Case(
        "data-binary-csv-report",
        "data",
        "binary garbage named .csv, in a report",
        write("cases.csv", b"\x00\x01\x02garbage\x00" * 100),
        REPORT,
        1,
        ["cases.csv is not a text (CSV) file", "export the sheet as CSV"],
    ),
    Case(
        "data-truncated-xlsx",
        "data",
        "truncated .xlsx",
        xlsx_then("cases.xlsx", lambda b: b[: len(b) // 2]),
        VALIDATE,
        1,
        ["cases.xlsx", "not a valid .xlsx file"],
    ),
    Case(
        "data-csv-named-xlsx",
        "data",
        "CSV renamed .xlsx",
        both(
            lambda p: (p / "cases.csv").rename(p / "cases.xlsx"),
            replace("mel.yaml", "cases.csv", "cases.xlsx"),
        ),
        VALIDATE,
        1,
        ["cases.xlsx", "not a valid .xlsx file"],
    ),
    Case(
        "data-wrong-sheet",
        "data",
        "wrong sheet",
        as_xlsx("cases.xlsx", sheet="Sheet1", other_sheet="Notes"),
        VALIDATE,
        1,
        ["cases.xlsx", "several sheets (Sheet1, Notes) and none is named 'cases'", "sheet:"],
    ),
    Case(
        "data-named-sheet-missing",
        "data",
        "sheet named in mel.yaml missing",
        both(
            as_xlsx("cases.xlsx", sheet="Cases"),
            replace("mel.yaml", "{path: cases.xlsx}", "{path: cases.xlsx, sheet: cases}"),
        ),
        VALIDATE,
        1,
        ["cases.xlsx", "no sheet 'cases'", "did you mean 'Cases'"],
    ),
    Case(
        "data-merged-header",
        "data",
        "merged header cells (a title row above the header)",
        as_xlsx("cases.xlsx", merge_header=True),
        VALIDATE,
        1,
        ["cases.xlsx[cases]:1", "holds only 'Cases register'", "set header_row: 2"],
    ),
    Case(
        "data-xml-bomb",
        "data",
        "XML bomb in an .xlsx (entity expansion)",
        xlsx_then("cases.xlsx", xml_bomb),
        VALIDATE,
        1,
        ["cases.xlsx", "XML entities"],
    ),
    Case(
        "data-zip-bomb",
        "data",
        "zip bomb in an .xlsx",
        xlsx_then("cases.xlsx", zip_bomb),
        VALIDATE,
        1,
        ["cases.xlsx", "zip bomb"],
    ),
    Case(
        "data-old-xls",
        "data",
        "Excel 97-2003 .xls",
        both(
            write("cases.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512),
            replace("mel.yaml", "cases.csv", "cases.xls"),
        ),
        VALIDATE,
        1,
        ["cases.xls", "save it as .xlsx"],
    ),
    Case(
        "data-folder",
        "data",
        "a folder where a file belongs",
        both(lambda p: (p / "cases.csv").unlink(), lambda p: (p / "cases.csv").mkdir()),
        VALIDATE,
        1,
        ["cases.csv", "is a folder"],
    ),
    Case(
        "data-200mb-csv",
        "data",
        "a 200 MB CSV, its one bad cell in the last row",
        huge_csv(200),
        VALIDATE,
        1,
        ["cases.csv:{rows}", "'age'", "'two hundred' is not a whole number", "FAILED: 1 error"],
    ),
    Case(
        "data-long-cell",
        "data",
        "extremely long cell (1 MB)",
        cell("cases.csv", 2, "sex", "F" + "e" * 1_000_000),
        VALIDATE,
        1,
        ["cases.csv:2", "'sex'", "e... (1,000,001 characters)"],
    ),
    Case(
        "data-rtl-unicode",
        "data",
        "right-to-left and other unicode text in a code column",
        cell("cases.csv", 2, "sex", "أنثى"),
        VALIDATE,
        1,
        ["cases.csv:2", "'sex'", "أنثى"],
    ),
    Case(
        "data-unclosed-quote",
        "data",
        "unclosed quote",
        cell("cases.csv", 3, "office", '"Kassala'),
        VALIDATE,
        1,
        ["cases.csv", "quote"],
    ),
    Case(
        "data-ragged-row",
        "data",
        "row with more cells than the header",
        cell("cases.csv", 3, "phone", "+249922633920,extra,cells"),
        VALIDATE,
        1,
        ["cases.csv:3", "row 3 has 18 fields, the header 16", "double quotes"],
    ),
    Case(
        "data-latin1",
        "data",
        "file not in UTF-8 (Latin-1)",
        lambda p: (p / "cases.csv").write_bytes(
            (p / "cases.csv")
            .read_text(encoding="utf-8")
            .replace("Person 1", "José")
            .encode("latin-1")
        ),
        VALIDATE,
        0,
        ["cases.csv", "Latin-1"],
    ),
    Case(
        "data-unknown-reference",
        "data",
        "reference to a case that does not exist",
        cell("assistance.csv", 2, "case_id", "TZA-9999"),
        VALIDATE,
        1,
        ["assistance.csv:2", "'case_id'", "TZA-9999"],
    ),
    Case(
        "data-duplicate-key",
        "data",
        "duplicated record key",
        cell("cases.csv", 3, "case_id", "TZA-0001"),
        VALIDATE,
        1,
        ["cases.csv:3", "'case_id'"],
    ),
    Case(
        "data-out-of-range",
        "data",
        "value out of range",
        cell("cases.csv", 2, "age", "-4"),
        VALIDATE,
        1,
        ["cases.csv:2", "'age'", "below the minimum"],
    ),
    Case(
        "data-future-date",
        "data",
        "date after the as-of date",
        cell("cases.csv", 2, "registration_date", "2030-01-01"),
        VALIDATE,
        1,
        ["cases.csv:2", "'registration_date'", "after the as-of date"],
    ),
    Case(
        "data-huge-integer",
        "data",
        "whole number beyond 2^63 (or 1e20) in an integer column",
        both(
            cell("cases.csv", 2, "age", "99999999999999999999"), cell("cases.csv", 3, "age", "1e20")
        ),
        VALIDATE,
        1,
        ["cases.csv:2", "'age'", "too large for a whole number", "cases.csv:3"],
    ),
    Case(
        "data-non-finite-number",
        "data",
        "inf or 1e400 as a cost",
        both(
            cell("assistance.csv", 2, "cost_usd", "inf"),
            cell("assistance.csv", 3, "cost_usd", "1e400"),
        ),
        VALIDATE,
        1,
        ["assistance.csv:2", "'cost_usd'", "'inf' is not a finite number", "assistance.csv:3"],
    ),
    Case(
        "data-excel-serial-60",
        "data",
        "Excel's serial 60 (the non-existent 1900-02-29, read as 1900-02-28)",
        cell("cases.csv", 2, "registration_date", "1900-02-28"),
        VALIDATE,
        1,
        ["cases.csv:2", "'registration_date'", "before March 1900"],
    ),
    Case(
        "data-date-with-time",
        "data",
        "date with a time of day",
        cell("cases.csv", 2, "registration_date", "2024-03-01T10:00"),
        VALIDATE,
        0,
        ["cases.csv:2", "'registration_date'", "holds a time of day as well; its date is used"],
    ),
    Case(
        "data-formula-text",
        "data",
        "formula-like text in a cell",
        cell("cases.csv", 2, "office", '=HYPERLINK("http://x.example")'),
        VALIDATE,
        0,
        [],
    ),
    # --- records left out, short rows, stale sheets (issue 13) ---------------------------------
    Case(
        "data-all-outside-project",
        "data",
        "every row dated outside the project (a project set to start later)",
        both(
            replace("mel.yaml", "start: 2024-01-01", "start: 2026-01-01"),
            replace("mel.yaml", "end: 2024-12-31", "end: 2026-12-31"),
        ),
        ["report", "{p}", "--period", "2026-Q4", "--as-of", "2027-01-15", "-o", "{out}"],
        1,
        [
            "cases (cases.csv): all 30 rows were left out",
            "30 outside the project dates: rows 2, 3, 4, 5, 6",
            "--accept-left-out",
        ],
        writes=True,
    ),
    Case(
        "data-required-column-renamed",
        "data",
        "required date column renamed in the file",
        header("cases.csv", "registration_date", "Registered"),
        COMPUTE,
        1,
        [
            "all 30 rows were left out",
            "column missing from the file ('registration_date')",
            "the closest header in the file is 'Registered'",
        ],
        writes=True,
    ),
    Case(
        "data-some-rows-outside-project",
        "data",
        "more rows outside the project than quality.max_left_out allows",
        FOUR_ROWS_BEFORE_THE_PROJECT,
        COMPUTE,
        1,
        ["4 of 30 rows (13%) were left out, more than the 10% allowed", "rows 2, 3, 4, 5"],
        writes=True,
    ),
    Case(
        "data-disaggregation-column-renamed",
        "data",
        "disaggregation column renamed in the file",
        header("cases.csv", "sex", "Gender"),
        COMPUTE,
        0,
        ["cases.csv has no column 'sex'", "PROT-01, PROT-02", "'Unknown'"],
        writes=True,
    ),
    Case(
        "data-alpha2-countries",
        "data",
        "countries written as ISO alpha-2 and dates as years (CTDC)",
        ctdc_project,
        ["compute", "{p}", "--internal", "-o", "{out}/results.csv"],
        0,
        ["'country_of_exploitation' names countries another way", "KH -> KHM", "MY -> MYS"],
        writes=True,
        check=ctdc_lop_is_every_row,
    ),
    Case(
        "data-ratio-left-out-once",
        "data",
        "records left out of a percentage counted once in the Data quality sheet",
        FOUR_ROWS_BEFORE_THE_PROJECT,
        [*REPORT, "--accept-left-out"],
        0,
        ["4 outside the project dates (rows 2, 3, 4, 5)"],
        writes=True,
        check=ratio_left_out_once,
    ),
    Case(
        "data-short-row",
        "data",
        "row with fewer fields than the header (file cut short)",
        fields("cases.csv", 4, keep=13),
        VALIDATE,
        1,
        ["cases.csv:4", "row 4 has 13 of 16 fields", "cut short"],
    ),
    Case(
        "data-stale-sheet-size",
        "data",
        "workbook whose sheet declares a stale size (A1)",
        xlsx_then("cases.xlsx", stale_dimension),
        VALIDATE,
        0,
        ["OK: 0 errors"],
    ),
    Case(
        "project-empty-selection",
        "project",
        "empty indicator selection",
        replace("mel.yaml", "select: [PROT-01, PROT-02]", "select: []"),
        REPORT,
        2,
        ["mel.yaml:11:", "selects no indicators", "indicators: select"],
    ),
    Case(
        "project-period-year",
        "project",
        "yearly reporting (reporting.period: year)",
        replace("mel.yaml", "end: 2024-12-31", "end: 2024-12-31\nreporting: {period: year}"),
        ["report", "{p}", "--period", "2024", "--as-of", "2026-01-15", "-o", "{out}"],
        0,
        ["report for 2024"],
        writes=True,
    ),
    Case(
        "project-deep-nesting",
        "project",
        "brackets nested thousands deep in mel.yaml",
        replace(
            "mel.yaml", "name: Test programme (clean data)", "name: " + "[" * 3000 + "]" * 3000
        ),
        REPORT,
        2,
        ["mel.yaml:2:", "nesting is too deep"],
    ),
    Case(
        "project-override-filter-nesting",
        "project",
        "override filter nested hundreds deep",
        replace(
            "mel.yaml",
            "select: [PROT-01, PROT-02]",
            'select: [PROT-01, PROT-02]\n  overrides:\n    PROT-01:\n      where: "'
            + "(" * 400
            + "sex == 'Female'"
            + ")" * 400
            + '"',
        ),
        COMPUTE,
        2,
        ["mel.yaml:14:", "the filter is nested too deeply"],
    ),
    Case(
        "project-filter-days-beyond-calendar",
        "project",
        "filter adding more days to a date than any calendar holds",
        replace(
            "mel.yaml",
            "select: [PROT-01, PROT-02]",
            "select: [PROT-01, PROT-02]\n  overrides:\n    PROT-01:\n      where: "
            '"registration_date + 99999999999 > 2024-01-01"',
        ),
        COMPUTE,
        0,
        ["wrote"],
        writes=True,
    ),
    Case(
        "project-templates-option",
        "project",
        "--templates with a folder of the project's own templates (it replaced the bundled ones)",
        write(
            "tpl/shelters.yaml",
            "name: shelters\ntitle: Shelters\ncolumns:\n  - {name: a, type: string}\n",
        ),
        ["indicators", "list", "--templates", "{p}/tpl"],
        0,
        ["PROT-01", "PART-01"],
    ),
    Case(
        "project-lint-folder",
        "project",
        "a project folder given to 'mel indicators lint'",
        lambda p: None,
        ["indicators", "lint", "{p}"],
        0,
        ["ok: 2 indicators of the project"],
    ),
    # --- command line and output -----------------------------------------------------------------
    Case(
        "output-over-input",
        "output",
        "output folder that would overwrite an input",
        lambda p: None,
        ["compute", "{p}", "--as-of", "2026-01-15", "-o", "{p}/cases.csv"],
        2,
        ["cases.csv", "input"],
    ),
    Case(
        "output-feedback-over-input",
        "output",
        "feedback workbook named like an input CSV",
        lambda p: None,
        ["validate", "{p}", "--report", "{p}/cases.csv"],
        2,
        ["cases.csv", "end its name in .xlsx"],
    ),
    Case(
        "output-feedback-over-xlsx-input",
        "output",
        "feedback workbook that would overwrite an input workbook",
        as_xlsx("cases.xlsx"),
        ["validate", "{p}", "--report", "{p}/cases.xlsx"],
        2,
        ["cases.xlsx is one of the project's input files"],
    ),
    Case(
        "output-template-over-data",
        "output",
        "blank entry workbook written over a filled one",
        as_xlsx("cases.xlsx"),
        ["template", "cases", "-o", "{p}/cases.xlsx"],
        2,
        ["cases.xlsx exists (it may hold entered data)", "--force"],
    ),
    Case(
        "output-bad-period",
        "output",
        "reporting period that does not exist",
        lambda p: None,
        ["report", "{p}", "--period", "2024-Q7", "-o", "{out}"],
        2,
        ["2024-Q7"],
    ),
    Case(
        "output-period-other-year-kind",
        "output",
        "calendar quarter given to a fiscal-year project",
        replace(
            "mel.yaml", "end: 2024-12-31", "end: 2024-12-31\nreporting: {fiscal_year_start: 10}"
        ),
        ["report", "{p}", "--period", "2024-Q2", "--as-of", "2026-01-15", "-o", "{out}"],
        2,
        ["2024-Q2 is April-June 2024", "calls FY2024-Q3"],
    ),
    Case(
        "output-no-period-ended",
        "output",
        "report without --period before any period has ended",
        lambda p: None,
        ["report", "{p}", "--as-of", "2024-02-01", "-o", "{out}"],
        2,
        ["no reporting period of this project has ended by 2024-02-01", "--period 2024-Q1"],
    ),
    Case(
        "output-as-of-before-start",
        "output",
        "--as-of before the project's start",
        lambda p: None,
        ["report", "{p}", "--period", "2024-Q4", "--as-of", "2023-06-01", "-o", "{out}"],
        2,
        ["--as-of 2023-06-01 is before the project's start (2024-01-01)"],
    ),
    Case(
        "output-empty-period",
        "output",
        "empty --period",
        lambda p: None,
        ["report", "{p}", "--period", "", "--as-of", "2026-01-15", "-o", "{out}"],
        2,
        ["--period is empty"],
    ),
    Case(
        "output-unwritable",
        "output",
        "output place that cannot be written (a read-only or missing file system)",
        lambda p: None,
        ["compute", "{p}", "--as-of", "2026-01-15", "-o", "/proc/mel-test/results.csv"],
        2,
        ["cannot write /proc/mel-test/results.csv", "choose a folder you may write to"],
    ),
    Case(
        "output-report-into-a-file",
        "output",
        "report -o naming an existing file",
        write("notes.txt", "notes\n"),
        ["report", "{p}", "--period", "2024-Q4", "--as-of", "2026-01-15", "-o", "{p}/notes.txt"],
        2,
        ["notes.txt is a file; -o names the folder"],
    ),
    Case(
        "output-charts-link-outside",
        "output",
        "report folder whose charts/ is a link outside it",
        lambda p: ((p / "rep").mkdir(), (p / "rep" / "charts").symlink_to(p.parent)),
        ["report", "{p}", "--period", "2024-Q4", "--as-of", "2026-01-15", "-o", "{p}/rep"],
        2,
        ["charts is a link to", "outside the report folder"],
    ),
    Case(
        "output-bad-as-of",
        "output",
        "as-of date that is not a date",
        lambda p: None,
        ["report", "{p}", "--as-of", "15/01/2026", "-o", "{out}"],
        2,
        ["--as-of", "YYYY-MM-DD"],
    ),
]

DEFINITION_CASES = sorted(p.name for p in BROKEN_DEFINITIONS.glob("*.yaml"))


def _hashes(folder: Path) -> dict[str, str]:
    return {
        str(f.relative_to(folder)): hashlib.sha256(f.read_bytes()).hexdigest()
        for f in sorted(folder.rglob("*"))
        if f.is_file()
    }


def test_the_corpus_has_at_least_50_cases():
    assert len(CASES) + len(DEFINITION_CASES) >= 50
    assert len({c.id for c in CASES}) == len(CASES)
    assert {c.group for c in CASES} == {"project", "targets", "data", "output"}


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input(case: Case, tmp_path, cli):
    project = tmp_path / "project"
    shutil.copytree(CLEAN, project)
    case.edit(project)
    before = _hashes(project)
    out = tmp_path / "out"
    args = [a.replace("{p}", str(project)).replace("{out}", str(out)) for a in case.args]
    result = cli(*args)
    text = result.output + (result.stderr if result.stderr_bytes is not None else "")
    assert "Traceback" not in text and "internal error" not in text, text
    assert result.exception is None or isinstance(result.exception, SystemExit), text
    assert result.exit_code == case.exit, text
    rows = project / "rows.txt"
    for fragment in case.says:
        if "{rows}" in fragment:
            fragment = fragment.replace("{rows}", rows.read_text())
        assert fragment in text, (fragment, text)
    if case.writes:
        assert out.exists() and any(out.iterdir()), "the output was not written"
    elif case.exit != 0:
        assert not out.exists(), "a failed command wrote output"
    assert _hashes(project) == before, "an input file changed"
    if case.check is not None:
        case.check(project, out)
    assert len(text) < 20_000, "the message repeats a huge value"


@pytest.mark.parametrize("name", DEFINITION_CASES)
def test_broken_definition(name, tmp_path, cli):
    before = _hashes(BROKEN_DEFINITIONS)
    result = cli("indicators", "lint", str(BROKEN_DEFINITIONS / name))
    text = result.output + (result.stderr if result.stderr_bytes is not None else "")
    assert result.exit_code == 2, text
    assert "Traceback" not in text and "internal error" not in text, text
    assert name in text  # the message names the file (line and column: test_lint_corpus)
    assert _hashes(BROKEN_DEFINITIONS) == before


def test_docs_list_every_case():
    doc = (REPO / "docs" / "reliability.md").read_text(encoding="utf-8")
    missing = [c.id for c in CASES if f"test_bad_input[{c.id}]" not in doc]
    assert not missing, f"docs/reliability.md does not list {missing}"
