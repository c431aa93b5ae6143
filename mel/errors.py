"""Findings and the exceptions that carry them.

Every problem `mel` reports about a user's file is a :class:`Finding`: an error type (a stable
code with a title and a message template), where it is (file, line and column for text files; row
and column name for data), severity, and a hint or suggested value where one exists. Loading
collects all findings of a file before raising one :class:`MelError` that carries them all.

Exit codes are fixed: 0 ok, 1 data problems, 2 usage or definition errors, 3 internal error.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

EXIT_OK = 0
EXIT_DATA = 1
EXIT_DEFINITION = 2
EXIT_USAGE = 2
EXIT_INTERNAL = 3

Severity = Literal["error", "warning"]
Scope = Literal["file", "key", "value", "dataset", "column", "row", "cell"]


@dataclass(frozen=True)
class ErrorType:
    code: str
    title: str
    template: str


ERROR_TYPES: dict[str, ErrorType] = {}


def _register(code: str, title: str, template: str) -> ErrorType:
    et = ErrorType(code, title, template)
    ERROR_TYPES[code] = et
    return et


# --- YAML and file level -------------------------------------------------------------------------
_register("file-missing", "File not found", "{path} does not exist")
_register("file-unreadable", "File cannot be read", "cannot read the file: {reason}")
_register("file-empty", "Empty file", "the file is empty")
_register("yaml-syntax", "YAML syntax error", "{problem}")
_register("yaml-tab", "Tab character", "a tab character is used for indentation")
_register(
    "yaml-duplicate-key", "Duplicate key", "key '{key}' appears twice (first at line {first})"
)
_register("yaml-alias", "Anchor or alias", "YAML anchors and aliases (&, *) are not supported")
_register("yaml-tag", "YAML tag", "the YAML tag {tag} is not allowed")
_register("yaml-multi-document", "Several documents", "the file holds more than one YAML document")
_register("yaml-key-type", "Key is not text", "a key must be text, not {kind}")
# --- structure (model validation) ----------------------------------------------------------------
_register("unknown-key", "Unknown key", "unknown key '{key}'")
_register("missing-key", "Missing key", "required key '{key}' is missing")
_register("wrong-type", "Wrong type", "{message}")
_register("bad-value", "Value not allowed", "{message}")
_register("invalid", "Invalid definition", "{message}")
# --- cross references ----------------------------------------------------------------------------
_register("unknown-dataset", "Unknown dataset", "dataset '{name}' is not defined")
_register("unknown-column", "Unknown column", "dataset '{dataset}' has no column '{name}'")
_register("unknown-codelist", "Unknown code list", "code list '{name}' is not defined")
_register("unknown-code", "Unknown code", "'{value}' is not a code of the code list '{codelist}'")
_register("unknown-indicator", "Unknown indicator", "indicator '{name}' is not defined")
_register("duplicate-id", "Duplicate id", "{kind} '{name}' is defined twice (also at {other})")
_register("column-type", "Column has the wrong type", "{message}")
_register("unmapped-column", "Column not in the form", "{message}")
_register("edited", "Edited submissions", "{message}")
_register("pull-failed", "Pull failed", "{message}")
_register("iati-rule", "IATI results rule broken", "{message}")
# --- filters -------------------------------------------------------------------------------------
_register("filter-syntax", "Filter syntax error", "{message}")
_register("filter-type", "Filter type error", "{message}")
# --- tabular files (targets, data) ---------------------------------------------------------------
_register("bad-header", "Bad header", "{message}")
_register("bad-cell", "Bad cell", "{message}")
# --- datasets (validation) -----------------------------------------------------------------------
_register("file-format", "Unsupported file", "{message}")
_register("wrong-sheet", "Sheet not found", "{message}")
_register("unsafe-file", "File refused for safety", "{message}")
_register("missing-column", "Missing column", "required column '{name}' is missing")
_register("extra-column", "Unknown column", "column '{name}' is not in the template")
_register("duplicate-column", "Duplicate column", "column '{name}' appears twice in the header")
_register("type", "Wrong type", "{message}")
_register("required", "Required value missing", "a value is required")
_register("code-list", "Value not in code list", "{message}")
_register("range", "Value out of range", "{message}")
_register("pattern", "Value does not match pattern", "{message}")
_register("unique", "Duplicate value", "{message}")
_register("rule", "Rule failed", "{message}")
_register("future-date", "Date in the future", "{message}")
_register("foreign-key", "Unknown reference", "{message}")
_register("whitespace", "Spaces around a value", "{message}")
_register("alias", "Value written another way", "{message}")
_register("no-rows", "No data rows", "{message}")
_register("bad-row", "Row with the wrong number of fields", "{message}")
# --- command line --------------------------------------------------------------------------------
_register("usage", "Usage error", "{message}")


@dataclass(frozen=True)
class Finding:
    """One problem found in a user's file, located as precisely as the file allows."""

    code: str
    message: str
    file: str | None = None
    line: int | None = None  # 1-based line in a text file, or 1-based row in a table file
    column: int | None = None  # 1-based character column in a text file
    severity: Severity = "error"
    hint: str | None = None
    scope: Scope = "value"
    path: str | None = None  # dotted path inside a YAML document, e.g. measure.numerator.column
    field: str | None = None  # data column name for table files
    value: str | None = None  # the offending value, as text
    suggestion: str | None = None  # a suggested replacement value
    dataset: str | None = None  # for data findings: the dataset (template) name
    rule: str | None = None  # for data findings: the check that failed

    @property
    def title(self) -> str:
        et = ERROR_TYPES.get(self.code)
        return et.title if et else self.code

    @property
    def location(self) -> str:
        parts = [self.file or "mel"]
        if self.line is not None:
            parts.append(str(self.line))
            if self.column is not None:
                parts.append(str(self.column))
        return ":".join(parts)

    def format(self) -> str:
        """One line, compiler style: ``file:line:col: error[code]: message (hint: ...)``."""
        text = f"{self.location}: {self.severity}[{self.code}]: {self.message}"
        if self.field is not None and self.line is not None and self.column is None:
            text = f"{self.location} (column '{self.field}'): {self.severity}[{self.code}]: " + (
                self.message
            )
        if self.hint:
            text += f" (hint: {self.hint})"
        return text

    def sort_key(self) -> tuple:
        return (self.file or "", self.line or 0, self.column or 0, self.code, self.message)


