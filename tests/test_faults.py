"""Faults: a command that fails in the middle leaves the previous output or nothing; nothing is
written outside the output folder; outputs that would overwrite an input are refused.

(Inputs unchanged by every command: the `cli` fixture and `run_mel` in tests/conftest.py hash
every input path a command is given before and after it runs.)
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from tests.conftest import REPO

CLEAN = REPO / "tests" / "data" / "clean"


def _tree(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def project(tmp_path) -> Path:
    p = tmp_path / "project"
    shutil.copytree(CLEAN, p)
    return p


def _report(cli, project: Path, out: Path, *extra: str):
    return cli(
        "report", str(project), "--period", "2024-Q4", "--as-of", "2026-01-15", "-o", str(out),
        *extra,
    )  # fmt: skip


class Boom(Exception):
    pass


def _fail_at_the_last_file(monkeypatch, exc: type[BaseException] = Boom):
    """Make the report fail when writing its last file (the Parquet table), after the
    workbook, the charts and the CSV are written."""
    import mel.outputs.report as report

    real = report.write_table

    def write_table(table, path, fmt=None):
        if fmt == "parquet":
            raise exc("disk full")
        return real(table, path, fmt)

    monkeypatch.setattr(report, "write_table", write_table)


def test_a_failed_report_leaves_no_folder(cli, project, tmp_path, monkeypatch):
    _fail_at_the_last_file(monkeypatch)
    out = tmp_path / "out" / "report"
    r = _report(cli, project, out)
    assert r.exit_code == 3, r.output  # an internal error, said as such
    assert "internal error" in r.stderr and "Traceback" not in r.stderr
    assert not out.exists()


def test_a_failed_report_leaves_the_previous_one_whole(cli, project, tmp_path, monkeypatch):
    out = tmp_path / "report"
    assert _report(cli, project, out).exit_code == 0
    before = _tree(out)
    assert len(before) > 5
    _fail_at_the_last_file(monkeypatch)
    r = _report(cli, project, out, "--lang", "fr", "--internal")  # would change every file
    assert r.exit_code == 3
    assert _tree(out) == before
    assert [p.name for p in out.iterdir() if p.name.startswith(".mel-staging")] == []


def test_an_interrupted_report_leaves_the_previous_one_whole(cli, project, tmp_path, monkeypatch):
    out = tmp_path / "report"
    assert _report(cli, project, out).exit_code == 0
    before = _tree(out)
    _fail_at_the_last_file(monkeypatch, KeyboardInterrupt)
    r = _report(cli, project, out, "--internal")
    assert r.exit_code != 0
    assert _tree(out) == before
    assert [p.name for p in out.iterdir() if p.name.startswith(".mel-staging")] == []


def test_a_failed_compute_leaves_the_previous_results(cli, project, tmp_path, monkeypatch):
    out = tmp_path / "results.csv"
    args = ["compute", str(project), "--as-of", "2026-01-15", "-o", str(out)]
    assert cli(*args).exit_code == 0
    before = out.read_bytes()
    import pandas as pd

    def broken_to_csv(self, path, *a, **k):
        Path(path).write_text("half a fi")
        raise Boom("disk full")

    monkeypatch.setattr(pd.DataFrame, "to_csv", broken_to_csv)
    assert cli(*args, "--internal").exit_code == 3
    assert out.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_nothing_is_written_outside_the_output_folder(cli, project, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    before = {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*")}
    assert _report(cli, project, tmp_path / "out").exit_code == 0
    assert cli("compute", str(project), "-o", str(tmp_path / "out" / "r.csv")).exit_code == 0
    after = {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*")}
    outside = {p for p in after if tmp_path / "out" not in p.parents and p != tmp_path / "out"}
    assert outside == set(before)
    assert all(after[p] == before[p] for p in outside)


@pytest.mark.parametrize(
    "target",
    ["cases.csv", "mel.yaml", "assistance.csv"],
)
def test_outputs_over_inputs_are_refused(cli, project, target):
    before = _tree(project)
    r = cli("compute", str(project), "-o", str(project / target))
    assert r.exit_code == 2
    assert "input" in r.stderr and target in r.stderr
    assert _tree(project) == before


def test_a_report_folder_holding_an_input_is_refused(cli, project, tmp_path):
    """The report's CSV would be written over a data file named like it."""
    (project / "results-2024-Q4.csv").write_text((project / "cases.csv").read_text())
    y = (project / "mel.yaml").read_text().replace("cases.csv", "results-2024-Q4.csv")
    (project / "mel.yaml").write_text(y)
    before = _tree(project)
    r = _report(cli, project, project)
    assert r.exit_code == 2, r.output
    assert "results-2024-Q4.csv" in r.stderr and "input" in r.stderr
    assert _tree(project) == before
