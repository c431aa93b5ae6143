"""Matching a file's header row to a template's columns: by name or label, ignoring case, spaces
and punctuation; unknown, duplicate and missing columns, and a title row above the header, are
findings with a hint."""

from __future__ import annotations

import re
from collections.abc import Mapping

from mel.data.readers import RawTable
from mel.definitions.models import Template
from mel.errors import Finding, did_you_mean


def _norm(text: str) -> str:
    return re.sub(r"[\s\-_./()]+", "_", text.strip().casefold()).strip("_")


def where_of(raw: RawTable) -> str:
    return f"{raw.file}[{raw.sheet}]" if raw.sheet else raw.file


def match_header(
    raw: RawTable, tpl: Template, dataset: str
) -> tuple[dict[str, int], list[Finding]]:
    """Template column -> position in the file; findings for unknown, duplicate, missing columns.

    A header cell matches a column by its name or its label, ignoring case, spaces and
    punctuation."""
    by_key: dict[str, str] = {}
    for c in tpl.columns:
        by_key.setdefault(_norm(c.name), c.name)
        if c.label:
            by_key.setdefault(_norm(c.label), c.name)
        for h in c.headers:
            by_key.setdefault(_norm(h), c.name)
    where = where_of(raw)
    found: dict[str, int] = {}
    findings: list[Finding] = []
    unknown: list[tuple[int, str]] = []

    def header(code: str, message: str, field: str, **kw) -> None:
        findings.append(
            Finding(
                code,
                message,
                file=where,
                line=raw.header_row,
                field=field,
                dataset=dataset,
                scope="column",
                **kw,
            )
        )

    title = _header_lower_down(raw, by_key)
    if title is not None:
        row, text = title
        header(
            "bad-header",
            f"row {raw.header_row} holds only '{shorten(text)}'; the column names are in row {row}",
            "",
            hint=f"set header_row: {row} for this dataset in mel.yaml, or delete the rows above "
            "the header (a title in merged cells reads as one value)",
        )
        return {}, findings
    for pos, head in enumerate(raw.header):
        col = by_key.get(_norm(head)) if head else None
        if col is None:
            if head:
                unknown.append((pos, head))
            elif (raw.data[str(pos)].str.strip() != "").any():
                header(
                    "bad-header",
                    f"column {pos + 1} has data but no header",
                    f"#{pos + 1}",
                    hint="name the column in the header row (merged header cells read as empty)",
                )
            continue
        if col in found:
            header(
                "duplicate-column",
                f"column '{head}' appears twice in the header (also column {found[col] + 1})",
                head,
                hint="keep one of the two columns",
            )
            continue
        found[col] = pos
    missing = [c for c in tpl.columns if c.name not in found]
    for _pos, head in unknown:
        guess = did_you_mean(
            _norm(head),
            [_norm(c.name) for c in missing] + [_norm(c.label) for c in missing if c.label],
            cutoff=0.7,
        )
        target = by_key.get(guess) if guess else None
        header(
            "extra-column",
            f"column '{head}' is not in the template '{tpl.name}' and is ignored",
            head,
            severity="warning",
            suggestion=target,
            hint=f"did you mean '{target}'?" if target else None,
        )
    grouped = _grouped_headers(unknown, missing)
    for c in missing:
        if c.required:
            close = _closest_header(c, [h for _, h in unknown])
            hint = (
                f"if '{close}' is '{c.name}', rename that header to '{c.name}'"
                if close
                else f"add a column '{c.name}' ({c.label or c.name})"
            )
            if c.name in grouped:
                hint = (
                    f"'{grouped[c.name]}' looks like a KoboToolbox or ODK export's header (the "
                    "question inside its group): name the form with 'form:' for this dataset "
                    "in mel.yaml, and mel reads the export as it is"
                )
            header(
                "missing-column",
                f"required column '{c.name}' is missing"
                + (f"; the closest header in the file is '{close}'" if close else ""),
                c.name,
                hint=hint,
            )
    core = [c.name for c in missing if c.core and not c.required]
    if core:
        header(
            "missing-column",
            f"{len(core)} core field(s) of '{tpl.name}' are missing from the file: "
            + ", ".join(core),
            core[0],
            severity="warning",
            hint="add them as columns (cells may stay empty), or the questions to the form",
        )
    return found, findings


def _grouped_headers(unknown: list[tuple[int, str]], missing) -> dict[str, str]:
    """Missing column -> a header naming it inside a group path (``registration/case_id``,
    ODK's ``registration-case_id``): a form's export read without its form."""
    names = {c.name for c in missing}
    out: dict[str, str] = {}
    for _pos, head in unknown:
        last = re.split(r"[/\-]", head)[-1]
        if last in names and last != head:
            out.setdefault(last, head)
    return out


def _closest_header(column, headers: list[str]) -> str | None:
    """The header (among those matching no column) most like ``column``'s name or label."""
    import difflib

    best, score = None, 0.0
    for h in headers:
        for name in (column.name, column.label or column.name):
            a, b = _norm(h), _norm(name)
            ratio = difflib.SequenceMatcher(None, a, b).ratio()
            # words in another order or form: 'Date registered' for 'registration_date'
            wa, wb = a.split("_"), b.split("_")
            shared = sum(any(x[:5] == y[:5] for y in wb) for x in wa)
            ratio = max(ratio, 0.9 * shared / max(len(wa), len(wb)))
            if ratio > score:
                best, score = h, ratio
    return best if score >= 0.5 else None


def _header_lower_down(raw: RawTable, by_key: Mapping[str, str]) -> tuple[int, str] | None:
    """(row, the lone text) when the header row holds a single value (a title, often merged
    over the columns) and one of the next rows names at least half of its columns."""
    filled = [h for h in raw.header if h]
    if len(filled) != 1 or len(raw.header) < 3 or not len(raw.data):
        return None
    for i in range(min(5, len(raw.data))):
        cells = [str(v).strip() for v in raw.data.iloc[i].tolist()]
        named = sum(1 for c in cells if c and _norm(c) in by_key)
        if named >= max(2, len([c for c in cells if c]) // 2):
            return int(raw.rows[i]), filled[0]
    return None


LONG_VALUE = 80


def shorten(text: str) -> str:
    """A value as a message shows it: long ones cut, with their length."""
    if len(text) <= LONG_VALUE:
        return text
    return f"{text[:40]}... ({len(text):,} characters)"
