"""Privacy, as a tested property of every output: no personal data of the input (the values of
every column a template marks `pii`: names, phone numbers) in any file `mel report` or
`mel compute` writes, and no unsuppressed small count in a donor output.

Files are scanned as bytes and as text: a workbook's every XML part (cells, shared strings,
sheet names, charts, comments, properties), CSV and JSON as text, Parquet and the PDF chart
book and PNG charts as bytes (the PDF's compressed streams are inflated first), with each value
as written and XML-escaped. Chart images hold their text as glyphs: every text of every chart
figure is recorded as it is saved and scanned too. The inputs get distinctive names and phone
numbers so that a match cannot be a coincidence, and a name is also planted where validation
reports it (a phone number in the wrong format, a name in the office column).
"""

from __future__ import annotations

import html
import io
import re
import shutil
import zipfile
import zlib
from pathlib import Path

import pandas as pd
import pytest

from mel.definitions.catalog import load_templates
from tests.conftest import REPO, shared

CLEAN = REPO / "tests" / "data" / "clean"
THRESHOLD = 5
COUNT_INDICATORS = {"PROT-01", "PROT-02"}


@pytest.fixture(scope="module")
def outputs(tmp_path_factory):
    """The clean project with distinctive personal data, reported and computed in every way
    (made once for the run: every worker reads the same files)."""

    def make(tmp: Path) -> None:
        from typer.testing import CliRunner

        from mel.cli.app import app

        project = tmp / "project"
        shutil.copytree(CLEAN, project)
        cases = pd.read_csv(project / "cases.csv", dtype=str, keep_default_na=False)
        cases["full_name"] = [f"Zyxwv Qlamb{i:03d}" for i in range(len(cases))]
        cases["phone"] = [f"+2499{i:08d}7" for i in range(len(cases))]
        cases.loc[1, "phone"] = "call Zyxwv Qlamb999 on 0912"  # wrong format: a finding
        cases.loc[2, "office"] = "Zyxwv Qlamb998"  # a name where an office belongs
        cases.to_csv(project / "cases.csv", index=False)
        pii = _pii_values(project)
        assert len(pii) >= 60
        with open(project / "mel.yaml", "a", encoding="utf-8") as fh:  # for mel export iati
            fh.write(
                "iati: {identifier: XM-TEST-1, reporting_org: {ref: XM-TEST, type: '21', "
                "name: Test organisation}}\n"
            )
        runner = CliRunner()
        out = tmp / "out"
        runs = [
            ["report", str(project), "-p", "2024-Q4", "--as-of", "2026-01-15",
             "-o", str(out / "r")],
            ["report", str(project), "-p", "2024-Q3", "--as-of", "2026-01-15", "-o", str(out / "r"),
             "--lang", "fr"],
            *(
                ["compute", str(project), "--as-of", "2026-01-15", "-o", str(out / f"c.{fmt}")]
                for fmt in ("csv", "parquet", "json")
            ),
            ["export", "iati", str(project), "-p", "2024-Q4", "--as-of", "2026-01-15",
             "-o", str(out / "r" / "results-2024-Q4.xml")],
        ]  # fmt: skip
        internal = [
            ["report", str(project), "-p", "2024-Q4", "--as-of", "2026-01-15", "-o", str(tmp / "i"),
             "--internal"],
            ["compute", str(project), "--as-of", "2026-01-15", "-o", str(tmp / "i" / "c.csv"),
             "--internal"],
        ]  # fmt: skip
        chart_text = tmp / "chart-text.txt"
        with pytest.MonkeyPatch.context() as mp:
            _record_chart_text(mp, chart_text)
            for args in runs + internal:
                r = runner.invoke(app, args)
                assert r.exit_code == 0, r.output
        assert "Test programme" in chart_text.read_text(encoding="utf-8")  # the record works

    tmp = shared(tmp_path_factory, "privacy", make)
    pii = _pii_values(tmp / "project")
    out, chart_text = tmp / "out", tmp / "chart-text.txt"
    donor_files = [*sorted(p for p in out.rglob("*") if p.is_file()), chart_text]
    internal_files = sorted(p for p in (tmp / "i").rglob("*") if p.is_file())
    return pii, donor_files, internal_files


