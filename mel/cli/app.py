"""The `mel` command: a thin entry point; each command lives in its own module."""

from __future__ import annotations

from typing import Annotated

import typer

from mel import __version__
from mel.cli import codelists, export, indicators
from mel.cli.common import STATE, debug_requested
from mel.cli.compute import compute
from mel.cli.explain import explain
from mel.cli.init import init
from mel.cli.pull import pull
from mel.cli.report import report
from mel.cli.template import template
from mel.cli.validate import validate

app = typer.Typer(
    name="mel",
    help=(
        "Indicators for counter-trafficking programmes: validate data, compute indicators, "
        "report to donors.\n\nExample: mel indicators list --pillar protection"
    ),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
app.add_typer(indicators.app)
app.add_typer(codelists.app)
app.add_typer(export.app)
app.command("validate")(validate)
app.command("template")(template)
app.command("compute")(compute)
app.command("explain")(explain)
app.command("report")(report)
app.command("init")(init)
app.command("pull")(pull)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"mel {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
    debug: Annotated[
        bool, typer.Option("--debug", help="Show the full traceback of any error.")
    ] = False,
) -> None:
    STATE.debug = debug


def main() -> None:
    import gc
    import signal

    # one run allocates millions of objects and frees few of them in cycles: with the
    # collector's defaults (a young collection every 700 allocations, then older ones over all
    # the objects pandas, the report and the modules hold) collecting took about 1 s of a
    # small project's 6 s report (docs/performance.md); the same objects are freed, less often
    gc.set_threshold(10_000, 10, 10)
    STATE.debug = debug_requested()
    # SIGTERM (timeout, CI cancels, containers) ends a run like Ctrl-C: its half-written
    # output is removed, its chart worker stopped
    signal.signal(signal.SIGTERM, _interrupted)
    app()


def _interrupted(signum, frame) -> None:
    raise KeyboardInterrupt
