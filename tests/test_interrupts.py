"""Interrupted runs leave nothing internal behind (issue 14, item 4): an `--internal` report
killed (SIGKILL) or stopped (SIGTERM) at some moment, then a donor report into the same folder.
Afterwards no staging folder, no internal file, no chart worker left running, and a file the
user put in the folder is still there."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from openpyxl import load_workbook

from tests.conftest import REPO

CLEAN = REPO / "tests" / "data" / "clean"
ARGS = ["report", str(CLEAN), "--period", "2024-Q4", "--as-of", "2026-01-15"]


def _processes_mentioning(token: str) -> list[int]:
    out = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                if token in (d / "cmdline").read_bytes().decode(errors="replace"):
                    out.append(int(d.name))
            except OSError:
                continue
    return out


def _mel(*args: str, **kw) -> subprocess.Popen:
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    return subprocess.Popen(
        [sys.executable, "-m", "mel", *args],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        **kw,
    )


@pytest.mark.parametrize(
    ("sig", "after"),
    [(signal.SIGKILL, 2.5), (signal.SIGTERM, 3.5), (signal.SIGKILL, 4.5), (signal.SIGTERM, 1.5)],
)
def test_an_interrupted_internal_run_leaves_nothing_for_the_donor_run(tmp_path, sig, after):
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("the officer's own notes\n")
    run = _mel(*ARGS, "--internal", "-o", str(out))
    time.sleep(after)
    run.send_signal(sig)
    run.wait(timeout=60)
    deadline = time.time() + 10
    while _processes_mentioning(str(out)) and time.time() < deadline:
        time.sleep(0.2)
    assert _processes_mentioning(str(out)) == [], "a process of the killed run is still alive"
    if sig == signal.SIGTERM:
        assert not list(out.glob(".mel-staging-*")), "SIGTERM left a staging folder"
    started = time.time()
    donor = _mel(*ARGS, "-o", str(out))
    _, err = donor.communicate(timeout=300)
    assert donor.returncode == 0, err.decode()
    assert (out / "notes.txt").read_text() == "the officer's own notes\n"
    assert not list(out.glob(".mel-staging-*"))
    record = json.loads((out / ".mel-report.json").read_text())
    assert record["internal"] is False
    present = {str(p.relative_to(out)) for p in out.rglob("*") if p.is_file()} - {
        "notes.txt",
        ".mel-report.json",
    }
    assert present == set(record["files"]), present ^ set(record["files"])
    for rel in present:  # every file is the donor run's
        assert (out / rel).stat().st_mtime >= started - 1, rel
    wb = load_workbook(out / "report-2024-Q4.xlsx", read_only=True)
    for ws in wb.worksheets:
        for row in ws.iter_rows(values_only=True):
            assert not any("INTERNAL" in str(v) for v in row if v is not None), ws.title


def test_a_donor_run_refuses_a_folder_with_an_internal_report_of_another_period(tmp_path, runner):
    from mel.cli.app import app

    out = tmp_path / "out"
    res = runner.invoke(
        app,
        [
            "report",
            str(CLEAN),
            "--period",
            "2024-Q3",
            "--as-of",
            "2026-01-15",
            "--internal",
            "-o",
            str(out),
        ],
    )
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, [*ARGS, "-o", str(out)])
    assert res.exit_code == 2, res.output
    assert "holds files of an internal edition (charts-2024-Q3.pdf" in res.output
    assert not (out / "report-2024-Q4.xlsx").exists()