def _record_chart_text(mp: pytest.MonkeyPatch, into: Path) -> None:
    """Charts drawn in this process, every text of every figure appended to ``into`` as it is
    saved: the PDF and PNG files hold their text as glyphs, which a byte scan cannot read."""
    import matplotlib.figure
    import matplotlib.text

    import mel.outputs.report as report

    mp.setattr(report, "_chart_pool", lambda *args: None)
    real = matplotlib.figure.Figure.savefig

    def savefig(self, *args, **kwargs):
        texts = [t.get_text() for t in self.findobj(matplotlib.text.Text)]
        with into.open("a", encoding="utf-8") as fh:
            fh.write("\n".join(texts) + "\n")
        return real(self, *args, **kwargs)

    mp.setattr(matplotlib.figure.Figure, "savefig", savefig)


def _pii_values(project: Path) -> set[str]:
    catalog = load_templates()
    values: set[str] = set()
    for name in ("cases",):
        tpl = catalog.templates[name].obj
        frame = pd.read_csv(project / f"{name}.csv", dtype=str, keep_default_na=False)
        for spec in tpl.columns:
            if spec.pii and spec.name in frame:
                values |= {v for v in frame[spec.name] if v.strip()}
    values |= {"Zyxwv Qlamb998"}  # the name typed into the office column
    return values


def _texts(path: Path) -> list[str]:
    """What a reader of the file could find in it, as text."""
    data = path.read_bytes()
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            return [z.read(n).decode("utf-8", errors="replace") for n in z.namelist()]
    if suffix == ".pdf":
        parts = [data.decode("latin-1")]
        for m in re.finditer(rb"stream\r?\n(.*?)endstream", data, re.S):
            try:
                parts.append(zlib.decompress(m.group(1)).decode("latin-1"))
            except zlib.error:
                continue
        return parts
    if suffix == ".parquet":
        return [data.decode("latin-1"), pd.read_parquet(path).to_csv()]
    return [data.decode("utf-8", errors="replace")]


def test_no_personal_data_in_any_output(outputs):
    pii, donor_files, internal_files = outputs
    files = donor_files + internal_files
    kinds = {p.suffix for p in files}
    assert {".xlsx", ".pdf", ".png", ".csv", ".parquet", ".json", ".txt", ".xml", ".html"} <= kinds
    for path in files:
        blob = "\n".join(_texts(path))
        for value in pii:
            for form in {value, html.escape(value, quote=False)}:
                assert form not in blob, f"{value!r} found in {path.name}"
        # the name typed where an office belongs is reported by validation, never with its
        # value (the Data quality sheet counts findings and gives row numbers)
        assert "Qlamb" not in blob, path.name


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def test_no_small_count_in_donor_outputs(outputs):
    _, donor_files, _ = outputs
    checked = 0
    for path in donor_files:
        if path.name == ".mel-report.json":  # the list of files written, no values
            continue
        if path.suffix in (".csv", ".parquet", ".json"):
            table = (
                pd.read_csv(path)
                if path.suffix == ".csv"
                else pd.read_parquet(path)
                if path.suffix == ".parquet"
                else pd.read_json(path)
            )
            counts = table[table["indicator"].isin(COUNT_INDICATORS)]
            for column in ("value", "numerator", "denominator"):
                v = pd.to_numeric(counts[column], errors="coerce")
                assert not ((v >= 1) & (v < THRESHOLD)).any(), (path.name, column)
            checked += 1
        if path.suffix == ".html":  # the web report: every actual's cell names its indicator
            cells = re.findall(
                r'<td class="num actual" data-indicator="([^"]+)" data-value="([^"]*)"',
                path.read_text(encoding="utf-8"),
            )
            values = [float(v) for i, v in cells if i in COUNT_INDICATORS and _number(v)]
            assert values and not [v for v in values if 1 <= v < THRESHOLD], path.name
            checked += 1
        if path.suffix == ".xml":  # mel export iati: every actual of a count indicator
            from defusedxml import ElementTree as ET

            values = [
                float(v.get("value"))
                for ind in ET.parse(path).getroot().iter("indicator")
                if {r.get("code") for r in ind.findall("reference")} & set(COUNT_INDICATORS)
                for v in ind.iter("actual")
                if v.get("value") is not None
            ]
            assert values and not [v for v in values if 1 <= v < THRESHOLD], path.name
            checked += 1
        if path.suffix == ".xlsx":
            import openpyxl

            wb = openpyxl.load_workbook(path, read_only=True)
            ws = wb[wb.sheetnames[-1]]  # the tidy sheet, in any language
            rows = list(ws.iter_rows(values_only=True))
            wb.close()
            at = next(i for i, r in enumerate(rows) if r and r[0] == "indicator")
            head = [str(h) for h in rows[at]]
            data = pd.DataFrame(
                [r for r in rows[at + 1 :] if r and r[0] in COUNT_INDICATORS], columns=head
            )
            assert len(data)
            v = pd.to_numeric(data["value"], errors="coerce")
            assert not ((v >= 1) & (v < THRESHOLD)).any(), path.name
            checked += 1
    assert checked >= 4


