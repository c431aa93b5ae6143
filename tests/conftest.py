from __future__ import annotations

import hashlib
import itertools
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


OUTPUT_OPTIONS = ("-o", "--output", "--report")


def input_hashes(args: tuple[str, ...], cwd: Path) -> dict[Path, str]:
    """SHA-256 of every file a command is given as an input: each path argument (a file, or
    every file of a folder), except what follows an output option."""
    out: dict[Path, str] = {}
    outputs = [
        (Path(b) if Path(b).is_absolute() else cwd / b).resolve()
        for a, b in itertools.pairwise(args)
        if a in OUTPUT_OPTIONS
    ]
    skip = False
    for a in args:
        if skip or a.startswith("-"):
            skip = a in OUTPUT_OPTIONS
            continue
        p = Path(a) if Path(a).is_absolute() else cwd / a
        try:
            files = sorted(f for f in p.rglob("*") if f.is_file()) if p.is_dir() else [p]
            for f in files:
                r = f.resolve()
                if f.is_file() and not any(r == o or o in r.parents for o in outputs):
                    out[f] = hashlib.sha256(f.read_bytes()).hexdigest()
        except OSError:
            continue
    return out


def assert_inputs_unchanged(before: dict[Path, str], args) -> None:
    for f, digest in before.items():
        assert f.exists(), f"`mel {' '.join(args)}` deleted its input {f}"
        assert hashlib.sha256(f.read_bytes()).hexdigest() == digest, (
            f"`mel {' '.join(args)}` changed its input {f}"
        )


@pytest.fixture
def cli(runner):
    """Run the CLI in-process; returns the click Result (exit_code, stdout, stderr). Every
    input file the command is given is checked to be byte-identical afterwards."""

    def run(*args: str):
        before = input_hashes(args, Path.cwd())
        result = runner.invoke(app, list(args), env={"COLUMNS": "100", "NO_COLOR": "1"})
        assert_inputs_unchanged(before, args)
        return result

    return run


def run_mel(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """Run `python -m mel` in a subprocess, as a user would; its inputs are checked to be
    byte-identical afterwards."""
    env = {**os.environ, "COLUMNS": "100", "NO_COLOR": "1", "PYTHONIOENCODING": "utf-8"}
    before = input_hashes(args, cwd or REPO)
    result = subprocess.run(
        [sys.executable, "-m", "mel", *args],
        cwd=cwd or REPO,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert_inputs_unchanged(before, args)
    return result


SHEET1 = "xl/worksheets/sheet1.xml"


def with_sheet_xml(workbook: bytes, change) -> bytes:
    """The workbook's bytes with its first worksheet's XML replaced by ``change(xml bytes)``."""
    import io
    import zipfile

    src = zipfile.ZipFile(io.BytesIO(workbook))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for item in src.infolist():
            body = src.read(item.filename)
            z.writestr(item, change(body) if item.filename == SHEET1 else body)
    return out.getvalue()
