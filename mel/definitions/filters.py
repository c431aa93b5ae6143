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
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Literal

ColumnType = Literal["string", "code", "integer", "number", "date", "boolean"]
ValueType = Literal["string", "number", "date", "boolean"]

_MAX_LENGTH = 4000
_MAX_DEPTH = 50


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


# --- tokens --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Token:
    kind: str  # NAME KEYWORD STRING NUMBER DATE OP LPAREN RPAREN LBRACKET RBRACKET COMMA END
    text: str
    pos: int
    value: object = None


KEYWORDS = {"and", "or", "not", "in", "is", "missing", "has", "true", "false"}
_TOKEN_RE = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<date>\d{4}-\d{2}-\d{2}(?![\w.-]))
  | (?P<number>(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?(?![\w.]))
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op>==|!=|<=|>=|<|>|=)
  | (?P<arith>[+-])
  | (?P<lparen>\()
  | (?P<rparen>\))
  | (?P<lbracket>\[)
  | (?P<rbracket>\])
  | (?P<comma>,)
    """,
    re.VERBOSE,
)


def tokenize(text: str) -> Iterator[Token]:
    i = 0
    n = len(text)
    while i < n:
        ch = text[i]
        if ch in "'\"":
            yield _string(text, i)
            i = _string_end(text, i)
            continue
        if ch == "`":
            end = text.find("`", i + 1)
            if end < 0:
                raise FilterSyntaxError("unclosed `quoted column name`", i, "add the closing `")
            name = text[i + 1 : end]
            if not name.strip():
                raise FilterSyntaxError("empty `quoted column name`", i)
            yield Token("NAME", text[i : end + 1], i, name)
            i = end + 1
            continue
        m = _TOKEN_RE.match(text, i)
        if m is None:
            hint = None
            if ch == "&":
                hint = "write 'and'"
            elif ch == "|":
                hint = "write 'or'"
            elif ch == "!":
                hint = "write 'not' or '!='"
            raise FilterSyntaxError(f"unexpected character {ch!r}", i, hint)
        kind = m.lastgroup
        tok = m.group()
        if kind == "ws":
            pass
        elif kind == "date":
            try:
                value = dt.date.fromisoformat(tok)
            except ValueError:
                raise FilterSyntaxError(f"'{tok}' is not a real date", i) from None
            yield Token("DATE", tok, i, value)
        elif kind == "number":
            value = float(tok) if any(c in tok for c in ".eE") else int(tok)
            yield Token("NUMBER", tok, i, value)
        elif kind == "name":
            if tok.lower() in KEYWORDS:
                yield Token("KEYWORD", tok.lower(), i)
            else:
                yield Token("NAME", tok, i, tok)
        else:
            yield Token(kind.upper(), tok, i)
        i = m.end()
    yield Token("END", "", n)


def _string_end(text: str, start: int) -> int:
    quote = text[start]
    i = start + 1
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text[i] == quote:
            return i + 1
        i += 1
    raise FilterSyntaxError("unclosed text: a quote is missing", start, f"add the closing {quote}")


def _string(text: str, start: int) -> Token:
    end = _string_end(text, start)
    body = text[start + 1 : end - 1]
    value = re.sub(r"\\(.)", r"\1", body)
    return Token("STRING", text[start:end], start, value)


# --- parser --------------------------------------------------------------------------------------

_COMPARE_OPS = {"==": "==", "=": "==", "!=": "!=", "<": "<", "<=": "<=", ">": ">", ">=": ">="}


class _Parser:
    def __init__(self, text: str):
        self.text = text
        self.tokens = list(tokenize(text))
        self.i = 0
        self.depth = 0

    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def advance(self) -> Token:
        tok = self.tokens[self.i]
        if tok.kind != "END":
            self.i += 1
        return tok

    def is_kw(self, *words: str) -> bool:
        return self.tok.kind == "KEYWORD" and self.tok.text in words

    def expect(self, kind: str, what: str) -> Token:
        if self.tok.kind != kind:
            raise self.unexpected(what)
        return self.advance()

    def unexpected(self, wanted: str) -> FilterSyntaxError:
        tok = self.tok
        found = "the end of the filter" if tok.kind == "END" else f"'{tok.text}'"
        return FilterSyntaxError(f"expected {wanted} but found {found}", tok.pos)

    def parse(self) -> Expr:
        expr = self.or_expr()
        if self.tok.kind != "END":
            tok = self.tok
            hint = None
            if tok.kind in ("NAME", "STRING", "NUMBER", "DATE"):
                hint = "join conditions with 'and' or 'or'"
            elif tok.kind == "RPAREN":
                hint = "this ')' has no matching '('"
            raise FilterSyntaxError(f"unexpected '{tok.text}'", tok.pos, hint)
        return expr

    def nested(self):
        self.depth += 1
        if self.depth > _MAX_DEPTH:
            raise FilterSyntaxError("the filter is nested too deeply", self.tok.pos)

    def or_expr(self) -> Expr:
        pos = self.tok.pos
        exprs = [self.and_expr()]
        while self.is_kw("or"):
            self.advance()
            exprs.append(self.and_expr())
        return exprs[0] if len(exprs) == 1 else BoolOp("or", tuple(exprs), pos)

    def and_expr(self) -> Expr:
        pos = self.tok.pos
        exprs = [self.not_expr()]
        while self.is_kw("and"):
            self.advance()
            exprs.append(self.not_expr())
        return exprs[0] if len(exprs) == 1 else BoolOp("and", tuple(exprs), pos)

    def not_expr(self) -> Expr:
        if self.is_kw("not"):
            pos = self.advance().pos
            self.nested()
            inner = self.not_expr()
            self.depth -= 1
            return Not(inner, pos)
        return self.predicate()

    def predicate(self) -> Expr:
        if self.tok.kind == "LPAREN":
            open_tok = self.advance()
            self.nested()
            expr = self.or_expr()
            self.depth -= 1
            if self.tok.kind != "RPAREN":
                err = self.unexpected("')'")
                err.hint = f"the '(' at character {open_tok.pos + 1} is not closed"
                raise err
            self.advance()
            return expr
        left = self.sum()
        tok = self.tok
        if tok.kind == "OP":
            self.advance()
            right = self.sum()
            return Compare(_COMPARE_OPS[tok.text], left, right, left.pos)
        if isinstance(left, Arith):
            err = self.unexpected("a comparison (==, <, >= ...)")
            err.hint = "compare the sum with a value, e.g. post_score - pre_score >= 10"
            raise err
        if self.is_kw("in"):
            self.advance()
            return In(left, self.literal_list(), False, left.pos)
        if self.is_kw("not"):
            self.advance()
            if not self.is_kw("in"):
                raise self.unexpected("'in' after 'not'")
            self.advance()
            return In(left, self.literal_list(), True, left.pos)
        if self.is_kw("is"):
            self.advance()
            negated = False
            if self.is_kw("not"):
                self.advance()
                negated = True
            if not self.is_kw("missing"):
                err = self.unexpected("'missing'")
                err.hint = "write 'is missing' or 'is not missing'"
                raise err
            self.advance()
            return IsMissing(left, negated, left.pos)
        if self.is_kw("has"):
            self.advance()
            return Has(left, self.literal(), left.pos)
        return Truthy(left, left.pos)

    def sum(self) -> Operand:
        left = self.operand()
        terms = 0
        while self.tok.kind == "ARITH":
            op = self.advance().text
            terms += 1
            if terms > _MAX_DEPTH:
                raise FilterSyntaxError("the sum has too many terms", self.tok.pos)
            left = Arith(op, left, self.operand(), left.pos)  # type: ignore[arg-type]
        return left

    def operand(self) -> Operand:
        tok = self.tok
        if tok.kind == "NAME":
            self.advance()
            return Column(str(tok.value), tok.pos)
        if tok.kind in ("STRING", "NUMBER", "DATE") or self.is_kw("true", "false"):
            return self.literal()
        if tok.kind == "ARITH" and tok.text == "-":
            return self.literal()
        raise self.unexpected("a column name or a value")

    def literal(self) -> Literal_:
        tok = self.tok
        if tok.kind == "ARITH" and tok.text == "-":
            self.advance()
            if self.tok.kind != "NUMBER":
                raise self.unexpected("a number after '-'")
            num = self.advance()
            return Literal_(-num.value, "number", tok.pos)  # type: ignore[operator]
        if tok.kind == "STRING":
            self.advance()
            return Literal_(str(tok.value), "string", tok.pos)
        if tok.kind == "NUMBER":
            self.advance()
            return Literal_(tok.value, "number", tok.pos)  # type: ignore[arg-type]
        if tok.kind == "DATE":
            self.advance()
            return Literal_(tok.value, "date", tok.pos)  # type: ignore[arg-type]
        if self.is_kw("true", "false"):
            self.advance()
            return Literal_(tok.text == "true", "boolean", tok.pos)
        err = self.unexpected("a value ('text', a number, a date or true/false)")
        if tok.kind == "NAME":
            err.hint = f"quote text values: '{tok.text}'"
        raise err

    def literal_list(self) -> tuple[Literal_, ...]:
        if self.tok.kind != "LBRACKET":
            err = self.unexpected("'['")
            err.hint = "write a list like ['a', 'b']"
            raise err
        self.advance()
        values = []
        while True:
            if self.tok.kind == "RBRACKET" and values:
                break
            values.append(self.literal())
            if self.tok.kind == "COMMA":
                self.advance()
                continue
            break
        if self.tok.kind != "RBRACKET":
            raise self.unexpected("',' or ']'")
        self.advance()
        return tuple(values)


def parse(text: str) -> Expr:
    """Parse a filter expression; raises :class:`FilterSyntaxError` pointing at the character."""
    if not isinstance(text, str):
        raise FilterSyntaxError("a filter must be text", 0)
    if len(text) > _MAX_LENGTH:
        raise FilterSyntaxError(f"the filter is longer than {_MAX_LENGTH} characters", _MAX_LENGTH)
    if not text.strip():
        raise FilterSyntaxError("the filter is empty", 0, "remove the key or write a condition")
    return _Parser(text).parse()


# --- static checks -------------------------------------------------------------------------------

_VALUE_TYPE: dict[str, ValueType] = {
    "string": "string",
    "code": "string",
    "integer": "number",
    "number": "number",
    "date": "date",
    "boolean": "boolean",
}


@dataclass(frozen=True)
class ColumnInfo:
    """What the checker needs to know of a column."""

    type: ColumnType
    codes: tuple[str, ...] | None = None  # allowed values for a code column
    multiple: bool = False  # holds several values per record


def columns_of(expr: Expr) -> list[Column]:
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


def check(expr: Expr, columns: Mapping[str, ColumnInfo]) -> list[FilterError]:
    """Check names and types against the dataset's columns; returns every problem found."""
    from mel.errors import did_you_mean

    problems: list[FilterError] = []

    def col_info(c: Column) -> ColumnInfo | None:
        if c.name in columns:
            return columns[c.name]
        guess = did_you_mean(c.name, columns)
        problems.append(
            FilterTypeError(
                f"unknown column '{c.name}'",
                c.pos,
                f"did you mean '{guess}'?" if guess else "see the dataset template for its columns",
            )
        )
        return None

    def vtype(o: Operand) -> tuple[ValueType | None, ColumnInfo | None]:
        if isinstance(o, Column):
            info = col_info(o)
            return (_VALUE_TYPE[info.type] if info else None), info
        if isinstance(o, Arith):
            return arith_type(o), None
        return o.type, None

    def arith_type(a: Arith) -> ValueType | None:
        lt, li = vtype(a.left)
        rt, ri = vtype(a.right)
        if lt is None or rt is None:
            return None
        for info, side in ((li, a.left), (ri, a.right)):
            if info is not None and info.multiple:
                problems.append(
                    FilterTypeError(
                        f"column '{side.name}' holds several values per record; it cannot be "  # type: ignore[union-attr]
                        "added or subtracted",
                        side.pos,
                    )
                )
                return None
        result = _ARITH_TYPES.get((lt, a.op, rt))
        if result is None:
            problems.append(
                FilterTypeError(
                    f"cannot compute {describe(lt)} {a.op} {describe(rt)}",
                    a.pos,
                    "add or subtract numbers; a date minus a date gives days; "
                    "a date plus or minus a number of days gives a date",
                )
            )
        return result

    def check_literal(lit: Literal_, want: ValueType, info: ColumnInfo | None, name: str) -> None:
        if lit.type != want:
            hint = None
            if want == "date" and lit.type == "string":
                hint = "write dates without quotes, like 2024-01-31"
            elif want == "number" and lit.type == "string":
                hint = "write numbers without quotes"
            elif want == "string":
                hint = "quote text values"
            problems.append(
                FilterTypeError(
                    f"'{name}' holds {describe(want)} but is compared with {describe(lit.type)}",
                    lit.pos,
                    hint,
                )
            )
        elif (
            info is not None
            and info.codes is not None
            and lit.type == "string"
            and lit.value not in info.codes
        ):
            guess = did_you_mean(str(lit.value), info.codes)
            problems.append(
                FilterTypeError(
                    f"'{lit.value}' is not a code of column '{name}'",
                    lit.pos,
                    f"did you mean '{guess}'?"
                    if guess
                    else "allowed: " + ", ".join(info.codes[:12]),
                )
            )

    def walk(e: Expr) -> None:
        if isinstance(e, BoolOp):
            for x in e.exprs:
                walk(x)
        elif isinstance(e, Not):
            walk(e.expr)
        elif isinstance(e, Compare):
            if not columns_of(e):
                problems.append(FilterTypeError("a comparison needs at least one column", e.pos))
                return
            lt, li = vtype(e.left)
            rt, ri = vtype(e.right)
            if lt is None or rt is None:
                return
            for info, col in ((li, e.left), (ri, e.right)):
                if info is not None and info.multiple and isinstance(col, Column):
                    problems.append(
                        FilterTypeError(
                            f"column '{col.name}' holds several values per record",
                            col.pos,
                            f"write {col.name} has 'value'",
                        )
                    )
                    return
            if e.op in ("<", "<=", ">", ">=") and (lt not in ("number", "date")):
                problems.append(
                    FilterTypeError(
                        f"'{e.op}' compares numbers or dates, not {describe(lt)}",
                        e.pos,
                        "use == or in [...] for text and codes",
                    )
                )
                return
            if isinstance(e.right, Literal_):
                check_literal(e.right, lt, li, operand_name(e.left))
            elif isinstance(e.left, Literal_):
                check_literal(e.left, rt, ri, operand_name(e.right))
            elif lt != rt:
                problems.append(
                    FilterTypeError(
                        f"'{operand_name(e.left)}' ({describe(lt)}) cannot be compared with "
                        f"'{operand_name(e.right)}' ({describe(rt)})",
                        e.pos,
                    )
                )
        elif isinstance(e, In):
            if not isinstance(e.operand, Column):
                problems.append(FilterTypeError("'in' needs a column on its left", e.pos))
                return
            t, info = vtype(e.operand)
            if t is None:
                return
            if info is not None and info.multiple:
                problems.append(
                    FilterTypeError(
                        f"column '{e.operand.name}' holds several values per record",
                        e.pos,
                        f"write {e.operand.name} has 'value'",
                    )
                )
                return
            for lit in e.values:
                check_literal(lit, t, info, e.operand.name)
        elif isinstance(e, IsMissing):
            if not isinstance(e.operand, Column):
                problems.append(FilterTypeError("'is missing' needs a column on its left", e.pos))
            else:
                vtype(e.operand)
        elif isinstance(e, Has):
            if not isinstance(e.operand, Column):
                problems.append(FilterTypeError("'has' needs a column on its left", e.pos))
                return
            t, info = vtype(e.operand)
            if info is None:
                return
            if not info.multiple:
                problems.append(
                    FilterTypeError(
                        f"'has' is for columns with several values per record; "
                        f"'{e.operand.name}' holds one",
                        e.pos,
                        f"write {e.operand.name} == {_show(e.value)}",
                    )
                )
                return
            check_literal(e.value, t, info, e.operand.name)  # type: ignore[arg-type]
        elif isinstance(e, Truthy):
            if not isinstance(e.operand, Column):
                problems.append(
                    FilterTypeError(
                        "a value alone is not a condition", e.pos, "compare it with a column"
                    )
                )
                return
            t, _ = vtype(e.operand)
            if t is not None and t != "boolean":
                problems.append(
                    FilterTypeError(
                        f"column '{e.operand.name}' holds {describe(t)}, not true/false",
                        e.pos,
                        f"compare it, e.g. {e.operand.name} == ...",
                    )
                )

    walk(expr)
    return problems


_ARITH_TYPES: dict[tuple[str, str, str], ValueType] = {
    ("number", "+", "number"): "number",
    ("number", "-", "number"): "number",
    ("date", "-", "date"): "number",
    ("date", "+", "number"): "date",
    ("date", "-", "number"): "date",
    ("number", "+", "date"): "date",
}


def operand_name(o: Operand) -> str:
    """How an operand reads in a message: a column's name, a sum written out, a value."""
    if isinstance(o, Column):
        return o.name
    if isinstance(o, Arith):
        return f"{operand_name(o.left)} {o.op} {operand_name(o.right)}"
    return _show(o)


def describe(t: str) -> str:
    return {
        "string": "text",
        "number": "numbers",
        "date": "dates",
        "boolean": "true/false",
    }.get(t, t)


def _show(lit: Literal_) -> str:
    return f"'{lit.value}'" if lit.type == "string" else str(lit.value)
