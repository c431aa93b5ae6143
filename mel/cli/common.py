"""What every command shares: error reporting, exit codes, the consoles."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import typer
from rich.console import Console

from mel.errors import EXIT_INTERNAL, Finding, MelError

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

    return wrapper  # type: ignore[return-value]


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
