"""Turning a model's validation errors into located, plain-language findings.

pydantic reports an error at a ``loc`` such as ``('measure', 'sum', 'colum')`` where ``sum`` is the
tag of a union member rather than a key of the file; the path is resolved against the loaded data
so that the finding points at the line and column the user wrote.
"""

from __future__ import annotations

import re
import types
import typing
from dataclasses import replace
from typing import Any

from pydantic import BaseModel, ValidationError

from mel.definitions.models import SYNONYMS
from mel.definitions.yamlio import Document, Path_, dotted
from mel.errors import Finding, did_you_mean, hint_for, make


def data_path(data: Any, loc: tuple) -> Path_:
    """The part of ``loc`` that names keys and indexes of ``data`` (union tags are dropped)."""
    out: list[str | int] = []
    cur = data
    for part in loc:
        in_dict = isinstance(cur, dict) and part in cur
        in_list = isinstance(cur, list) and isinstance(part, int) and 0 <= part < len(cur)
        if in_dict or in_list:
            out.append(part)
            cur = cur[part]
        elif isinstance(cur, dict) and isinstance(part, str) and part == loc[-1]:
            # the missing or unknown key itself; other absent parts are union tags (skipped)
            out.append(part)
        # anything else (validator names, function names) is skipped
    return tuple(out)


def _unwrap(tp: Any) -> list[Any]:
    """The concrete types inside Annotated / Optional / Union / list / dict annotations."""
    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(tp)[0])
    if origin in (typing.Union, types.UnionType):
        out: list[Any] = []
        for a in typing.get_args(tp):
            out.extend(_unwrap(a))
        return out
    return [tp]


def _model_at(root: type[BaseModel], loc: tuple) -> type[BaseModel] | None:
    """The model class that holds the last element of ``loc``."""
    current: list[Any] = [root]
    for part in loc[:-1]:
        nxt: list[Any] = []
        for tp in current:
            if isinstance(tp, type) and issubclass(tp, BaseModel):
                if isinstance(part, str) and part in tp.model_fields:
                    nxt.extend(_unwrap(tp.model_fields[part].annotation))
                continue
            origin = typing.get_origin(tp)
            if origin is list and isinstance(part, int):
                nxt.extend(_unwrap(typing.get_args(tp)[0]))
            elif origin is dict:
                nxt.extend(_unwrap(typing.get_args(tp)[1]))
        # a union tag (e.g. 'sum') selects the member whose `type` literal matches
        if isinstance(part, str):
            tagged = [
                tp
                for tp in current
                if isinstance(tp, type)
                and issubclass(tp, BaseModel)
                and "type" in tp.model_fields
                and part in typing.get_args(tp.model_fields["type"].annotation)
            ]
            if tagged:
                nxt = tagged
        current = nxt or current
    models = [tp for tp in current if isinstance(tp, type) and issubclass(tp, BaseModel)]
    return models[0] if len(models) == 1 else None


_KIND = {
    str: "text",
    bool: "true/false",
    int: "a whole number",
    float: "a number",
    list: "a list",
    dict: "a mapping",
    type(None): "empty",
}


