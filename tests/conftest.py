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
        if not a.strip():  # an empty option value (--period ""), not the current folder
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


def shared(tmp_path_factory, key: str, make) -> Path:
    """A folder made once for the whole test run, across pytest-xdist's workers: the first
    worker to ask makes it (``make(folder)``, under a file lock), the others wait for it and
    read it. A module fixture is otherwise made again by every worker that runs one of the
    module's tests. Tests only read what is in it."""
    import fcntl
    import shutil

    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent  # the run's folder, above each worker's own
    folder = root / f"shared-{key}"
    with open(root / f"shared-{key}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        done = root / f"shared-{key}.made"  # beside it: the folder holds only what make wrote
        if not done.exists():
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir(parents=True)
            make(folder)
            done.write_text("")
    return folder


def shared_value(tmp_path_factory, key: str, make):
    """:func:`shared` for a Python value (a results table, a tuple): made once, pickled."""
    import pickle

    def write(folder: Path) -> None:
        (folder / "value.pickle").write_bytes(pickle.dumps(make()))

    folder = shared(tmp_path_factory, key, write)
    return pickle.loads((folder / "value.pickle").read_bytes())  # noqa: S301 - this run's own


def example_with(dest: Path, selection: str) -> Path:
    """A copy of the bundled example at ``dest`` whose mel.yaml selects ``selection`` (YAML
    flow list text, e.g. "[PROT-01, PREV-11]")."""
    import re
    import shutil

    shutil.copytree(REPO / "examples" / "counter-trafficking", dest)
    text = (dest / "mel.yaml").read_text(encoding="utf-8")
    (dest / "mel.yaml").write_text(
        re.sub(r"  select: \[[^\]]*\]", f"  select: {selection}", text), encoding="utf-8"
    )
    return dest
