"""Writing code lists made from a form as YAML files, one per list, atomically."""

from __future__ import annotations

from pathlib import Path

import yaml

from mel.definitions.formlists import Made
from mel.errors import Finding, UsageError
from mel.outputs.tidy import atomic_write


def codelist_text(made: Made, source: str) -> str:
    head = (
        f"# Made by `mel codelists from-form {source}` from the choice list "
        f"'{made.list_name}'.\n# Edit freely: mel reads it as any other code list.\n"
    )
    body = yaml.safe_dump(made.document, sort_keys=False, allow_unicode=True, width=100)
    return head + body


def write_codelists(made: list[Made], folder: Path, source: str, *, force: bool) -> list[Path]:
    """One file per code list in ``folder``; an existing file is refused unless ``force``
    (checked for every list before any is written)."""
    paths = [Path(folder) / f"{m.name}.yaml" for m in made]
    existing = [p for p in paths if p.exists()]
    if existing and not force:
        more = f" (and {len(existing) - 1} more)" if len(existing) > 1 else ""
        raise UsageError(
            Finding(
                "usage",
                f"{existing[0]} exists{more}",
                scope="file",
                hint="give another folder with --output, or --force to replace them",
            )
        )
    for m, p in zip(made, paths, strict=True):
        text = codelist_text(m, source)
        atomic_write(p, lambda tmp, text=text: tmp.write_text(text, encoding="utf-8"))
    return paths


__all__ = ["codelist_text", "write_codelists"]
