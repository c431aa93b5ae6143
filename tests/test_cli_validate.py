"""`mel validate` as a user meets it: exit codes, messages, golden output."""

from __future__ import annotations

import os
import shutil

import pytest

from tests.conftest import REPO, run_mel

CLEAN = "tests/data/clean"


def test_clean_project_exits_0():
    result = run_mel("validate", CLEAN, "--as-of", "2025-12-31")
    assert result.returncode == 0, result.stderr
    assert "OK: 0 errors, 0 warnings" in result.stdout
    assert result.stderr == ""


@pytest.mark.parametrize(
    ("args", "words"),
    [
        ([f"{CLEAN}/cases.csv"], "name its template with --template"),
        ([f"{CLEAN}/cases.csv", "--template", "case"], "did you mean 'cases'?"),
        ([CLEAN, "--template", "cases"], "--template is for a single data file"),
        ([CLEAN, "--as-of", "2025-13-01"], "--as-of takes a date written YYYY-MM-DD"),
        (
            [f"{CLEAN}/cases.csv", "-t", "cases", "--date-format", "dmy"],
            "Invalid value for '--date-format'",
        ),
        (["no/such/project"], "no/such/project does not exist"),
    ],
)
def test_usage_errors_exit_2(args, words):
    result = run_mel("validate", *args)
    assert result.returncode == 2, result.stdout + result.stderr
    assert words in result.stderr
    assert "Traceback" not in result.stderr


def test_unreadable_dataset_is_a_finding_and_the_others_are_still_checked(tmp_path):
    shutil.copytree(REPO / CLEAN, tmp_path, dirs_exist_ok=True)
    (tmp_path / "cases.csv").unlink()
    result = run_mel("validate", str(tmp_path), "--as-of", "2025-12-31")
    assert result.returncode == 1
    assert "cases.csv does not exist (hint: check the path in mel.yaml)" in result.stderr
    assert "assistance" in result.stdout


def test_output_matches_golden_file():
    result = run_mel(
        "validate",
        "tests/data/ctdc_sample.csv",
        "--template",
        "ctdc",
        "--as-of",
        "2026-11-23",
        "--max-findings",
        "3",
    )
    golden = REPO / "tests" / "golden" / "validate_ctdc.txt"
    text = result.stdout + "--- stderr ---\n" + result.stderr
    if os.environ.get("MEL_UPDATE_GOLDEN"):
        golden.write_text(text, encoding="utf-8")
    assert result.returncode == 1
    assert text == golden.read_text(encoding="utf-8")


def test_report_is_not_written_for_a_usage_error(tmp_path):
    out = tmp_path / "fb.xlsx"
    result = run_mel("validate", f"{CLEAN}/cases.csv", "--report", str(out))
    assert result.returncode == 2
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []
