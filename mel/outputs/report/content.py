"""What the report shows, independent of its medium: the indicators in logframe order, their
cells for the reporting period and the life of project, and values formatted for people."""

from __future__ import annotations

import hashlib
import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from mel.definitions.models import (
    LEVELS,
    PILLARS,
    Indicator,
    Project,
)
from mel.engine.results import ALL, LOP  # (also read here by the writers)
from mel.outputs.report.labels import label


class Row(dict):
    """One row of the result table, as the writers read it: its values by column
    (``row["value"]``, ``row.get(...)``) and ``name``, its label in the table's index. What a
    pandas Series of the row gave them, made ten times as fast (a report reads thousands)."""

    __slots__ = ("name",)

    def __init__(self, items, name=None) -> None:
        super().__init__(items)
        self.name = name


@dataclass
class ReportContext:
    """Everything the report's writers need, computed once."""

    project: Project  # as reported: ending with the period
    full_project: Project  # the project as declared
    indicators: list[Indicator]  # in logframe order
    table: pd.DataFrame  # the engine's results
    exclusions: pd.DataFrame
    checks: pd.DataFrame
    findings: list
    period: str  # the reporting period label
    period_start: object
    period_end: object
    periods: list[str]  # reporting periods of the project up to the period, in order
    years: list[str]
    internal: bool
    threshold: int
    lang: str
    as_of: object
    manifest: list[tuple[str, str]] = field(default_factory=list)
    bands: list = field(default_factory=list)
    account: list = field(default_factory=list)  # mel.engine.account.DatasetAccount
    alarms: list = field(default_factory=list)  # mel.engine.account.Alarm
    accepted: bool = False  # the officer accepted the records left out
    words: dict = field(default_factory=dict)  # (dataset, column) -> (title, {code: Code})
    narratives: dict = field(default_factory=dict)  # (indicator, country, period) -> text
    year: str | None = None  # the fiscal year of the reporting period
    year_periods: list[str] = field(default_factory=list)  # its periods up to the reported one
    _index: dict = field(default_factory=dict, repr=False)
    _categories: dict = field(default_factory=dict, repr=False)
    _rows: dict = field(default_factory=dict, repr=False)  # cell(): the rows read, by number
    _columns: list = field(default_factory=list, repr=False)  # _row(): each column's values

    def __post_init__(self) -> None:
        t = self.table
        keys = zip(
            t["indicator"],
            t["country"],
            t["period"],
            t["disaggregation"],
            t["category"],
            strict=True,
        )
        self._index = {}
        self._categories = {}  # (indicator, disaggregation) -> categories: categories_of's
        for i, k in enumerate(keys):
            self._index[k] = i
            if k[1] == ALL and k[2] == LOP:
                self._categories.setdefault((k[0], k[3]), []).append(k[4])

    def cell(
        self, ind: str, country: str = ALL, period: str | None = None, dis: str = "", cat: str = ""
    ) -> Row | None:
        i = self._index.get((ind, country, period or self.period, dis, cat))
        if i is None:
            return None
        row = self._rows.get(i)
        if row is None:  # each row made once (a chart, a page and the sheets read the same)
            row = self._rows[i] = self._row(i)
        return row

    def _row(self, i: int) -> Row:
        """The values of ``self.table.iloc[i]``, of the same types (numpy scalars where the
        column is numpy's), made from the columns' values listed once: ``iloc`` took two and a
        half times as long for each row of this table of mixed types, and a Series ten times
        as long as a ``Row``."""
        if not self._columns:
            if not len(self.table) or self.table.iloc[0].dtype != object:
                return Row(self.table.iloc[i].items(), name=self.table.index[i])  # (one type)
            arrays = [self.table[c].array for c in self.table.columns]
            self._columns = [
                a.to_numpy() if isinstance(a, pd.arrays.NumpyExtensionArray) else a.tolist()
                for a in arrays
            ]
        columns = self.table.columns
        return Row(
            zip(columns, [column[i] for column in self._columns], strict=True),
            name=self.table.index[i],
        )

    def categories(self, ind: str, column: str) -> list[str]:
        """The categories of an indicator's breakdown by ``column``, in the report's order
        (:func:`mel.engine.results.categories_of`, read once for every breakdown)."""
        return list(self._categories.get((ind, column), []))

    def category(self, ind: Indicator, column: str, code: str) -> str:
        """A category's label in the report's language (the code list's words, a country's
        name), never the code where a label exists."""
        if code == "Unknown":
            return label("unknown", self.lang)
        _title, codes = self.words.get((ind.dataset, column), (None, {}))
        if codes == "country":
            from mel.outputs.report.labels import country_name

            return country_name(code, self.lang)
        c = codes.get(code)
        if c is not None:
            return c.labels.get(self.lang) or c.label or code
        return code

    def breakdown(self, ind: Indicator, d) -> str:
        """A disaggregation's title: its label, or the column's, or the code list's title."""
        from mel.outputs.report.labels import breakdown

        if d.label:
            return breakdown(d.label, self.lang)
        title, _codes = self.words.get((ind.dataset, d.column), (None, {}))
        return breakdown(title or d.column.replace("_", " ").capitalize(), self.lang)

    def name(self, ind: Indicator) -> str:
        tr = ind.translations.get(self.lang)  # type: ignore[call-overload]  # lang: en/fr/es
        return tr.name if tr is not None else ind.name


