"""`mel export iati`: the donor edition's results in another standard format."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer

from mel.cli.common import console, err_console, handle_errors

app = typer.Typer(
    name="export",
    help="Write the donor edition's results in a standard format (IATI 2.03).",
    no_args_is_help=True,
)


@app.command("iati")
@handle_errors
def iati(
    project: Annotated[Path, typer.Argument(help="A project folder (with mel.yaml).")],
    period: Annotated[
        str, typer.Option("--period", "-p", help="The reporting period, e.g. FY2025-Q4.")
    ],
    output: Annotated[Path, typer.Option("--output", "-o", help="The IATI XML file to write.")],
    as_of: Annotated[
        str | None, typer.Option(help="Dates after this day are errors (default: today).")
    ] = None,
    lang: Annotated[str, typer.Option(help="The language of the narratives: en, fr or es.")] = "",
) -> None:
    """Write an IATI 2.03 activity file with the project's results up to a period: one
    result per indicator, a period per reporting period with its targets and actuals, by
    country (location) and category (dimension); hidden values are left out. Refused, with
    each rule named, when the results would break an IATI validator rule.

    Example: mel export iati examples/counter-trafficking --period FY2023-Q4 -o results.xml
    """
    from mel.cli.common import parse_date_option
    from mel.definitions.project import load_project
    from mel.engine.pipeline import execute
    from mel.engine.spec import RunSpec
    from mel.outputs.iati import require_iati, write_iati
    from mel.outputs.report import report_context
    from mel.outputs.tidy import refuse_inputs

    bundle = load_project(project)
    refuse_inputs(output, bundle.input_paths())
    require_iati(bundle.project)  # before any record is read
    spec = RunSpec.build(
        bundle,
        period=period,
        latest=True,
        as_of=parse_date_option(as_of, "--as-of") or dt.date.today(),
        internal=False,
        language=lang or None,
        published=[output.parent],
    )
    with err_console().status("computing indicators..."):
        results = execute(spec)
        ctx = report_context(spec, results)
        path, activity = write_iati(ctx, output)
    values = sum(
        (r.baseline is not None) + sum(len(p.targets) + len(p.actuals) for p in r.periods)
        for r in activity.results
    )
    console().print(
        f"IATI 2.03: {len(activity.results)} results, {values:,} values up to {spec.period} "
        f"(donor edition: hidden values left out) -> {path}",
        highlight=False,
    )
