"""The filter language's syntax tree and its errors (see :mod:`mel.filters` for the language)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

ColumnType = Literal["string", "code", "integer", "number", "date", "boolean"]
ValueType = Literal["string", "number", "date", "boolean"]


class FilterError(Exception):
    """Base of the filter language's own errors; ``offset`` is 0-based in the expression."""

    code = "filter-syntax"

    def __init__(self, message: str, offset: int = 0, hint: str | None = None):
        self.message = message
        self.offset = offset
        self.hint = hint
        super().__init__(f"{message} (at character {offset + 1})")


class FilterSyntaxError(FilterError):
    code = "filter-syntax"


class FilterTypeError(FilterError):
    code = "filter-type"


# --- AST -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    name: str
    pos: int


@dataclass(frozen=True)
class Literal_:
    value: str | float | int | bool | dt.date
    type: ValueType
    pos: int


@dataclass(frozen=True)
class Arith:
    """``left + right`` or ``left - right``; only as a side of a comparison."""

    op: Literal["+", "-"]
    left: Operand
    right: Operand
    pos: int


Operand = Column | Literal_ | Arith


@dataclass(frozen=True)
class Compare:
    op: str  # == != < <= > >=
    left: Operand
    right: Operand
    pos: int


@dataclass(frozen=True)
class In:
    operand: Operand
    values: tuple[Literal_, ...]
    negated: bool
    pos: int


@dataclass(frozen=True)
class IsMissing:
    operand: Operand
    negated: bool
    pos: int


@dataclass(frozen=True)
class Has:
    operand: Operand
    value: Literal_
    pos: int


@dataclass(frozen=True)
class Truthy:
    """A bare column used as a condition: a boolean column."""

    operand: Operand
    pos: int


@dataclass(frozen=True)
class Not:
    expr: Expr
    pos: int


@dataclass(frozen=True)
class BoolOp:
    op: Literal["and", "or"]
    exprs: tuple[Expr, ...]
    pos: int


Expr = Compare | In | IsMissing | Has | Truthy | Not | BoolOp


def columns_of(expr: Expr | Operand) -> list[Column]:
    """Every column the expression names, in order."""
    out: list[Column] = []

    def walk(e: object) -> None:
        if isinstance(e, Column):
            out.append(e)
        elif isinstance(e, Compare | Arith):
            walk(e.left)
            walk(e.right)
        elif isinstance(e, In | IsMissing | Has | Truthy):
            walk(e.operand)
        elif isinstance(e, Not):
            walk(e.expr)
        elif isinstance(e, BoolOp):
            for x in e.exprs:
                walk(x)

    walk(expr)
    return out
