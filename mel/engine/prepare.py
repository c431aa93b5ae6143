"""Preparing records: each dataset's records placed in country, period and year once per
computation (cached), the filters applied, and every record left out with its reason."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
import pandas as pd

from mel import filters as flt
from mel.definitions.models import (
    Indicator,
    Template,
)
from mel.engine.kernels import group_numbers, present_values
from mel.engine.periods import Calendar, assign_categorical
from mel.engine.results import NO_GEOGRAPHY

# companions of a column with censored cells ('<5'), in the records the engine aggregates
LOW, HIGH, CENSORED = "\x1flow", "\x1fhigh", "\x1fcensored"


@dataclass
class SourceData:
    """A validated dataset as the engine needs it."""

    name: str
    template: Template
    frame: pd.DataFrame  # typed columns
    rows: np.ndarray  # user-visible row numbers
    file: str
    invalid: np.ndarray  # bool per row: failed validation
    present: frozenset[str] | None = None  # template columns the file has (None: all)
    duplicate: np.ndarray | None = None  # bool per row: invalid only as a repeated key
    censored: dict = field(default_factory=dict)  # column -> (low, high) of censored cells

    def has(self, column: str) -> bool:
        return self.present is None or column in self.present


@dataclass
class Prepared:
    """One measure's records, with their geography, periods and categories placed."""

    records: pd.DataFrame  # _geo, _period, _year, _row, _date + the columns the measure needs
    excluded: pd.DataFrame  # _geo, _reason, _row
    coverage: pd.DataFrame  # _geo, _period, _year: where the dataset has any usable record
    stock: bool = False  # dated by year: a level for every period ending in that year


@dataclass
class _Placed:
    """A dataset's records placed in geography and time for one date column and geography
    (shared by every indicator and measure that reads them that way)."""

    dates: np.ndarray  # datetime64, NaT where missing
    geo: pd.Categorical
    period: pd.Categorical
    year: pd.Categorical
    reason: np.ndarray  # "" or why the record is left out (before any filter)
    coverage: pd.DataFrame
    stock: bool
    usable: np.ndarray  # reason == "", kept: comparing the texts again costs as much as _place
    converted: dict = field(default_factory=dict)  # geography value -> project country code


def _place(
    source: SourceData,
    date_column: str,
    geography: str,
    calendar: Calendar,
    countries: list[str],
    level: bool = False,
) -> _Placed:
    """Each record's date, country, period and year, and why it is left out (if it is).

    A date column of whole years dates an event by its year: it is placed on 31 December of
    that year (or the project's last day, when the project ends within that year). A measure
    declared a ``level`` (population) reads the year as the year its value holds for."""
    frame = source.frame
    n = len(frame)
    column = frame[date_column]
    spec = source.template.column(date_column)
    by_year = spec is not None and spec.type == "integer"
    stock = by_year and level
    if by_year:
        year_text = column.astype("Int64").astype("str")
        dates = pd.to_datetime(year_text + ("-07-01" if stock else "-12-31"), errors="coerce")
        if not stock:  # an event of a year the project ends in happened by the project's end
            end = pd.Timestamp(calendar.end)
            late = (dates > end) & (dates.dt.year == end.year)
            dates = dates.mask(late, end)
    else:
        dates = pd.to_datetime(column)
    national = source.template.column(geography) is None  # no geography: all countries
    if national:
        geo = pd.Categorical.from_codes(np.zeros(n, dtype=np.int8), categories=[NO_GEOGRAPHY])
        converted: dict = {}
    else:
        geo, converted = _geography(frame[geography], countries)
    # why each record is left out, as a small code (0: kept) until the end: comparing
    # millions of texts in an object array took most of this function's time
    why = np.zeros(n, dtype=np.int8)
    why[source.invalid] = _WHY.index("invalid")
    if source.duplicate is not None:
        why[source.duplicate] = _WHY.index("duplicate")
    if not (source.has(date_column) and (national or source.has(geography))):
        why[why == 0] = _WHY.index("no_column")
    no_date = dates.isna().to_numpy()
    why[(why == 0) & no_date] = _WHY.index("no_date")
    if stock:  # a year overlapping the project counts
        years = dates.dt.year
        outside = ~no_date & ((years < calendar.start.year) | (years > calendar.end.year)).to_numpy(
            dtype=bool
        )
    else:
        outside = ~no_date & (
            (dates < pd.Timestamp(calendar.start)) | (dates > pd.Timestamp(calendar.end))
        ).to_numpy(dtype=bool)
    why[(why == 0) & outside] = _WHY.index("outside")
    if not national:
        foreign = ~np.isin(geo.codes, geo.categories.get_indexer(countries)) | (geo.codes < 0)
        why[(why == 0) & foreign] = _WHY.index("country")
    year = assign_categorical(dates, "year", calendar.fy_start)
    period = (
        year
        if calendar.kind == "year"
        else assign_categorical(dates, calendar.kind, calendar.fy_start)
    )
    usable = why == 0
    return _Placed(
        dates.to_numpy(),
        geo,
        period,
        year,
        np.array(_WHY, dtype=object)[why],
        _coverage_of(geo, period, year, usable),
        stock,
        usable,
        converted,
    )


