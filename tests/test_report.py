"""`mel report`: the workbook read back against the engine's results, its sheets, formats and
charts, byte-identical reruns, the internal edition, languages, privacy and formula safety."""

from __future__ import annotations

import csv
import datetime as dt
import functools
import io
import re
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from mel.definitions.project import load_project
from mel.engine.pipeline import run
from mel.outputs.report import context, labelled, labelled_columns
from mel.outputs.report.charts import charts_for
from mel.outputs.report.content import kind
from mel.outputs.report.labels import label
from tests.conftest import REPO, example_with, shared, shared_value

EXAMPLE = REPO / "examples" / "counter-trafficking"
PERIOD = "FY2025-Q4"
AS_OF = "2026-01-15"
SHEETS = [
    "Summary",
    "Read me",
    "Indicator tracking",
    "IPTT (fiscal year)",
    "By country",
    "By period",
    "Charts",
    "Disaggregations",
    "Reference sheets",
    "Data quality",
    "Data (tidy)",
]


def _report(cli, out: Path, *extra: str, project: Path = EXAMPLE, period: str = PERIOD):
    result = cli(
        "report", str(project), "--period", period, "-o", str(out), "--as-of", AS_OF, *extra
    )
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture(scope="module")
def donor(tmp_path_factory):
    """The example's donor report, made once for the run (every worker reads the same)."""

    def make(out: Path) -> None:
        from typer.testing import CliRunner

        from mel.cli.app import app

        result = CliRunner().invoke(
            app, ["report", str(EXAMPLE), "--period", PERIOD, "-o", str(out), "--as-of", AS_OF]
        )
        assert result.exit_code == 0, result.output

    out = shared(tmp_path_factory, f"donor-{PERIOD}", make)
    assert (out / f"report-{PERIOD}.xlsx").is_file()
    return out


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    """The engine's own results for the same period, computed here without the report."""

    def make():
        bundle = load_project(EXAMPLE)
        return run(bundle, as_of=dt.date.fromisoformat(AS_OF), up_to=PERIOD).table

    return shared_value(tmp_path_factory, f"engine-{PERIOD}", make)


@functools.lru_cache(maxsize=1)
def _wb(folder: Path) -> openpyxl.Workbook:
    """The donor report's workbook, loaded once per worker (about 10 s each time on a slow
    machine): the tests only read it."""
    return openpyxl.load_workbook(folder / f"report-{PERIOD}.xlsx")


def test_files_and_sheets(donor):
    names = sorted(p.name for p in donor.iterdir())
    assert names == sorted(
        [
            f"report-{PERIOD}.xlsx",
            f"report-{PERIOD}.html",
            f"charts-{PERIOD}.pdf",
            f"results-{PERIOD}.csv",
            f"results-{PERIOD}.parquet",
            "charts",
            ".mel-report.json",  # the files this run wrote, and its edition
        ]
    )
    wb = _wb(donor)
    assert wb.sheetnames == SHEETS
    pngs = sorted((donor / "charts").glob("*.png"))
    assert len(pngs) >= 40
    assert all(p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in pngs)
    pdf = (donor / f"charts-{PERIOD}.pdf").read_bytes()
    assert pdf.startswith(b"%PDF")
    # the contents page, then one page per indicator with charts, as PDF readers count them
    from pypdf import PdfReader

    with_charts = {re.fullmatch(r"(.+?)-\d+-[a-z].*", p.stem).group(1) for p in pngs}
    book = PdfReader(io.BytesIO(pdf))
    assert len(book.pages) == len(with_charts) + 1
    contents = book.pages[0].extract_text()
    listed = sorted(with_charts, key=lambda iid: contents.index(f"\n{iid} "))
    for page, iid in zip(book.pages[1:], listed, strict=True):  # in the contents' order
        assert f"{iid}: " in page.extract_text()