def _describe(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    kind = _KIND.get(type(value), type(value).__name__)
    if isinstance(value, dict | list):
        return kind
    if value is None:
        return "nothing (empty)"
    return f"{kind} {value!r}" if not isinstance(value, str) else f"text '{value}'"


_EXPECTED = {
    "string_type": "text",
    "int_type": "a whole number",
    "int_from_float": "a whole number",
    "float_type": "a number",
    "bool_type": "true or false",
    "list_type": "a list",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
    "date_type": "a date (YYYY-MM-DD)",
}


def _type_hint(expected: str, value: Any) -> str | None:
    if expected == "true or false" and isinstance(value, str):
        return f"write true or false; YAML 1.1 tools read '{value}' inconsistently"
    if expected in ("a whole number", "a number") and isinstance(value, str):
        if re.fullmatch(r"[-+]?0\d+", value):
            return f"a number with a leading zero is read as text: write {int(value)}"
        return "write the number without quotes"
    if expected == "text" and isinstance(value, bool):
        return "quote the value: YAML reads true/false as a boolean"
    if expected == "text" and isinstance(value, int | float):
        return "quote the value if it is text"
    if expected == "a list" and isinstance(value, str):
        return f"write a list: [{value}] or one '- item' per line"
    return None


def _allowed(ctx: dict | None) -> list[str]:
    if not ctx:
        return []
    expected = str(ctx.get("expected") or ctx.get("expected_tags") or "")
    quoted = re.findall(r"'([^']*)'", expected)
    return quoted or [p for p in re.split(r",\s*|\s+or\s+", expected) if p]


def findings_from_validation(
    doc: Document, exc: ValidationError, model: type[BaseModel], prefix: Path_ = ()
) -> list[Finding]:
    """One finding per validation error, located in ``doc``."""
    out: list[Finding] = []
    type_errors: dict[Path_, tuple[list[str], Any]] = {}
    data = doc.data
    for sub in prefix:
        data = data[sub]
    for err in exc.errors(include_url=False):
        loc = tuple(err["loc"])
        etype = err["type"]
        path = (*prefix, *data_path(data, loc))
        value = err.get("input")
        ctx = err.get("ctx")
        if etype == "extra_forbidden":
            out.append(_unknown_key(doc, model, loc, path))
        elif etype == "missing":
            key = str(loc[-1])
            parent = path[:-1] if path and path[-1] == key else path
            out.append(
                doc.finding(
                    "missing-key",
                    make("missing-key", key=key),
                    parent,
                    prefer_key=True,
                    hint=f"add '{key}:' here",
                    scope="key",
                )
            )
        elif etype in ("literal_error", "enum", "union_tag_invalid"):
            out.append(_bad_value(doc, etype, value, ctx, path))
        elif etype == "union_tag_not_found":
            out.append(
                doc.finding(
                    "missing-key",
                    make("missing-key", key="type"),
                    path,
                    prefer_key=True,
                    hint="add 'type:' with one of the measure types",
                    scope="key",
                )
            )
        elif etype in _EXPECTED:
            # a union (e.g. number or true/false) reports one error per member: merge them
            expected = _EXPECTED[etype]
            if path in type_errors:
                if expected not in type_errors[path][0]:
                    type_errors[path][0].append(expected)
                continue
            type_errors[path] = ([expected], value)
            out.append(doc.finding("wrong-type", "", path))  # placeholder, filled below
        else:
            msg = err["msg"]
            msg = re.sub(r"^(Value error|Assertion failed), ", "", msg)
            if etype == "string_pattern_mismatch":
                msg = f"'{value}' is not a valid name here ({_pattern_words(str(loc[-1]))})"
            elif etype == "string_too_short" or (
                etype == "too_short" and isinstance(value, list | dict)
            ):
                msg = "must not be empty"
            out.append(doc.finding("invalid", msg, path, value=_short(value)))
    return _with_type_errors(out, type_errors)


def _unknown_key(doc: Document, model: type[BaseModel], loc: tuple, path: Path_) -> Finding:
    key = str(loc[-1])
    owner = _model_at(model, loc)
    fields = list(owner.model_fields) if owner else []
    guess = SYNONYMS.get(key) if SYNONYMS.get(key) in fields else did_you_mean(key, fields)
    otherwise = "allowed keys: " + ", ".join(fields) if fields else None
    return doc.finding(
        "unknown-key",
        make("unknown-key", key=key),
        path,
        prefer_key=True,
        hint=hint_for(guess, otherwise),
        scope="key",
        suggestion=guess,
    )


def _bad_value(doc: Document, etype: str, value: Any, ctx: Any, path: Path_) -> Finding:
    """A value outside a list of allowed ones (a literal, an enum, a measure's type)."""
    allowed = _allowed(ctx)
    shown = value
    if etype == "union_tag_invalid":
        shown = (ctx or {}).get("tag", value)
        path = (*path, "type") if path[-1:] != ("type",) else path
    guess = SYNONYMS.get(str(shown)) if SYNONYMS.get(str(shown)) in allowed else None
    guess = guess or did_you_mean(str(shown), allowed)
    hint = hint_for(guess)
    if isinstance(shown, str) and re.fullmatch(r"[-+]?0\d+", shown):
        hint = f"a number with a leading zero is read as text: write {int(shown)}"
    return doc.finding(
        "bad-value",
        f"'{shown}' is not allowed here; expected one of: " + ", ".join(allowed),
        path,
        hint=hint,
        value=str(shown),
        suggestion=guess,
    )


def _with_type_errors(out: list[Finding], type_errors: dict) -> list[Finding]:
    """The wrong-type placeholders filled in: every type a union allows, in one finding."""
    for i, f in enumerate(out):
        if f.code == "wrong-type" and not f.message:
            path = next(p for p in type_errors if dotted(p) == f.path)
            kinds, value = type_errors[path]
            if "a whole number" in kinds and "a number" in kinds:
                kinds.remove("a whole number")
            expected = " or ".join(kinds)
            out[i] = replace(
                f,
                message=f"expected {expected}, found {_describe(value)}",
                hint=_type_hint(kinds[0], value),
                value=None if isinstance(value, dict | list) else str(value),
            )
    return out


def _pattern_words(field: str) -> str:
    if field in ("id", "indicator"):
        return "letters, digits, '.', '-' and '_', starting with a letter or digit"
    return "lower-case letters, digits and '_', starting with a letter"


def _short(value: Any) -> str | None:
    if isinstance(value, dict | list) or value is None:
        return None
    text = str(value)
    return text if len(text) <= 80 else text[:77] + "..."


__all__ = ["data_path", "dotted", "findings_from_validation"]
