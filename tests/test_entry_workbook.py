"""Data-entry workbooks: dropdowns, validations, instructions, and the round trip through
`mel validate`."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import zipfile

import openpyxl
import pytest

from mel.data.validate import validate_file
from mel.definitions.catalog import load_templates
from mel.outputs.entry_workbook import dropdown_values, write_entry_workbook
from tests.conftest import run_mel


@pytest.fixture(scope="module")
def catalog():
    return load_templates()


@pytest.fixture(scope="module")
def cases_xlsx(tmp_path_factory, catalog):
    path = tmp_path_factory.mktemp("wb") / "cases.xlsx"
    write_entry_workbook(catalog.templates["cases"].obj, catalog, path, rows=200)
    return path


def _validations(ws):
    return {
        str(dv.sqref).split(":")[0].rstrip("0123456789"): dv
        for dv in ws.data_validations.dataValidation
    }


def test_sheets_header_and_frozen_pane(cases_xlsx, catalog):
    wb = openpyxl.load_workbook(cases_xlsx)
    assert wb.sheetnames == ["Instructions", "cases", "Lists"]
    assert wb["Lists"].sheet_state == "hidden"
    ws = wb["cases"]
    tpl = catalog.templates["cases"].obj
    assert [c.value for c in ws[1]] == [c.label for c in tpl.columns]
    assert ws.freeze_panes == "A2"
    instructions = wb["Instructions"]
    names = [instructions.cell(row=r, column=6).value for r in range(6, 6 + len(tpl.columns))]
    assert names == [c.name for c in tpl.columns]


def test_dropdowns_read_back_and_resolve_to_the_code_lists(cases_xlsx, catalog):
    wb = openpyxl.load_workbook(cases_xlsx)
    ws = wb["cases"]
    tpl = catalog.templates["cases"].obj
    dvs = _validations(ws)
    for j, spec in enumerate(tpl.columns, start=1):
        letter = openpyxl.utils.get_column_letter(j)
        dv = dvs[letter]
        assert str(dv.sqref) == f"{letter}2:{letter}201"
        assert dv.prompt
        if spec.type == "code" and not spec.multiple:
            assert dv.type == "list"
            name = dv.formula1.lstrip("=")
            dn = wb.defined_names[name]
            ((sheet, ref),) = list(dn.destinations)
            cells = wb[sheet][ref.replace("$", "")]
            values = [row[0].value for row in cells]
            assert values == dropdown_values(catalog.codelists[spec.codelist].obj)
        elif spec.type == "date":
            assert (dv.type, dv.operator) == ("date", "between")
        elif spec.type == "integer":
            assert (dv.type, dv.formula1, dv.formula2) == ("whole", "0", "110")
        elif spec.type == "boolean":
            assert dv.formula1 == "=list_yes_no"
    assert "SDN" in dropdown_values(catalog.codelists["country"].obj)


def test_filled_workbook_validates_unchanged(cases_xlsx, catalog, tmp_path):
    wb = openpyxl.load_workbook(cases_xlsx)
    ws = wb["cases"]
    tpl = catalog.templates["cases"].obj
    column_of = {c.name: j for j, c in enumerate(tpl.columns, start=1)}
    rows = [
        # as an officer picks them: labels from the dropdowns, real dates, yes/no
        {
            "case_id": "SDN-KRT-00001",
            "registration_date": dt.date(2024, 3, 1),
            "country": "SDN",
            "office": "Khartoum",
            "sex": "Female",
            "age": 16,
            "age_band": "9-17",
            "age_group": "Child (under 18)",
            "nationality": "ERI",
            "trafficking_status": "Victim of trafficking",
            "exploitation": "sexual;forced_labour",
            "labour_industry": "Domestic work (households as employers)",
            "means_of_control": "debt_bondage;withholds_documents",
            "identified_by": "Law enforcement",
            "needs_assessment_date": dt.date(2024, 3, 4),
            "closure_date": dt.date(2024, 9, 1),
            "plan_completed": "yes",
            "full_name": "A. Person",
            "phone": "+249900000001",
        },
        {
            "case_id": "TZA-ZNZ-00002",
            "registration_date": dt.date(2024, 4, 12),
            "country": "TZA",
            "office": "Zanzibar",
            "sex": "Male",
            "age": 31,
            "age_band": "30-38",
            "age_group": "Adult (18 and over)",
            "nationality": "TZA",
            "trafficking_status": "Possible victim",
            "exploitation": "Forced labour",
            "full_name": "B. Person",
        },
    ]
    for r, values in enumerate(rows, start=2):
        for name, v in values.items():
            ws.cell(row=r, column=column_of[name], value=v)
    filled = tmp_path / "filled.xlsx"
    wb.save(filled)
    ds = validate_file(filled, "cases", catalog, as_of=dt.date(2025, 1, 1))
    assert ds.findings == []
    assert list(ds.frame["trafficking_status"]) == ["actual", "possible"]
    assert list(ds.frame["age_group"]) == ["Minor", "Adult"]
    assert list(ds.frame["exploitation"]) == ["sexual;forced_labour", "forced_labour"]
    assert ds.frame["labour_industry"].iloc[0] == "T"
    assert ds.frame["identified_by"].iloc[0] == "LawEnforcement"
    assert ds.frame["registration_date"].iloc[1] == dt.datetime(2024, 4, 12)
    assert list(ds.rows) == [2, 3]
    assert ds.frame["plan_completed"].iloc[0]


def test_every_bundled_template_writes_a_workbook(catalog, tmp_path):
    for name, ld in catalog.templates.items():
        path = write_entry_workbook(ld.obj, catalog, tmp_path / f"{name}.xlsx", rows=10)
        wb = openpyxl.load_workbook(path)
        assert wb.sheetnames[1] == name


def test_workbook_is_byte_identical_across_runs(catalog, tmp_path):
    tpl = catalog.templates["trainings"].obj
    a = write_entry_workbook(tpl, catalog, tmp_path / "a.xlsx", rows=50)
    b = write_entry_workbook(tpl, catalog, tmp_path / "b.xlsx", rows=50)
    assert a.read_bytes() == b.read_bytes()
    # two runs within one minute match anyway: check that no entry carries the time of writing
    with zipfile.ZipFile(a) as z:
        assert {i.date_time for i in z.infolist()} == {(2000, 1, 1, 0, 0, 0)}
        assert b"2000-01-01T00:00:00Z" in z.read("docProps/core.xml")


def test_cli_template(tmp_path):
    out = tmp_path / "assistance.xlsx"
    result = run_mel("template", "assistance", "-o", str(out))
    assert result.returncode == 0, result.stderr
    assert openpyxl.load_workbook(out).sheetnames == ["Instructions", "assistance", "Lists"]
    bad = run_mel("template", "case", "-o", str(tmp_path / "x.xlsx"))
    assert bad.returncode == 2
    assert "did you mean 'cases'?" in bad.stderr
    assert not (tmp_path / "x.xlsx").exists()
    assert "Traceback" not in bad.stderr


def test_libreoffice_opens_the_workbook(cases_xlsx, tmp_path):
    """A real spreadsheet program opens the workbook. .ci/run installs LibreOffice, so in CI
    its absence is a failure; on a developer machine without it the test is skipped."""
    if shutil.which("soffice") is None:
        if os.environ.get("CI"):
            pytest.fail("LibreOffice (soffice) is missing: .ci/run should have installed it")
        pytest.skip("LibreOffice is not installed")
    result = subprocess.run(
        [
            "soffice",
            "--headless",
            f"-env:UserInstallation=file://{tmp_path}/lo",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            str(cases_xlsx),
        ],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    pdf = tmp_path / "cases.pdf"
    assert result.returncode == 0, result.stderr
    assert pdf.exists() and pdf.stat().st_size > 1000
    assert pdf.read_bytes().startswith(b"%PDF")
