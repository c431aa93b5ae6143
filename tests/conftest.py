from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mel.cli.app import app

REPO = Path(__file__).resolve().parents[1]
TESTS = REPO / "tests"


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def cli(runner):
    """Run the CLI in-process; returns the click Result (exit_code, stdout, stderr)."""

    def run(*args: str):
        return runner.invoke(app, list(args), env={"COLUMNS": "100", "NO_COLOR": "1"})

    return run


def run_mel(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """Run `python -m mel` in a subprocess, as a user would."""
    env = {**os.environ, "COLUMNS": "100", "NO_COLOR": "1", "PYTHONIOENCODING": "utf-8"}
    return subprocess.run(
        [sys.executable, "-m", "mel", *args],
        cwd=cwd or REPO,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
