"""The filter language's type rules and their messages: one table that the checker (before any
data is read) and the evaluator (on the data) both read, so that they can never disagree."""

from __future__ import annotations

from mel.filters.nodes import Column, FilterTypeError, Literal_, Operand, ValueType

# a column's declared type -> the kind of value it holds in a filter
VALUE_TYPE: dict[str, ValueType] = {
    "string": "string",
    "code": "string",
    "integer": "number",
    "number": "number",
    "date": "date",
    "boolean": "boolean",
}

# (left kind, operator, right kind) -> the kind of the result; anything else is refused
ARITH_TYPES: dict[tuple[str, str, str], ValueType] = {
    ("number", "+", "number"): "number",
    ("number", "-", "number"): "number",
    ("date", "-", "date"): "number",
    ("date", "+", "number"): "date",
    ("date", "-", "number"): "date",
    ("number", "+", "date"): "date",
}

ORDERING = ("<", "<=", ">", ">=")  # operators that need an order
ORDERED_KINDS = ("number", "date")  # the kinds that have one

# what each construct needs on its left, and the message when it has not a column there
NEEDS_COLUMN = {
    "compare": ("a comparison needs at least one column", None),
    "in": ("'in' needs a column on its left", None),
    "is missing": ("'is missing' needs a column on its left", None),
    "has": ("'has' needs a column on its left", None),
    "truthy": ("a value alone is not a condition", "compare it with a column"),
}


def describe(t: str) -> str:
    """A value kind as a reader says it."""
    return {
        "string": "text",
        "number": "numbers",
        "date": "dates",
        "boolean": "true/false",
    }.get(t, t)


def show(lit: Literal_) -> str:
    return f"'{lit.value}'" if lit.type == "string" else str(lit.value)


def operand_name(o: Operand) -> str:
    """How an operand reads in a message: a column's name, a sum written out, a value."""
    if isinstance(o, Column):
        return o.name
    if not isinstance(o, Literal_):
        return f"{operand_name(o.left)} {o.op} {operand_name(o.right)}"
    return show(o)


def arith_kind(left: str, op: str, right: str) -> ValueType | None:
    return ARITH_TYPES.get((left, op, right))


# --- the errors, one constructor per rule ---------------------------------------------------------


def needs_column(construct: str, pos: int) -> FilterTypeError:
    message, hint = NEEDS_COLUMN[construct]
    return FilterTypeError(message, pos, hint)


def unknown_column(name: str, pos: int, hint: str | None = None) -> FilterTypeError:
    return FilterTypeError(f"unknown column '{name}'", pos, hint)


def cannot_compute(left: str, op: str, right: str, pos: int) -> FilterTypeError:
    return FilterTypeError(
        f"cannot compute {describe(left)} {op} {describe(right)}",
        pos,
        "add or subtract numbers; a date minus a date gives days; "
        "a date plus or minus a number of days gives a date",
    )


def several_values(name: str, pos: int, in_sum: bool = False) -> FilterTypeError:
    if in_sum:
        return FilterTypeError(
            f"column '{name}' holds several values per record; it cannot be added or subtracted",
            pos,
        )
    return FilterTypeError(
        f"column '{name}' holds several values per record", pos, f"write {name} has 'value'"
    )


def not_ordered(op: str, kind: str, pos: int) -> FilterTypeError | None:
    """The error when ``op`` needs an order that values of ``kind`` do not have."""
    if op in ORDERING and kind not in ORDERED_KINDS:
        return FilterTypeError(
            f"'{op}' compares numbers or dates, not {describe(kind)}",
            pos,
            "use == or in [...] for text and codes",
        )
    return None


def literal_mismatch(name: str, want: str, lit: Literal_) -> FilterTypeError | None:
    """The error when a value of the wrong kind is compared with ``name`` (holding ``want``)."""
    if lit.type == want:
        return None
    hint = None
    if want == "date" and lit.type == "string":
        hint = "write dates without quotes, like 2024-01-31"
    elif want == "number" and lit.type == "string":
        hint = "write numbers without quotes"
    elif want == "string":
        hint = "quote text values"
    return FilterTypeError(
        f"'{name}' holds {describe(want)} but is compared with {describe(lit.type)}", lit.pos, hint
    )


def incomparable(left: Operand, lkind: str, right: Operand, rkind: str, pos: int):
    if lkind == rkind:
        return None
    return FilterTypeError(
        f"'{operand_name(left)}' ({describe(lkind)}) cannot be compared with "
        f"'{operand_name(right)}' ({describe(rkind)})",
        pos,
    )


def has_on_single(name: str, value: Literal_, pos: int) -> FilterTypeError:
    return FilterTypeError(
        f"'has' is for columns with several values per record; '{name}' holds one",
        pos,
        f"write {name} == {show(value)}",
    )


def has_needs_text(value: Literal_) -> FilterTypeError | None:
    if value.type == "string":
        return None
    return FilterTypeError("'has' takes a text value", value.pos, "quote the value")


def not_boolean(name: str, kind: str | None, pos: int) -> FilterTypeError:
    held = f"holds {describe(kind)}, not true/false" if kind else "does not hold true/false"
    return FilterTypeError(f"column '{name}' {held}", pos, f"compare it, e.g. {name} == ...")
