"""Fuzzing (hypothesis): whatever bytes an officer's file holds, the definition loader, the
project and targets loaders, and the data readers and validation give findings or the tool's
own errors (MelError), never another exception. (The filter parser's fuzz tests are in
tests/test_filters.py: token soup and arbitrary text.)

Inputs are real files with random edits (a slice replaced, bytes flipped, text inserted), so
the fuzzer spends its time near valid input, where parsers have the most paths, as well as on
random text.
"""

from __future__ import annotations

import datetime as dt
import io
import tempfile
import zipfile
from pathlib import Path

import openpyxl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mel.data.readers import read_table
from mel.data.validate import validate_raw
from mel.definitions.catalog import load_templates
from mel.definitions.loader import load_indicator_file, load_project_file
from mel.definitions.tables import load_targets
from mel.errors import Finding, MelError
from tests.conftest import REPO, SHEET1, with_sheet_xml

CATALOG = load_templates()
INDICATOR = (REPO / "indicators" / "protection" / "PROT-04.yaml").read_text(encoding="utf-8")
PROJECT = (REPO / "tests" / "data" / "clean" / "mel.yaml").read_text(encoding="utf-8")
CASES = (REPO / "tests" / "data" / "clean" / "cases.csv").read_text(encoding="utf-8")
TARGETS = "indicator,country,period,baseline,target,note\nPROT-01,SDN,LoP,,1900,\n"

FUZZ = settings(
    max_examples=int(__import__("os").environ.get("MEL_FUZZ_EXAMPLES", "80")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)

YAML_BITS = st.sampled_from(
    [
        ":",
        "- ",
        "\n",
        "  ",
        "\t",
        "'",
        '"',
        "{",
        "}",
        "[",
        "]",
        "&a",
        "*a",
        "!!",
        "#",
        "NO",
        "010",
        "2024-01-01",
        "~",
        "null",
        "yes",
        "|",
        ">",
        "%YAML",
        "---",
        "...",
        "\u202e",
        "\x00",
        "é",
        "1e9",
        ".inf",
        "?",
        ",",
        "@",
        "`",
    ]
)


def mutated(original: str) -> st.SearchStrategy[str]:
    """``original`` with a slice replaced by random YAML-ish text or random unicode."""
    filler = st.one_of(st.lists(YAML_BITS, max_size=8).map("".join), st.text(max_size=20))
    return st.tuples(st.integers(0, len(original)), st.integers(0, 40), filler).map(
        lambda t: original[: t[0]] + t[2] + original[t[0] + t[1] :]
    )


def _write(folder: Path, name: str, data: str | bytes) -> Path:
    p = folder / name
    if isinstance(data, str):
        p.write_bytes(data.encode("utf-8", errors="surrogatepass"))
    else:
        p.write_bytes(data)
    return p


def _only_findings(findings) -> None:
    assert all(isinstance(f, Finding) for f in findings)
    for f in findings:
        f.format()  # every finding can be shown


def _load(loader, name: str, data: str | bytes, folder: bool = False) -> None:
    """Write ``data`` as file ``name`` and load it: findings or a MelError, nothing else."""
    with tempfile.TemporaryDirectory() as tmp:
        path = _write(Path(tmp), name, data)
        try:
            _, findings = loader(Path(tmp) if folder else path)
        except MelError:
            return
        _only_findings(findings)


@FUZZ
@given(st.one_of(mutated(INDICATOR), st.text(max_size=200)))
def test_indicator_loader_never_crashes(text):
    _load(load_indicator_file, "X-01.yaml", text)


@FUZZ
@given(st.one_of(mutated(PROJECT), st.binary(max_size=200)))
def test_project_loader_never_crashes(data):
    _load(load_project_file, "mel.yaml", data, folder=True)


@FUZZ
@given(st.one_of(mutated(TARGETS), st.binary(max_size=120)))
def test_targets_loader_never_crashes(data):
    _load(load_targets, "targets.csv", data)


def _read_and_validate(path: Path) -> None:
    try:
        raw = read_table(path, dataset="cases")
    except MelError:
        return
    ds = validate_raw(
        raw, "cases", CATALOG.templates["cases"].obj, CATALOG, as_of=dt.date(2025, 1, 1)
    )
    _only_findings(ds.findings)
    assert len(ds.frame) == len(raw.rows)


@FUZZ
@given(st.one_of(mutated(CASES), st.binary(max_size=300).map(lambda b: b.decode("latin-1"))))
def test_csv_reader_and_validation_never_crash(text):
    with tempfile.TemporaryDirectory() as tmp:
        _read_and_validate(_write(Path(tmp), "cases.csv", text))


def test_a_year_beyond_2261_is_a_finding_not_a_crash(tmp_path):
    """Found by the fuzzer: a cut line left '6116' in a date column, which pandas cannot hold
    in nanoseconds."""
    text = CASES.replace("2024-06-16", "6116-06-16", 1)
    raw = read_table(_write(tmp_path, "cases.csv", text), dataset="cases")
    ds = validate_raw(
        raw, "cases", CATALOG.templates["cases"].obj, CATALOG, as_of=dt.date(2025, 1, 1)
    )
    found = [f for f in ds.findings if "6116-06-16" in f.message]
    assert found and "after the year 2261" in found[0].message
    assert found[0].line == 2 and found[0].field == "registration_date"


def _workbook_bytes() -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "cases"
    for line in CASES.splitlines()[:6]:
        ws.append(line.split(","))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


WORKBOOK = _workbook_bytes()
SHEET_XML = zipfile.ZipFile(io.BytesIO(WORKBOOK)).read(SHEET1).decode()


def _with_sheet(xml: str) -> bytes:
    return with_sheet_xml(WORKBOOK, lambda _: xml.encode("utf-8", errors="surrogatepass"))


@FUZZ
@given(
    st.one_of(
        # bytes of the archive flipped or cut
        st.tuples(st.integers(0, len(WORKBOOK) - 1), st.binary(min_size=1, max_size=8)).map(
            lambda t: WORKBOOK[: t[0]] + t[1] + WORKBOOK[t[0] + len(t[1]) :]
        ),
        st.integers(0, len(WORKBOOK)).map(lambda n: WORKBOOK[:n]),
        # the sheet's XML edited inside a valid archive
        mutated(SHEET_XML).map(_with_sheet),
    )
)
def test_xlsx_reader_and_validation_never_crash(data):
    with tempfile.TemporaryDirectory() as tmp:
        path = _write(Path(tmp), "cases.xlsx", data)
        _read_and_validate(path)
