"""README's quick start stays true: two commands, and .ci/run runs README's test command."""

from __future__ import annotations

import re

from tests.conftest import REPO


def quick_start() -> list[str]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```bash\n(.*?)```", section, flags=re.S)
    return [ln for b in blocks for ln in b.splitlines() if ln and not ln.startswith("#")]


def test_quick_start_is_two_commands():
    setup_and_run, setup_and_test = quick_start()
    assert "pip install ." in setup_and_run
    assert setup_and_run.endswith(
        ".venv/bin/mel report examples/counter-trafficking --period FY2025-Q4 -o out/report"
    )
    assert "pip install -e '.[dev]'" in setup_and_test


def test_ci_runs_the_readme_test_command():
    test_command = quick_start()[1].split("&&")[-1].strip()
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert test_command in [ln.strip() for ln in ci]
    assert "pip install --quiet --disable-pip-version-check -e '.[dev]'" in "\n".join(ci)
