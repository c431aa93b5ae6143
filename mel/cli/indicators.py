"""`mel indicators list|show|lint`: browse and check indicator definitions."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from mel.cli.common import console, handle_errors, print_findings, summary_line
from mel.definitions.catalog import load_catalog, select
from mel.definitions.loader import yaml_files
from mel.definitions.models import LEVELS, PILLARS
from mel.errors import EXIT_DEFINITION, DefinitionError
from mel.outputs import reference_sheet

app = typer.Typer(
    name="indicators",
    help="Browse and check indicator definitions (the bundled catalog by default).",
    no_args_is_help=True,
)

PillarChoice = Enum("PillarChoice", {p: p for p in PILLARS}, type=str)  # type: ignore[misc]
LevelChoice = Enum("LevelChoice", {lv: lv for lv in LEVELS}, type=str)  # type: ignore[misc]

CatalogOption = Annotated[
    list[Path] | None,
    typer.Option(
        "--catalog",
        "-c",
        help="Indicator definition file or folder (repeatable). Default: the bundled catalog.",
        show_default=False,
    ),
]
TemplatesOption = Annotated[
    list[Path] | None,
    typer.Option(
        "--templates",
        "-t",
        help="Template folder (repeatable), with code lists in its codelists/ sub-folder. "
        "Default: the bundled templates.",
        show_default=False,
    ),
]


@app.command("list")
@handle_errors
def list_(
    pillar: Annotated[
        PillarChoice | None, typer.Option(help="Only this pillar.", case_sensitive=False)
    ] = None,
    level: Annotated[
        LevelChoice | None, typer.Option(help="Only this logframe level.", case_sensitive=False)
    ] = None,
    source: Annotated[
        str | None,
        typer.Option(help="Only indicators whose references mention this text, e.g. PS.5 or IOM."),
    ] = None,
    catalog: CatalogOption = None,
    templates: TemplatesOption = None,
) -> None:
    """List indicators: id, pillar, level and name.

    Example: mel indicators list --pillar protection
    """
    cat = load_catalog(catalog, templates).raise_if_errors()
    chosen = select(
        (ld.obj for ld in cat.indicators.values()),
        pillar=pillar.value if pillar else None,
        level=level.value if level else None,
        source=source,
    )
    table = Table(title=f"{len(chosen)} indicator{'s' if len(chosen) != 1 else ''}")
    for col in ("id", "pillar", "level", "name"):
        table.add_column(col, overflow="fold")
    for ind in chosen:
        table.add_row(ind.id, ind.pillar, ind.level, ind.name)
    console().print(table)


@app.command("show")
@handle_errors
def show(
    indicator_id: Annotated[str, typer.Argument(metavar="ID", help="The indicator's id.")],
    markdown: Annotated[
        bool, typer.Option("--markdown", help="Print the sheet as Markdown.")
    ] = False,
    catalog: CatalogOption = None,
    templates: TemplatesOption = None,
) -> None:
    """Print an indicator's reference sheet (definition, computation, sources, references).

    Example: mel indicators show PROT-01
    """
    cat = load_catalog(catalog, templates).raise_if_errors()
    ind = cat.indicator(indicator_id)
    if markdown:
        typer.echo(reference_sheet.markdown(ind), nl=False)
        return
    rows = reference_sheet.sheet(ind)
    table = Table(title=rows[0][1], show_header=False, show_lines=True, title_justify="left")
    table.add_column("field", style="bold", no_wrap=True)
    table.add_column("value", overflow="fold")
    for field, text in rows[1:]:
        table.add_row(field, text)
    console().print(table)


@app.command("lint")
@handle_errors
def lint(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Definition files or folders. Default: the bundled catalog.", show_default=False
        ),
    ] = None,
    templates: TemplatesOption = None,
) -> None:
    """Check indicator definitions: YAML, keys and values, filters, datasets and columns.

    Prints every problem as file:line:column with a hint, and exits 2 if there is any error.

    Example: mel indicators lint indicators/
    """
    cat = load_catalog(paths, templates)
    n_files = len(list(yaml_files(paths))) if paths else None
    if cat.findings:
        print_findings(cat.findings)
    if cat.errors:
        typer.echo(summary_line(cat.findings), err=True)
        raise typer.Exit(EXIT_DEFINITION)
    where = f"{n_files} file{'s' if n_files != 1 else ''}" if n_files is not None else "catalog"
    typer.echo(f"ok: {len(cat.indicators)} indicators in {where}, no errors")


__all__ = ["DefinitionError", "app"]
