"""The examples in docs/definitions.md are loaded, so the documentation cannot drift."""

from __future__ import annotations

import re

from mel.definitions.catalog import load_catalog, load_templates
from mel.definitions.project import load_project
from tests.conftest import REPO

DOC = REPO / "docs" / "definitions.md"


def doc_files() -> dict[str, str]:
    """Every fenced block of the doc whose first line is '# file: PATH', by path."""
    blocks = re.findall(r"```\w*\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)
    out = {}
    for block in blocks:
        first, _, rest = block.partition("\n")
        m = re.match(r"# file: (\S+)", first)
        if m:
            out[m.group(1)] = rest
    return out


def test_doc_has_an_example_of_every_file_kind():
    files = doc_files()
    assert {"mel.yaml", "targets.csv"} <= set(files)
    assert any(p.startswith("indicators/") for p in files)
    assert any(p.startswith("templates/codelists/") for p in files)
    assert any(p.startswith("templates/") and "codelists" not in p for p in files)
    assert any("indicators:" in text for p, text in files.items() if p.startswith("indicators/"))


def test_doc_examples_load_as_a_project_without_findings(tmp_path):
    for rel, text in doc_files().items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    bundle = load_project(tmp_path)  # raises DefinitionError with every finding otherwise
    assert bundle.findings == []
    ids = [i.id for i in bundle.indicators]
    # select: [protection, PS.5.1-28, PART-01] plus the project's own definitions
    assert "PROT-01" in ids and "PROS-01" in ids and "PART-01" in ids
    assert {"PROT-90", "PROS-90", "PROS-91"} <= set(ids)
    assert "PREV-01" not in ids
    prot01 = next(i for i in bundle.indicators if i.id == "PROT-01")
    assert prot01.name == "Victims identified by the migrant resource and response centres"
    assert [d.column for d in prot01.disaggregations] == ["sex", "age_group"]
    assert len(bundle.targets) == 6
    nrm = next(t for t in bundle.targets if t.target.indicator == "PART-01")
    assert nrm.target.target is True and nrm.line == 6


def test_doc_templates_and_indicators_lint_clean(tmp_path):
    for rel, text in doc_files().items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    templates = load_templates([REPO / "templates", tmp_path / "templates"])
    assert templates.findings == []
    cat = load_catalog([tmp_path / "indicators"], [REPO / "templates", tmp_path / "templates"])
    assert cat.findings == []
    assert sorted(cat.indicators) == ["PROS-90", "PROS-91", "PROT-90"]


def test_the_yaml_examples_of_data_and_engine_docs_are_valid():
    """The column declaration of docs/data.md (thousands, censored) and the level measure of
    docs/engine.md load with the models they document."""
    import re

    import yaml

    from mel.definitions.models import ColumnSpec, Ratio

    data = (REPO / "docs" / "data.md").read_text(encoding="utf-8")
    block = next(b for b in re.findall(r"```yaml\n(.*?)```", data, re.S) if "censored" in b)
    spec = ColumnSpec.model_validate(yaml.safe_load(block)["columns"][0])
    assert spec.thousands == "," and spec.censored == {"<5": [1, 4]}
    engine = (REPO / "docs" / "engine.md").read_text(encoding="utf-8")
    block = next(b for b in re.findall(r"```yaml\n(.*?)```", engine, re.S) if "level" in b)
    ratio = Ratio.model_validate(yaml.safe_load(block)["measure"])
    assert ratio.denominator.level is True and ratio.numerator.level is False