def test_the_internal_edition_does_show_small_counts(outputs):
    """The check above can fail: the same data, internal, has small counts."""
    _, _, internal_files = outputs
    table = pd.read_csv(next(p for p in internal_files if p.name == "c.csv"))
    v = pd.to_numeric(table.loc[table["indicator"].isin(COUNT_INDICATORS), "value"])
    assert ((v >= 1) & (v < THRESHOLD)).any()


def test_no_status_beside_a_hidden_value(tmp_path, runner):
    """A status word places a hidden value in a band ('off track' against a 40% target puts
    it below 24%): donor outputs give hidden cells none (issue 14, item 3)."""
    from mel.cli.app import app

    out = tmp_path / "r.csv"
    res = runner.invoke(
        app, ["compute", str(REPO / "examples" / "counter-trafficking"), "-o", str(out)]
    )
    assert res.exit_code == 0, res.output
    t = pd.read_csv(out, keep_default_na=False)
    hidden = t[t["suppressed"].astype(str) == "True"]
    assert len(hidden) > 100
    assert set(hidden["status"]) == {""}
    shown = t[(t["suppressed"].astype(str) == "False") & (t["disaggregation"] == "")]
    assert {"on track", "under target"} <= set(shown["status"])  # statuses stay where shown
    assert set(hidden["pct_to_date"]) == {""}  # no % of a target beside a hidden value


@pytest.mark.parametrize(
    ("privacy", "says", "never"),
    [
        ("privacy: {threshold: 1}", "No count is hidden", "Counts from 1 to 0"),
        (
            "privacy: {threshold: 5, secondary: false}",
            "a hidden value may be worked out from a total",
            "where a hidden value could otherwise be worked out",
        ),
    ],
)
def test_the_read_me_says_truthfully_what_is_protected(tmp_path, runner, privacy, says, never):
    from openpyxl import load_workbook

    from mel.cli.app import app

    root = tmp_path / "p"
    shutil.copytree(REPO / "tests" / "data" / "clean", root)
    (root / "mel.yaml").write_text((root / "mel.yaml").read_text() + privacy + "\n")
    res = runner.invoke(
        app,
        [
            "report",
            str(root),
            "--period",
            "2024-Q4",
            "--as-of",
            "2026-01-15",
            "-o",
            str(tmp_path / "o"),
        ],
    )
    assert res.exit_code == 0, res.output
    ws = load_workbook(tmp_path / "o" / "report-2024-Q4.xlsx").worksheets[0]
    text = " ".join(str(c.value) for row in ws.iter_rows() for c in row if c.value)
    assert says in text
    assert never not in text
