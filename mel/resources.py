"""Where the bundled indicator catalog and dataset templates are.

In a wheel they are shipped inside the package as ``mel/_bundled/{indicators,templates}``; in a
source checkout (editable install, tests) they are the repository's top-level folders.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def _bundled(name: str) -> Path:
    inside = _PACKAGE / "_bundled" / name
    if inside.is_dir():
        return inside
    return _PACKAGE.parent / name


def indicators_dir() -> Path:
    return _bundled("indicators")


def templates_dir() -> Path:
    return _bundled("templates")


def bundled_root() -> Path:
    """The folder that holds ``indicators/`` and ``templates/``, for showing short paths."""
    return indicators_dir().parent


def template_dirs(extra: list[Path] | None) -> list[Path] | None:
    """The bundled templates and then ``extra`` folders (whose templates and code lists replace
    bundled ones of the same name); None (the bundled ones alone) without extra folders."""
    if not extra:
        return None
    return [templates_dir(), *extra]