def _expected_shown(ind, cell):
    """What a tracking cell must show for an engine cell, worked out here: the marker of a
    hidden or missing value, a percentage as a fraction with a percent format, a milestone as
    yes/no, a number as itself."""
    if cell["suppressed"]:
        return "<5" if cell["flag"] == "small" else "[c]"
    if pd.isna(cell["value"]):
        return {"n/a": "n/a"}.get(cell["flag"], "no data")
    if kind(ind) in ("percentage", "change"):
        return pytest.approx(float(cell["value"]) / 100)
    if kind(ind) == "milestone":
        return "yes" if cell["value"] else "no"
    return pytest.approx(float(cell["value"]))


def test_tracking_table_matches_the_engine(donor, engine):
    ws = _wb(donor)["Indicator tracking"]
    header = [c.value for c in ws[4]]
    assert header[0] == "No." and header[-1] == "Basis of the target to date"
    col = {h.split(" (")[0]: j for j, h in enumerate(header)}
    bundle = load_project(EXAMPLE)
    inds = {i.id: i for i in bundle.indicators}
    seen = set()
    for r, row in enumerate(ws.iter_rows(min_row=5, values_only=True), start=5):
        iid = row[0]
        if iid not in inds:
            continue  # pillar and level rows
        seen.add(iid)
        ind = inds[iid]
        for period, column in ((PERIOD, "Period actual"), ("LoP", "Actual to date")):
            cell = engine[
                (engine["indicator"] == iid)
                & (engine["country"] == "ALL")
                & (engine["period"] == period)
                & (engine["disaggregation"] == "")
            ].iloc[0]
            assert row[col[column]] == _expected_shown(ind, cell), (iid, period)
            if kind(ind) == "percentage" and not cell["suppressed"] and not pd.isna(cell["value"]):
                assert ws.cell(row=r, column=col[column] + 1).number_format == "0.0%"
        lop = engine[
            (engine["indicator"] == iid)
            & (engine["country"] == "ALL")
            & (engine["period"] == "LoP")
            & (engine["disaggregation"] == "")
        ].iloc[0]
        pct = row[col["% of target to date"]]
        if pd.isna(lop["pct_to_date"]):
            assert pct is None
        else:
            assert pct == pytest.approx(lop["pct_to_date"] / 100)
            assert row[col["Status"]] in ("", None) or lop["status"]  # one basis: the LoP row's
    assert seen == set(inds)


def test_tracking_is_grouped_by_pillar_and_level(donor):
    ws = _wb(donor)["Indicator tracking"]
    first = [ws.cell(row=r, column=1).value for r in range(5, ws.max_row + 1)]
    pillars = [
        v
        for v in first
        if v
        in ("Prevention", "Protection", "Prosecution", "Partnership and coordination", "Context")
    ]
    assert pillars == [
        "Prevention",
        "Protection",
        "Prosecution",
        "Partnership and coordination",
        "Context",
    ]
    levels = [ws.cell(row=r, column=2).value for r in range(5, ws.max_row + 1)]
    assert "Objective (outcome)" in levels and "Result (output)" in levels


def test_by_country_and_by_period_match_the_engine(donor, engine):
    wb = _wb(donor)
    ws = wb["By period"]
    header = [c.value for c in ws[4]]
    assert header[3] == "FY2023-Q2" and PERIOD in header and header[-1] == "LoP"
    assert "FY2026-Q1" not in header  # nothing after the reporting period
    row5 = [c.value for c in ws[5]]
    iid = row5[0]
    ind0 = {i.id: i for i in load_project(EXAMPLE).indicators}[iid]
    for j, per in enumerate(header[3:], start=3):
        cell = engine[
            (engine["indicator"] == iid)
            & (engine["country"] == "ALL")
            & (engine["period"] == per)
            & (engine["disaggregation"] == "")
        ].iloc[0]
        if cell["suppressed"] or pd.isna(cell["value"]):
            assert row5[j] == _expected_shown(ind0, cell)
        else:
            factor = 100 if ws.cell(row=5, column=j + 1).number_format == "0.0%" else 1
            assert row5[j] * factor == pytest.approx(float(cell["value"]))
    ws = wb["By country"]
    rows = [r for r in ws.iter_rows(min_row=5, values_only=True) if r[0] == "PROT-01"]
    assert [r[2] for r in rows] == ["Sudan", "Tanzania", "Nigeria", "All countries"]
    for code, r in zip(["SDN", "TZA", "NGA"], rows, strict=False):
        cell = engine[
            (engine["indicator"] == "PROT-01")
            & (engine["country"] == code)
            & (engine["period"] == PERIOD)
            & (engine["disaggregation"] == "")
        ].iloc[0]
        assert r[6] == pytest.approx(float(cell["value"]))  # period actual
        assert r[5] == pytest.approx(float(cell["target"]))  # period target


