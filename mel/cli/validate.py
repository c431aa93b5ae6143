"""`mel validate`: check a project's datasets (or one file) against their templates."""

from __future__ import annotations

import datetime as dt
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from mel.cli.common import console, handle_errors, print_account, print_findings
from mel.definitions.models import DATE_FORMATS
from mel.errors import EXIT_DATA

DateFormatChoice = Enum("DateFormatChoice", {f: f for f in DATE_FORMATS}, type=str)  # type: ignore[misc]  # a dynamic Enum
ISO = DateFormatChoice("iso")


@handle_errors
def validate(
    path: Annotated[Path, typer.Argument(help="A project folder (with mel.yaml), or a data file.")],
    template: Annotated[
        str | None, typer.Option("--template", "-t", help="The template of a single data file.")
    ] = None,
    sheet: Annotated[str | None, typer.Option(help="The sheet of an Excel file.")] = None,
    date_format: Annotated[
        DateFormatChoice,
        typer.Option(help="Dates besides YYYY-MM-DD in a single file.", case_sensitive=False),
    ] = ISO,
    as_of: Annotated[
        str | None, typer.Option(help="Dates after this day are errors (default: today).")
    ] = None,
    report: Annotated[
        Path | None,
        typer.Option(
            "--report",
            help="Write a feedback workbook (.xlsx): your rows with the "
            "failing cells marked, and every finding.",
        ),
    ] = None,
    max_findings: Annotated[
        int, typer.Option(help="How many findings to print (all are in --report).")
    ] = 20,
    accept_left_out: Annotated[
        bool,
        typer.Option(
            "--accept-left-out",
            help="Do not fail because a dataset loses more rows than quality.max_left_out "
            "allows (errors still fail).",
        ),
    ] = False,
) -> None:
    """Validate data: every problem with its file, row, column, rule and a suggestion.

    Exits 1 when there is any error.

    Example: mel validate tests/data/clean --as-of 2025-12-31
    """
    from mel.cli.common import parse_date_option
    from mel.data.summary import summarise
    from mel.engine.pipeline import validate_any

    as_of_date = parse_date_option(as_of, "--as-of") or dt.date.today()
    if report is not None:  # before any work: a wrong path is refused at once
        from mel.outputs.feedback import check_feedback_path

        check_feedback_path(report, path)
    result, accounts, alarms = validate_any(
        path,
        template=template,
        sheet=sheet,
        date_format=date_format.value,
        as_of=as_of_date,
        keep_data=report is not None,  # the feedback workbook shows the cells
    )
    per_dataset, by_rule = summarise(result)
    out = console()
    table = Table(title=f"Datasets of {result.root}" if result.root is not None else "Dataset")
    for col in ("dataset", "file", "rows", "rows with errors", "errors", "warnings"):
        table.add_column(
            col, justify="right" if col not in ("dataset", "file") else "left", overflow="fold"
        )
    for s in per_dataset:
        table.add_row(
            s.dataset,
            s.file,
            f"{s.rows:,}",
            f"{s.invalid_rows:,}",
            f"{s.errors:,}",
            f"{s.warnings:,}",
        )
    out.print(table)
    if by_rule:
        rules = Table(title="Findings by rule")
        for col in ("dataset", "rule", "severity", "count"):
            rules.add_column(col, justify="right" if col == "count" else "left")
        for ds, rule, sev, n in by_rule:
            rules.add_row(ds, rule, sev, f"{n:,}")
        out.print(rules)
    if result.findings:
        print_findings(result.findings, limit=max_findings)
    if report is not None:
        from mel.outputs.feedback import write_feedback

        write_feedback(result, report, as_of=as_of_date)
        out.print(f"feedback workbook: {report}")
    code = print_account(accounts, alarms, accepted=accept_left_out, project=path, out=out)
    errors = len(result.errors)
    out.print(
        f"{'FAILED' if errors or code else 'OK'}: {errors:,} error{'s' if errors != 1 else ''}, "
        f"{len(result.warnings):,} warning{'s' if len(result.warnings) != 1 else ''}"
        + (f"; {len(alarms)} dataset(s) lost too many rows" if code else "")
    )
    if errors or code:
        raise typer.Exit(EXIT_DATA)
