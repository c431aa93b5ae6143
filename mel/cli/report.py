"""`mel report`: the donor report (workbook, web page, charts, tidy files) for one period."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from mel.cli.common import console, end_of_run, err_console, handle_errors
from mel.definitions.models import Language


@handle_errors
def report(
    project: Annotated[Path, typer.Argument(help="The project folder (with mel.yaml).")],
    period: Annotated[
        str | None,
        typer.Option(
            "--period",
            "-p",
            help="The reporting period, e.g. FY2025-Q4 (default: the last one ended by the "
            "as-of date).",
        ),
    ] = None,
    output: Annotated[
        Path, typer.Option("--output", "-o", help="The folder to write the report into.")
    ] = Path("report"),
    internal: Annotated[
        bool,
        typer.Option("--internal", help="Show all values, small counts too (not for donors)."),
    ] = False,
    lang: Annotated[
        Language | None,
        typer.Option(
            "--lang", help="Language of the fixed labels: en, fr or es (default: the project's)."
        ),
    ] = None,
    as_of: Annotated[
        str | None, typer.Option(help="As-of date of the data, YYYY-MM-DD (default: today).")
    ] = None,
    accept_left_out: Annotated[
        bool,
        typer.Option(
            "--accept-left-out",
            help="Exit 0 even when a dataset lost more rows than quality.max_left_out allows "
            "(the report says so all the same).",
        ),
    ] = False,
) -> None:
    """Write the donor report for a period: an Excel workbook (tracking table, by country, by
    period, disaggregations, reference sheets, data quality, tidy data, charts), a PDF chart
    book with PNG charts, the same report as one web page that opens offline (HTML), and the
    results as CSV and Parquet. Small counts are suppressed unless --internal.

    Example: mel report examples/counter-trafficking --period FY2025-Q4 -o out/report
    """
    import datetime as dt

    from mel.cli.common import parse_date_option
    from mel.definitions.project import load_project
    from mel.engine.pipeline import execute
    from mel.engine.spec import RunSpec
    from mel.outputs.report import report_context, write_report

    bundle = load_project(project)
    spec = RunSpec.build(
        bundle,
        period=period,
        latest=True,
        as_of=parse_date_option(as_of, "--as-of") or dt.date.today(),
        internal=internal,
        language=lang,
        published=[output],
    )
    err = err_console()
    with err.status("computing indicators...") as status:
        results = execute(spec, progress=lambda i: status.update(f"computing {i}..."))
        status.update("writing the workbook and charts...")
        ctx = report_context(spec, results, accepted=accept_left_out)
        files = write_report(ctx, output, [p.resolve() for p in bundle.input_paths()])
    out = console()
    edition = "INTERNAL edition (all values shown)" if internal else "donor edition"
    out.print(f"report for {spec.period}, {edition}:", highlight=False)
    out.print(f"  {files.workbook}", highlight=False)
    out.print(f"  {files.web} (web page: opens offline)", highlight=False)
    kept = f"; {files.kept_text()}" if files.kept_text() else ""
    out.print(
        f"  {files.chart_book} ({len(files.charts)} charts, PNG in {output / 'charts'}{kept})",
        highlight=False,
    )
    for p in files.tidy:
        out.print(f"  {p}", highlight=False)
    end_of_run(results, accepted=accept_left_out, project=project, unread="by this report")