def test_disaggregations_grouped_and_equal_to_the_engine(donor, engine):
    ws = _wb(donor)["Disaggregations"]
    levels = {ws.row_dimensions[r].outlineLevel for r in range(5, ws.max_row + 1)}
    assert {1, 2} <= levels
    inds = {i.id: i for i in load_project(EXAMPLE).indicators}
    rows = [
        r for r in ws.iter_rows(min_row=5, values_only=True) if r[0] == "PROT-01" and r[1] == "Sex"
    ]
    assert {r[2] for r in rows} >= {"Female", "Male"}
    sex = load_project(EXAMPLE).catalog.codelists["sex"].obj.values
    code_of = {c.label: c.code for c in sex}  # the sheet shows words, the engine codes
    assert "Other / non-binary" in {r[2] for r in rows}  # the label, not the code 'Other'
    for r in rows:
        cat = code_of.get(r[2], r[2])
        cell = engine[
            (engine["indicator"] == "PROT-01")
            & (engine["country"] == "ALL")
            & (engine["period"] == "LoP")
            & (engine["disaggregation"] == "sex")
            & (engine["category"] == cat)
        ].iloc[0]
        assert r[4] == _expected_shown(inds["PROT-01"], cell)


def test_formats_filters_panes_print_setup_and_conditional_formats(donor):
    wb = _wb(donor)
    for name in SHEETS[2:6] + SHEETS[7:]:
        ws = wb[name]
        assert ws.freeze_panes, name
        assert ws.print_title_rows, name
        assert ws.page_setup.orientation == "landscape", name
        assert ws.sheet_properties.pageSetUpPr.fitToPage, name
        assert ws.cell(row=4, column=1).font.bold or name == "Data quality", name
    for name in ("Indicator tracking", "By country"):
        ws = wb[name]
        assert ws.auto_filter.ref
        rules = [r for cf in ws.conditional_formatting for r in cf.rules]
        formulas = {r.formula[0] for r in rules}
        assert {'"on track"', '"under target"', '"over-achieved"', '"achieved"'} <= formulas
    ws = wb["Indicator tracking"]
    formats = {c.number_format for row in ws.iter_rows(min_row=5) for c in row}
    assert "0.0%" in formats and "#,##0" in formats
    assert len(wb["Charts"]._charts) >= 3


def test_no_cell_is_a_formula_and_no_personal_data(donor):
    cases = pd.read_csv(EXAMPLE / "data" / "cases.csv", dtype=str, keep_default_na=False)
    pii = {v for v in pd.concat([cases["full_name"], cases["phone"]]) if v}
    assert len(pii) > 1000
    wb = _wb(donor)
    texts = set()
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                assert c.data_type != "f", (ws.title, c.coordinate)
                if isinstance(c.value, str):
                    texts.add(c.value)
    assert not (texts & pii)
    with open(donor / f"results-{PERIOD}.csv", encoding="utf-8") as fh:
        cells = {v for row in csv.reader(fh) for v in row}
    assert not (cells & pii)


