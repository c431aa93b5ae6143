"""`mel init`: scaffold a new project from catalog indicators."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from mel.cli.common import console, handle_errors


@handle_errors
def init(
    directory: Annotated[Path, typer.Argument(help="The new project folder (must not exist).")],
    countries: Annotated[
        str, typer.Option(help="ISO alpha-3 codes, comma separated, e.g. SDN,TZA.")
    ],
    indicators: Annotated[
        str,
        typer.Option(
            help="Catalog ids, id prefixes (PROT), pillars (protection) or reference codes "
            "(PS.5.1-28), comma separated."
        ),
    ],
    name: Annotated[str, typer.Option(help="The project's name.")] = "Counter-trafficking project",
    donor: Annotated[str, typer.Option(help="The donor.")] = "Donor",
    start: Annotated[
        str | None,
        typer.Option(help="First day, YYYY-MM-DD (default: the current fiscal year's first)."),
    ] = None,
    end: Annotated[
        str | None,
        typer.Option(help="Last day, YYYY-MM-DD (default: the current fiscal year's last)."),
    ] = None,
    period: Annotated[
        str, typer.Option(help="Reporting period: month, quarter, half or year.")
    ] = "quarter",
    fiscal_year_start: Annotated[
        int, typer.Option(min=1, max=12, help="First month of the fiscal year (10 = US FY).")
    ] = 1,
) -> None:
    """Create a project: mel.yaml with the chosen indicators, a data-entry workbook for each
    dataset they need, and a targets workbook to fill in.

    Example: mel init my-project --countries SDN,TZA --indicators PROT-01,PS.5.1-28
    """
    import datetime as dt

    from mel import resources
    from mel.cli.common import parse_date_option
    from mel.definitions.catalog import load_catalog
    from mel.errors import UsageError
    from mel.outputs.scaffold import default_dates, scaffold

    first, last = default_dates(dt.date.today(), fiscal_year_start)
    data = {
        "name": name,
        "donor": donor,
        "countries": [c.strip().upper() for c in countries.split(",") if c.strip()],
        "start": (parse_date_option(start, "--start") or first).isoformat(),
        "end": (parse_date_option(end, "--end") or last).isoformat(),
        "reporting": {"period": period, "fiscal_year_start": fiscal_year_start},
    }
    from pydantic import ValidationError

    from mel.definitions.models import Project

    try:
        project = Project.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(x) for x in e['loc'])}: {e['msg'].removeprefix('Value error, ')}"
            for e in exc.errors(include_url=False)
        )
        raise UsageError(f"cannot make the project: {problems}") from None
    selection = [s.strip() for s in indicators.split(",") if s.strip()]
    catalog = load_catalog(None, [resources.templates_dir()]).raise_if_errors()
    made = scaffold(directory, project, selection, catalog)
    out = console()
    out.print(
        f"created {directory}: {len(made.indicators)} indicators ({', '.join(made.indicators)})",
        highlight=False,
    )
    out.print(
        f"  project dates: {project.start} to {project.end}"
        + (
            " (the current fiscal year: rows dated outside it are left out; set --start and "
            "--end, or edit start: and end: in mel.yaml, for the project's real dates)"
            if start is None and end is None
            else ""
        ),
        highlight=False,
    )
    for ds, path in made.datasets.items():
        out.print(f"  {path}  data-entry workbook for '{ds}'", highlight=False)
    out.print(
        f"  {made.targets}  targets: {len(made.target_periods)} period columns", highlight=False
    )
    out.print(
        f"next: fill in the workbooks, then 'mel validate {directory}' and "
        f"'mel compute {directory} -o results.csv'",
        highlight=False,
    )
