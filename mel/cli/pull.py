"""`mel pull`: fetch a project's form data from its KoboToolbox server into snapshot files."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from mel.cli.common import err_console, handle_errors


@handle_errors
def pull(
    project: Annotated[Path, typer.Argument(help="A project folder (with mel.yaml).")],
    dataset: Annotated[
        list[str] | None,
        typer.Option("--dataset", "-d", help="Pull only this dataset's form (repeatable)."),
    ] = None,
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run",
            help="Say what would be pulled, and whether each token is set; fetch nothing.",
        ),
    ] = False,
) -> None:
    """Fetch the datasets whose 'source:' is a KoboToolbox server into a dated snapshot.

    The API token is read from the environment variable named by 'token_env' in mel.yaml.
    A failed pull writes nothing: the previous snapshot stays as it was. Exits 1 when a
    pull fails.

    Example: mel pull examples/kobo-server --dry-run
    """
    from mel.data.pull import plan, pull_project
    from mel.definitions.project import load_project

    bundle = load_project(project)
    if dry_run:
        for line in plan(bundle, only=dataset):
            typer.echo(line)
        return
    say = err_console()
    for p in pull_project(bundle, only=dataset, progress=lambda m: say.print(f"  {m}")):
        names = ", ".join(p.datasets)
        edited = p.records - p.kept
        note = f" ({edited:,} edited submission(s) kept once)" if edited else ""
        if p.file is None:
            typer.echo(
                f"{names}: {p.kept:,} records{note}, unchanged since {p.folder}/"
                f"{p.unchanged_since}: no new snapshot"
            )
        else:
            typer.echo(f"{names}: {p.kept:,} records{note} -> {p.file}")
