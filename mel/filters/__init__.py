"""The filter language of ``where:`` clauses and cross-column rules.

A small, safe expression language, parsed to an AST by hand (never ``eval``/``query``)::

    sex == 'Female' and age < 18
    trafficking_status in ['actual', 'possible']
    not (exploitation has 'sexual') or exit_date is missing
    registration_date >= 2024-01-01 and country != 'SDN'
    exit_date >= entry_date
    post_score - pre_score >= 10
    closure_date - registration_date <= 90

Grammar (keywords are case-insensitive)::

    expr       := or_expr
    or_expr    := and_expr ('or' and_expr)*
    and_expr   := not_expr ('and' not_expr)*
    not_expr   := 'not' not_expr | predicate
    predicate  := '(' expr ')'
                | sum compare_op sum
                | operand [ compare_op operand
                          | ['not'] 'in' '[' literal (',' literal)* [','] ']'
                          | 'is' ['not'] 'missing'
                          | 'has' literal ]
    sum        := operand (('+' | '-') operand)*
    operand    := column | literal
    column     := NAME | `quoted name`
    literal    := 'text' | "text" | ['-'] NUMBER | DATE (YYYY-MM-DD) | true | false
    compare_op := == | = | != | < | <= | > | >=

Missing values follow three-valued logic, as in SQL: a comparison with a missing value is
*unknown*, ``not unknown`` is unknown, and a record is kept only where the whole filter is true.
So ``sex != 'Female'`` does not keep records whose sex is missing; write
``sex != 'Female' or sex is missing`` for that.

Arithmetic (``+``, ``-``) is allowed on the sides of a comparison: numbers with numbers, a date
minus a date gives days, a date plus or minus a number of days gives a date. A sum with a missing
part is missing, so its comparison is unknown.

Errors are :class:`FilterSyntaxError` (with the character offset) and :class:`FilterTypeError`.

Rooms: :mod:`.nodes` (the syntax tree), :mod:`.parse`, :mod:`.rules` (the one table of type rules
and messages), :mod:`.check` (before data is read) and :mod:`.evaluate` (on a DataFrame).
"""

from mel.filters.check import ColumnInfo, check
from mel.filters.evaluate import MULTI_SEPARATOR, mask, tristate
from mel.filters.nodes import (
    Arith,
    BoolOp,
    Column,
    ColumnType,
    Compare,
    Expr,
    FilterError,
    FilterSyntaxError,
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
from mel.filters.parse import parse, tokenize
from mel.filters.rules import describe, operand_name

__all__ = [
    "MULTI_SEPARATOR",
    "Arith",
    "BoolOp",
    "Column",
    "ColumnInfo",
    "ColumnType",
    "Compare",
    "Expr",
    "FilterError",
    "FilterSyntaxError",
    "FilterTypeError",
    "Has",
    "In",
    "IsMissing",
    "Literal_",
    "Not",
    "Operand",
    "Truthy",
    "ValueType",
    "check",
    "columns_of",
    "describe",
    "mask",
    "operand_name",
    "parse",
    "tokenize",
    "tristate",
]
