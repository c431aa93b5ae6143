"""Field data in: KoboToolbox exports and ODK Central zips read with their form, and `mel pull`
against a KoboToolbox server on a real local socket (tests/kobo_server.py). Every path must give
exactly the cells of the same records written as the example's CSV files."""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib.util
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from mel.definitions.project import load_project
from mel.engine.pipeline import run
from mel.errors import DefinitionError
from tests.conftest import REPO, shared_value
from tests.kobo_server import ASSET, TOKEN, KoboServer

EXAMPLE = REPO / "examples" / "counter-trafficking"
AS_OF = dt.date(2026, 1, 15)


def _kobo():
    spec = importlib.util.spec_from_file_location("mel_kobo_example", REPO / "examples" / "kobo.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


kobo = _kobo()


def _table(project: Path) -> pd.DataFrame:
    """The whole internal result table of a project, in a fixed order."""
    res = run(load_project(project), internal=True, as_of=AS_OF)
    t = res.table.drop(columns=[c for c in res.table.columns if c.startswith("_")])
    keys = ["indicator", "country", "period", "disaggregation", "category"]
    return t.sort_values(keys).reset_index(drop=True), res


@pytest.fixture(scope="module")
def csv_table(tmp_path_factory):
    return shared_value(tmp_path_factory, "kobo-csv-table", lambda: _table(EXAMPLE)[0])


def _same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(a, b, check_dtype=True, check_exact=True)


def test_kobo_xlsx_export_gives_the_cells_of_the_csv_files(tmp_path, csv_table):
    project = kobo.write_project(tmp_path / "kobo")
    table, res = _table(project)
    _same(table, csv_table)
    # every record was read: 4,000 submissions, 16,328 rows of the services repeat group
    read = {a.dataset: a.read for a in res.account}
    assert read["cases"] == 4000 and read["assistance"] == 16328
    assert not [f for f in res.validation_findings if f.severity == "error"]


def _cases(project: Path, name: str = "cases"):
    """One dataset of a project, validated (the project's other datasets are not read)."""
    from mel.data.validate import read_dataset, validate_raw

    bundle = load_project(project)
    tpl = bundle.catalog.templates[name].obj
    return validate_raw(read_dataset(bundle, name, tpl), name, tpl, bundle.catalog, as_of=AS_OF)


def test_export_keeps_spreadsheet_row_numbers_and_names_the_sheet(tmp_path):
    project = kobo.write_project(tmp_path / "kobo", cases=200)
    import openpyxl

    path = project / "data" / "casework.xlsx"
    wb = openpyxl.load_workbook(path)
    ws = wb["services"]
    head = [c.value for c in ws[1]]
    ws.cell(row=7, column=head.index("services/service_type") + 1, value="counselling_x")
    main = wb["Case registration"]
    head = [c.value for c in main[1]]
    main.cell(row=11, column=head.index("person/sex") + 1, value="Femal")
    wb.save(path)
    errors = [
        f
        for f in _cases(project).findings + _cases(project, "assistance").findings
        if f.severity == "error"
    ]
    service = [f for f in errors if f.field == "service_type"]
    assert len(service) == 1 and service[0].line == 7
    assert service[0].file.endswith("casework.xlsx[services]")
    # a repeat group's rows read their submission's sex: the submission's cell is named
    sex = [f for f in errors if f.field == "sex" and f.dataset == "cases"]
    assert len(sex) == 1 and sex[0].line == 11 and sex[0].file.endswith("[Case registration]")
    assert sex[0].suggestion == "Female"


def test_zero_one_columns_alone_and_a_disagreement(tmp_path):
    """Multi-select as 0/1 columns only gives the same answers; a row whose 0/1 columns
    disagree with its answer column is an error naming both."""
    project = kobo.write_project(tmp_path / "kobo", cases=200)
    path = project / "data" / "casework.xlsx"
    import openpyxl

    wb = openpyxl.load_workbook(path)
    ws = wb["Case registration"]
    head = [c.value for c in ws[1]]
    col = head.index("situation/exploitation") + 1
    first = next(r for r in range(2, ws.max_row + 1) if ws.cell(r, col).value)
    chosen = set(ws.cell(first, col).value.split())
    other = next(
        h
        for h in head
        if h.startswith("situation/exploitation/") and h.rsplit("/", 1)[1] not in chosen
    )
    ws.cell(first, head.index(other) + 1, value=1)
    wb.save(path)
    bad = [f for f in _cases(project).findings if f.code == "bad-cell" and "0/1" in f.message]
    assert len(bad) == 1 and bad[0].line == first
    assert bad[0].field == "situation/exploitation"
    # the same export without the answer columns: the 0/1 columns give the answers
    project2 = kobo.write_project(tmp_path / "kobo2", cases=200)
    path2 = project2 / "data" / "casework.xlsx"
    frame = pd.read_excel(path2, sheet_name=None, dtype=str)
    main = frame["Case registration"].drop(
        columns=["situation/exploitation", "situation/means_of_control"]
    )
    with pd.ExcelWriter(path2) as xw:
        main.to_excel(xw, sheet_name="Case registration", index=False)
        frame["services"].to_excel(xw, sheet_name="services", index=False)
    a = _cases(project).frame
    b = _cases(project2).frame
    as_sets = lambda s: [frozenset(str(v).split(";")) for v in s]  # noqa: E731 - the order is free
    assert as_sets(a["means_of_control"]) == as_sets(b["means_of_control"])
    assert as_sets(a["exploitation"]) == as_sets(b["exploitation"])


def test_an_export_with_labels_is_read_back_to_names(tmp_path):
    project = kobo.write_project(tmp_path / "kobo", cases=300)
    form = kobo.read_form_choices(project / "forms" / "casework.xlsx")
    path = project / "data" / "casework.xlsx"
    frame = pd.read_excel(path, sheet_name=None, dtype=str, keep_default_na=False)
    main = frame["Case registration"]
    for q, lst in [
        ("situation/exploitation", "exploitation_type"),
        ("situation/means_of_control", "means_of_control"),
    ]:
        labels = form[lst]
        main[q] = main[q].map(lambda v, labels=labels: " ".join(labels[x] for x in v.split()))
    main = main[[c for c in main.columns if c.count("/") < 2]]  # no 0/1 columns
    with pd.ExcelWriter(path) as xw:
        main.to_excel(xw, sheet_name="Case registration", index=False)
        frame["services"].to_excel(xw, sheet_name="services", index=False)
    got = _cases(project).frame
    want = pd.read_csv(EXAMPLE / "data" / "cases.csv", dtype=str, keep_default_na=False)[:300]
    assert any(" " in v for v in form["means_of_control"].values())  # labels with spaces
    for col in ("exploitation", "means_of_control"):
        assert got[col].fillna("").astype(str).tolist() == want[col].tolist()


def test_a_kobo_csv_export_with_label_headers(tmp_path):
    """KoboToolbox's CSV export (';' separated), headers and values as labels: read back to
    the form's names, row numbers as the file shows them."""
    project = kobo.write_project(tmp_path / "kobo", cases=120, export=False)
    cases, _ = kobo.load_example()
    form = kobo.read_form_choices(project / "forms" / "casework.xlsx")
    rows = []
    for c in cases.iloc[:120].to_dict("records"):
        row = {}
        for g, name, _qtype, lst in kobo.CASE_QUESTIONS:
            label = f"{g.replace('_', ' ').title()}/{name.replace('_', ' ').capitalize()}"
            v = c[name]
            if lst and v and lst not in ("country", "age_band"):
                v = " ".join(form[lst].get(x, x) for x in v.split(";"))
            row[label] = v
        rows.append(row)
    frame = pd.DataFrame(rows)
    frame.insert(0, "_uuid", [f"u{i}" for i in range(len(frame))])
    frame.to_csv(project / "data" / "casework.csv", sep=";", index=False)
    text = (project / "mel.yaml").read_text()
    old = '"path": "data/casework.xlsx", "form"'
    text = text.replace(old, old.replace(".xlsx", ".csv"))
    text = "\n".join(line for line in text.splitlines() if "assistance:" not in line) + "\n"
    (project / "mel.yaml").write_text(text)
    ds = _cases(project)
    assert [f for f in ds.findings if f.severity == "error"] == []
    want = cases.iloc[:120].reset_index(drop=True)
    for col in ("case_id", "sex", "trafficking_status", "exploitation", "means_of_control"):
        got = ds.frame[col].fillna("").astype(str).tolist()
        expected = want[col].replace("Unknown", "")  # a missing value of the template
        assert [set(v.split(";")) for v in got] == [set(v.split(";")) for v in expected], col
    assert ds.rows[0] == 2 and ds.file.endswith("casework.csv")


def test_odk_central_zip_gives_the_cells_of_the_csv_files(tmp_path, csv_table):
    project = kobo.write_project(tmp_path / "odk")
    cases, services = kobo.load_example()
    kobo.write_odk_zip(cases, services, project / "data" / "casework.zip")
    text = (project / "mel.yaml").read_text().replace("data/casework.xlsx", "data/casework.zip")
    (project / "mel.yaml").write_text(text)
    (project / "data" / "casework.xlsx").unlink()
    table, _ = _table(project)
    _same(table, csv_table)


# --- mapping before any data is read ------------------------------------------------------------


def _with_yaml(project: Path, old: str, new: str) -> None:
    text = (project / "mel.yaml").read_text()
    assert old in text
    (project / "mel.yaml").write_text(text.replace(old, new))


@pytest.mark.parametrize(
    ("old", "new", "code", "says"),
    [
        ('"repeat": "services"', '"repeat": "service"', "invalid", "did you mean 'services'"),
        (
            '"repeat": "services"}',
            '"repeat": "services", "columns": {"provider": "provder"}}',
            "unknown-column",
            "no field 'provder'",
        ),
        (
            '"form": "forms/casework.xlsx"}',
            '"form": "forms/casework.xlsx", "columns": {"registration_date": "start_date"}}',
            "unknown-column",
            "start_date",
        ),
        (
            '"form": "forms/casework.xlsx"}',
            '"form": "forms/nowhere.xlsx"}',
            "file-missing",
            "nowhere.xlsx",
        ),
        (
            '"form": "forms/casework.xlsx"}',
            '"form": "forms/casework.xlsx", "values": {"country": "SUD"}}',
            "unknown-code",
            "'SUD'",
        ),
    ],
)
def test_mapping_problems_are_found_before_reading_data(tmp_path, old, new, code, says):
    project = kobo.write_project(tmp_path / "kobo", export=False)
    (project / "data" / "casework.xlsx").write_bytes(b"not read")  # never opened
    _with_yaml(project, old, new)
    with pytest.raises(DefinitionError) as exc:
        load_project(project)
    hits = [
        f for f in exc.value.findings if f.code == code and says in (f.message + (f.hint or ""))
    ]
    assert hits, [f.format() for f in exc.value.findings]
    assert hits[0].file.endswith(("mel.yaml", ".xlsx"))


def test_a_required_column_the_form_lacks_is_an_error(tmp_path):
    project = kobo.write_project(tmp_path / "kobo", export=False)
    import openpyxl

    wb = openpyxl.load_workbook(project / "forms" / "casework.xlsx")
    ws = wb["survey"]
    for row in ws.iter_rows(min_row=2):
        if row[1].value == "registration_date":
            row[1].value = "date_registered"
    wb.save(project / "forms" / "casework.xlsx")
    with pytest.raises(DefinitionError) as exc:
        load_project(project)
    f = next(f for f in exc.value.findings if f.code == "unmapped-column")
    assert "'registration_date' (required)" in f.message and f.file.endswith("mel.yaml")
    assert f.line is not None and "columns:" in f.hint
    # mapped explicitly, the project loads
    _with_yaml(
        project,
        '"form": "forms/casework.xlsx"}',
        '"form": "forms/casework.xlsx", "columns": {"registration_date": "date_registered"}}',
    )
    load_project(project)


# --- mel pull ------------------------------------------------------------------------------------


def _api_project(tmp_path: Path, url: str, **source) -> Path:
    project = kobo.write_project(tmp_path / "pulled", export=False)
    src = {"kobo": url, "asset": ASSET, "token_env": "MEL_KOBO_TOKEN", **source}
    (project / "mel.yaml").write_text(kobo.project_yaml("snapshots/casework", src))
    return project


def _select(project: Path, selection: str) -> None:
    """Keep only some indicators (and their targets) in a project's mel.yaml."""
    import re

    text = (project / "mel.yaml").read_text()
    text = re.sub(r"select: \[[^\]]*\]", selection, text)
    (project / "mel.yaml").write_text(text)
    targets = pd.read_csv(project / "targets.csv", dtype=str, keep_default_na=False)
    keep = set(re.findall(r"[A-Z]+-\d+", selection))
    targets[targets["indicator"].isin(keep)].to_csv(project / "targets.csv", index=False)


def _edited(cases: pd.DataFrame, services: pd.DataFrame, total: int, edits: int):
    """``total`` API records: the example's cases (copied under new ids until there are
    ``total - edits``) and ``edits`` earlier versions of submissions later edited on the
    server (same _id, the final version naming the earlier one in meta/deprecatedID); and the
    cases as they stand after the edits."""
    unique = total - edits
    copies = [cases]
    k = 2
    while sum(len(c) for c in copies) < unique:
        copies.append(cases.assign(case_id=cases["case_id"] + f"-R{k}"))
        k += 1
    final = pd.concat(copies, ignore_index=True).iloc[:unique].reset_index(drop=True)
    records = kobo.records(final, services)
    out = []
    edited_at = set(range(0, unique, unique // edits)[:edits])
    for i, rec in enumerate(records):
        if i in edited_at:
            old = dict(rec)
            old["person/sex"] = "Male" if rec.get("person/sex") == "Female" else "Female"
            old["meta/instanceID"] = f"uuid:old-{i}"
            rec = {**rec, "meta/deprecatedID": f"uuid:old-{i}"}
            out.append(old)
        out.append(rec)
    # the earlier versions come first, as an edit is later; one straddles the page boundary
    return out, final


def test_pull_30001_records_in_two_pages_with_edits_gives_the_csv_cells(tmp_path, monkeypatch, cli):
    cases, services = kobo.load_example()
    records, final = _edited(cases, services, total=30001, edits=100)
    assert len(records) == 30001
    # the same records as CSV files; both projects compute the indicators that read cases and
    # assistance (the others read the same CSV files in both: test_kobo_xlsx_export... covers them)
    plain = tmp_path / "plain"
    shutil.copytree(EXAMPLE, plain)
    final.to_csv(plain / "data" / "cases.csv", index=False)
    case_indicators = (
        "select: [PROT-01, PROT-02, PROT-03, PROT-04, PROT-11, PROT-13, CTX-01, CTX-03]"
    )
    with KoboServer(records) as server:
        project = _api_project(tmp_path, server.url)
        for p in (project, plain):
            _select(p, case_indicators)
        monkeypatch.setenv("MEL_KOBO_TOKEN", TOKEN)
        result = cli("pull", str(project))
        assert result.exit_code == 0, result.output
        pages = [r for r in server.requests if "/data/" in r]
        assert len(pages) == 2 and "start=0&limit=30000" in pages[0]
        assert "start=30000" in pages[1]
    assert "29,901 records (100 edited submission(s) kept once)" in result.stdout
    snaps = list((project / "snapshots" / "casework").glob("*.json"))
    assert len(snaps) == 1
    got, res = _table(project)
    want, _ = _table(plain)
    _same(got, want)
    assert {a.dataset: a.read for a in res.account}["cases"] == 29901
    # no token in anything written or printed
    for f in project.rglob("*"):
        if f.is_file():
            assert TOKEN.encode() not in f.read_bytes(), f
    assert TOKEN not in result.output


FAULTS = [
    (None, {"token": "wrong"}, "refused the credentials in MEL_KOBO_TOKEN (HTTP 401"),
    (None, {"asset": "nosuchform"}, "has no form 'nosuchform' (HTTP 404"),
    ("timeout", {"timeout": 0.5}, "did not answer within 0.5 s"),
    ("garbage", {}, "page 2 of form '" + ASSET + "' is not JSON"),
    ("html", {}, "page 1 of form '" + ASSET + "' is not JSON"),
    ("missing_page", {}, "page 2 of form '" + ASSET + "' is missing (HTTP 404)"),
    ("short", {}, "the server counted 7 records and sent 3"),
    ("interrupted", {}, "the download of page 2 of form '" + ASSET + "' was interrupted"),
]


@pytest.mark.parametrize(("fault", "change", "says"), FAULTS)
def test_a_failed_pull_says_why_and_leaves_the_snapshot_alone(
    tmp_path, monkeypatch, cli, fault, change, says
):
    cases, services = kobo.load_example()
    records = kobo.records(cases.iloc[:7], services.iloc[:0])
    with KoboServer(records, fault=fault) as server:
        source = {"page_size": 3}
        if "timeout" in change:
            source["timeout"] = change["timeout"]
        if "asset" in change:
            source["asset"] = change["asset"]
        project = _api_project(tmp_path, server.url, **source)
        monkeypatch.setenv("MEL_KOBO_TOKEN", TOKEN)
        folder = project / "snapshots" / "casework"
        if fault is not None or "asset" in change:  # a good snapshot first, from the same server
            good = KoboServer(records)
            with good:
                text = (project / "mel.yaml").read_text()
                (project / "mel.yaml").write_text(
                    text.replace(server.url, good.url).replace("nosuchform", ASSET)
                )
                assert cli("pull", str(project)).exit_code == 0
                (project / "mel.yaml").write_text(text)
        else:
            folder.mkdir(parents=True)
            (folder / "20250101T000000Z.json").write_text('{"format": "earlier"}')
        before = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir()}
        if change.get("token"):
            monkeypatch.setenv("MEL_KOBO_TOKEN", change["token"])
        result = cli("pull", str(project))
    assert result.exit_code == 1, result.output
    assert says in result.stderr, result.stderr
    assert "Traceback" not in result.output
    after = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir()}
    assert after == before  # nothing written, nothing changed, no temporary file left
    for text in (result.stdout, result.stderr):
        assert TOKEN not in text and "wrong" not in text.replace("went wrong", "")


def test_pull_without_the_token_variable_names_it(tmp_path, monkeypatch, cli):
    monkeypatch.delenv("MEL_KOBO_TOKEN", raising=False)
    project = _api_project(tmp_path, "http://127.0.0.1:9")
    result = cli("pull", str(project))
    assert result.exit_code == 2
    assert "MEL_KOBO_TOKEN" in result.stderr and "is not set" in result.stderr


def test_snapshot_folder_without_snapshot_says_to_pull(tmp_path):
    project = _api_project(tmp_path, "http://127.0.0.1:9")
    from mel.data.validate import validate_project

    result = validate_project(load_project(project), as_of=AS_OF)
    f = next(f for f in result.findings if f.dataset == "cases")
    assert "holds no snapshot yet" in f.message and "mel pull" in f.hint


def test_snapshot_is_what_the_server_sent(tmp_path, monkeypatch, cli):
    cases, services = kobo.load_example()
    records = kobo.records(cases.iloc[:5], services[services.case_id.isin(cases.case_id[:5])])
    with KoboServer(records) as server:
        project = _api_project(tmp_path, server.url, page_size=2)
        monkeypatch.setenv("MEL_KOBO_TOKEN", TOKEN)
        assert cli("pull", str(project)).exit_code == 0
        assert all(a == f"Token {TOKEN}" for a in server.auth)
    snap = next((project / "snapshots" / "casework").glob("*.json"))
    data = json.loads(snap.read_text())
    assert data["results"] == records and data["count"] == 5
    # the report's manifest hashes the snapshot read, and the form
    inputs = load_project(project).input_paths()
    assert snap.resolve() in inputs and (project / "forms" / "casework.xlsx").resolve() in inputs


# --- ODK Central ---------------------------------------------------------------------------------


def _central_project(tmp_path: Path, url: str, **source) -> Path:
    from tests.odk_server import FORM, PROJECT

    project = kobo.write_project(tmp_path / "central", export=False)
    src = {"odk": url, "project": PROJECT, "form": FORM, "email_env": "MEL_ODK_EMAIL",
           "password_env": "MEL_ODK_PASSWORD", **source}  # fmt: skip
    (project / "mel.yaml").write_text(kobo.project_yaml("snapshots/central", src))
    return project


def test_pull_from_odk_central_gives_the_csv_cells(tmp_path, monkeypatch, cli, csv_table):
    from tests.odk_server import EMAIL, PASSWORD, SESSION, CentralServer

    cases, services = kobo.load_example()
    with CentralServer(kobo.central_values(cases, services)) as server:
        project = _central_project(tmp_path, server.url, page_size=1500)
        monkeypatch.setenv("MEL_ODK_EMAIL", EMAIL)
        monkeypatch.setenv("MEL_ODK_PASSWORD", PASSWORD)
        result = cli("pull", str(project))
        assert result.exit_code == 0, result.output
        methods = [m for m, _ in server.requests]
    assert methods == ["POST", "GET", "GET", "GET", "DELETE"]  # signed in, 3 pages, signed out
    assert "cases, assistance: 4,000 records" in result.stdout
    table, res = _table(project)
    _same(table, csv_table)
    assert {a.dataset: a.read for a in res.account}["assistance"] == 16328
    for f in project.rglob("*"):
        if f.is_file():
            data = f.read_bytes()
            assert PASSWORD.encode() not in data and SESSION.encode() not in data, f
    assert PASSWORD not in result.output and SESSION not in result.output


@pytest.mark.parametrize(
    ("password", "fault", "says"),
    [
        (
            "not-the-password",
            None,
            "refused the credentials in MEL_ODK_EMAIL and MEL_ODK_PASSWORD (HTTP 401, the sign-in)",
        ),
        (None, "short", "the server counted 7 records and sent 3"),
    ],
)
def test_a_failed_central_pull_writes_nothing(tmp_path, monkeypatch, cli, password, fault, says):
    from tests.odk_server import EMAIL, PASSWORD, SESSION, CentralServer

    cases, services = kobo.load_example()
    with CentralServer(kobo.central_values(cases.iloc[:7], services.iloc[:0]), fault) as server:
        project = _central_project(tmp_path, server.url, page_size=3)
        monkeypatch.setenv("MEL_ODK_EMAIL", EMAIL)
        monkeypatch.setenv("MEL_ODK_PASSWORD", password or PASSWORD)
        result = cli("pull", str(project))
    assert result.exit_code == 1 and says in result.stderr, result.output
    assert not (project / "snapshots").exists()
    for secret in (PASSWORD, SESSION, "not-the-password"):
        assert secret not in result.output


def test_an_export_named_without_its_form_says_to_name_the_form(tmp_path):
    project = kobo.write_project(tmp_path / "kobo", cases=50)
    text = (
        (project / "mel.yaml")
        .read_text()
        .replace(
            '"path": "data/casework.xlsx", "form": "forms/casework.xlsx"}',
            '"path": "data/casework.xlsx", "sheet": "Case registration"}',
            1,
        )
    )
    (project / "mel.yaml").write_text(text)
    findings = _cases(project).findings
    missing = next(f for f in findings if f.code == "missing-column" and f.field == "case_id")
    assert "'registration/case_id' looks like a KoboToolbox or ODK export" in missing.hint
    assert "form:" in missing.hint
