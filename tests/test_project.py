"""Projects, targets, templates and code lists: located errors and cross-references."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from mel.definitions.catalog import load_catalog, load_templates
from mel.definitions.periods import parse_period_label
from mel.definitions.project import load_project
from mel.errors import DefinitionError
from tests.conftest import REPO

MEL_YAML = """\
name: Test programme
donor: Test donor
countries: [SDN, TZA]
start: 2024-01-01
end: 2024-12-31
datasets:
  cases: {path: data/cases.csv}
indicators:
  select: [PROT-01, PART-01]
targets: targets.csv
"""


def project(tmp_path: Path, mel_yaml: str = MEL_YAML, targets: str | None = None) -> Path:
    (tmp_path / "mel.yaml").write_text(textwrap.dedent(mel_yaml), encoding="utf-8")
    if targets is not None:
        (tmp_path / "targets.csv").write_text(textwrap.dedent(targets), encoding="utf-8")
    return tmp_path


def findings(path: Path):
    with pytest.raises(DefinitionError) as exc:
        load_project(path)
    return exc.value.findings


def test_a_good_project_loads(tmp_path):
    p = project(
        tmp_path, targets="indicator,country,period,baseline,target\nPROT-01,SDN,2024-Q1,,50\n"
    )
    bundle = load_project(p)
    assert [i.id for i in bundle.indicators] == ["PROT-01", "PART-01"]
    (t,) = bundle.targets
    assert (t.target.target, t.target.baseline, t.line) == (50, None, 2)


def test_target_for_unknown_indicator_names_file_row_and_column(tmp_path):
    p = project(
        tmp_path,
        targets="indicator,country,period,target\nPROT-01,SDN,LoP,10\nPROT-1,SDN,LoP,5\n",
    )
    (f,) = findings(p)
    assert (f.code, f.file.endswith("targets.csv"), f.line, f.field) == (
        "unknown-indicator",
        True,
        3,
        "indicator",
    )
    assert "did you mean 'PROT-01'" in f.format()


def test_targets_country_period_duplicates_and_numbers(tmp_path):
    p = project(
        tmp_path,
        targets="""\
        indicator;country;period;target
        PROT-01;NGA;LoP;10
        PROT-01;SDN;Q1-2024;10
        PROT-01;SDN;LoP;ten
        PROT-01;TZA;2024;5
        PROT-01;TZA;2024;6
        """,
    )
    got = sorted((f.line, f.field, f.message) for f in findings(p))
    assert [(line, field) for line, field, _ in got] == [
        (2, "country"),
        (3, "period"),
        (4, "target"),
        (6, "period"),
    ]
    assert "first at row 5" in got[3][2]


def test_targets_header_misspelt(tmp_path):
    p = project(tmp_path, targets="indicator,country,period,taget\nPROT-01,SDN,LoP,1\n")
    (f,) = findings(p)
    assert (f.code, f.line, f.field) == ("bad-header", 1, "taget")
    assert "did you mean 'target'" in f.format()


def test_missing_targets_file_points_into_mel_yaml(tmp_path):
    p = project(tmp_path)
    (f,) = findings(p)
    assert (f.code, f.file.endswith("mel.yaml"), f.line) == ("file-missing", True, 10)


def test_project_file_errors_are_all_reported(tmp_path):
    bad = MEL_YAML.replace("[SDN, TZA]", "[sdn, Tanzania, XXX]").replace(
        "end: 2024-12-31", "end: 2023-12-31\nreportng: {period: quarter}"
    )
    got = findings(project(tmp_path, bad))
    codes = {(f.code, f.line) for f in got}
    assert ("invalid", 3) in codes  # countries
    assert ("unknown-key", 6) in codes
    text = "\n".join(f.format() for f in got)
    assert "did you mean SDN?" in text and "did you mean TZA?" in text
    assert "'XXX' is not an ISO 3166 alpha-3 country code" in text
    assert "did you mean 'reporting'?" in text


def test_end_before_start(tmp_path):
    got = findings(project(tmp_path, MEL_YAML.replace("end: 2024-12-31", "end: 2023-12-31")))
    assert any("is before start" in f.message for f in got)


def test_unknown_selection_override_and_template(tmp_path):
    bad = MEL_YAML.replace(
        "[PROT-01, PART-01]", "[PROT-01, PROT-99, protecton]\n  overrides:\n    PROT-77: {name: x}"
    ).replace(
        "cases: {path: data/cases.csv}", "cases: {path: data/cases.csv}\n  other: {path: o.csv}"
    )
    got = findings(project(tmp_path, bad, targets="indicator,target\n"))
    msgs = sorted((f.line, f.message) for f in got)
    assert (10, "indicator 'PROT-99' is not defined") in msgs
    assert (10, "indicator 'protecton' is not defined") in msgs
    assert "did you mean 'protection'?" in "\n".join(f.format() for f in got)
    assert any("uses template 'other'" in m for _, m in msgs)
    assert any("'PROT-77' is not defined" in m for _, m in msgs)


def test_missing_project_file(tmp_path):
    (f,) = findings(tmp_path)
    assert f.code == "file-missing" and "no mel.yaml" in f.message


def test_project_indicator_cannot_reuse_a_catalog_id(tmp_path):
    p = project(tmp_path, MEL_YAML.replace("targets: targets.csv\n", "") + "")
    (p / "mel.yaml").write_text(
        MEL_YAML.replace("targets: targets.csv\n", "").replace(
            "  select: [PROT-01, PART-01]", "  select: [PROT-01]\n  paths: [own]"
        )
    )
    (p / "own").mkdir()
    src = (REPO / "indicators" / "protection" / "PROT-02.yaml").read_text()
    (p / "own" / "x.yaml").write_text(src.replace("id: PROT-02", "id: PROT-01"))
    (f,) = findings(p)
    assert f.code == "duplicate-id" and f.line == 1


def _template_dir(tmp_path: Path, files: dict[str, str]) -> Path:
    d = tmp_path / "templates"
    for rel, text in files.items():
        (d / rel).parent.mkdir(parents=True, exist_ok=True)
        (d / rel).write_text(textwrap.dedent(text), encoding="utf-8")
    return d


def test_template_cross_references(tmp_path):
    d = _template_dir(
        tmp_path,
        {
            "codelists/colour.yaml": "name: colour\ntitle: Colour\nvalues: [{code: red}]\n",
            "t.yaml": """\
            name: things
            title: Things
            key: [thing_id, nope]
            columns:
              - {name: thing_id, type: string}
              - {name: colour, type: code, codelist: color}
              - {name: colour, type: string}
              - {name: when, type: date}
            rules:
              - {name: r1, check: "whem >= 2024-01-01", message: too early}
            foreign_keys:
              - {column: thing_id, dataset: cases, to: caseid}
              - {column: thing_id, dataset: nothing, to: x}
            """,
        },
    )
    cat = load_templates([REPO / "templates", d])
    got = sorted((f.line, f.code) for f in cat.findings)
    assert got == [
        (3, "unknown-column"),  # key 'nope'
        (6, "unknown-codelist"),  # did you mean colour
        (7, "duplicate-id"),  # column twice
        (10, "filter-type"),  # whem
        (12, "unknown-column"),  # cases.caseid
        (13, "unknown-dataset"),
    ]
    text = "\n".join(f.format() for f in cat.findings)
    assert "did you mean 'colour'?" in text and "did you mean 'when'?" in text
    assert "did you mean 'case_id'?" in text


def test_template_model_errors(tmp_path):
    d = _template_dir(
        tmp_path,
        {
            "t.yaml": """\
            name: Things
            title: Things
            columns:
              - {name: a, type: code}
              - {name: b, type: text}
              - {name: c, type: string, pattern: "([a-z"}
              - {name: d, type: string, range: {min: 1}}
            """,
        },
    )
    cat = load_templates([d])
    got = sorted((f.line, f.code) for f in cat.findings)
    assert got == [(1, "invalid"), (4, "invalid"), (5, "bad-value"), (6, "invalid"), (7, "invalid")]
    assert "did you mean 'string'?" in "\n".join(f.format() for f in cat.findings)


def test_codelist_errors(tmp_path):
    d = _template_dir(
        tmp_path,
        {
            "codelists/a.yaml": "name: a\ntitle: A\nsource: iso3166-alpha3\nvalues: [{code: x}]\n",
            "codelists/b.yaml": "name: b\ntitle: B\nvalues: [{code: x}, {code: y, aliases: [x]}]\n",
            "codelists/c.yaml": "codelists:\n  - {name: c, title: C, values: [{code: 1}]}\n"
            "  - {name: c, title: C again, values: [{code: 2}]}\n",
        },
    )
    cat = load_templates([d])
    got = sorted((f.file.split("/")[-1], f.line, f.code) for f in cat.findings)
    assert got == [
        ("a.yaml", 1, "invalid"),
        ("b.yaml", 1, "invalid"),
        ("c.yaml", 3, "duplicate-id"),
    ]
    assert cat.codelists["c"].obj.codes() == ("1",)  # an unquoted number code stays text


def test_bundled_templates_and_catalog_are_clean():
    assert load_templates().findings == []
    cat = load_catalog()
    assert cat.findings == []
    assert len(cat.indicators) >= 6
    assert "SDN" in cat.codelists["country"].obj.codes()


@pytest.mark.parametrize(
    ("label", "kind", "fiscal", "year", "index"),
    [
        ("LoP", "lop", False, None, None),
        ("2024", "year", False, 2024, None),
        ("FY2024", "year", True, 2024, None),
        ("2024-H2", "half", False, 2024, 2),
        ("FY2024-Q1", "quarter", True, 2024, 1),
        ("2024-07", "month", False, 2024, 7),
    ],
)
def test_period_labels(label, kind, fiscal, year, index):
    p = parse_period_label(label)
    assert (p.kind, p.fiscal, p.year, p.index) == (kind, fiscal, year, index)
    assert str(p) == label


@pytest.mark.parametrize("label", ["Q1-2024", "2024-Q5", "2024-13", "FY2024-07", "24", ""])
def test_bad_period_labels(label):
    with pytest.raises(ValueError, match=r"period|month"):
        parse_period_label(label)


def test_templates_option_adds_to_the_bundled_templates(tmp_path, runner):
    """--templates DIR adds a folder of templates (issue 13, defect 8): the catalog's
    indicators still find the bundled ones, and the folder's own template is known."""
    from mel.cli.app import app

    d = tmp_path / "tpl"
    (d / "codelists").mkdir(parents=True)
    (d / "shelters.yaml").write_text(
        "name: shelters\ntitle: Shelters\ncolumns:\n  - {name: shelter_id, type: string}\n"
    )
    res = runner.invoke(app, ["indicators", "list", "--templates", str(d)])
    assert res.exit_code == 0, res.output
    assert "PROT-01" in res.output
    res = runner.invoke(app, ["indicators", "lint", "--templates", str(d)])
    assert res.exit_code == 0, res.output
    assert "ok: 59 indicators in catalog" in res.output
    res = runner.invoke(
        app, ["template", "shelters", "--templates", str(d), "-o", str(tmp_path / "s.xlsx")]
    )
    assert res.exit_code == 0, res.output


def test_lint_of_a_project_folder_checks_the_project(tmp_path, runner):
    """A project folder given to lint is checked as a project (it linted mel.yaml as an
    indicator definition: 42 errors on the example)."""
    import shutil

    from mel.cli.app import app

    res = runner.invoke(app, ["indicators", "lint", str(REPO / "examples" / "counter-trafficking")])
    assert res.exit_code == 0, res.output
    assert "ok: 21 indicators of the project" in res.output
    root = tmp_path / "p"
    shutil.copytree(REPO / "tests" / "data" / "clean", root)
    text = (
        (root / "mel.yaml")
        .read_text()
        .replace(
            "[PROT-01, PROT-02]",
            "[PROT-01, PROT-02]\n  overrides:\n    PROT-01:\n      where: \"sex == 'Femal'\"",
        )
    )
    (root / "mel.yaml").write_text(text)
    res = runner.invoke(app, ["indicators", "lint", str(root)])
    assert res.exit_code == 2, res.output
    assert "mel.yaml:14:" in res.output and "Female" in res.output
