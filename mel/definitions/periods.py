"""Reporting-period labels, as written in targets files, fixtures and on the command line.

Labels are unambiguous: ``2024`` (calendar year), ``2024-H1``, ``2024-Q3``, ``2024-07`` (month),
``FY2024``, ``FY2024-H2``, ``FY2024-Q1`` (fiscal periods, the fiscal year named after the
calendar year in which it ends, as the US government does: FY2024 Q1 = Oct-Dec 2023 when the
fiscal year starts in October) and ``LoP`` (life of project).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from mel.definitions.words import LOP

PeriodKind = Literal["lop", "year", "half", "quarter", "month"]

_LABEL = re.compile(
    r"^(?:(?P<lop>LoP)|(?P<fy>FY)?(?P<year>\d{4})(?:-(?:(?P<half>H[12])|(?P<quarter>Q[1-4])|(?P<month>\d{2})))?)$"
)


@dataclass(frozen=True)
class PeriodLabel:
    kind: PeriodKind
    fiscal: bool = False
    year: int | None = None
    index: int | None = None  # half 1-2, quarter 1-4, month 1-12

    def __str__(self) -> str:
        if self.kind == "lop":
            return LOP
        prefix = "FY" if self.fiscal else ""
        base = f"{prefix}{self.year}"
        if self.kind == "year":
            return base
        if self.kind == "half":
            return f"{base}-H{self.index}"
        if self.kind == "quarter":
            return f"{base}-Q{self.index}"
        return f"{base}-{self.index:02d}"


def parse_period_label(text: str) -> PeriodLabel:
    """Parse a period label; raises ValueError with a plain-language message."""
    m = _LABEL.match(text.strip()) if isinstance(text, str) else None
    if m is None:
        raise ValueError(
            f"'{text}' is not a period; write LoP, 2024, 2024-H1, 2024-Q1, 2024-01, FY2024 or "
            "FY2024-Q1"
        )
    if m["lop"]:
        return PeriodLabel("lop")
    fiscal = bool(m["fy"])
    year = int(m["year"])
    if m["half"]:
        return PeriodLabel("half", fiscal, year, int(m["half"][1]))
    if m["quarter"]:
        return PeriodLabel("quarter", fiscal, year, int(m["quarter"][1]))
    if m["month"]:
        month = int(m["month"])
        if not 1 <= month <= 12:
            raise ValueError(f"'{text}' names month {month}; months run from 01 to 12")
        if fiscal:
            raise ValueError(f"'{text}': months are written as calendar months, e.g. 2024-07")
        return PeriodLabel("month", False, year, month)
    return PeriodLabel("year", fiscal, year)
