"""The house rules of docs/architecture.md, checked on the source: every layer imports only its
own floor and those below it (definitions -> data -> engine -> outputs -> CLI, with the filter
language on the definitions floor and the shared base below all), no module or function grows
past its size without a reason written in docs/architecture.md, and every ``type: ignore``
says why."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "mel"
ARCHITECTURE = ROOT / "docs" / "architecture.md"

# floor of each top-level part of the package (higher floors may import lower ones)
FLOORS = {
    "errors": 0,
    "resources": 0,
    "xlsx": 0,
    "__init__": 0,
    "filters": 1,
    "definitions": 2,
    "data": 3,
    "engine": 4,
    "outputs": 5,
    "cli": 6,
    "__main__": 6,
}
MAX_MODULE_LINES = 500
MAX_FUNCTION_LINES = 80


def modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def part(module: str) -> str:
    """'mel.engine.compute' -> 'engine'; 'mel' -> '__init__'."""
    pieces = module.split(".")
    return pieces[1] if len(pieces) > 1 else "__init__"


def name_of(path: Path, root: Path = ROOT) -> str:
    rel = path.relative_to(root).with_suffix("")
    pieces = list(rel.parts)
    if pieces[-1] == "__init__":
        pieces = pieces[:-1]
    return ".".join(pieces)


def imports(path: Path) -> list[tuple[int, str]]:
    """(line, module) of every import of mel, at any depth (imports inside functions too)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names if a.name.split(".")[0] == "mel"]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "mel":  # from mel import filters
                out += [(node.lineno, f"mel.{a.name}") for a in node.names]
            elif node.module.split(".")[0] == "mel":
                out.append((node.lineno, node.module))
    return out


def upward_imports(paths: list[Path], root: Path = ROOT) -> list[str]:
    found = []
    for path in paths:
        here = part(name_of(path, root))
        for line, target in imports(path):
            there = part(target)
            if FLOORS.get(there, 0) > FLOORS[here]:
                found.append(f"{path.relative_to(root)}:{line}: {here} imports {target}")
    return found


def test_every_part_of_the_package_has_a_floor():
    parts = {p.name.removesuffix(".py") for p in PACKAGE.iterdir() if p.name != "__pycache__"}
    assert parts - {"py.typed"} <= set(FLOORS), parts - set(FLOORS)


def test_no_layer_imports_a_higher_one():
    assert upward_imports(modules()) == []


def test_the_layer_check_can_fail(tmp_path):
    """An engine module importing the outputs (or the CLI) is caught, at any depth. (Planted
    in a copy of the package's layout, never in mel/ itself, where another xdist worker could
    be reading every module.)"""
    bad = tmp_path / "mel" / "engine" / "_planted_for_test.py"
    bad.parent.mkdir(parents=True)
    bad.write_text(
        "from mel.engine.results import ALL\n\n\ndef f():\n"
        "    from mel.outputs.report import context\n    import mel.cli.app\n"
    )
    found = upward_imports([bad], root=tmp_path)
    assert len(found) == 2 and "engine imports mel.outputs.report" in found[0], found


def _reasons() -> dict[str, str]:
    """`path` or `path::function` -> reason, from the table in docs/architecture.md."""
    out = {}
    for row in re.finditer(
        r"^\| `([^`]+)` \| [^|]* \| ([^|]+) \|$", ARCHITECTURE.read_text(), re.M
    ):
        out[row.group(1)] = row.group(2).strip()
    return out


def _functions(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield node.name, node.end_lineno - node.lineno + 1


def test_large_modules_and_functions_have_a_written_reason():
    reasons = _reasons()
    missing = []
    for path in modules():
        rel = str(path.relative_to(ROOT))
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > MAX_MODULE_LINES and not reasons.get(rel):
            missing.append(f"{rel}: {lines} lines")
        for name, size in _functions(path):
            if size > MAX_FUNCTION_LINES and not reasons.get(f"{rel}::{name}"):
                missing.append(f"{rel}::{name}: {size} lines")
    assert missing == [], "give each a reason in docs/architecture.md, or split it"


def test_every_written_exception_still_exists():
    """A reason left for a module or function that shrank or went away is removed."""
    sizes = {}
    for path in modules():
        rel = str(path.relative_to(ROOT))
        sizes[rel] = len(path.read_text(encoding="utf-8").splitlines()) > MAX_MODULE_LINES
        for name, size in _functions(path):
            sizes[f"{rel}::{name}"] = sizes.get(f"{rel}::{name}", False) or (
                size > MAX_FUNCTION_LINES
            )
    stale = [k for k in _reasons() if not sizes.get(k)]
    assert stale == []


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_every_type_ignore_names_its_code_and_reason(path):
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if "type: ignore" in line:
            assert re.search(r"# type: ignore\[[a-z-]+(, [a-z-]+)*\]  # \S", line), (
                f"{path}:{n}: say which error and why"
            )
