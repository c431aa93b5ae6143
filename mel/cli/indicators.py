"""`mel indicators list|show|lint|test|docs`: browse, check and document indicator
definitions."""

from __future__ import annotations

from enum import Enum, StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from mel.cli.common import console, handle_errors, print_findings, summary_line
from mel.definitions.catalog import load_catalog, select
from mel.definitions.loader import yaml_files
from mel.definitions.models import LEVELS, PILLARS
from mel.errors import EXIT_DATA, EXIT_DEFINITION, DefinitionError
from mel.outputs import reference_sheet
from mel.resources import template_dirs

app = typer.Typer(
    name="indicators",
    help="Browse and check indicator definitions (the bundled catalog by default).",
    no_args_is_help=True,
)

# typer's choices from the models' literals: dynamic Enums, which mypy cannot follow
PillarChoice = Enum("PillarChoice", {p: p for p in PILLARS}, type=str)  # type: ignore[misc]  # dynamic
LevelChoice = Enum("LevelChoice", {lv: lv for lv in LEVELS}, type=str)  # type: ignore[misc]  # dynamic

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
        help="Template folder (repeatable), with code lists in its codelists/ sub-folder, "
        "added to the bundled templates (a template or code list of the same name replaces "
        "the bundled one).",
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
    cat = load_catalog(catalog, template_dirs(templates)).raise_if_errors()
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
    indicator_id: Annotated[
        str,
        typer.Argument(
            metavar="ID",
            help="The indicator's id, or a reference code as mel.yaml accepts it (PS.5.1-28).",
        ),
    ],
    markdown: Annotated[
        bool, typer.Option("--markdown", help="Print the sheet as Markdown.")
    ] = False,
    catalog: CatalogOption = None,
    templates: TemplatesOption = None,
) -> None:
    """Print an indicator's reference sheet (definition, computation, sources, references).

    Example: mel indicators show PROT-01

    Example: mel indicators show PS.5.1-28
    """
    from mel.definitions.project import resolve_selection

    cat = load_catalog(catalog, template_dirs(templates)).raise_if_errors()
    if indicator_id in cat.indicators:
        chosen = [indicator_id]
    else:  # a reference code (US F indicator, SDG, IndiKit...) as mel.yaml's select takes it
        chosen, _unmatched = resolve_selection([indicator_id], cat)
        if not chosen:
            cat.indicator(indicator_id)  # unknown: says so, with a suggestion
    for ident in chosen:
        ind = cat.indicator(ident)
        if markdown:
            typer.echo(reference_sheet.markdown(ind), nl=False)
            continue
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
            help="Definition files or folders, or project folders (with mel.yaml). Default: "
            "the bundled catalog.",
            show_default=False,
        ),
    ] = None,
    templates: TemplatesOption = None,
) -> None:
    """Check indicator definitions: YAML, keys and values, filters, datasets and columns. A
    project folder is checked whole: mel.yaml, its own definitions and templates, and the
    selected indicators against them.

    Prints every problem as file:line:column with a hint, and exits 2 if there is any error.

    Example: mel indicators lint indicators/
    """
    from mel.definitions.project import is_project, lint_project

    projects = [p for p in paths or [] if is_project(p)]
    files = [p for p in paths or [] if not is_project(p)]
    findings, done = [], []
    for project in projects:  # mel.yaml, its own definitions and templates, its selection
        more, n = lint_project(project)
        findings += more
        done.append(f"{n} indicators of the project {project}")
    if files or not projects:
        cat = load_catalog(files or None, template_dirs(templates))
        findings += cat.findings
        n_files = len(list(yaml_files(files))) if files else None
        where = f"{n_files} file{'s' if n_files != 1 else ''}" if n_files else "catalog"
        done.insert(0, f"{len(cat.indicators)} indicators in {where}")
    if findings:
        print_findings(findings)
    if any(f.severity == "error" for f in findings):
        typer.echo(summary_line(findings), err=True)
        raise typer.Exit(EXIT_DEFINITION)
    typer.echo(f"ok: {'; '.join(done)}, no errors")


@app.command("test")
@handle_errors
def run_fixtures(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Definition files or folders. Default: the bundled catalog.", show_default=False
        ),
    ] = None,
    templates: TemplatesOption = None,
) -> None:
    """Run every indicator's fixture: its tiny dataset through validation and the engine, each
    expected value compared with the computed one. Exits 1 if any fixture fails.

    Example: mel indicators test
    """
    from mel.engine.fixtures import run_fixture

    cat = load_catalog(paths, template_dirs(templates)).raise_if_errors()
    failed = missing = checked = 0
    for iid, ld in cat.indicators.items():
        if ld.obj.fixture is None:
            missing += 1
            typer.echo(f"{iid}: no fixture")
            continue
        outcome = run_fixture(ld.obj, cat)
        checked += outcome.checked
        if not outcome.ok:
            failed += 1
            for text in outcome.failures:
                typer.echo(f"{ld.doc.file}: {iid}: {text}")
    n = len(cat.indicators)
    summary = f"{n - failed - missing} of {n} fixtures passed ({checked} values checked)"
    if failed or missing:
        summary += f"; {failed} failed, {missing} without a fixture"
    typer.echo(summary, err=bool(failed))
    if failed:
        raise typer.Exit(EXIT_DATA)


class DocFormat(StrEnum):
    md = "md"
    xlsx = "xlsx"


@app.command("docs")
@handle_errors
def docs(
    output: Annotated[
        Path, typer.Option("--output", "-o", help="The file to write: .md (Markdown) or .xlsx.")
    ],
    pillar: Annotated[
        PillarChoice | None, typer.Option(help="Only this pillar.", case_sensitive=False)
    ] = None,
    source: Annotated[
        str | None,
        typer.Option(help="Only indicators whose references mention this text, e.g. PS.5."),
    ] = None,
    fmt: Annotated[
        DocFormat | None, typer.Option("--format", "-f", help="md or xlsx (default: from -o).")
    ] = None,
    title: Annotated[
        str, typer.Option(help="The document's title.")
    ] = "Counter-trafficking indicator reference sheets",
    project: Annotated[
        Path | None,
        typer.Option(
            "--project",
            help="Document this project's own selection (its mel.yaml's indicators, with its "
            "overrides and its own definitions) instead of the whole catalog.",
        ),
    ] = None,
    catalog: CatalogOption = None,
    templates: TemplatesOption = None,
) -> None:
    """Write the catalog's indicator reference sheets as one document, grouped by pillar and
    logframe level: Markdown, or an Excel workbook with an index sheet and one sheet each.

    Example: mel indicators docs -o catalog.xlsx

    Example: mel indicators docs --project examples/counter-trafficking -o sheets.md
    """
    from mel.errors import UsageError
    from mel.outputs import catalog_docs

    kind = fmt.value if fmt else output.suffix.lstrip(".").lower()
    if kind not in catalog_docs.FORMATS:
        raise UsageError(
            f"{output}: write .md or .xlsx (or give --format md|xlsx)",
        )
    if project is not None:
        from mel.definitions.project import load_project

        pool = load_project(project).indicators
    else:
        cat = load_catalog(catalog, template_dirs(templates)).raise_if_errors()
        pool = [ld.obj for ld in cat.indicators.values()]
    chosen = select(
        pool,
        pillar=pillar.value if pillar else None,
        level=None,
        source=source,
    )
    if not chosen:
        raise UsageError("no indicator matches --pillar/--source")
    catalog_docs.write(chosen, output, title, kind)
    typer.echo(f"wrote {output}: {len(chosen)} indicator reference sheets")


__all__ = ["DefinitionError", "app"]