_WHY = ("", "invalid", "duplicate", "no_column", "no_date", "outside", "country")


def _geography(values: pd.Series, countries: list[str]) -> tuple[pd.Categorical, dict]:
    """The geography column as a categorical of the project's country codes where a value names
    one of them another way (ISO alpha-2, numeric, the country's name): CTDC and HTCDS write
    alpha-2. Returns the categorical and the conversions made (value -> code)."""
    from mel.definitions.countries import suggest_country

    geo = values.array
    if not isinstance(geo, pd.Categorical):
        geo = pd.Categorical(values.astype("str"))
    wanted = set(countries)
    mapped, converted = [], {}
    for value in geo.categories:
        code = value
        if value not in wanted:
            guess = suggest_country(value)
            if guess in wanted:
                code = converted[value] = guess
        mapped.append(code)
    if not converted:
        return geo, {}
    names, inverse = np.unique(np.asarray(mapped, dtype=object), return_inverse=True)
    codes = np.where(geo.codes >= 0, inverse[np.maximum(geo.codes, 0)], -1)
    return pd.Categorical.from_codes(codes, categories=pd.Index(names, dtype="str")), converted


def _coverage_of(geo, period, year, usable: np.ndarray) -> pd.DataFrame:
    """The distinct (geography, period, year) of the usable records."""
    ny, np_ = len(year.categories) or 1, len(period.categories) or 1
    ng = len(geo.categories) or 1
    parts = [(c.codes[usable], size) for c, size in ((geo, ng), (period, np_), (year, ny))]
    combined = present_values(group_numbers(parts, int(usable.sum())))
    return pd.DataFrame(
        {
            "_geo": np.asarray(geo.categories.take(combined // (np_ * ny)), dtype=object),
            "_period": np.asarray(period.categories.take(combined // ny % np_), dtype=object),
            "_year": np.asarray(year.categories.take(combined % ny), dtype=object),
        }
    )


def prepare(
    source: SourceData,
    *,
    date_column: str,
    geography: str,
    where: list[str | None],
    calendar: Calendar,
    countries: Iterable[str],
    columns: Iterable[str],
    cache: dict | None = None,
    level: bool = False,
) -> Prepared:
    """The records one measure counts, and those left out with their reason. ``cache`` (a dict
    kept for one computation) shares the placing in time and geography between measures."""
    frame = source.frame
    placed = placement(source, date_column, geography, calendar, list(countries), cache, level)
    usable = placed.usable
    keep = usable.copy()
    for expr in where:
        if expr is not None:
            keep &= flt.mask(expr, frame)
    filtered = usable & ~keep
    reason = placed.reason  # (shared by the measures: copied before it is changed)
    if filtered.any():
        reason = reason.copy()
        reason[filtered] = "filter"
    base = pd.DataFrame(
        {
            "_geo": placed.geo[keep],
            "_period": placed.period[keep],
            "_year": placed.year[keep],
            "_date": placed.dates[keep],
            "_row": source.rows[keep],
        }
    )
    for c in dict.fromkeys(columns):
        if c in frame.columns:
            base[c] = _column(source, c, cache)[keep]
        if c in source.censored:
            low, high = source.censored[c]
            base[c + LOW] = low[keep]
            base[c + HIGH] = high[keep]
            base[c + CENSORED] = np.where(np.isnan(low[keep]), np.nan, 1.0)
    out = ~keep  # (reason != "": left out before the filters, or by them)
    excluded = pd.DataFrame(
        {  # as categoricals: millions of records left out hold a few distinct values
            "_geo": placed.geo[out],
            "_reason": pd.Categorical(reason[out]),
            "_row": source.rows[out],
            "_date": placed.dates[out],
        }
    )
    return Prepared(base, excluded, placed.coverage, placed.stock)


def placement(
    source: SourceData,
    date_column: str,
    geography: str,
    calendar: Calendar,
    countries: list[str],
    cache: dict | None = None,
    level: bool = False,
) -> _Placed:
    """:func:`_place`, once per computation (``cache``) for each way of placing a dataset."""
    key = (source.name, id(source.frame), date_column, geography, tuple(countries), level)
    placed = cache.get(key) if cache is not None else None
    if placed is None:
        placed = _place(source, date_column, geography, calendar, countries, level)
        if cache is not None:
            cache[key] = placed
    return placed


def _column(source: SourceData, column: str, cache: dict | None):
    """A column of a dataset as an array; text as a categorical (coded once per computation:
    measures and disaggregations then work on integer codes)."""
    key = (source.name, id(source.frame), "column", column)
    if cache is not None and key in cache:
        return cache[key]
    values = source.frame[column]
    text = pd.api.types.is_string_dtype(values.dtype)
    values = pd.Categorical(values) if text else values.array  # categoricals stay as they are
    if cache is not None:
        cache[key] = values
    return values


class Disaggregation(NamedTuple):
    """A disaggregation as the engine reads it."""

    column: str
    multi: bool  # multi-response: a record counts in each of its answers
    codes: list[str] | None  # the code list's codes in order (None: the values found)


def disaggregations_of(ind: Indicator, source: SourceData, catalog) -> list[Disaggregation]:
    out = []
    for d in ind.disaggregations:
        spec = source.template.column(d.column)
        codes = None
        if spec is not None and spec.codelist and spec.codelist in catalog.codelists:
            cl = catalog.codelists[spec.codelist].obj
            codes = None if cl.source is not None else list(cl.codes())
        out.append(Disaggregation(d.column, d.multi_response, codes))
    return out


def prepare_measure(
    ind: Indicator,
    m,
    sources: dict[str, SourceData],
    calendar: Calendar,
    countries: list[str],
    disaggs: list[Disaggregation],
    cache: dict | None = None,
):
    """(source, prepared records, the disaggregations its dataset has) for one measure (the
    indicator's own measure, or its numerator or denominator)."""
    src = sources[m.dataset or ind.dataset]
    own = [d for d in disaggs if d.column in src.frame.columns]
    key = [k for k in src.template.key if k in src.frame.columns]
    cols = [c for c in (m.measured, *[d.column for d in own], *key) if c]
    prepared = prepare(
        src,
        date_column=m.date or ind.date,
        geography=ind.geography,
        where=[ind.where if src is sources[ind.dataset] else None, m.where],
        calendar=calendar,
        countries=countries,
        columns=cols,
        cache=cache,
        level=m.level,
    )
    return src, prepared, own


def columns_read(indicators: Iterable[Indicator]) -> dict[str, set[str]]:
    """dataset -> the columns the computation of ``indicators`` reads (dates, geography,
    measured columns, filters, disaggregations)."""
    from mel.filters import columns_of, parse

    out: dict[str, set[str]] = {}

    def filter_columns(text: str | None) -> set[str]:
        return {c.name for c in columns_of(parse(text))} if text else set()

    for ind in indicators:
        disaggs = {d.column for d in ind.disaggregations}
        for _, m in ind.measure.parts():
            dataset = m.dataset or ind.dataset
            cols = out.setdefault(dataset, set())
            cols |= {m.date or ind.date, ind.geography, *disaggs, *filter_columns(m.where)}
            if m.measured:
                cols.add(m.measured)
            if dataset == ind.dataset:
                cols |= filter_columns(ind.where)
    return out


def sources_from(result) -> dict[str, SourceData]:
    """The engine's view of a :class:`mel.data.validate.ValidationResult` (a dataset whose
    template provides another is seen as that one)."""
    out = {}
    for name, ds in result.datasets.items():
        template, frame, present = ds.view
        out[name] = SourceData(
            name,
            template,
            frame,
            ds.rows,
            ds.file,
            ds.invalid,
            present,
            ds.duplicate,
            ds.censored if ds.provided is None else {},
        )
    return out
