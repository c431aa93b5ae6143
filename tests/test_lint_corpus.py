"""The broken-definition corpus: every file's problem is reported at its exact place.

Each expected location below was worked out by reading the file (line numbers are 1-based, the
column is that of the first character of the offending key, value or filter token).
"""

from __future__ import annotations

import os

import pytest

from mel.definitions.catalog import load_catalog
from tests.conftest import REPO, run_mel

CORPUS = REPO / "tests" / "definitions" / "broken"

# file -> [(line, column, code, words the message or hint must contain)]
EXPECTED: dict[str, list[tuple[int, int | None, str, str]]] = {
    "01-yes-for-boolean.yaml": [(16, 21, "wrong-type", "write true or false")],
    "02-leading-zero-number.yaml": [
        (11, 11, "bad-value", "leading zero is read as text: write 100")
    ],
    "03-bad-date.yaml": [(26, 20, "invalid", "'01/02/2024' is not a date")],
    "04-duplicate-key.yaml": [
        (8, 1, "yaml-duplicate-key", "key 'unit' appears twice (first at line 7)")
    ],
    "05-tab-indentation.yaml": [(4, 1, "yaml-tab", "indent with spaces")],
    "06-empty.yaml": [(1, 1, "file-empty", "the file is empty")],
    "07-unknown-key.yaml": [
        (1, 1, "missing-key", "required key 'definition' is missing"),
        (6, 1, "unknown-key", "did you mean 'definition'?"),
    ],
    "08-misspelt-pillar.yaml": [(3, 9, "bad-value", "did you mean 'protection'?")],
    "09-missing-unit.yaml": [(1, 1, "missing-key", "required key 'unit' is missing")],
    "10-filter-syntax.yaml": [(12, 28, "filter-syntax", "found 'and'")],
    "11-filter-unknown-column.yaml": [(12, 8, "filter-type", "unknown column 'status'")],
    "12-unknown-dataset.yaml": [(8, 10, "unknown-dataset", "did you mean 'cases'?")],
    "13-unknown-measure-column.yaml": [(11, 11, "unknown-column", "did you mean 'case_id'?")],
    "14-duplicate-id.yaml": [(26, 9, "duplicate-id", "'T-14' is defined twice")],
    "15-unknown-measure-type.yaml": [(10, 9, "bad-value", "did you mean 'count_distinct'?")],
    "16-filter-unknown-code.yaml": [(12, 15, "filter-type", "did you mean 'Female'?")],
    "17-list-expected.yaml": [(22, 13, "wrong-type", "expected a list")],
    "18-multi-valued-disaggregation.yaml": [(16, 5, "invalid", "multi_response: true")],
    "19-alias.yaml": [(19, 8, "yaml-alias", "anchors and aliases")],
    "20-python-tag.yaml": [(2, 7, "yaml-tag", "!!python/object/apply:os.system")],
    "21-filter-type.yaml": [
        (12, 14, "filter-type", "'age' holds numbers but is compared with text")
    ],
    "22-two-documents.yaml": [(22, 1, "yaml-multi-document", "more than one YAML document")],
    "23-sum-of-code-column.yaml": [(11, 11, "column-type", "'sum' needs integer or number")],
    "24-bad-period-label.yaml": [(27, 21, "invalid", "'Q1-2024' is not a period")],
    "25-unquoted-colon.yaml": [(6, 29, "yaml-syntax", "must be quoted")],
    "26-latin1.yaml": [(2, None, "file-unreadable", "not UTF-8")],
    "27-string-expected.yaml": [(7, 7, "wrong-type", "quote the value")],
    "28-date-column-type.yaml": [(13, 7, "column-type", "the date column needs date or integer")],
    "29-share-denominator-on-a-count.yaml": [
        (15, 32, "invalid", "'denominator: total' is for ratio and percentage indicators")
    ],
}


def test_corpus_is_complete():
    assert sorted(p.name for p in CORPUS.iterdir()) == sorted(EXPECTED)
    assert len(EXPECTED) >= 15


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_broken_definition_is_located(name):
    cat = load_catalog([CORPUS / name])
    got = sorted(
        (f.line, f.column, f.code, f.format())
        for f in cat.findings
        if f.file and f.file.endswith(name)
    )
    want = sorted(EXPECTED[name])
    assert [(g[0], g[1], g[2]) for g in got] == [(w[0], w[1], w[2]) for w in want], got
    for (_, _, _, text), (_, _, _, words) in zip(got, want, strict=True):
        assert words in text
    assert all(f.severity == "error" for f in cat.findings)


def test_yaml_alias_points_at_the_anchor_use():
    # the alias *v on line 19 is reported where the alias is used (after 'notes: ')
    cat = load_catalog([CORPUS / "19-alias.yaml"])
    (f,) = cat.findings
    assert (f.line, f.column) == (19, 8)


def test_lint_cli_prints_every_problem_and_exits_2_without_traceback():
    result = run_mel("indicators", "lint", "tests/definitions/broken")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr + result.stdout
    lines = result.stderr.strip().splitlines()
    n_errors = sum(len(v) for v in EXPECTED.values())
    assert lines[-1] == f"{n_errors} errors in {len(EXPECTED)} files"
    for name, expected in EXPECTED.items():
        for line, col, code, _ in expected:
            loc = f"tests/definitions/broken/{name}:{line}" + (f":{col}" if col else "")
            assert any(ln.startswith(f"{loc}: error[{code}]") for ln in lines), loc


def test_lint_output_matches_golden_file():
    """The whole console output, compared with a reviewed golden file (libhxl style).

    Set MEL_UPDATE_GOLDEN=1 to rewrite it after a deliberate change, then review the diff."""
    result = run_mel("indicators", "lint", "tests/definitions/broken")
    golden = REPO / "tests" / "golden" / "lint_broken.txt"
    if os.environ.get("MEL_UPDATE_GOLDEN"):
        golden.write_text(result.stderr, encoding="utf-8")
    assert result.stderr == golden.read_text(encoding="utf-8")


def test_bundled_catalog_lints_clean():
    result = run_mel("indicators", "lint")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ok: ")
    assert result.stderr == ""


def test_lint_of_a_missing_path_is_a_clear_error():
    result = run_mel("indicators", "lint", "no/such/folder")
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "no/such/folder: error[file-missing]: no/such/folder does not exist",
        "1 error in 1 file",
    ]
    result = run_mel("indicators", "lint", "README.md")
    assert result.returncode == 2
    assert "README.md is not a definition file (hint: definitions are YAML files" in result.stderr
    assert "Traceback" not in result.stderr


def test_debug_flag_shows_the_traceback():
    result = run_mel("--debug", "indicators", "show", "NOPE-1")
    assert result.returncode != 0
    assert "Traceback" in result.stderr


def test_corpus_files_are_never_modified():
    before = {p: p.read_bytes() for p in CORPUS.iterdir()}
    load_catalog([CORPUS])
    assert {p: p.read_bytes() for p in CORPUS.iterdir()} == before
