"""Findings about one cell of a data file: the file, spreadsheet row, header and value, with
personal data never shown and pasted pages cut short."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from mel.data.headers import LONG_VALUE, shorten
from mel.data.readers import RawTable
from mel.definitions.models import ColumnSpec
from mel.errors import Finding

PII_SHOWN = "[personal data]"


def is_missing(value: object) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def fmt(value: object) -> str:
    """A value as a message shows it: dates as ISO dates, whole numbers without '.0'."""
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


@dataclass(frozen=True)
class CellFindings:
    """Makes the findings of one dataset's cells: where they are is known once."""

    raw: RawTable
    found: dict[str, int]  # template column -> position in the file
    where: str  # the file (and sheet) as findings name it
    dataset: str

    def header_of(self, column: str) -> str:
        """The column's header as the file writes it (its template name when missing)."""
        return self.raw.header[self.found[column]] if column in self.found else column

    def cell(
        self,
        spec: ColumnSpec,
        i: int,
        code: str,
        message: str,
        *,
        severity: str = "error",
        hint: str | None = None,
        suggestion: str | None = None,
        value: object = None,
    ) -> Finding:
        """The finding for record ``i`` (0-based) of column ``spec``."""
        shown = None if is_missing(value) else (PII_SHOWN if spec.pii else fmt(value))
        if spec.pii:
            message = message.replace(f"'{fmt(value)}'", PII_SHOWN).replace(fmt(value), PII_SHOWN)
            suggestion = hint = None
        elif shown is not None and len(shown) > LONG_VALUE:  # a pasted page in a cell
            short = shorten(shown)
            message = message.replace(shown, short)
            hint = hint.replace(shown, short) if hint else hint
            suggestion = None if suggestion and len(suggestion) > LONG_VALUE else suggestion
            shown = short
        return Finding(
            code,
            message,
            file=self.where,
            line=int(self.raw.rows[i]),
            field=self.header_of(spec.name),
            severity=severity,  # type: ignore[arg-type]  # the rules' "error" or "warning"
            hint=hint,
            scope="cell",
            value=shown,
            suggestion=suggestion,
            dataset=self.dataset,
            rule=code,
        )
