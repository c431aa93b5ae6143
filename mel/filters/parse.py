"""Parsing a filter: a hand-written tokenizer and recursive-descent parser (never ``eval``)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal, cast

from mel.filters.nodes import (
    Arith,
    BoolOp,
    Column,
    Compare,
    Expr,
    FilterSyntaxError,
    Has,
    In,
    IsMissing,
    Literal_,
    Not,
    Operand,
    Truthy,
)

_MAX_LENGTH = 4000
_MAX_DEPTH = 50


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
            number = float(tok) if any(c in tok for c in ".eE") else int(tok)
            yield Token("NUMBER", tok, i, number)
        elif kind == "name":
            if tok.lower() in KEYWORDS:
                yield Token("KEYWORD", tok.lower(), i)
            else:
                yield Token("NAME", tok, i, tok)
        else:
            yield Token(str(kind).upper(), tok, i)
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
            left = Arith(cast(Literal["+", "-"], op), left, self.operand(), left.pos)
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
            return Literal_(-cast(float, num.value), "number", tok.pos)
        if tok.kind == "STRING":
            self.advance()
            return Literal_(str(tok.value), "string", tok.pos)
        if tok.kind == "NUMBER":
            self.advance()
            return Literal_(cast(float, tok.value), "number", tok.pos)
        if tok.kind == "DATE":
            self.advance()
            return Literal_(cast(dt.date, tok.value), "date", tok.pos)
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
        values: list[Literal_] = []
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
