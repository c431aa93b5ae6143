"""What every command shares: error reporting, exit codes, the consoles."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import typer
from rich.console import Console

from mel.errors import EXIT_INTERNAL, EXIT_USAGE, Finding, MelError

F = TypeVar("F", bound=Callable[..., Any])


class _State:
    debug = False


STATE = _State()


def console() -> Console:
    return Console(highlight=False, soft_wrap=False)


def err_console() -> Console:
    return Console(stderr=True, highlight=False, soft_wrap=True)


def print_findings(findings: Sequence[Finding], *, limit: int | None = None) -> None:
    """Findings on stderr, one line each, compiler style (file:line:col: severity[code]: ...)."""
    findings = sorted(findings, key=Finding.sort_key)
    shown = findings if limit is None else findings[:limit]
    for f in shown:
        typer.echo(f.format(), err=True)
    if limit is not None and len(findings) > limit:
        typer.echo(f"... and {len(findings) - limit} more", err=True)


def summary_line(findings: Sequence[Finding]) -> str:
    errors = sum(f.severity == "error" for f in findings)
    warnings = len(findings) - errors
    files = len({f.file for f in findings})
    parts = [f"{errors} error{'s' if errors != 1 else ''}"]
    if warnings:
        parts.append(f"{warnings} warning{'s' if warnings != 1 else ''}")
    return ", ".join(parts) + f" in {files} file{'s' if files != 1 else ''}"


def handle_errors(func: F) -> F:
    """Turn the tool's own errors into a message and an exit code; never show a traceback for a
    user's mistake. An unexpected exception is an internal error (exit 3), shown in full only
    with --debug."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except MelError as exc:
            if STATE.debug:
                raise
            print_findings(exc.findings)
            if len(exc.findings) > 1:
                typer.echo(summary_line(exc.findings), err=True)
            raise typer.Exit(exc.exit_code) from None
        except (typer.Exit, typer.Abort, KeyboardInterrupt):
            raise
        except OSError as exc:  # the machine, not mel: a full disk, a read-only folder
            if STATE.debug:
                raise
            where = f" {exc.filename}" if exc.filename else ""
            typer.echo(
                f"mel: error: cannot use{where}: {exc.strerror or exc}\n"
                "Check that the path exists, that you may read or write there, and that the "
                "disk is not full.",
                err=True,
            )
            raise typer.Exit(EXIT_USAGE) from None
        except Exception as exc:
            if STATE.debug:
                raise
            typer.echo(
                f"mel: internal error: {type(exc).__name__}: {exc}\n"
                "This is a bug in mel, not in your files. Run the command again with --debug "
                "for the details and report them.",
                err=True,
            )
            raise typer.Exit(EXIT_INTERNAL) from None

    return wrapper  # type: ignore[return-value]  # functools.wraps keeps the command's signature


def debug_requested(argv: Sequence[str] | None = None) -> bool:
    return "--debug" in (sys.argv[1:] if argv is None else argv)


def parse_date_option(value: str | None, option: str):
    """A YYYY-MM-DD option value, or a usage error naming the option."""
    import datetime as dt

    from mel.errors import UsageError

    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise UsageError(f"{option} takes a date written YYYY-MM-DD, not '{value}'") from None


def print_account(accounts, alarms, *, accepted: bool, project, out=None, findings=()) -> int:
    """The account of every record on stderr (a table, the columns the files lack, and a
    warning block for each dataset that lost too many rows); the exit code it calls for:
    1 when a dataset lost too many rows, unless the user accepted it."""
    from rich.markup import escape
    from rich.table import Table

    from mel.errors import EXIT_DATA, EXIT_OK

    err = out or err_console()
    if not err.is_terminal:  # a log or a pipe: wide enough for the table to read in one line
        err.width = max(err.width, 120)
    if accounts:
        table = Table(title="Records: read, used and left out", title_justify="left")
        for col in ("dataset", "file", "read", "used", "left out", "why (example rows)"):
            table.add_column(
                col,
                justify="right" if col in ("read", "used", "left out") else "left",
                overflow="fold",
            )
        for a in accounts:
            why = "; ".join(
                f"{loss.rows:,} {loss.text} (rows "
                + ", ".join(str(r) for r in loss.examples)
                + (" ..." if loss.rows > len(loss.examples) else "")
                + ")"
                for loss in a.losses
            )
            if a.not_dated:
                why += ("; " if why else "") + f"{a.not_dated:,} not dated yet (not a loss)"
            if a.later:
                why += ("; " if why else "") + f"{a.later:,} after the period (not a loss)"
            table.add_row(
                escape(a.dataset),
                escape(a.file),
                f"{a.read:,}",
                f"{a.used:,}",
                f"{a.left_out:,}",
                escape(why or "-"),
            )
        err.print(table)
    for a in accounts:
        for note in a.notes:
            err.print(f"note: {a.file}: {note}", markup=False, soft_wrap=True)
        for m in a.missing_columns:
            if m.role in ("date", "country"):
                continue  # shown as the rows' reason
            err.print(
                f"warning: {a.file} has no column '{m.column}', which "
                f"{', '.join(m.indicators)} read as {m.role}: {m.effect}",
                markup=False,
                soft_wrap=True,
            )
    if not alarms:
        return EXIT_OK
    title = (
        "records left out (accepted with --accept-left-out)"
        if accepted
        else ("WARNING: records were left out")
    )
    err.print(title, style="bold yellow" if accepted else "bold red", markup=False, soft_wrap=True)
    for alarm in alarms:
        err.print(alarm.text, markup=False, soft_wrap=True)
        for f in findings:  # a missing or misspelt column explains a whole file's loss
            if f.dataset == alarm.account.dataset and f.code == "missing-column":
                err.print("  " + f.format(), markup=False, soft_wrap=True)
    if accepted:
        return EXIT_OK
    err.print(
        "The values computed without these rows are wrong or empty. Fix the data (see "
        f"'mel validate {project}'), or, if the loss is expected, run again with "
        "--accept-left-out.",
        markup=False,
        soft_wrap=True,
    )
    return EXIT_DATA


def end_of_run(results, *, accepted: bool, project, unread: str) -> None:
    """What `compute` and `report` print last: the files not read (not needed ``unread``), the
    record account; exit 1 when a dataset lost too many rows and the user did not accept it."""
    err = err_console()
    for f in results.unread_files:
        err.print(f"warning: not read, and not needed {unread}: {f.format()}", markup=False)
    for note in getattr(results, "privacy_notes", []):
        err.print(f"warning: {note}", markup=False)
    code = print_account(
        results.account,
        results.alarms,
        accepted=accepted,
        project=project,
        findings=results.validation_findings,
    )
    if code:
        raise typer.Exit(code)
