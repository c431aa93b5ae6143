"""A plain (non-editable) install ships the catalog and templates and finds them anywhere."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.conftest import REPO


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(out),
            str(REPO),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (whl,) = out.glob("mel-*.whl")
    return whl


def test_wheel_contains_the_catalog_and_templates(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    for folder in ("indicators", "templates"):
        for path in (REPO / folder).rglob("*.yaml"):
            assert f"mel/_bundled/{folder}/{path.relative_to(REPO / folder).as_posix()}" in names
    assert not any(n.startswith("tests/") for n in names)


def test_installed_wheel_works_from_any_directory(wheel, tmp_path):
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "-q",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {**os.environ, "PYTHONPATH": str(target), "COLUMNS": "120"}

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, *args],
            cwd=elsewhere,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    where = run("-c", "import mel.resources as r; print(r.indicators_dir())")
    assert where.stdout.strip() == str(target / "mel" / "_bundled" / "indicators")
    listed = run("-m", "mel", "indicators", "list")
    assert listed.returncode == 0, listed.stderr
    assert "PROT-01" in listed.stdout
    shown = run("-m", "mel", "indicators", "show", "PROS-01")
    assert shown.returncode == 0
    assert "PS.5.1-28" in shown.stdout
    linted = run("-m", "mel", "indicators", "lint")
    assert linted.returncode == 0, linted.stderr
