"""Reading an XLSForm (the form KoboToolbox and ODK collect with): its questions with their
types, groups and repeat groups, labels in every language, and its choice lists.

Only what mel needs to read the form's exports is read: ``survey`` (type, name, label,
required) and ``choices`` (list_name, name, label) sheets, and ``settings`` (form_title,
form_id, default_language). A problem is reported with the form's file, sheet and row."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from mel.definitions.yamlio import display_path
from mel.errors import DefinitionError, Finding

SELECT_ONE, SELECT_MULTIPLE = "select_one", "select_multiple"
# question types whose answer is not a column of the export
_NOT_DATA = {"note", "begin group", "end group", "begin repeat", "end repeat"}
# metadata questions every export carries as columns of their own
META = {"start", "end", "today", "deviceid", "phonenumber", "username", "simserial", "subscriberid"}
_LANG = re.compile(r"^label\s*::?\s*(.+)$", re.IGNORECASE)


@dataclass(frozen=True)
class Choice:
    name: str
    labels: dict[str, str]  # language ("" when the form has one unnamed language) -> label


@dataclass(frozen=True)
class Question:
    name: str
    type: str  # text, integer, date, select_one, select_multiple, calculate, start, ...
    row: int  # the survey sheet's row
    groups: tuple[str, ...] = ()  # enclosing groups and repeats, outermost first
    repeat: str | None = None  # the innermost repeat group holding it
    list_name: str | None = None  # the choice list of a select question
    labels: dict[str, str] = field(default_factory=dict)
    required: bool = False

    @property
    def path(self) -> str:
        """The question's path as Kobo writes it in headers: group/…/name."""
        return "/".join((*self.groups, self.name))

    @property
    def select(self) -> bool:
        return self.type in (SELECT_ONE, SELECT_MULTIPLE)


@dataclass
class Form:
    file: str  # as shown to the user
    title: str
    form_id: str
    questions: dict[str, Question]  # by name (XLSForm names are unique in a form)
    choices: dict[str, list[Choice]]  # by list name
    languages: list[str]
    repeats: dict[str, tuple[str, ...]]  # repeat group name -> its groups path (with itself)
    groups: set[str] = field(default_factory=set)

    def choice_label(self, choice: Choice, language: str | None = None) -> str | None:
        if language and choice.labels.get(language):
            return choice.labels[language]
        return next((v for v in choice.labels.values() if v), None)


def _text(v) -> str:
    if v is None:
        return ""
    return str(v).strip()


def _language_code(name: str) -> str:
    """'English (en)' -> 'en'; 'Français' stays itself."""
    m = re.search(r"\(([A-Za-z]{2,3}(?:-[A-Za-z0-9]+)?)\)\s*$", name)
    return m.group(1).lower() if m else name.strip()


def _sheet_rows(wb, name: str, file: str, findings: list[Finding], required: bool = True):
    """(header -> position, rows with their sheet row numbers) of a sheet, or None."""
    sheets = {ws.title.strip().casefold(): ws for ws in wb.worksheets}
    ws = sheets.get(name)
    if ws is None:
        if required:
            findings.append(
                Finding(
                    "wrong-sheet",
                    f"{file} has no '{name}' sheet: it is not an XLSForm",
                    file=file,
                    scope="file",
                    hint="give the form as it was uploaded to KoboToolbox or ODK (.xlsx)",
                )
            )
        return None
    from mel.xlsx import sheet_rows

    rows = iter(sheet_rows(ws))
    header = next(rows, None) or ()
    cols = {_text(h).casefold(): i for i, h in enumerate(header) if _text(h)}
    out = []
    for n, row in enumerate(rows, start=2):
        cells = [_text(v) for v in row]
        if any(cells):
            out.append((n, cells))
    return cols, out, ws.title


