"""`mel template`: write a template's data-entry workbook."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from mel.cli.common import console, handle_errors
from mel.errors import UsageError, did_you_mean, hint_for


@handle_errors
def template(
    name: Annotated[str, typer.Argument(help="The template, e.g. cases, assistance, trainings.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="The workbook to write (.xlsx).")],
    rows: Annotated[
        int, typer.Option(help="Rows prepared with validation.", min=1, max=100_000)
    ] = 2000,
    templates: Annotated[
        list[Path] | None,
        typer.Option("--templates", help="Template folder besides the bundled ones (repeatable)."),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Replace the workbook if it exists.")
    ] = False,
) -> None:
    """Write a data-entry workbook: dropdowns from the code lists, date and number checks,
    input messages, and an instructions sheet.

    Example: mel template cases -o cases.xlsx
    """
    from mel.definitions.catalog import load_templates
    from mel.outputs.entry_workbook import write_entry_workbook
    from mel.resources import template_dirs

    catalog = load_templates(template_dirs(templates))
    catalog.raise_if_errors()
    if name not in catalog.templates:
        guess = did_you_mean(name, catalog.templates)
        raise UsageError(
            f"template '{name}' is not defined ("
            + (hint_for(guess, "templates: " + ", ".join(sorted(catalog.templates))))
            + ")"
        )
    if output.suffix.lower() != ".xlsx":
        raise UsageError(f"{output}: the workbook must end in .xlsx")
    if output.exists() and not force:  # it may be a filled one: never replaced by a blank one
        raise UsageError(
            f"{output} exists (it may hold entered data); choose another name, or add --force "
            "to replace it"
        )
    path = write_entry_workbook(catalog.templates[name].obj, catalog, output, rows=rows)
    console().print(
        f"wrote {path}: {len(catalog.templates[name].obj.columns)} columns, {rows:,} rows prepared"
    )
