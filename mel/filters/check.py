"""Checking a parsed filter against a dataset's columns before any data is read.

Every problem is collected (not only the first); the rules and their messages are those of
:mod:`mel.filters.rules`, which the evaluator applies too.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from mel.errors import meant
from mel.filters import rules
from mel.filters.nodes import (
    Arith,
    BoolOp,
    Column,
    ColumnType,
    Compare,
    Expr,
    FilterError,
    FilterTypeError,
    Has,
    In,
    IsMissing,
    Literal_,
    Not,
    Operand,
    Truthy,
    ValueType,
    columns_of,
)


@dataclass(frozen=True)
class ColumnInfo:
    """What the checker needs to know of a column."""

    type: ColumnType
    codes: tuple[str, ...] | None = None  # allowed values for a code column
    multiple: bool = False  # holds several values per record


def check(expr: Expr, columns: Mapping[str, ColumnInfo]) -> list[FilterError]:
    """Check names and types against the dataset's columns; returns every problem found."""
    checker = _Checker(columns)
    checker.walk(expr)
    return checker.problems


Typed = tuple[ValueType | None, ColumnInfo | None]


class _Checker:
    def __init__(self, columns: Mapping[str, ColumnInfo]):
        self.columns = columns
        self.problems: list[FilterError] = []

    def add(self, error: FilterError | None) -> bool:
        """Record ``error`` if there is one; True when there was."""
        if error is not None:
            self.problems.append(error)
        return error is not None

    def column(self, c: Column) -> ColumnInfo | None:
        if c.name in self.columns:
            return self.columns[c.name]
        hint = meant(c.name, self.columns) or "see the dataset template for its columns"
        self.add(rules.unknown_column(c.name, c.pos, hint))
        return None

    def kind(self, o: Operand) -> Typed:
        if isinstance(o, Column):
            info = self.column(o)
            return (rules.VALUE_TYPE[info.type] if info else None), info
        if isinstance(o, Arith):
            return self.arith(o), None
        return o.type, None

    def arith(self, a: Arith) -> ValueType | None:
        lt, li = self.kind(a.left)
        rt, ri = self.kind(a.right)
        if lt is None or rt is None:
            return None
        for info, side in ((li, a.left), (ri, a.right)):
            if info is not None and info.multiple and isinstance(side, Column):
                self.add(rules.several_values(side.name, side.pos, in_sum=True))
                return None
        result = rules.arith_kind(lt, a.op, rt)
        if result is None:
            self.add(rules.cannot_compute(lt, a.op, rt, a.pos))
        return result

    def literal(self, lit: Literal_, want: ValueType, info: ColumnInfo | None, name: str) -> None:
        if self.add(rules.literal_mismatch(name, want, lit)):
            return
        codes = info.codes if info is not None else None
        if codes is not None and lit.type == "string" and lit.value not in codes:
            hint = meant(str(lit.value), codes) or "allowed: " + ", ".join(codes[:12])
            message = f"'{lit.value}' is not a code of column '{name}'"
            self.add(FilterTypeError(message, lit.pos, hint))

    def walk(self, e: Expr) -> None:
        if isinstance(e, BoolOp):
            for x in e.exprs:
                self.walk(x)
        elif isinstance(e, Not):
            self.walk(e.expr)
        elif isinstance(e, Compare):
            self.compare(e)
        elif isinstance(e, In):
            self.in_(e)
        elif isinstance(e, IsMissing):
            if not isinstance(e.operand, Column):
                self.add(rules.needs_column("is missing", e.pos))
            else:
                self.kind(e.operand)
        elif isinstance(e, Has):
            self.has(e)
        elif isinstance(e, Truthy):
            self.truthy(e)

    def compare(self, e: Compare) -> None:
        if not columns_of(e):
            self.add(rules.needs_column("compare", e.pos))
            return
        lt, li = self.kind(e.left)
        rt, ri = self.kind(e.right)
        if lt is None or rt is None:
            return
        for info, col in ((li, e.left), (ri, e.right)):
            if info is not None and info.multiple and isinstance(col, Column):
                self.add(rules.several_values(col.name, col.pos))
                return
        if self.add(rules.not_ordered(e.op, lt, e.pos)):
            return
        if isinstance(e.right, Literal_):
            self.literal(e.right, lt, li, rules.operand_name(e.left))
        elif isinstance(e.left, Literal_):
            self.literal(e.left, rt, ri, rules.operand_name(e.right))
        else:
            self.add(rules.incomparable(e.left, lt, e.right, rt, e.pos))

    def in_(self, e: In) -> None:
        if not isinstance(e.operand, Column):
            self.add(rules.needs_column("in", e.pos))
            return
        t, info = self.kind(e.operand)
        if t is None:
            return
        if info is not None and info.multiple:
            self.add(rules.several_values(e.operand.name, e.pos))
            return
        for lit in e.values:
            self.literal(lit, t, info, e.operand.name)

    def has(self, e: Has) -> None:
        if not isinstance(e.operand, Column):
            self.add(rules.needs_column("has", e.pos))
            return
        t, info = self.kind(e.operand)
        if info is None or t is None:
            return
        if not info.multiple:
            self.add(rules.has_on_single(e.operand.name, e.value, e.pos))
            return
        self.literal(e.value, t, info, e.operand.name)

    def truthy(self, e: Truthy) -> None:
        if not isinstance(e.operand, Column):
            self.add(rules.needs_column("truthy", e.pos))
            return
        t, _ = self.kind(e.operand)
        if t is not None and t != "boolean":
            self.add(rules.not_boolean(e.operand.name, t, e.pos))