def make(code: str, /, **params: object) -> str:
    """Render the message template of an error type."""
    return ERROR_TYPES[code].template.format(**params)


class MelError(Exception):
    """An error the user can fix; carries every finding and a fixed exit code."""

    exit_code = EXIT_DEFINITION

    def __init__(
        self, findings: Sequence[Finding] | Finding | str, *, exit_code: int | None = None
    ):
        if isinstance(findings, str):
            findings = [Finding("usage", findings, scope="file")]
        elif isinstance(findings, Finding):
            findings = [findings]
        self.findings: list[Finding] = sorted(findings, key=Finding.sort_key)
        if exit_code is not None:
            self.exit_code = exit_code
        super().__init__(self.summary())

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    def summary(self) -> str:
        if len(self.findings) == 1:
            return self.findings[0].format()
        return f"{len(self.errors)} error(s):\n" + "\n".join(f.format() for f in self.findings)


class DefinitionError(MelError):
    """A definition, template, code list, project or targets file is wrong."""

    exit_code = EXIT_DEFINITION


class UsageError(MelError):
    """The command was called wrongly (unknown id, missing path, ...)."""

    exit_code = EXIT_USAGE


class DataError(MelError):
    """A dataset has problems."""

    exit_code = EXIT_DATA


def raise_if_errors(findings: Iterable[Finding], exc: type[MelError] = DefinitionError) -> None:
    findings = list(findings)
    if any(f.severity == "error" for f in findings):
        raise exc(findings)


def did_you_mean(word: str, candidates: Iterable[str], *, cutoff: float = 0.6) -> str | None:
    """The closest candidate to a misspelt word, case-insensitively, or None."""
    import difflib

    candidates = list(candidates)
    if not isinstance(word, str) or not candidates:
        return None
    lowered = {c.lower(): c for c in candidates}
    if word.lower() in lowered:
        return lowered[word.lower()]

    def norm(text: str) -> str:  # PROT-1, prot_01 and PROT 01 are all PROT-01
        return re.sub(r"(?<!\d)0+(?=\d)", "", re.sub(r"[_\-\s]+", "", text.lower()))

    normalised = {norm(c): c for c in candidates}
    if norm(word) in normalised:
        return normalised[norm(word)]
    # the closest by similarity; among equally close ones, the longest common beginning
    # (PROT-1O is PROT-10 rather than PROT-21)
    w = word.lower()
    scored = []
    for low in lowered:
        m = difflib.SequenceMatcher(None, w, low)
        if m.real_quick_ratio() >= cutoff and m.quick_ratio() >= cutoff:
            ratio = m.ratio()
            if ratio >= cutoff:
                prefix = next(
                    (k for k, (a, b) in enumerate(zip(w, low, strict=False)) if a != b),
                    min(len(w), len(low)),
                )
                scored.append((ratio, prefix, low))
    if scored:
        return lowered[max(scored, key=lambda x: (x[0], x[1]))[2]]
    # the same words in another order: distinct_count -> count_distinct
    parts = sorted(re.split(r"[_\-\s]+", word.lower()))
    for low, original in lowered.items():
        if sorted(re.split(r"[_\-\s]+", low)) == parts:
            return original
    return None


def meant(word: str, candidates: Iterable[str], *, quote: bool = True, cutoff: float = 0.6):
    """ "did you mean 'X'?" for the closest candidate to a misspelt word, or None. Codes and
    periods read better bare (``quote=False``: "did you mean SDN?")."""
    return hint_for(did_you_mean(word, candidates, cutoff=cutoff), quote=quote)


def hint_for(guess: str | None, otherwise: str | None = None, *, quote: bool = True):
    """The hint for a guess from :func:`did_you_mean`: "did you mean 'X'?", else ``otherwise``."""
    if guess is None:
        return otherwise
    return f"did you mean '{guess}'?" if quote else f"did you mean {guess}?"


def unknown(what: str, word: str, where: str, candidates: Iterable[str], *, quote: bool = True):
    """The one usage error for a name the user gave that is not one of the project's:
    "{what} '{word}' is not {where}; did you mean ...?"."""
    candidates = list(candidates)
    guess = meant(word, candidates, quote=quote)
    return UsageError(f"{what} '{word}' is not {where}" + (f"; {guess}" if guess else ""))
