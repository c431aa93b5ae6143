"""Applying a parsed filter to a DataFrame as one vectorised boolean mask.

Intermediate results are pandas nullable ``boolean`` arrays, whose ``&``, ``|`` and ``~`` follow
three-valued (Kleene) logic: a comparison with a missing value is NA (unknown), ``~NA`` is NA,
``False & NA`` is False, ``True | NA`` is True. The final mask keeps only rows where the filter is
true. Nothing here calls ``eval`` or ``DataFrame.query``.
"""

from __future__ import annotations

import datetime as dt
import operator
import re

import numpy as np
import pandas as pd

from mel.filters import nodes as f
from mel.filters import rules
from mel.filters.nodes import FilterTypeError
from mel.filters.parse import parse

_OPS = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}

MULTI_SEPARATOR = ";"


def mask(expr: f.Expr | str | None, df: pd.DataFrame) -> np.ndarray:
    """Rows of ``df`` where the filter is true, as a numpy bool array (all true if no filter)."""
    if expr is None:
        return np.ones(len(df), dtype=bool)
    if isinstance(expr, str):
        expr = parse(expr)
    result = _eval(expr, df)
    return result.fillna(False).to_numpy(dtype=bool)


def tristate(expr: f.Expr | str, df: pd.DataFrame) -> pd.Series:
    """The filter's value per row as a nullable boolean Series: True, False or NA (unknown)."""
    if isinstance(expr, str):
        expr = parse(expr)
    return pd.Series(_eval(expr, df), index=df.index)


def _kleene(values: np.ndarray, na: np.ndarray) -> pd.arrays.BooleanArray:
    return pd.arrays.BooleanArray(np.asarray(values, dtype=bool), np.asarray(na, dtype=bool))


def _value_kind(s: pd.Series) -> str:
    if pd.api.types.is_bool_dtype(s.dtype):
        return "boolean"
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        return "date"
    if pd.api.types.is_numeric_dtype(s.dtype):
        return "number"
    return "string"


def _column(df: pd.DataFrame, col: f.Column) -> pd.Series:
    if col.name not in df.columns:
        raise rules.unknown_column(col.name, col.pos)
    return df[col.name]


def _literal_for(lit: f.Literal_, kind: str, name: str) -> object:
    """The literal as a value comparable with a column of ``kind``; type errors otherwise."""
    error = rules.literal_mismatch(name, kind, lit)
    if error is not None:
        raise error
    if lit.type == "date":
        assert isinstance(lit.value, dt.date)
        return pd.Timestamp(lit.value)
    return lit.value


def _operand(df: pd.DataFrame, o: f.Operand, other_kind: str | None, other_name: str):
    """(values, na mask, kind) for one side of a comparison."""
    if isinstance(o, f.Column):
        s = _column(df, o)
        return s, s.isna().to_numpy(), _value_kind(s)
    if isinstance(o, f.Arith):
        return _arith(df, o)
    assert other_kind is not None
    value = _literal_for(o, other_kind, other_name)
    return value, np.zeros(len(df), dtype=bool), other_kind


_DAY = pd.Timedelta(days=1)


MAX_DAYS = 50_000  # about 137 years: a date moved further leaves pandas' calendar (1677-2262)


def _days(values, index: pd.Index):
    """A number of days as timedeltas, and where it is too far to add to a date (missing)."""
    if not isinstance(values, pd.Series):
        values = pd.Series(np.full(len(index), values, dtype="float64"), index=index)
    values = values.astype("float64")
    far = (values.abs() > MAX_DAYS).to_numpy(dtype=bool, na_value=False)
    return pd.to_timedelta(values.where(~far), unit="D"), far


def _arith(df: pd.DataFrame, a: f.Arith):
    """A sum or difference as (float or datetime Series, na mask, kind); missing if a part is."""

    def side(o: f.Operand):
        if isinstance(o, f.Literal_):
            if o.type not in rules.ORDERED_KINDS:
                raise FilterTypeError(f"cannot add or subtract {rules.describe(o.type)}", o.pos)
            value = pd.Timestamp(o.value) if o.type == "date" else o.value
            return value, np.zeros(len(df), dtype=bool), o.type
        values, na, kind = _operand(df, o, None, "")
        if kind == "number":
            values = pd.to_numeric(values).astype("float64")
        return values, na, kind

    left, lna, lkind = side(a.left)
    right, rna, rkind = side(a.right)
    kind = rules.arith_kind(lkind, a.op, rkind)
    if kind is None:
        raise rules.cannot_compute(lkind, a.op, rkind, a.pos)
    if lkind == "date" and rkind == "number":
        right, far = _days(right, df.index)
        rna = rna | far
    if lkind == "number" and rkind == "date":
        left, far = _days(left, df.index)
        lna = lna | far
    out = left + right if a.op == "+" else left - right
    if lkind == "date" and rkind == "date":
        out = out / _DAY
    if not isinstance(out, pd.Series):  # two literals: the checker refuses that; be safe
        out = pd.Series(out, index=df.index)
    return out, lna | rna, kind


