"""mel code lists made from a form's choice lists (``mel codelists from-form``).

Each choice list becomes a code list: the choices' names are the codes (as the form's exports
write them), the label in the form's default language is the label, labels in mel's other
report languages are kept as translations, and labels in every other language become aliases
(so that an export written with labels, in any of the form's languages, is read). A list that
cannot become a code list is reported with its reason, never dropped silently."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, get_args

from mel.definitions.models import CodeList, Language
from mel.definitions.xlsform import Choice, Form

MEL_LANGUAGES: tuple[str, ...] = get_args(Language)
_LANGUAGE_NAMES = {"english": "en", "french": "fr", "français": "fr", "spanish": "es",
                   "español": "es"}  # fmt: skip


@dataclass(frozen=True)
class Unmapped:
    list_name: str
    reason: str


@dataclass(frozen=True)
class Made:
    list_name: str  # as the form names it
    name: str  # the code list's name
    document: dict[str, Any]  # the YAML document
    notes: tuple[str, ...] = ()


def code_list_name(list_name: str, prefix: str = "") -> str | None:
    """A mel code-list name for a choice list's name (lower case, letters, digits and _)."""
    name = re.sub(r"[^a-z0-9_]+", "_", (prefix + list_name).strip().casefold()).strip("_")
    if not name or not name[0].isalpha():
        return None
    return name[:64]


def _language(code: str) -> str:
    return _LANGUAGE_NAMES.get(code.casefold(), code.casefold())


def _entry(choice: Choice, default: str, used: set[str], notes: list[str]) -> dict[str, Any]:
    code = choice.name.strip()
    if code != choice.name:
        notes.append(f"choice '{choice.name}' is written without its surrounding spaces")
    labels = {_language(k): v for k, v in choice.labels.items() if v}
    label = labels.get(default) or next(iter(labels.values()), None)
    entry: dict[str, Any] = {"code": code}
    if label:
        entry["label"] = label
    translations = {
        lang: text
        for lang, text in sorted(labels.items())
        if lang in MEL_LANGUAGES and lang != default and text != label
    }
    if translations:
        entry["labels"] = translations
    aliases = []
    for lang, text in sorted(labels.items()):
        if lang in MEL_LANGUAGES or text in (code, label) or text.casefold() in used:
            continue
        aliases.append(text)
        used.add(text.casefold())
    if aliases:
        entry["aliases"] = aliases
    return entry


def _one(form: Form, list_name: str, choices: list[Choice], prefix: str, default: str):
    name = code_list_name(list_name, prefix)
    if name is None:
        return Unmapped(list_name, "its name has no letter to start a code-list name with")
    if not choices:
        return Unmapped(list_name, "it has no choices")
    codes = [c.name.strip() for c in choices]
    blank = [c for c in codes if not c]
    if blank:
        return Unmapped(list_name, "a choice has no name")
    twice = sorted({c for c in codes if codes.count(c) > 1})
    if twice:
        return Unmapped(list_name, f"the choice '{twice[0]}' appears twice")
    notes: list[str] = []
    used = {c.casefold() for c in codes}
    values = [_entry(c, default, used, notes) for c in choices]
    used_by = sorted(q.name for q in form.questions.values() if q.list_name == list_name)
    document = {
        "name": name,
        "title": list_name,
        "description": f"The choices of '{list_name}' in the form '{form.title}' ({form.file})"
        + (f", asked by {', '.join(used_by)}" if used_by else ", asked by no question")
        + ".",
        "values": values,
    }
    CodeList.model_validate(document)  # what the catalog loader will check
    return Made(list_name, name, document, tuple(notes))


def codelists_from_form(
    form: Form, *, prefix: str = "", language: str | None = None
) -> tuple[list[Made], list[Unmapped]]:
    """A code list for every choice list of the form, or the reason it cannot be one."""
    default = _language(language or "") or "en"
    if language is None and form.languages:
        named = [_language(x) for x in form.languages if x]
        default = "en" if "en" in named or "" in form.languages else (named[0] if named else "en")
    made: list[Made] = []
    unmapped: list[Unmapped] = []
    for list_name, choices in form.choices.items():
        try:
            got = _one(form, list_name, choices, prefix, default)
        except ValueError as exc:  # pydantic's ValidationError is a ValueError
            got = Unmapped(list_name, str(exc).splitlines()[-1].strip())
        if isinstance(got, Made):
            made.append(got)
        else:
            unmapped.append(got)
    return made, unmapped


__all__ = ["Made", "Unmapped", "code_list_name", "codelists_from_form"]
