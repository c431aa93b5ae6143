"""`mel compute`: every indicator per period and country, as one tidy table."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from mel.cli.common import console, end_of_run, err_console, handle_errors


@handle_errors
def compute(
    project: Annotated[Path, typer.Argument(help="The project folder (with mel.yaml).")],
    output: Annotated[
        Path, typer.Option("--output", "-o", help="The file to write (.csv, .parquet or .json).")
    ],
    period: Annotated[
        list[str] | None,
        typer.Option("--period", "-p", help="Only this period (repeatable), e.g. FY2025-Q1."),
    ] = None,
    country: Annotated[
        list[str] | None, typer.Option("--country", "-c", help="Only this country (repeatable).")
    ] = None,
    fmt: Annotated[
        str | None, typer.Option("--format", "-f", help="csv, parquet or json (default: from -o).")
    ] = None,
    internal: Annotated[
        bool,
        typer.Option("--internal", help="Show all values, small counts too (not for donors)."),
    ] = False,
    as_of: Annotated[str | None, typer.Option(help="As-of date for validation.")] = None,
    accept_left_out: Annotated[
        bool,
        typer.Option(
            "--accept-left-out",
            help="Exit 0 even when a dataset lost more rows than quality.max_left_out allows.",
        ),
    ] = False,
) -> None:
    """Compute every indicator for every period and country, with disaggregations, targets and
    status; small counts are suppressed unless --internal.

    Example: mel compute examples/counter-trafficking -o results.csv
    """
    from mel.cli.common import parse_date_option
    from mel.definitions.project import load_project
    from mel.engine.pipeline import execute
    from mel.engine.results import LOP
    from mel.engine.spec import RunSpec
    from mel.errors import UsageError
    from mel.outputs.tidy import FORMATS, refuse_inputs, write_table

    fmt = (fmt or output.suffix.lstrip(".")).lower()
    if fmt not in FORMATS:
        raise UsageError(
            f"{output}: the format must be one of {', '.join(FORMATS)} "
            "(--format, or the file's ending)"
        )
    bundle = load_project(project)
    refuse_inputs(output, bundle.input_paths())
    spec = RunSpec.build(
        bundle,
        internal=internal,
        countries=country,
        periods=period,
        as_of=parse_date_option(as_of, "--as-of"),
        published=[output.parent],
    )
    err = err_console()
    with err.status("computing indicators...") as status:
        results = execute(spec, progress=lambda i: status.update(f"computing {i}..."))
    write_table(results.table, output, fmt)
    out = console()
    t = results.table
    lop = results.headline()
    periods = list(dict.fromkeys(lop["period"]))
    over = "life of project" if periods in ([LOP], []) else ", ".join(periods)
    table = Table(
        title=f"{bundle.project.name}: {over}, all countries"
        + (" (INTERNAL: small counts shown)" if internal else "")
    )
    many = len(periods) > 1
    for col in ("indicator", *(["period"] if many else []), "value", "target", "% of target",
                "status"):  # fmt: skip
        table.add_column(col, justify="left" if col in ("indicator", "status") else "right")
    for row in lop.itertuples(index=False):
        value = "<" + str(results.threshold) if row.suppressed else _fmt(row.value)
        table.add_row(
            row.indicator,
            *([row.period] if many else []),
            value,
            _fmt(row.target),
            _fmt(row.pct_of_target, "%"),
            row.status,
        )
    out.print(table)
    hidden = int(t["suppressed"].sum())
    out.print(
        f"wrote {output}: {len(t):,} cells of {t['indicator'].nunique()} indicators"
        + ("" if internal else f"; {hidden:,} small cells suppressed (<{results.threshold})")
    )
    end_of_run(results, accepted=accept_left_out, project=project, unread="here")


def _fmt(v, suffix: str = "") -> str:
    if v is None or (isinstance(v, float) and v != v):
        return ""
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float) and v.is_integer() and not suffix:
        return f"{int(v):,}"
    return f"{v:,.1f}{suffix}"
