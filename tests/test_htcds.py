"""The HTCDS profile: the published HTCDS XLSForm's choice lists as code lists, data collected
with that form computing the catalog's case indicators with no renaming, and a file typed into
the HTCDS Excel kit validated with findings named by HTCDS field."""

from __future__ import annotations

import datetime as dt
import importlib.util
import shutil
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from mel.data.validate import validate_path
from mel.definitions.catalog import load_templates
from mel.definitions.formlists import codelists_from_form
from mel.definitions.project import load_project
from mel.definitions.xlsform import read_form
from mel.engine.pipeline import run
from mel.errors import DefinitionError
from tests.conftest import REPO

REFERENCE = REPO / "examples" / "htcds"  # as IOM publishes them
# the kit's drop-down lists use an Excel extension openpyxl drops when the tests edit the kit
pytestmark = pytest.mark.filterwarnings("ignore:Data Validation extension:UserWarning")
FORM = REFERENCE / "htcds_xlsform.xlsx"
KIT = REFERENCE / "htcds_excel_single_select_v2.0.xlsx"
EXAMPLE = REPO / "examples" / "counter-trafficking"
AS_OF = dt.date(2026, 1, 15)


def _module():
    spec = importlib.util.spec_from_file_location(
        "mel_htcds_example", REPO / "examples" / "htcds.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


htcds = _module()


def test_every_choice_list_of_the_form_becomes_a_code_list():
    form = read_form(FORM)
    made, unmapped = codelists_from_form(form, prefix="htcds_")
    assert {m.list_name for m in made} | {u.list_name for u in unmapped} == set(form.choices)
    assert unmapped == []  # each has a reason if not; none is needed for HTCDS 2.0
    catalog = load_templates(None)
    for m in made:
        # the bundled code lists are the ones the command makes (a change to either shows)
        bundled = catalog.codelists[m.name].obj
        assert [v.code for v in bundled.values] == [v["code"] for v in m.document["values"]]
        assert [v.label for v in bundled.values] == [v.get("label") for v in m.document["values"]]
        names = [c[0].strip() for c in _raw_choices()[m.list_name]]
        assert [v.code for v in bundled.values] == names


def _raw_choices() -> dict[str, list[tuple[str, str]]]:
    wb = openpyxl.load_workbook(FORM, read_only=True)
    out: dict[str, list] = {}
    for row in list(wb["choices"].iter_rows(values_only=True))[1:]:
        if row[0]:
            out.setdefault(row[0], []).append((str(row[1]), str(row[2])))
    return out


def test_codelists_from_form_command_writes_loadable_lists(tmp_path, cli):
    result = cli("codelists", "from-form", str(FORM), "-o", str(tmp_path / "cl"), "--prefix", "x_")
    assert result.exit_code == 0, result.output
    files = sorted((tmp_path / "cl").glob("*.yaml"))
    assert len(files) == len(_raw_choices())
    # a project naming the folder reads them as code lists
    (tmp_path / "t" / "codelists").mkdir(parents=True)
    for f in files:
        shutil.copy(f, tmp_path / "t" / "codelists" / f.name)
    catalog = load_templates([tmp_path / "t"])
    assert not catalog.findings
    gender = catalog.codelists["x_gender"].obj
    assert gender.codes()[0] == "Feminine" and gender.values[2].label == "Transgender Feminine"
    again = cli("codelists", "from-form", str(FORM), "-o", str(tmp_path / "cl"), "--prefix", "x_")
    assert again.exit_code == 2 and "exists" in again.stderr and "--force" in again.stderr


def _expected_cases(country: str) -> pd.DataFrame:
    """The example's cases as the HTCDS form can carry them, mapped by hand (not by mel)."""
    c = pd.read_csv(EXAMPLE / "data" / "cases.csv", dtype=str, keep_default_na=False)
    c = c[c["country"] == country].copy()
    c["exploitation"] = c["exploitation"].map(
        lambda v: ";".join(
            dict.fromkeys("other" if x == "forced_criminality" else x for x in v.split(";") if x)
        )
    )
    for col in (
        "office",
        "identified_by",
        "needs_assessment_date",
        "closure_date",
        "plan_completed",
    ):
        c[col] = ""  # the HTCDS form does not ask these
    return c


def _table(project: Path) -> pd.DataFrame:
    res = run(load_project(project), internal=True, as_of=AS_OF)
    t = res.table
    keys = ["indicator", "country", "period", "disaggregation", "category"]
    return t.sort_values(keys).reset_index(drop=True), res


def test_data_from_the_htcds_form_computes_the_case_indicators(tmp_path):
    project = htcds.write_project(tmp_path / "htcds", reference=REFERENCE)
    got, res = _table(project)
    assert not [f for f in res.validation_findings if f.severity == "error"]
    # the same records as mel's own cases template, in a plain CSV project
    plain = tmp_path / "plain"
    (plain / "data").mkdir(parents=True)
    _expected_cases("SDN").to_csv(plain / "data" / "cases.csv", index=False)
    text = (project / "mel.yaml").read_text()
    text = text[: text.index("datasets:")] + (
        "datasets:\n  cases: {path: data/cases.csv}\n" + text[text.index("indicators:") :]
    )
    (plain / "mel.yaml").write_text(text)
    want, _ = _table(plain)
    pd.testing.assert_frame_equal(got, want)
    # and the indicators did compute: PROT-01 over the life of the project
    total = got[(got.indicator == "PROT-01") & (got.period == "LoP") & (got.disaggregation == "")]
    expected = _expected_cases("SDN")
    assert (
        total["value"].iloc[0] == expected["trafficking_status"].isin(["actual", "possible"]).sum()
    )


def test_the_htcds_template_says_what_the_form_does_not_ask():
    catalog = load_templates(None)
    tpl = catalog.templates["htcds_cases"].obj
    form = read_form(FORM)
    from mel.definitions.forms import field_of
    from mel.definitions.models import DatasetRef

    ref = DatasetRef(path="x.xlsx", form="f.xlsx", template="htcds_cases")
    asked = {c.name for c in tpl.columns if field_of(c, ref, form)}
    # every question of the form with an HTCDS name is read into a column of the template
    htcds_questions = {q for q in form.questions if q[:4] in ("prs_", "vic_", "cas_", "con_")}
    assert {field_of(c, ref, form) for c in tpl.columns} >= htcds_questions
    assert "prs_FirstName" in asked and "vic_MethodsOfControl" in asked  # the form's spellings
    # and the HTCDS core fields the form does not ask are the template's own knowledge
    assert {c.name for c in tpl.columns if c.core} - asked == {
        "cas_CaseOwner",
        "cas_ReasonForCaseClosure",
        "cas_ReasonForOutgoingReferral",
        "cas_ReferredOrganisation",
        "cas_ReferredPrimaryCaseWorker",
        "cas_OutgoingReferralDate",
        "cas_OutgoingReferralDetails",
    }


def _kit(tmp_path: Path, edit=None) -> Path:
    cases = pd.read_csv(EXAMPLE / "data" / "cases.csv", dtype=str, keep_default_na=False)
    records = htcds.htcds_records(cases[cases["country"] == "TZA"].head(40))
    path = tmp_path / "kit.xlsx"
    htcds.write_kit(records, path, REFERENCE)
    if edit:
        wb = openpyxl.load_workbook(path)
        edit(wb["Case Sheet"])
        wb.save(path)
    return path


def _validate(path: Path):
    return validate_path(path, template="htcds_cases", sheet="Case Sheet", as_of=AS_OF)


def test_a_file_typed_into_the_htcds_kit_validates(tmp_path):
    result = _validate(_kit(tmp_path))
    assert [f for f in result.findings if f.severity == "error"] == []
    ds = result.datasets["htcds_cases"]
    assert len(ds.frame) == 40 and ds.rows[0] == 3  # the kit's labels row is not a record
    assert ds.frame["vic_TraffickingStatus"].notna().all()
    missing = [f for f in result.findings if f.code == "missing-column"]
    assert missing == []  # the kit has every core field (its unnamed column named by its label)
    published = _validate(KIT)  # the kit as published, empty
    assert [f for f in published.findings if f.severity == "error"] == []


def test_kit_findings_are_named_by_htcds_field(tmp_path):
    def edit(ws):
        head = {c.value: c.column for c in ws[1] if c.value}
        ws.cell(row=5, column=head["prs_Gender"], value="Femenine")
        ws.cell(row=9, column=head["vic_TraffickingStatus"], value="Victim")
        ws.cell(row=12, column=head["prs_Birthdate"], value="31/02/1990")

    result = _validate(_kit(tmp_path, edit))
    errors = {(f.line, f.field): f for f in result.findings if f.severity == "error"}
    assert set(errors) == {(5, "prs_Gender"), (9, "vic_TraffickingStatus"), (12, "prs_Birthdate")}
    assert errors[(5, "prs_Gender")].suggestion == "Feminine"
    assert errors[(5, "prs_Gender")].file.endswith("kit.xlsx[Case Sheet]")


def test_a_kit_without_a_core_field_is_told_which(tmp_path):
    def edit(ws):
        head = {c.value: c.column for c in ws[1] if c.value}
        ws.delete_cols(head["vic_TypeOfExploitation"])

    result = _validate(_kit(tmp_path, edit))
    missing = [f for f in result.findings if f.code == "missing-column"]
    assert len(missing) == 1 and missing[0].severity == "warning"
    assert "vic_TypeOfExploitation" in missing[0].message


def test_a_provides_rule_giving_an_unknown_code_is_refused(tmp_path):
    folder = tmp_path / "t"
    folder.mkdir()
    text = (REPO / "templates" / "htcds_cases.yaml").read_text()
    text = text.replace("Feminine: Female,", "Feminine: Femme,")
    (folder / "htcds_cases.yaml").write_text(text)
    from mel import resources

    catalog = load_templates([resources.templates_dir(), folder])
    bad = [f for f in catalog.findings if f.code == "unknown-code"]
    assert bad and "'Femme'" in bad[0].message and bad[0].line is not None
    with pytest.raises(DefinitionError):
        catalog.raise_if_errors()


def test_form_start_times_are_read_as_their_local_date():
    from mel.data.parse import _dates

    text = pd.Series(
        [
            "2024-03-31T23:30:00.000+03:00",
            "2024-04-01T00:30:00.000-05:00",
            "2024-04-02",
            "2024-02-30T10:00:00",
        ]
    )
    issues: list = []
    parsed = _dates(text, pd.isna(text).to_numpy(), "iso", issues, timestamp=True)
    assert [str(d.date()) if not pd.isna(d) else None for d in parsed.values] == [
        "2024-03-31",
        "2024-04-01",
        "2024-04-02",
        None,
    ]
    assert len(issues) == 1 and list(issues[0].positions) == [3]  # the impossible day only


def test_no_personal_data_of_htcds_records_reaches_the_report(tmp_path, cli):
    """Names, phones and birth dates of the HTCDS records are read (validated) but never
    written: every file of the donor report is searched for them."""
    import zipfile

    project = htcds.write_project(tmp_path / "htcds", reference=REFERENCE)
    out = tmp_path / "report"
    result = cli(
        "report", str(project), "--period", "FY2025-Q4", "-o", str(out), "--as-of", "2026-01-15"
    )
    assert result.exit_code == 0, result.output
    cases = pd.read_csv(EXAMPLE / "data" / "cases.csv", dtype=str, keep_default_na=False)
    cases = cases[cases["country"] == "SDN"]
    records = htcds.htcds_records(cases)
    secrets = {p for p in records["prs_MobilePhone"] if p} | {
        f"{a} {b}"
        for a, b in zip(records["prs_First_Name"], records["prs_Second_Name"], strict=True)
    }
    texts = []
    for f in out.rglob("*"):
        if f.suffix == ".xlsx":
            with zipfile.ZipFile(f) as z:
                texts += [z.read(n).decode("utf-8", "ignore") for n in z.namelist()]
        elif f.is_file() and f.suffix in (".csv", ".json", ".txt", ".md"):
            texts.append(f.read_text(encoding="utf-8", errors="ignore"))
    assert len(texts) > 5
    found = [s for s in secrets for t in texts if s in t]
    assert found == []