def ordered(indicators: list[Indicator]) -> list[Indicator]:
    return sorted(indicators, key=lambda i: (PILLARS.index(i.pillar), LEVELS.index(i.level)))


def kind(ind: Indicator) -> str:
    """milestone, percentage, ratio, change or number."""
    return ind.measure.shape


def _missing(v: object) -> bool:
    return v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v))


def number_format(v: float, ind: Indicator | None = None) -> str:
    """A count's format; money (an indicator whose unit is a currency code such as USD) with
    its currency."""
    fmt = "#,##0" if float(v).is_integer() else "#,##0.0#"
    if ind is not None and re.fullmatch(r"[A-Z]{3}", ind.unit or ""):
        fmt = f'#,##0 "{ind.unit}"' if float(v).is_integer() else f'#,##0.00 "{ind.unit}"'
    return fmt


def marker(row: Row | None, lang: str, threshold: int = 5) -> str | None:
    """The marker shown instead of a value: '<5' (a small count hidden), '[c]' (hidden so that
    no small count can be worked out), 'n/a' (a zero denominator), 'no data'; None where the
    cell has a value."""
    if row is None:
        return label("marker.no_data", lang)
    flag = str(row.get("flag") or "")
    if bool(row["suppressed"]):
        return f"<{threshold}" if flag == "small" else label("marker.protected", lang)
    if flag == "n/a":
        return label("marker.na", lang)
    if flag == "no data":
        low = row.get("value_low")
        if low is not None and not _missing(low):
            return None
        return label("marker.no_data", lang)
    return None


def display(
    ind: Indicator, row: Row | None, lang: str, threshold: int = 5
) -> tuple[object, str | None]:
    """(cell value, number format) of an actual value for people: counts as numbers, a
    percentage as a number with a percent format, a milestone as yes/no, a hidden or missing
    value as its marker (see :func:`marker`)."""
    if row is None:
        return None, None
    mark = marker(row, lang, threshold)
    if mark is not None:
        return mark, None
    v = row["value"]
    low = row.get("value_low")
    if _missing(v) and low is not None and not _missing(low):  # a sum over censored values
        return f"{float(low):,.0f}-{float(row['value_high']):,.0f} ({label('range', lang)})", None
    if _missing(v):
        return None, None
    k = kind(ind)
    if k == "milestone":
        return label("yes" if bool(v) else "no", lang), None
    if k == "percentage":
        return float(v) / 100, "0.0%"
    if k == "change":
        return float(v) / 100, "+0.0%;-0.0%;0.0%"
    if k == "ratio":
        return float(v), "#,##0.00"
    return float(v), number_format(float(v), ind)


def plain(ind: Indicator, row: Row | None) -> float | None:
    """The value as a number for charts and period tables: percentages as fractions for a
    percent format; None where suppressed or missing; milestones as 1/0."""
    if row is None or bool(row["suppressed"]) or _missing(row["value"]):
        return None
    v = float(row["value"])
    return v / 100 if kind(ind) in ("percentage", "change") else v


def plain_format(ind: Indicator) -> str:
    k = kind(ind)
    if k in ("percentage", "change"):
        return "0.0%"
    if k == "ratio":
        return "#,##0.00"
    if k == "milestone":
        return '"yes";;"no"'
    return "#,##0.##"


def baseline_display(ind: Indicator, v: object, lang: str) -> tuple[object, str | None]:
    """A baseline is in the unit of what is measured (for a change indicator, of the measure
    whose change it is)."""
    if kind(ind) == "change" and not _missing(v) and not isinstance(v, bool):
        x = float(v)  # type: ignore[arg-type]  # a number: missing and yes/no excluded above
        if ind.measure.inner.shape == "percentage":
            return x / 100, "0.0%"
        return x, number_format(x)
    return target_display(ind, v, lang)


def target_display(ind: Indicator, v: object, lang: str) -> tuple[object, str | None]:
    if _missing(v):
        return None, None
    if isinstance(v, bool) or kind(ind) == "milestone":
        truthy = v if isinstance(v, bool) else str(v).lower() in ("true", "1", "1.0", "yes")
        return label("yes" if truthy else "no", lang), None
    try:
        x = float(v)  # type: ignore[arg-type]  # anything else is caught below
    except (TypeError, ValueError):
        return str(v), None
    if kind(ind) == "percentage":
        return x / 100, "0.0%"
    if kind(ind) == "change":
        return x / 100, "+0.0%;-0.0%;0.0%"
    return x, number_format(x, ind)


def pct_display(v: object) -> tuple[object, str | None]:
    if _missing(v):
        return None, None
    return float(v) / 100, "0.0%"  # type: ignore[arg-type]  # a percentage from the table


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def definition_hash(ind: Indicator) -> str:
    """A hash of the definition as used (after the project's overrides)."""
    text = json.dumps(ind.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