def test_donor_edition_has_no_small_counts(donor):
    table = pd.read_parquet(donor / f"results-{PERIOD}.parquet")
    bundle = load_project(EXAMPLE)
    counts = {i.id for i in bundle.indicators if kind(i) == "number"}
    shown = table[table["indicator"].isin(counts) & ~table["suppressed"].astype(bool)]
    v = pd.to_numeric(shown["value"], errors="coerce")
    assert not ((v >= 1) & (v < 5)).any()
    assert table["suppressed"].astype(bool).any()
    # the workbook's tidy sheet agrees
    ws = _wb(donor)["Data (tidy)"]
    header = [c.value for c in ws[4]]
    vi, ii, si = header.index("value"), header.index("indicator"), header.index("suppressed")
    for row in ws.iter_rows(min_row=5, values_only=True):
        if row[ii] in counts and not row[si] and isinstance(row[vi], (int, float)):
            assert not (1 <= row[vi] < 5)


def test_rerun_is_byte_identical(donor, tmp_path, cli):
    _report(cli, tmp_path)
    for p in donor.rglob("*"):
        if p.is_file():
            assert (tmp_path / p.relative_to(donor)).read_bytes() == p.read_bytes(), p.name


SMALL = "FY2023-Q3"  # an early period: a smaller report, for the tests that need several


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> Path:
    """The example with four indicators (a count, a percentage, a milestone, a change)."""
    dest = tmp_path_factory.mktemp("small") / "ct"
    return example_with(dest, "[PROT-01, PROT-02, PART-01, PREV-11]")