def _compare(e: f.Compare, df: pd.DataFrame) -> pd.arrays.BooleanArray:
    if not f.columns_of(e):
        raise rules.needs_column("compare", e.pos)
    if not isinstance(e.left, f.Literal_):
        left, lna, lkind = _operand(df, e.left, None, "")
        right, rna, rkind = _operand(df, e.right, lkind, rules.operand_name(e.left))
    else:
        right, rna, rkind = _operand(df, e.right, None, "")
        left, lna, lkind = _operand(df, e.left, rkind, rules.operand_name(e.right))
    error = rules.incomparable(e.left, lkind, e.right, rkind, e.pos) or rules.not_ordered(
        e.op, lkind, e.pos
    )
    if error is not None:
        raise error
    na = lna | rna
    if isinstance(left, pd.Series) and isinstance(right, pd.Series):
        left, right = _plain(left), _plain(right)  # two categoricals: their codes differ
    with np.errstate(invalid="ignore"):
        raw = _OPS[e.op](left, right)
    raw = np.asarray(pd.Series(raw).fillna(False), dtype=bool) if len(df) else np.zeros(0, bool)
    return _kleene(raw, na)


def _plain(s: pd.Series) -> pd.Series:
    """A categorical column as its values."""
    if isinstance(s.dtype, pd.CategoricalDtype):
        return s.astype(s.cat.categories.dtype)
    return s


def _in(e: f.In, df: pd.DataFrame) -> pd.arrays.BooleanArray:
    if not isinstance(e.operand, f.Column):
        raise rules.needs_column("in", e.pos)
    s = _column(df, e.operand)
    kind = _value_kind(s)
    values = [_literal_for(v, kind, e.operand.name) for v in e.values]
    raw = s.isin(values).to_numpy(dtype=bool)
    if e.negated:
        raw = ~raw
    return _kleene(raw, s.isna().to_numpy())


def _has(e: f.Has, df: pd.DataFrame) -> pd.arrays.BooleanArray:
    if not isinstance(e.operand, f.Column):
        raise rules.needs_column("has", e.pos)
    s = _column(df, e.operand)
    error = rules.has_needs_text(e.value)
    if error is not None:
        raise error
    na = s.isna().to_numpy()
    sep = re.escape(MULTI_SEPARATOR)
    pattern = rf"(?:^|{sep})\s*{re.escape(str(e.value.value))}\s*(?:{sep}|$)"
    raw = s.astype("string").str.contains(pattern, regex=True).fillna(False)
    return _kleene(raw.to_numpy(dtype=bool), na)


def _truthy(e: f.Truthy, df: pd.DataFrame) -> pd.arrays.BooleanArray:
    if not isinstance(e.operand, f.Column):
        raise rules.needs_column("truthy", e.pos)
    s = _column(df, e.operand)
    if _value_kind(s) != "boolean" and not (
        s.dtype == object and s.dropna().map(type).eq(bool).all()
    ):
        raise rules.not_boolean(e.operand.name, None, e.pos)
    na = s.isna().to_numpy()
    raw = s.fillna(False).astype(bool).to_numpy()
    return _kleene(raw, na)


def _eval(e: f.Expr, df: pd.DataFrame) -> pd.arrays.BooleanArray:
    if isinstance(e, f.BoolOp):
        parts = [_eval(x, df) for x in e.exprs]
        out = parts[0]
        for p in parts[1:]:
            out = (out & p) if e.op == "and" else (out | p)
        return out
    if isinstance(e, f.Not):
        return ~_eval(e.expr, df)
    if isinstance(e, f.Compare):
        return _compare(e, df)
    if isinstance(e, f.In):
        return _in(e, df)
    if isinstance(e, f.IsMissing):
        if not isinstance(e.operand, f.Column):
            raise rules.needs_column("is missing", e.pos)
        miss = _column(df, e.operand).isna().to_numpy()
        return _kleene(~miss if e.negated else miss, np.zeros(len(df), dtype=bool))
    if isinstance(e, f.Has):
        return _has(e, df)
    if isinstance(e, f.Truthy):
        return _truthy(e, df)
    raise TypeError(f"unknown filter node {e!r}")  # pragma: no cover - all node types handled
