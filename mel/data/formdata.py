"""A form's export as one dataset: the template's columns found among the export's fields.

A template column is read from (in this order) the table's field of the same name (or the name
``columns:`` maps it to in mel.yaml), with its group path (``group/question``, ODK's
``group-question``) set aside; the 0/1 columns of a multi-select question (``question/choice``);
for a repeat group's rows, the same field of the submission they belong to; a constant given
under ``values:``. Multi-select answers are the space-separated choice names the form writes;
they are read as the same names (mel's separator is ``;``); an export written with labels is
read back to names with the form. Where the answer column and its 0/1 columns disagree, the
row is an error naming both. No other value is changed."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from mel.data.exports import FormTables
from mel.data.readers import RawTable, _fail
from mel.definitions.models import DatasetRef, Template
from mel.definitions.xlsform import SELECT_MULTIPLE, Form
from mel.errors import Finding, hint_for, meant

_SEPARATORS = re.compile(r"[/\-.:]")
_TRUE = {"1", "true", "yes", "1.0"}
# ODK Central's columns about a submission, not answers (Kobo's start with '_')
_ODK_META = {
    "SubmissionDate", "SubmitterID", "SubmitterName", "AttachmentsPresent", "AttachmentsExpected",
    "Status", "ReviewState", "DeviceID", "Edits", "FormVersion", "KEY", "PARENT_KEY",
}  # fmt: skip


@dataclass(frozen=True)
class _Field:
    name: str  # the question's name (or the header itself when it names no question)
    choice: str | None = None  # a 0/1 column of this choice of a multi-select question


def _norm(text: str) -> str:
    return text.strip().casefold()


class _Resolver:
    """Headers of an export -> the form's questions (by path, name or label)."""

    def __init__(self, form: Form | None, tpl: Template, separator: str):
        self.form, self.tpl, self.separator = form, tpl, separator
        self.names = set(form.questions) if form else set()
        self.labels: dict[str, str] = {}
        if form:
            for q in form.questions.values():
                for label in q.labels.values():
                    self.labels.setdefault(_norm(label), q.name)
        self.multiple = {c.name for c in tpl.columns if c.multiple}

    def field(self, header: str) -> _Field:
        h = header.strip()
        if h.startswith("_") or not h:
            return _Field(h)
        whole = self._question(h)
        if whole is not None:
            return _Field(whole)
        if "/" in h:  # question/choice
            stem, choice = h.rsplit("/", 1)
            q = self._question(stem)
            if q is not None and self._is_multiple(q):
                return _Field(q, self._choice(q, choice))
        return _Field(h)

    def _question(self, text: str) -> str | None:
        """The question a header (with or without its group path) names, if any."""
        if self.form is None:
            last = text.rsplit(self.separator, 1)[-1] if self.separator in text else text
            return last if last in {c.name for c in self.tpl.columns} else None
        if text in self.names:
            return text
        for m in _SEPARATORS.finditer(text):
            tail = text[m.end() :]
            if tail in self.names:
                return tail
        tail = text.rsplit("/", 1)[-1]
        return self.labels.get(_norm(tail)) or self.labels.get(_norm(text))

    def _is_multiple(self, q: str) -> bool:
        if self.form is not None and q in self.form.questions:
            return self.form.questions[q].type == SELECT_MULTIPLE
        return q in self.multiple

    def _choice(self, q: str, text: str) -> str:
        """A choice column's name, read back from its label where the export wrote labels."""
        if self.form is None or self.form.questions[q].list_name not in self.form.choices:
            return text
        choices = self.form.choices[self.form.questions[q].list_name or ""]
        if any(c.name == text for c in choices):
            return text
        for c in choices:
            if any(_norm(v) == _norm(text) for v in c.labels.values()):
                return c.name
        return text


def dataset_table(
    tables: FormTables, dataset: str, ref: DatasetRef, tpl: Template, form: Form | None
) -> RawTable:
    """The dataset's records from a form's export, as a table whose header is the template's
    column names (and any header that is neither a form field nor export metadata)."""
    table = _pick(tables, ref.repeat)
    separator = "-" if tables.kind == "odk" else "/"
    resolver = _Resolver(form, tpl, separator)
    fields = [resolver.field(h) for h in table.header]
    parent_fields = [resolver.field(h) for h in tables.main.header] if ref.repeat else []
    link = _parent_positions(tables, table) if ref.repeat else None
    columns: dict[str, pd.Series] = {}
    findings = list(tables.findings) if not ref.repeat else []
    where = f"{table.file}[{table.sheet}]" if table.sheet else table.file
    for c in tpl.columns:
        wanted = ref.columns.get(c.name, c.name)
        names = {wanted, *(c.headers if c.name not in ref.columns else ())}
        series = _answer(table, fields, names, form, resolver, c.multiple, where, findings)
        if series is None and link is not None:
            up = _answer(tables.main, parent_fields, names, form, resolver, c.multiple, where, [])
            if up is not None:
                series = _through(up, link)
        if series is None and c.name in ref.values:
            series = pd.Series([ref.values[c.name]] * len(table.data), dtype="str")
        if series is not None:
            columns[c.name] = series
    known = resolver.names | {c.name for c in tpl.columns} | set(ref.columns.values())
    for i, (h, f) in enumerate(zip(table.header, fields, strict=True)):
        parts = re.split(r"[/\-]", h)
        meta = parts[-1].startswith("_") or h in _ODK_META or parts[0] in ("meta", "formhub")
        if f.name in known or meta or h in columns:
            continue  # a form field the template does not read, or export metadata
        columns.setdefault(h, table.data[str(i)])
    header = list(columns)
    body = pd.DataFrame({str(i): columns[h].reset_index(drop=True) for i, h in enumerate(header)})
    return RawTable(table.file, header, body, table.rows, table.sheet, table.header_row, findings)


