"""`mel codelists from-form`: mel code lists from a form's choice lists."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from mel.cli.common import console, err_console, handle_errors

app = typer.Typer(
    name="codelists",
    help="Make code lists (the allowed values of a column) from other sources.",
    no_args_is_help=True,
)


@app.command("from-form")
@handle_errors
def from_form(
    form: Annotated[Path, typer.Argument(help="An XLSForm (.xlsx), as loaded into Kobo or ODK.")],
    output: Annotated[
        Path, typer.Option("--output", "-o", help="The folder to write the code lists into.")
    ] = Path("codelists"),
    prefix: Annotated[
        str, typer.Option(help="Put before each list's name, e.g. htcds_ (names stay unique).")
    ] = "",
    language: Annotated[
        str | None,
        typer.Option(help="The form language whose labels are the labels (default: English)."),
    ] = None,
    force: Annotated[bool, typer.Option(help="Replace code lists already in the folder.")] = False,
) -> None:
    """Write one code list (YAML) per choice list of a form; name the folder under
    'templates:' in mel.yaml and use the lists in your templates.

    Every choice list becomes a code list, or is listed with the reason it cannot.

    Example: mel codelists from-form examples/htcds/htcds_xlsform.xlsx -o my-lists --prefix h_
    """
    from mel.definitions.formlists import codelists_from_form
    from mel.definitions.xlsform import read_form
    from mel.outputs.codelists import write_codelists

    read = read_form(form)
    made, unmapped = codelists_from_form(read, prefix=prefix, language=language)
    paths = write_codelists(made, output, str(form), force=force)
    table = Table(title=f"Code lists from {read.file}")
    for col in ("choice list", "code list", "codes", "file"):
        table.add_column(col)
    for m, p in zip(made, paths, strict=True):
        table.add_row(m.list_name, m.name, str(len(m.document["values"])), str(p))
    out = console()
    out.print(table)
    say = err_console()
    for m in made:
        for note in m.notes:
            say.print(f"note: {m.list_name}: {note}")
    for u in unmapped:
        say.print(f"not made: choice list '{u.list_name}': {u.reason}")
    out.print(
        f"{len(made)} code list(s) written to {output}"
        + (f"; {len(unmapped)} choice list(s) not made (see above)" if unmapped else "")
    )
