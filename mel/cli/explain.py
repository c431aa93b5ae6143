"""`mel explain`: the records behind a reported value."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from mel.cli.common import console, handle_errors
from mel.engine.results import ALL, LOP


@handle_errors
def explain(
    project: Annotated[Path, typer.Argument(help="The project folder (with mel.yaml).")],
    indicator: Annotated[str, typer.Argument(help="The indicator's id, e.g. PROT-01.")],
    country: Annotated[str, typer.Option("--country", "-c", help="A country, or ALL.")] = ALL,
    period: Annotated[str, typer.Option("--period", "-p", help="A period label, or LoP.")] = LOP,
    disaggregation: Annotated[
        str, typer.Option("--disaggregation", "-d", help="A disaggregation, e.g. sex.")
    ] = "",
    category: Annotated[str, typer.Option("--category", help="Its category, e.g. Female.")] = "",
    limit: Annotated[int, typer.Option(help="Rows to print per list.", min=0)] = 20,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write every row to this CSV file.")
    ] = None,
) -> None:
    """List the rows (file, row, key) counted in a value's numerator and denominator, and the
    rows left out with their reason. Internal: it shows row numbers and case ids.

    Example: mel explain examples/counter-trafficking PROT-01 --country TZA --period FY2024-Q1
    """
    import pandas as pd

    from mel.definitions.project import load_project
    from mel.engine.lineage import explain as run_explain
    from mel.engine.spec import RunSpec
    from mel.outputs.tidy import write_table

    e = run_explain(
        RunSpec.build(load_project(project)),
        indicator,
        country=country,
        period=period,
        disaggregation=disaggregation,
        category=category,
    )
    out = console()
    where = f"{e.indicator}, {e.country}, {e.period}" + (
        f", {e.disaggregation} = {e.category}" if e.disaggregation else ""
    )
    out.print(f"[bold]{where}[/bold]  (internal: lists row numbers and ids)")
    value = e.cell["value"]
    shown = "no value" if pd.isna(value) else f"{value:,.4g}"
    if not pd.isna(e.cell["denominator"]):
        shown += f" ({e.cell['numerator']:,.0f}/{e.cell['denominator']:,.0f})"
    note = f" - {e.cell['note']}" if e.cell.get("note") else ""
    out.print(f"value: {shown}{note}")
    listing = []
    for part in e.parts:
        source = f"{len(part.rows):,} rows of {part.dataset} ({part.file})"
        distinct = part.key and part.rows[part.key].nunique() != len(part.rows)
        if not pd.isna(part.counted) and distinct:
            source = f"{part.counted:,.0f} distinct {part.key} from " + source
        out.print(f"\n{part.part}: {source}")
        table = Table(show_header=True)
        table.add_column("row", justify="right")
        if part.key:
            table.add_column(part.key)
        for r in part.rows.head(limit).itertuples(index=False):
            table.add_row(*[str(v) for v in r])
        if limit:
            out.print(table)
        if len(part.rows) > limit:
            out.print(f"... and {len(part.rows) - limit:,} more")
        listing.append(
            part.rows.assign(part=part.part, dataset=part.dataset, file=part.file).rename(
                columns={part.key: "key"}
            )
            if part.key
            else part.rows.assign(part=part.part, dataset=part.dataset, file=part.file)
        )
    ex = e.excluded
    out.print(f"\nleft out (this country and period, any category): {len(ex):,} rows")
    for reason, n in ex["reason"].value_counts().items():
        first = ", ".join(str(r) for r in ex.loc[ex["reason"] == reason, "row"].head(8))
        out.print(f"  {reason}: {n:,} (rows {first}{', ...' if n > 8 else ''})")
    if output is not None:
        listing.append(ex.assign(part="left out"))
        write_table(pd.concat(listing, ignore_index=True), output, "csv")
        out.print(f"\nwrote every row to {output}")