def _labels(cols: dict[str, int], cells: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for head, i in cols.items():
        if i >= len(cells) or not cells[i]:
            continue
        if head == "label":
            out[""] = cells[i].replace("\xa0", " ").strip()
        elif m := _LANG.match(head):
            out[_language_code(m.group(1))] = cells[i].replace("\xa0", " ").strip()
    return out


def _cell(cols: dict[str, int], cells: list[str], name: str) -> str:
    i = cols.get(name)
    return cells[i] if i is not None and i < len(cells) else ""


def read_form(path: Path) -> Form:
    """The form at ``path``; raises DefinitionError naming the file, sheet and row."""
    from mel.xlsx import BadWorkbook, UnsafeWorkbook, open_workbook

    path = Path(path)
    shown = display_path(path)
    if not path.exists():
        raise DefinitionError(
            [Finding("file-missing", f"{shown} does not exist", file=shown, scope="file")]
        )
    try:
        wb = open_workbook(path)
    except (BadWorkbook, UnsafeWorkbook, OSError) as exc:  # not a workbook, a locked file
        raise DefinitionError(
            [
                Finding(
                    "file-unreadable",
                    f"cannot read the form {shown}: {exc}",
                    file=shown,
                    scope="file",
                    hint="save the form as an .xlsx workbook",
                )
            ]
        ) from None
    findings: list[Finding] = []
    try:
        survey = _sheet_rows(wb, "survey", shown, findings)
        choices = _sheet_rows(wb, "choices", shown, findings, required=False)
        settings = _sheet_rows(wb, "settings", shown, findings, required=False)
    finally:
        wb.close()
    if survey is None:
        raise DefinitionError(findings)
    form = _build(shown, survey, choices, settings, findings)
    if any(f.severity == "error" for f in findings):
        raise DefinitionError(findings)
    return form


def _build(shown, survey, choices, settings, findings: list[Finding]) -> Form:
    lists = _choice_lists(shown, choices, findings)
    questions, repeats, groups = _questions(shown, survey, lists, findings)
    languages = sorted(
        {lang for q in questions.values() for lang in q.labels}
        | {lang for cs in lists.values() for c in cs for lang in c.labels}
    )
    title = form_id = ""
    if settings is not None:
        cols, rows, _ = settings
        if rows:
            title = _cell(cols, rows[0][1], "form_title")
            form_id = _cell(cols, rows[0][1], "form_id")
    return Form(
        shown, title or Path(shown).stem, form_id, questions, lists, languages, repeats, groups
    )


def _choice_lists(shown, choices, findings: list[Finding]) -> dict[str, list[Choice]]:
    lists: dict[str, list[Choice]] = {}
    if choices is None:
        return lists
    cols, rows, sheet = choices
    list_col = "list_name" if "list_name" in cols else "list name"
    for n, cells in rows:
        lname, name = _cell(cols, cells, list_col), _cell(cols, cells, "name")
        if not lname or not name:
            findings.append(
                Finding(
                    "invalid",
                    "a choice without a list_name or name",
                    file=f"{shown}[{sheet}]",
                    line=n,
                    scope="row",
                    severity="warning",
                    hint="every choice row needs list_name and name",
                )
            )
            continue
        lists.setdefault(lname, []).append(Choice(name, _labels(cols, cells)))
    return lists


def _questions(shown, survey, lists, findings: list[Finding]):
    cols, rows, sheet = survey
    where = f"{shown}[{sheet}]"
    questions: dict[str, Question] = {}
    repeats: dict[str, tuple[str, ...]] = {}
    groups: set[str] = set()
    stack: list[tuple[str, bool]] = []  # (group name, is repeat)
    for n, cells in rows:
        qtype = re.sub(r"[\s_]+", " ", _cell(cols, cells, "type")).strip().casefold()
        name = _cell(cols, cells, "name")
        if qtype in ("end group", "end repeat"):
            if stack:
                stack.pop()
            continue
        if qtype in ("begin group", "begin repeat"):
            stack.append((name, qtype == "begin repeat"))
            path = tuple(g for g, _ in stack)
            (repeats.__setitem__(name, path) if qtype == "begin repeat" else groups.add(name))
            continue
        if not qtype or qtype in _NOT_DATA or not name:
            continue
        base, _, listed = _cell(cols, cells, "type").partition(" ")
        base = base.strip()
        if base not in (SELECT_ONE, SELECT_MULTIPLE):
            base, listed = qtype.split(" ")[0], ""
        list_name = listed.strip() or None
        if list_name and list_name not in lists and base in (SELECT_ONE, SELECT_MULTIPLE):
            findings.append(
                Finding(
                    "unknown-codelist",
                    f"question '{name}' uses the choice list '{list_name}', which the choices "
                    "sheet does not have",
                    file=where,
                    line=n,
                    field="type",
                    scope="cell",
                    severity="warning",
                )
            )
        if name in questions:
            findings.append(
                Finding(
                    "duplicate-id",
                    f"question '{name}' appears twice (first at row {questions[name].row})",
                    file=where,
                    line=n,
                    field="name",
                    scope="cell",
                )
            )
            continue
        inner = next((g for g, rep in reversed(stack) if rep), None)
        questions[name] = Question(
            name,
            base,
            n,
            tuple(g for g, _ in stack),
            inner,
            list_name,
            _labels(cols, cells),
            _cell(cols, cells, "required").casefold() in ("yes", "true", "true()", "1"),
        )
    return questions, repeats, groups


__all__ = ["META", "SELECT_MULTIPLE", "SELECT_ONE", "Choice", "Form", "Question", "read_form"]