def test_the_same_files_with_chart_workers_or_in_one_process(tmp_path, cli, small, monkeypatch):
    """With chart workers (the Data sheet's rows made by one of them while this process builds
    the workbook's other sheets), the files are those written in one process; and the process
    that builds the workbook never imports pyplot (0.4 s) when the workers draw."""
    import sys

    import mel.outputs.report as report

    args = ["report", str(small), "--period", SMALL, "--as-of", AS_OF, "-o"]
    script = (
        "import sys\n"
        "from mel.cli.app import app\n"
        "try:\n"
        f"    app({[*args, str(tmp_path / 'workers')]!r})\n"
        "except SystemExit as e:\n"
        "    assert not e.code, e.code\n"
        "print('pyplot' if 'matplotlib.pyplot' in sys.modules else 'no pyplot')\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip().splitlines()[-1] == "no pyplot"
    monkeypatch.setattr(report, "_chart_pool", lambda *args: None)
    _report(cli, tmp_path / "one", period=SMALL, project=small)
    workers = sorted(p.relative_to(tmp_path / "workers") for p in (tmp_path / "workers").rglob("*"))
    assert workers == sorted(p.relative_to(tmp_path / "one") for p in (tmp_path / "one").rglob("*"))
    for rel in workers:
        if (tmp_path / "one" / rel).is_file():
            assert (tmp_path / "workers" / rel).read_bytes() == (
                tmp_path / "one" / rel
            ).read_bytes(), rel


def test_internal_edition_says_so_everywhere(tmp_path, cli, small):
    _report(cli, tmp_path, "--internal", period=SMALL, project=small)
    wb = openpyxl.load_workbook(tmp_path / f"report-{SMALL}.xlsx")
    mark = label("mode.internal", "en")
    for ws in wb.worksheets:
        text = " ".join(str(c.value) for row in ws.iter_rows(max_row=12) for c in row if c.value)
        assert mark in text, ws.title
    table = pd.read_parquet(tmp_path / f"results-{SMALL}.parquet")
    assert not table["suppressed"].astype(bool).any()
    # every chart carries the mark
    bundle = load_project(small)
    results = run(bundle, internal=True, as_of=dt.date.fromisoformat(AS_OF), up_to=SMALL)
    from mel.engine.pipeline import truncated

    ctx = context(
        truncated(bundle, SMALL),
        results,
        period=SMALL,
        lang="en",
        as_of=dt.date.fromisoformat(AS_OF),
    )
    # (and the Data sheet's header, made without the labelled table, names its columns)
    assert labelled_columns(ctx) == list(labelled(ctx).columns)
    import matplotlib.pyplot as plt

    for ind in ctx.indicators[:4]:
        for chart in charts_for(ctx, ind):
            assert any(t.get_text() == mark for t in chart.figure.texts)
            plt.close(chart.figure)


@pytest.mark.parametrize(
    ("lang", "sheet", "status_word"),
    [
        ("fr", "Suivi des indicateurs", "en deçà de la cible"),
        ("es", "Seguimiento", "por debajo de la meta"),
    ],
)
def test_languages(tmp_path, cli, lang, sheet, status_word, small):
    _report(cli, tmp_path, "--lang", lang, period=SMALL, project=small)
    wb = openpyxl.load_workbook(tmp_path / f"report-{SMALL}.xlsx")
    assert sheet in wb.sheetnames
    ws = wb[sheet]
    words = {c.value for row in ws.iter_rows(min_row=5) for c in row if isinstance(c.value, str)}
    assert words & {status_word, label("status.on track", lang), label("status.no target", lang)}
    # an indicator name with a translation is shown translated
    names = {ws.cell(row=r, column=2).value for r in range(5, ws.max_row + 1)}
    prot01 = load_project(EXAMPLE).catalog.indicator("PROT-01")
    assert prot01.translations[lang].name in names


def test_errors_are_clear_and_write_nothing(tmp_path, cli, small):
    out = tmp_path / "r"
    result = cli("report", str(EXAMPLE), "--period", "FY2025-Q5", "-o", str(out))
    assert result.exit_code == 2
    assert "FY2025-Q5" in result.output
    assert not out.exists()
    project = tmp_path / "p"
    shutil.copytree(small, project)
    before = {p: p.read_bytes() for p in project.rglob("*") if p.is_file()}
    result = cli("report", str(project), "--period", SMALL, "-o", str(project / "data"))
    assert result.exit_code == 0, result.output
    # writing beside the inputs is allowed, over them is not; nothing of the inputs changes
    assert {p: p.read_bytes() for p in before} == before


def test_opens_in_libreoffice(tmp_path, cli, small):
    """A real spreadsheet program opens the workbook (a small period keeps the PDF short)."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        import os

        assert not os.environ.get("CI"), "CI installs LibreOffice (see .ci/run)"
        pytest.skip("LibreOffice is not installed here")
    _report(cli, tmp_path, period="FY2023-Q3")
    proc = subprocess.run(
        [
            soffice,
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            str(tmp_path / "report-FY2023-Q3.xlsx"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    pdf = (tmp_path / f"report-{SMALL}.pdf").read_bytes()
    assert pdf.startswith(b"%PDF") and len(pdf) > 10_000


def test_report_help_example_names_the_example(cli):
    result = cli("report", "--help")
    assert "mel report examples/counter-trafficking" in result.output


def test_no_code_where_a_label_exists(donor):
    """The donor report shows words, not codes: no cell is a code-list code whose label
    differs (potential_migrants, LawEnforcement, forced_labour), nor a project country's code."""
    from mel.definitions.catalog import load_catalog

    catalog = load_catalog()
    codes = {
        c.code
        for ld in catalog.codelists.values()
        for c in ld.obj.values
        if c.label and c.label != c.code and len(c.code) > 2  # ISIC letters read as words
    } | {"SDN", "TZA", "NGA"}
    words = {c.label for ld in catalog.codelists.values() for c in ld.obj.values}
    codes -= words | set(catalog.templates)  # 'Other' is also a label; 'legal' a dataset's name
    assert {"potential_migrants", "LawEnforcement", "forced_labour", "SDN"} <= codes
    wb = _wb(donor)
    found = []
    for ws in wb.worksheets:
        if ws.title == "Data (tidy)":
            continue  # codes for machines, with label columns beside them
        for row in ws.iter_rows():
            for c in row:
                if isinstance(c.value, str) and (
                    c.value in codes or set(c.value.split(", ")) & {"SDN", "TZA", "NGA"}
                ):
                    found.append(f"{ws.title}!{c.coordinate}: {c.value}")
    assert not found, found[:20]