def _pick(tables: FormTables, repeat: str | None) -> RawTable:
    if repeat is None:
        return tables.main
    for name, t in tables.repeats.items():
        if name == repeat or name == repeat[:31] or name.rsplit("/", 1)[-1] == repeat:
            return t
    raise _fail(
        tables.file,
        "wrong-sheet",
        f"{tables.file} has no repeat group '{repeat}'",
        hint_for(
            meant(repeat, list(tables.repeats)),
            "its repeat groups: " + (", ".join(tables.repeats) or "none"),
        ),
    )


def _parent_positions(tables: FormTables, child: RawTable) -> np.ndarray:
    """For each row of a repeat group, the position of its submission in the main table
    (-1 where the link finds none)."""

    def col(t: RawTable, name: str) -> pd.Series | None:
        return t.data[str(t.header.index(name))] if name in t.header else None

    keys, links = col(tables.main, tables.index), col(child, tables.parent)
    if keys is None or links is None:
        raise _fail(
            child.file,
            "bad-header",
            f"{child.file}[{child.sheet}] cannot be linked to its submissions: the columns "
            f"'{tables.index}' and '{tables.parent}' are needed",
            "export the data again with its metadata columns",
        )
    where = pd.Index(keys.str.strip()).get_indexer(links.str.strip())
    return np.asarray(where)


def _through(values: pd.Series, link: np.ndarray) -> pd.Series:
    got = values.reset_index(drop=True).to_numpy(dtype=object)
    out = np.where(link >= 0, got[np.maximum(link, 0)] if len(got) else "", "")
    return pd.Series(out, dtype="str")


def _answer(table, fields, names, form, resolver, multiple, where, findings) -> pd.Series | None:
    """A question's answers in a table: its column, else built from its 0/1 columns; None
    when the table has neither."""
    direct = [i for i, f in enumerate(fields) if f.choice is None and f.name in names]
    split = [(i, f.choice) for i, f in enumerate(fields) if f.choice and f.name in names]
    answer = table.data[str(direct[0])] if direct else None
    if answer is not None and multiple:
        q = next(f.name for f in fields if f.name in names)
        answer = _multi(answer, form, q)
    if not split:
        return answer
    built = _from_choices(table, split)
    if answer is None:
        return built
    header = table.header[direct[0]]
    _compare(answer, built, table, header, where, findings)
    return answer


def _multi(answer: pd.Series, form: Form | None, question: str) -> pd.Series:
    """Space-separated choices (names, or labels read back to names) as ';'-separated ones."""
    labels: dict[str, str] = {}
    if form is not None and question in form.questions:
        for c in form.choices.get(form.questions[question].list_name or "", []):
            for v in c.labels.values():
                labels.setdefault(_norm(v), c.name)
            labels[_norm(c.name)] = c.name
    mapping = {u: _split(u, labels) for u in answer.unique()}
    return answer.map(mapping).astype("str")


def _split(text: str, labels: dict[str, str]) -> str:
    text = text.strip()
    if not text or ";" in text:
        return text
    words = text.split()
    if not labels or all(_norm(w) in labels for w in words):
        return ";".join(labels.get(_norm(w), w) for w in words) if labels else ";".join(words)
    out, i = [], 0
    while i < len(words):  # labels hold spaces: the longest label starting here
        for j in range(len(words), i, -1):
            hit = labels.get(_norm(" ".join(words[i:j])))
            if hit:
                out.append(hit)
                i = j
                break
        else:
            return text  # not the form's choices: left as written, and reported as such
    return ";".join(out)


def _from_choices(table: RawTable, split: list[tuple[int, str]]) -> pd.Series:
    """The chosen names of each row from its 0/1 columns ('' when none is filled)."""
    n = len(table.data)
    chosen: list[list[str]] = [[] for _ in range(n)]
    for i, choice in split:
        col = table.data[str(i)].str.strip().str.casefold()
        for r in np.flatnonzero(col.isin(_TRUE).to_numpy()):
            chosen[r].append(choice)
    return pd.Series([";".join(c) for c in chosen], dtype="str")


def _compare(answer, built, table: RawTable, header: str, where: str, findings) -> None:
    a = answer.reset_index(drop=True).map(lambda s: frozenset(p for p in s.split(";") if p))
    b = built.map(lambda s: frozenset(p for p in s.split(";") if p))
    differ = np.flatnonzero(((a != b) & (b.map(len) > 0)).to_numpy())
    for r in differ:  # every such row is left out, so every one is named
        findings.append(
            Finding(
                "bad-cell",
                f"'{header}' is '{' '.join(sorted(a.iloc[r]))}' but its 0/1 columns say "
                f"'{' '.join(sorted(b.iloc[r]))}'",
                file=where,
                line=int(table.rows[r]),
                field=header,
                scope="cell",
                hint="correct the submission on the server and export it again",
            )
        )


__all__ = ["dataset_table"]
