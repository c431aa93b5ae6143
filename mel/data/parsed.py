"""A parsed column (typed values, the cells that could not be parsed, the issues found) and the
two ways a long column is put together: spread back from its distinct values, or joined from
parts parsed one after the other (:func:`mel.data.parse.parse_column`)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass
class CellIssue:
    """A problem with some cells of one column, found while parsing."""

    positions: np.ndarray  # integer positions in the column
    code: str  # 'type', 'whitespace', 'alias'
    severity: str
    message: str  # may contain {value}
    suggestions: list[str | None] | None = None  # per position
    hint: str | None = None
    hints: list[str | None] | None = None  # per position, instead of hint


@dataclass
class Parsed:
    values: pd.Series  # typed, missing where empty, a missing-value code, or unparsable
    unparsable: np.ndarray  # bool: the cell had a value that could not be parsed
    issues: list[CellIssue]
    # censored cells ('<5'): their bounds (NaN elsewhere); the value itself is missing
    bounds: tuple[np.ndarray, np.ndarray] | None = None


def joined(parts: list[Parsed], size: int) -> Parsed:
    """Consecutive parts of a column (each ``size`` cells but the last), parsed one by one,
    as one: the issues of the same kind joined, in the order of their cells."""
    values = pd.concat([p.values for p in parts], ignore_index=True)
    unparsable = np.concatenate([p.unparsable for p in parts])
    issues: dict[tuple, CellIssue] = {}
    for k, part in enumerate(parts):
        for issue in part.issues:
            key = (issue.code, issue.severity, issue.message, issue.hint)
            positions = issue.positions + k * size
            had = issues.get(key)
            if had is None:
                issues[key] = CellIssue(
                    positions,
                    issue.code,
                    issue.severity,
                    issue.message,
                    issue.suggestions,
                    issue.hint,
                    issue.hints,
                )
                continue
            had.positions = np.concatenate([had.positions, positions])
            for name in ("suggestions", "hints"):
                mine, theirs = getattr(had, name), getattr(issue, name)
                if mine is not None or theirs is not None:
                    setattr(
                        had,
                        name,
                        (mine or [None] * (len(had.positions) - len(positions)))
                        + (theirs or [None] * len(positions)),
                    )
    bounds = None
    if any(p.bounds is not None for p in parts):
        lows, highs = [], []
        for p in parts:
            if p.bounds is None:
                lows.append(np.full(len(p.values), np.nan))
                highs.append(np.full(len(p.values), np.nan))
            else:
                lows.append(p.bounds[0])
                highs.append(p.bounds[1])
        bounds = (np.concatenate(lows), np.concatenate(highs))
    return Parsed(values, unparsable, list(issues.values()), bounds)


def spread(once: Parsed, codes: np.ndarray) -> Parsed:
    """A column parsed per distinct value, back to one entry per cell (``codes``: each cell's
    distinct value)."""
    if pd.api.types.is_string_dtype(once.values.dtype):
        # text (codes, identifiers) stays coded: integer codes and one copy of each value
        value_codes, uniques = pd.factorize(once.values)
        values = pd.Series(
            pd.Categorical.from_codes(value_codes[codes], categories=pd.Index(uniques, dtype="str"))
        )
    else:
        values = once.values.take(codes).reset_index(drop=True)
    issues = []
    for issue in once.issues:
        hit = np.zeros(len(once.values), dtype=bool)
        hit[issue.positions] = True
        pos = np.flatnonzero(hit[codes])

        def per_cell(per_value: list | None, issue=issue, pos=pos) -> list | None:
            if per_value is None:
                return None
            table = np.empty(len(once.values), dtype=object)
            table[issue.positions] = per_value
            return list(table[codes[pos]])

        issues.append(
            CellIssue(
                pos,
                issue.code,
                issue.severity,
                issue.message,
                per_cell(issue.suggestions),
                issue.hint,
                per_cell(issue.hints),
            )
        )
    bounds = None
    if once.bounds is not None:
        bounds = (once.bounds[0][codes], once.bounds[1][codes])
    return Parsed(values, once.unparsable[codes], issues, bounds)
