"""The `mel` command as a user meets it: help with examples, exit codes, no tracebacks."""

from __future__ import annotations

import os
import re
import shlex

import pytest
import typer.main

from mel import __version__
from mel.cli.app import app
from tests.conftest import REPO, run_mel


def _is_group(cmd) -> bool:
    return isinstance(getattr(cmd, "commands", None), dict)


def _commands(cmd, path: tuple[str, ...] = ()):
    yield path, cmd
    if _is_group(cmd):
        for name, sub in cmd.commands.items():
            yield from _commands(sub, (*path, name))


COMMANDS = list(_commands(typer.main.get_command(app)))
EXAMPLES = [
    (path, m.group(1))
    for path, cmd in COMMANDS
    for m in re.finditer(r"Example: (mel [^\n]+)", cmd.help or "")
]


def test_every_command_has_an_example():
    leaves = [path for path, cmd in COMMANDS if not _is_group(cmd)]
    with_example = {path for path, _ in EXAMPLES}
    assert leaves and set(leaves) <= with_example


@pytest.mark.parametrize(("path", "example"), EXAMPLES, ids=[e for _, e in EXAMPLES])
def test_every_help_example_runs(cli, path, example, tmp_path, monkeypatch):
    # Run from a scratch folder that sees the checkout's examples and tests, so that the
    # outputs an example writes land there and never in the checkout.
    for name in ("examples", "tests", "indicators", "templates"):
        (tmp_path / name).symlink_to(REPO / name)
    monkeypatch.chdir(tmp_path)
    before = set(REPO.iterdir())
    args = shlex.split(example)[1:]
    result = cli(*args)
    assert result.exit_code == 0, result.output
    assert result.output.strip()
    assert set(REPO.iterdir()) == before


@pytest.mark.parametrize("path", [p for p, _ in COMMANDS], ids=lambda p: " ".join(p) or "mel")
def test_help_of_every_command(cli, path):
    result = cli(*path, "--help")
    assert result.exit_code == 0
    assert "Usage: " in result.output


def test_version(cli):
    result = cli("--version")
    assert result.exit_code == 0
    assert result.output.strip() == f"mel {__version__}"


def test_python_dash_m_mel():
    result = run_mel("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"mel {__version__}"


def test_list_shows_the_catalog(cli):
    result = cli("indicators", "list")
    assert result.exit_code == 0
    ids = sorted(p.stem for p in (REPO / "indicators").rglob("*.yaml"))
    for ident in ids:
        assert ident in result.output
    assert f"{len(ids)} indicators" in result.output


@pytest.mark.parametrize(
    ("args", "present", "absent"),
    [
        (["--pillar", "protection"], ["PROT-01", "PROT-02"], ["PREV-01", "PART-01"]),
        (["--pillar", "PARTNERSHIP"], ["PART-01", "PART-02"], ["PROT-01"]),
        (["--level", "objective"], ["PART-01"], ["PART-02", "PROT-01"]),
        (["--source", "PS.5.1-28"], ["PROS-01"], ["PREV-01", "PART-02"]),
        (["--source", "us government"], ["PROS-01", "PREV-01", "PART-02"], ["PROT-01"]),
        (["--pillar", "protection", "--level", "process"], ["PROT-05", "PROT-14"], ["PROT-01"]),
        (["--pillar", "context", "--level", "process"], ["0 indicators"], ["CTX-01"]),
        (["--pillar", "context"], ["CTX-01", "CTX-06"], ["PROT-01"]),
        (["--source", "PS.5.2-23"], ["PROS-11"], ["PROS-01"]),
    ],
)
def test_list_filters(cli, args, present, absent):
    result = cli("indicators", "list", *args)
    assert result.exit_code == 0, result.output
    for word in present:
        assert word in result.output
    for word in absent:
        assert word not in result.output


def test_list_rejects_an_unknown_pillar_with_usage_exit_code(cli):
    result = cli("indicators", "list", "--pillar", "protecton")
    assert result.exit_code == 2
    assert "protection" in result.output


def test_show_prints_the_reference_sheet(cli):
    result = cli("indicators", "show", "PROS-01")
    assert result.exit_code == 0
    for words in [
        "PROS-01",
        "Prosecution",
        "PS.5.1-28",
        "Data collection method",
        "attendance sheets review",
        "Reporting frequency",
        "number of distinct",
    ]:
        assert words in result.output


def test_show_markdown(cli):
    result = cli("indicators", "show", "PROT-02", "--markdown")
    assert result.exit_code == 0
    assert result.output.startswith("## PROT-02 ")
    assert "| Computation | (number of distinct 'case_id'" in result.output
    assert "x 100" in result.output


def test_show_unknown_id_suggests_and_exits_2():
    result = run_mel("indicators", "show", "PROT-1")
    assert result.returncode == 2
    assert "indicator 'PROT-1' is not defined (hint: did you mean 'PROT-01'?)" in result.stderr
    assert "Traceback" not in result.stderr


def test_list_on_a_broken_catalog_exits_2_with_every_problem():
    result = run_mel("indicators", "list", "--catalog", "tests/definitions/broken")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    n_files = len(list((REPO / "tests" / "definitions" / "broken").iterdir()))
    assert result.stderr.strip().splitlines()[-1].endswith(f"in {n_files} files")
    assert result.stdout == ""


def test_usage_errors_exit_2_without_traceback():
    for args in (["indicators", "nope"], ["--nope"], ["indicators", "show"]):
        result = run_mel(*args)
        assert result.returncode == 2, args
        assert "Traceback" not in result.stderr


def test_internal_errors_exit_3_and_show_traceback_only_with_debug(cli, monkeypatch):
    import mel.cli.indicators as cmd

    def boom(*a, **k):
        raise RuntimeError("kaput")

    monkeypatch.setattr(cmd, "load_catalog", boom)
    result = cli("indicators", "list")
    assert result.exit_code == 3
    assert "internal error: RuntimeError: kaput" in result.output
    assert "--debug" in result.output
    result = cli("--debug", "indicators", "list")
    assert isinstance(result.exception, RuntimeError)


@pytest.mark.parametrize(
    ("args", "golden"),
    [
        (["indicators", "list"], "indicators_list.txt"),
        (["indicators", "show", "PROT-01"], "indicators_show_PROT-01.txt"),
    ],
)
def test_cli_output_matches_golden_files(args, golden):
    result = run_mel(*args)
    path = REPO / "tests" / "golden" / golden
    if os.environ.get("MEL_UPDATE_GOLDEN"):
        path.write_text(result.stdout, encoding="utf-8")
    assert result.returncode == 0
    assert result.stdout == path.read_text(encoding="utf-8")
