"""The indicator computation: from validated datasets to one tidy result table.

Every value at every level (each country and all countries; each reporting period, each year
and the life of project; the total and each category of each disaggregation) is recomputed
from the records, never summed or averaged from other cells: distinct persons seen in two
quarters are one person in the year, and a ratio is the ratio of its summed numerator and
denominator.

Records are left out, and counted by reason, when they failed validation, have no date, fall
outside the project dates, belong to a country outside the project, or do not pass the filter.

Cells: a geography x period with no (valid, dated) record of the dataset at all has *no data*
(value missing), never 0; where the dataset has records but none passes the filter, a count is 0.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from mel import filters as flt
from mel.definitions.models import (
    ChangeFromBaseline,
    Count,
    CountDistinct,
    Indicator,
    Mean,
    Median,
    Milestone,
    Percentage,
    Project,
    Ratio,
    Sum,
    Template,
)
from mel.engine.periods import Period, assign_categorical, periods_between

ALL = "ALL"
LOP = "LoP"
NO_GEOGRAPHY = "(no country column)"  # records of a dataset without one: counted in ALL only
TOTAL = ""
UNKNOWN = "Unknown"
ADDITIVE = (Count, CountDistinct, Sum)

REASONS = {
    "invalid": "failed validation",
    "duplicate": "duplicate key",
    "no_column": "column missing from the file",
    "no_date": "missing date",
    "outside": "outside the project dates",
    "country": "country not in the project",
    "filter": "filter false",
}

RESULT_COLUMNS = [
    "indicator",
    "country",
    "period",
    "period_kind",
    "disaggregation",
    "category",
    "value",
    "numerator",
    "denominator",
    "n_records",
    "multi_response",
    "note",
    "value_low",
    "value_high",
    "censored",
]
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
class Calendar:
    """The project's periods."""

    start: dt.date
    end: dt.date
    kind: str
    fy_start: int
    periods: list[Period]
    years: list[Period]

    @classmethod
    def of(cls, project: Project) -> Calendar:
        kind, fy = project.reporting.period, project.reporting.fiscal_year_start
        periods = periods_between(project.start, project.end, kind, fy)
        years = [] if kind == "year" else periods_between(project.start, project.end, "year", fy)
        return cls(project.start, project.end, kind, fy, periods, years)

    @property
    def all_periods(self) -> list[Period]:
        return [*self.periods, *self.years, Period(LOP, "lop", self.start, self.end)]


@dataclass
class Prepared:
    """One measure's records, with their geography, periods and categories placed."""

    records: pd.DataFrame  # _geo, _period, _year, _row, _date + the columns the measure needs
    excluded: pd.DataFrame  # _geo, _reason, _row
    coverage: pd.DataFrame  # _geo, _period, _year: where the dataset has any usable record
    stock: bool = False  # dated by year: a level for every period ending in that year


@dataclass
class Result:
    table: pd.DataFrame
    exclusions: pd.DataFrame  # indicator, dataset, country, reason, records
    checks: pd.DataFrame  # indicator, country, period, disaggregation, total, parts, ok
    internal: bool = False
    notes: list[str] = field(default_factory=list)


# --- preparing records ---------------------------------------------------------------------------


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
    reason = np.full(n, "", dtype=object)
    reason[source.invalid] = "invalid"
    if source.duplicate is not None:
        reason[source.duplicate] = "duplicate"
    if not (source.has(date_column) and (national or source.has(geography))):
        reason[reason == ""] = "no_column"
    no_date = dates.isna().to_numpy()
    reason[(reason == "") & no_date] = "no_date"
    if stock:  # a year overlapping the project counts
        years = dates.dt.year
        outside = ~no_date & ((years < calendar.start.year) | (years > calendar.end.year)).to_numpy(
            dtype=bool
        )
    else:
        outside = ~no_date & (
            (dates < pd.Timestamp(calendar.start)) | (dates > pd.Timestamp(calendar.end))
        ).to_numpy(dtype=bool)
    reason[(reason == "") & outside] = "outside"
    if not national:
        foreign = ~np.isin(geo.codes, geo.categories.get_indexer(countries)) | (geo.codes < 0)
        reason[(reason == "") & foreign] = "country"
    year = assign_categorical(dates, "year", calendar.fy_start)
    period = (
        year
        if calendar.kind == "year"
        else assign_categorical(dates, calendar.kind, calendar.fy_start)
    )
    usable = reason == ""
    return _Placed(
        dates.to_numpy(),
        geo,
        period,
        year,
        reason,
        _coverage_of(geo, period, year, usable),
        stock,
        converted,
    )


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
    g, p, y = (c.codes[usable].astype(np.int64) for c in (geo, period, year))
    ny, np_ = len(year.categories) or 1, len(period.categories) or 1
    combined = np.unique((g * np_ + p) * ny + y)
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
    usable = placed.reason == ""
    keep = usable.copy()
    for expr in where:
        if expr is not None:
            keep &= flt.mask(expr, frame)
    reason = placed.reason.copy()
    reason[usable & ~keep] = "filter"
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
    out = reason != ""
    excluded = pd.DataFrame(
        {
            "_geo": np.asarray(placed.geo[out], dtype=object),
            "_reason": reason[out],
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


# --- measures ------------------------------------------------------------------------------------


def aggregate(records: pd.DataFrame, measure, keys: list[str]) -> pd.DataFrame:
    """keys + value, n (records) for a simple measure, over groups of ``keys``."""
    if not len(records):
        return pd.DataFrame(columns=[*keys, "value", "n"])
    fast = _coded(records, keys)
    if fast is not None and not isinstance(measure, Median):
        return _aggregate_coded(records, measure, keys, *fast)
    g = records.groupby(keys, observed=True, sort=False, dropna=False)
    n = g.size().rename("n")
    if isinstance(measure, Count):
        value = n.rename("value").astype("float64")
    elif isinstance(measure, CountDistinct):
        value = _distinct(records[measure.column], g, n)
    elif isinstance(measure, Sum):
        value = g[measure.column].sum(min_count=1).rename("value").astype("float64")
    elif isinstance(measure, Mean):
        value = g[measure.column].mean().rename("value").astype("float64")
    elif isinstance(measure, Median):
        value = g[measure.column].median().rename("value").astype("float64")
    else:  # pragma: no cover - other kinds are not simple measures
        raise TypeError(measure)
    return pd.concat([value, n], axis=1).reset_index()


def _coded(records: pd.DataFrame, keys: list[str]):
    """(group number of each record, number of possible groups, the keys' categories) when
    every key is a categorical without missing values, else None. The group number is the
    keys' category codes combined arithmetically: no hashing of labels."""
    gid = np.zeros(len(records), dtype=np.int64)
    total = 1
    cats = []
    for k in keys:
        col = records[k]
        if not isinstance(col.dtype, pd.CategoricalDtype):
            return None
        codes = col.cat.codes.to_numpy()
        if len(codes) and codes.min() < 0:
            return None
        size = max(len(col.cat.categories), 1)
        gid = gid * size + codes
        total *= size
        cats.append(col.cat.categories)
    if total > 1 << 24:
        return None
    return gid, total, cats


def _aggregate_coded(records, measure, keys, gid, total, cats) -> pd.DataFrame:
    """:func:`aggregate` on combined group numbers with numpy's bincount."""
    n = np.bincount(gid, minlength=total)
    present = np.flatnonzero(n)
    if isinstance(measure, Count):
        value = n.astype("float64")
    elif isinstance(measure, CountDistinct):
        value = _distinct_coded(records[measure.column], gid, total)
    elif isinstance(measure, Sum | Mean):
        v = records[measure.column].to_numpy(dtype="float64", na_value=np.nan)
        ok = ~np.isnan(v)
        sums = np.bincount(gid[ok], weights=v[ok], minlength=total)
        counts = np.bincount(gid[ok], minlength=total)
        with np.errstate(invalid="ignore", divide="ignore"):
            value = np.where(
                counts > 0, sums if isinstance(measure, Sum) else sums / counts, np.nan
            )
    else:  # pragma: no cover - other kinds are not simple measures
        raise TypeError(measure)
    out = {}
    rest = present
    for k, categories in zip(reversed(keys), reversed(cats), strict=True):
        size = max(len(categories), 1)
        out[k] = np.asarray(categories.take(rest % size), dtype=object)
        rest = rest // size
    frame = pd.DataFrame({k: out[k] for k in keys})
    frame["value"] = value[present]
    frame["n"] = n[present].astype("int64")
    return frame


def _distinct_coded(column: pd.Series, gid: np.ndarray, total: int) -> np.ndarray:
    """Distinct values per group number: one hash pass over (group, value code) pairs."""
    if pd.api.types.is_float_dtype(column.dtype):
        codes = column.to_numpy(dtype="float64")
        valid = ~np.isnan(codes)
        codes = codes[valid].astype(np.int64)
    else:
        codes, _ = pd.factorize(column)
        valid = codes >= 0
        codes = codes[valid]
    if not len(codes):
        return np.zeros(total)
    k = np.int64(codes.max()) + 1
    pairs = gid[valid] * k + codes
    first = pd.unique(pairs) // k  # the group of each distinct (group, value) pair
    return np.bincount(first, minlength=total).astype("float64")


def _distinct(column: pd.Series, g, n: pd.Series) -> pd.Series:
    """Distinct values per group of a pandas groupby (keys that are not all categoricals)."""
    gid = g.ngroup().to_numpy().astype(np.int64)
    return pd.Series(_distinct_coded(column, gid, len(n)), index=n.index, name="value")


def _categories(records: pd.DataFrame, column: str, multi: bool, codes: list[str] | None):
    """Records with a _cat column (repeated per answer for multi-response) and the category
    list. Labels are worked out once per distinct value, records keep integer codes."""
    values = records[column]
    if values.dtype == "boolean" or values.dtype == bool:
        arr = values.to_numpy(dtype=object, na_value=None)
        vcodes = np.where(arr == True, 0, np.where(arr == False, 1, -1))  # noqa: E712
        labels = ["yes", "no"]
        cats = ["yes", "no"]
    else:
        vcodes, uniques = pd.factorize(values)
        labels = list(pd.Series(uniques).astype("str"))
        cats = list(codes) if codes is not None else None
    parts = [lab.split(";") for lab in labels]
    # a multi-response disaggregation of a one-value column (services by type, counted per
    # person) has nothing to split
    split = multi and any(len(p) > 1 for p in parts)
    if not split:
        parts = [[lab] for lab in labels]
    names = list(dict.fromkeys([*(x for p in parts for x in p), UNKNOWN]))
    index = {x: i for i, x in enumerate(names)}
    unknown = index[UNKNOWN]
    widths = np.array([len(p) for p in parts] + [1], dtype=np.int64)  # the last: missing
    table = np.full((len(parts) + 1, int(widths.max())), unknown, dtype=np.int64)
    for i, p in enumerate(parts):
        table[i, : len(p)] = [index[x] for x in p]
    u = np.where(vcodes >= 0, vcodes, len(parts))  # the missing value's row of the table
    if split:
        per_row = widths[u]
        rows = np.repeat(np.arange(len(u)), per_row)
        starts = np.cumsum(per_row) - per_row
        slot = np.arange(len(rows)) - starts[rows]
        cat_codes = table[u[rows], slot]
        out = records.iloc[rows]
    else:
        cat_codes = table[u, 0]
        out = records
    out = out.assign(_cat=pd.Categorical.from_codes(cat_codes, categories=names))
    present = np.unique(cat_codes)
    if cats is None:
        cats = sorted(names[i] for i in present if names[i] != UNKNOWN)
    seen = [names[i] for i in present if names[i] not in cats and names[i] != UNKNOWN]
    return out, [*cats, *sorted(seen), UNKNOWN]


def _all_countries(data: pd.DataFrame) -> pd.DataFrame:
    """The records with one geography, all countries (each record's own kept as _country)."""
    every = pd.Categorical.from_codes(np.zeros(len(data), dtype=np.int8), categories=[ALL])
    return data.assign(_country=data["_geo"], _geo=every)


def _first_in_finest(data: pd.DataFrame, column: str) -> np.ndarray | None:
    """Bool per record: the first record of its value (integer codes in ``column``, missing
    values left out) in its (country, period, year, category) cell. Distinct counts over any
    union of such cells are the same over these records alone, which are often far fewer."""
    coded = _coded(data, ["_geo", "_period", "_year", "_cat"])
    if coded is None:
        return None
    gid, _, _ = coded
    codes = data[column].to_numpy(dtype="float64")
    k = np.int64(np.nanmax(codes)) + 1 if np.isfinite(codes).any() else np.int64(1)
    pairs = gid * k + np.where(np.isnan(codes), 0, codes).astype(np.int64)
    return ~pd.Series(pairs).duplicated().to_numpy() & ~np.isnan(codes)


@dataclass
class Cell:
    geo: str
    period: str
    kind: str
    disaggregation: str
    category: str


def measure_cells(
    prepared: Prepared,
    measure,
    calendar: Calendar,
    cumulation: str,
    disaggregations: list[tuple[str, bool, list[str] | None]],
    countries: list[str],
) -> pd.DataFrame:
    """value and n for every cell, for one simple measure (or a milestone).

    Columns: country, period, period_kind, disaggregation, category, value, n, covered."""
    rec = prepared.records
    counted = measure  # what is aggregated: a distinct count may be done more cheaply
    dedupe = False
    if isinstance(measure, CountDistinct):  # distinct counts on integer codes, not on text
        codes, uniques = pd.factorize(rec[measure.column])
        if len(uniques) == int((codes >= 0).sum()):
            # no value is repeated (a record key): distinct values are the values present
            rec = rec.assign(**{measure.column: (codes >= 0).astype("float64")})
            counted = Sum(type="sum", column=measure.column)
        else:
            rec = rec.assign(**{measure.column: np.where(codes >= 0, codes, np.nan)})
            dedupe = not prepared.stock
    # only what the aggregation reads: frames are repeated per answer of multi-response
    core = [c for c in ("_geo", "_period", "_year", "_date", getattr(measure, "column", None)) if c]
    rec = rec[[*dict.fromkeys([*core, *(d[0] for d in disaggregations)])]]
    total_cat = pd.Categorical.from_codes(np.zeros(len(rec), dtype=np.int8), categories=[TOTAL])
    frames = [("", False, None, rec.assign(_cat=total_cat), [TOTAL])]
    for column, multi, codes in disaggregations:
        exploded, cats = _categories(rec[[*dict.fromkeys([*core, column])]], column, multi, codes)
        exploded = exploded[[*core, "_cat"]]
        frames.append((column, multi, codes, exploded, cats))
    out = []
    for column, _multi, _codes, data, cats in frames:
        firsts = _first_in_finest(data, measure.column) if dedupe else None
        for geo_all in (False, True):
            d = _all_countries(data) if geo_all else data
            geos = [ALL] if geo_all else countries
            if isinstance(measure, Milestone):
                part = _milestone(d, calendar, geos, cats, countries)
            elif prepared.stock:
                part = _stock(d, counted, calendar)
            elif firsts is not None:
                # distinct values over the first record of each value in each finest cell
                # (country, period, year, category), records counted over all of them
                unique = d.loc[firsts]
                if cumulation == "cumulative":
                    values = _cumulative(unique, counted, calendar)
                    part = _cumulative(d, Count(type="count"), calendar)
                else:
                    values = _per_period(unique, counted, calendar)
                    part = _per_period(d, Count(type="count"), calendar)
                part = part.drop(columns="value").merge(
                    values[["country", "period", "category", "value"]],
                    how="left",
                    on=["country", "period", "category"],
                )
            elif cumulation == "cumulative":
                part = _cumulative(d, counted, calendar)
            else:
                part = _per_period(d, counted, calendar)
            part = part.assign(disaggregation=column)
            grid = _grid(geos, calendar, column, cats)
            part = grid.merge(
                part, how="left", on=["country", "period", "disaggregation", "category"]
            )
            out.append(part)
    table = pd.concat(out, ignore_index=True)
    cov = _coverage(prepared.coverage, calendar, cumulation)
    table = table.merge(cov, how="left", on=["country", "period"])
    table["covered"] = table["covered"].eq(True)
    if prepared.stock:  # a level covers every period it applies to
        table["covered"] = table["value"].notna()
    if cumulation == "latest" and not isinstance(measure, Milestone):
        if isinstance(measure, ADDITIVE):
            # a reporting period with records, none of them counted, reports 0: its own value,
            # not the one carried forward from an earlier period
            own = _coverage(prepared.coverage, calendar, "per_period")
            own = table[["country", "period"]].merge(own, how="left", on=["country", "period"])
            zero = table["value"].isna().to_numpy() & own["covered"].eq(True).to_numpy()
            table.loc[zero, "value"] = 0.0
        table = _latest(table, calendar)
    table["n"] = table["n"].fillna(0).astype("int64")
    if isinstance(measure, ADDITIVE):
        zero = table["value"].isna() & table["covered"]
        table.loc[zero, "value"] = 0.0
    if "numerator" not in table.columns:
        table["numerator"] = np.nan
        table["denominator"] = np.nan
    return table


def _grid(geos: list[str], calendar: Calendar, column: str, cats: list[str]) -> pd.DataFrame:
    rows = [
        (g, p.label, p.kind, column, c) for g in geos for p in calendar.all_periods for c in cats
    ]
    return pd.DataFrame(
        rows, columns=["country", "period", "period_kind", "disaggregation", "category"]
    )


def _rename(df: pd.DataFrame, time: str, label: str | None = None) -> pd.DataFrame:
    df = df.rename(columns={"_geo": "country", "_cat": "category", time: "period"})
    if label is not None:
        df["period"] = label
    return df


def _per_period(d: pd.DataFrame, measure, calendar: Calendar) -> pd.DataFrame:
    parts = [_rename(aggregate(d, measure, ["_geo", "_period", "_cat"]), "_period")]
    if calendar.years:  # when the reporting period is the year, the years are the periods
        parts.append(_rename(aggregate(d, measure, ["_geo", "_year", "_cat"]), "_year"))
    parts.append(_rename(aggregate(d, measure, ["_geo", "_cat"]), "", LOP))
    return (
        pd.concat(
            [p[["country", "period", "category", "value", "n"]] for p in parts if len(p)],
            ignore_index=True,
        )
        if any(len(p) for p in parts)
        else pd.DataFrame(columns=["country", "period", "category", "value", "n"])
    )


def _cumulative(d: pd.DataFrame, measure, calendar: Calendar):
    """Each period: the measure over all records from the project start to the period's end
    (distinct counts are distinct over the whole window)."""
    fast = None if isinstance(measure, Median) else _coded(d, ["_geo", "_cat"])
    if fast is not None:
        return _cumulative_coded(d, measure, calendar, *fast)
    parts = []
    for p in calendar.all_periods:
        window = d[d["_date"] <= pd.Timestamp(p.end)] if p.kind != "lop" else d
        parts.append(_rename(aggregate(window, measure, ["_geo", "_cat"]), "", p.label))
    parts = [p for p in parts if len(p)]
    if not parts:
        return pd.DataFrame(columns=["country", "period", "category", "value", "n"])
    return pd.concat(parts, ignore_index=True)[["country", "period", "category", "value", "n"]]


def _cumulative_coded(d: pd.DataFrame, measure, calendar: Calendar, gid, total, cats):
    """:func:`_cumulative` in one pass: each record is counted in the first window (period end)
    that holds it, and the windows' values are running sums over the ends in order (a distinct
    value at the first window where it appears; a mean as running sum over running count)."""
    periods = calendar.all_periods
    ends = np.array([np.datetime64(p.end, "ns") for p in periods])
    order = np.argsort(ends, kind="stable")
    k = len(ends)
    slot = np.searchsorted(ends[order], d["_date"].to_numpy(dtype="datetime64[ns]"), side="left")
    inside = slot < k  # dated after every window (not in a project's records): in none
    gid, slot = gid[inside], slot[inside]

    def running(cells: np.ndarray, weights=None) -> np.ndarray:
        flat = np.bincount(cells, weights=weights, minlength=total * k)
        return flat.reshape(total, k).cumsum(axis=1)

    n = running(gid * k + slot)
    if isinstance(measure, Count):
        value = n.astype("float64")
    elif isinstance(measure, CountDistinct):
        codes, _ = pd.factorize(d[measure.column].to_numpy()[inside])
        valid = codes >= 0
        width = np.int64(codes.max() + 1) if valid.any() else np.int64(1)
        pairs = pd.Series(slot[valid]).groupby(gid[valid] * width + codes[valid]).min()
        firsts = (pairs.index.to_numpy() // width) * k + pairs.to_numpy()
        value = running(firsts).astype("float64")
    else:  # Sum | Mean
        v = d[measure.column].to_numpy(dtype="float64", na_value=np.nan)[inside]
        ok = ~np.isnan(v)
        sums = running(gid[ok] * k + slot[ok], v[ok])
        counts = running(gid[ok] * k + slot[ok])
        with np.errstate(invalid="ignore", divide="ignore"):
            value = np.where(
                counts > 0, sums if isinstance(measure, Sum) else sums / counts, np.nan
            )
    group, col = np.nonzero(n)
    keys = {}
    rest = group
    for key, categories in zip(("_cat", "_geo"), reversed(cats), strict=True):
        size = max(len(categories), 1)
        keys[key] = np.asarray(categories.take(rest % size), dtype=object)
        rest = rest // size
    labels = np.array([periods[i].label for i in order], dtype=object)
    return pd.DataFrame(
        {
            "country": keys["_geo"],
            "period": labels[col],
            "category": keys["_cat"],
            "value": value[group, col],
            "n": n[group, col].astype("int64"),
        }
    )


def _stock(d: pd.DataFrame, measure, calendar: Calendar) -> pd.DataFrame:
    """A level dated by year (population): each period takes the level of the calendar year in
    which it ends."""
    year = d["_date"].dt.year
    parts = []
    for p in calendar.all_periods:
        agg = aggregate(d[(year == p.end.year).to_numpy()], measure, ["_geo", "_cat"])
        parts.append(_rename(agg, "", p.label))
    parts = [p for p in parts if len(p)]
    if not parts:
        return pd.DataFrame(columns=["country", "period", "category", "value", "n"])
    return pd.concat(parts, ignore_index=True)[["country", "period", "category", "value", "n"]]


def _milestone(
    d: pd.DataFrame, calendar: Calendar, geos: list[str], cats: list[str], countries: list[str]
) -> pd.DataFrame:
    """Yes (1) once a record is dated on or before the period's end, else no (0): a register of
    milestones lists what was adopted, so no record means "not yet", not "no data". For all
    countries: yes when every country has it; numerator and denominator count the countries."""
    first = d.groupby(["_geo", "_cat"], observed=True)["_date"].min()
    n = d.groupby(["_geo", "_cat"], observed=True).size()
    by_country = None
    if geos == [ALL] and "_country" in d.columns:
        by_country = d.groupby(["_country", "_cat"], observed=True)["_date"].min()
    rows = []
    for p in calendar.all_periods:
        end = pd.Timestamp(p.end)
        for geo in geos:
            for cat in cats:
                if by_country is not None:
                    done = sum(
                        1
                        for c in countries
                        if (c, cat) in by_country.index and by_country[(c, cat)] <= end
                    )
                    rows.append(
                        (
                            geo,
                            p.label,
                            cat,
                            float(done == len(countries)),
                            int(n.get((geo, cat), 0)),
                            float(done),
                            float(len(countries)),
                        )
                    )
                    continue
                when = first.get((geo, cat))
                achieved = when is not None and when <= end
                rows.append(
                    (geo, p.label, cat, float(achieved), int(n.get((geo, cat), 0)), np.nan, np.nan)
                )
    return pd.DataFrame(
        rows, columns=["country", "period", "category", "value", "n", "numerator", "denominator"]
    )


def _coverage(cov: pd.DataFrame, calendar: Calendar, cumulation: str) -> pd.DataFrame:
    """(country, period) where the dataset has usable records (for cumulative and latest
    modes: any record up to the period's end)."""
    rows = set()
    for geo_all in (False, True):
        c = cov.assign(_geo=ALL) if geo_all else cov
        for g, per, yr in c[["_geo", "_period", "_year"]].itertuples(index=False):
            rows.add((g, per))
            rows.add((g, yr))
            rows.add((g, LOP))
    out = pd.DataFrame(sorted(rows), columns=["country", "period"]).assign(covered=True)
    if cumulation != "per_period":
        # covered from the first period with data onwards
        firsts = {}
        for p in calendar.periods:
            for g in out.loc[out["period"] == p.label, "country"]:
                firsts.setdefault(g, p.start)
        extra = [
            (g, p.label, True)
            for g, start in firsts.items()
            for p in calendar.all_periods
            if p.end >= start
        ]
        out = pd.concat([out, pd.DataFrame(extra, columns=["country", "period", "covered"])])
        out = out.drop_duplicates(["country", "period"])
    return out


def _latest(table: pd.DataFrame, calendar: Calendar) -> pd.DataFrame:
    """Each period shows the value of the latest reporting period, up to it, that has data;
    years and LoP show the latest value within them."""
    order = {p.label: i for i, p in enumerate(calendar.periods)}
    base = table[table["period_kind"] == calendar.kind].copy()
    base["_i"] = base["period"].map(order)
    base = base.sort_values("_i")
    keys = ["country", "disaggregation", "category"]
    base["value"] = base.groupby(keys, sort=False)["value"].ffill()
    out = [base.drop(columns="_i")]
    for p in [*calendar.years, Period(LOP, "lop", calendar.start, calendar.end)]:
        inside = {q.label for q in calendar.periods if q.start >= p.start and q.end <= p.end}
        within = base[base["period"].isin(inside)]
        last = within.sort_values("_i").groupby(keys, sort=False).tail(1)
        rest = table[table["period"] == p.label].drop(columns=["value"])
        merged = rest.merge(last[[*keys, "value"]], how="left", on=keys)
        out.append(merged)
    return pd.concat(out, ignore_index=True)


# --- indicators ----------------------------------------------------------------------------------


def disaggregations_of(ind: Indicator, source: SourceData, catalog) -> list:
    out = []
    for d in ind.disaggregations:
        spec = source.template.column(d.column)
        codes = None
        if spec is not None and spec.codelist and spec.codelist in catalog.codelists:
            cl = catalog.codelists[spec.codelist].obj
            codes = None if cl.source is not None else list(cl.codes())
        out.append((d.column, d.multi_response, codes))
    return out


def prepare_measure(
    ind: Indicator,
    m,
    sources: dict[str, SourceData],
    calendar: Calendar,
    countries: list[str],
    disaggs: list,
    cache: dict | None = None,
):
    """(source, prepared records, the disaggregations its dataset has) for one measure (the
    indicator's own measure, or its numerator or denominator)."""
    src = sources[m.dataset or ind.dataset]
    own = [d for d in disaggs if d[0] in src.frame.columns]
    key = [k for k in src.template.key if k in src.frame.columns]
    cols = [c for c in (getattr(m, "column", None), *[d[0] for d in own], *key) if c]
    prepared = prepare(
        src,
        date_column=m.date or ind.date,
        geography=ind.geography,
        where=[ind.where if src is sources[ind.dataset] else None, m.where],
        calendar=calendar,
        countries=countries,
        columns=cols,
        cache=cache,
        level=getattr(m, "level", False),
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
        for _, m in measure_parts(ind):
            dataset = m.dataset or ind.dataset
            cols = out.setdefault(dataset, set())
            cols |= {m.date or ind.date, ind.geography, *disaggs, *filter_columns(m.where)}
            if getattr(m, "column", None):
                cols.add(m.column)
            if dataset == ind.dataset:
                cols |= filter_columns(ind.where)
    return out


def measure_parts(ind: Indicator) -> list[tuple[str, object]]:
    """("value", measure) or ("numerator", m), ("denominator", m)."""
    m = ind.measure.of if isinstance(ind.measure, ChangeFromBaseline) else ind.measure
    if isinstance(m, Ratio | Percentage):
        return [("numerator", m.numerator), ("denominator", m.denominator)]
    return [("value", m)]


def compute_indicator(
    ind: Indicator,
    sources: dict[str, SourceData],
    project: Project,
    catalog,
    *,
    countries: list[str] | None = None,
    cache: dict | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The cells of one indicator and its exclusions. ``cache``: see :func:`prepare`."""
    calendar = Calendar.of(project)
    countries = countries or list(project.countries)
    measure = ind.measure.of if isinstance(ind.measure, ChangeFromBaseline) else ind.measure
    main = sources[ind.dataset]
    disaggs = disaggregations_of(ind, main, catalog)

    def run(m, default_dataset: str) -> tuple[pd.DataFrame, pd.DataFrame]:
        src, prepared, own = prepare_measure(ind, m, sources, calendar, countries, disaggs, cache)
        cells = measure_cells(prepared, m, calendar, ind.cumulation, own, countries)
        cells = _censored(cells, prepared, m, calendar, ind.cumulation, own, countries)
        excl = prepared.excluded.assign(dataset=src.name)
        return cells, excl

    if isinstance(measure, Ratio | Percentage):
        factor = 100 if isinstance(measure, Percentage) else measure.factor
        num, ex1 = run(measure.numerator, ind.dataset)
        den, ex2 = run(measure.denominator, ind.dataset)
        den_total = den[den["disaggregation"] == TOTAL]
        keys = ["country", "period", "period_kind", "disaggregation", "category"]
        cells = num.merge(
            den[[*keys, "value", "n", "covered", "censored"]],
            how="left",
            on=keys,
            suffixes=("_num", "_den"),
        )
        # every category shares the total denominator when the disaggregation says so (shares
        # of a flag group, the CTDC rule), or when the denominator's dataset lacks the column
        shares = [d.column for d in ind.disaggregations if d.denominator == "total"]
        missing_den = (cells["value_den"].isna() & ~cells["covered_den"].eq(True)) | cells[
            "disaggregation"
        ].isin(shares)
        if missing_den.any():
            fill = cells.loc[missing_den, ["country", "period"]].merge(
                den_total[["country", "period", "value", "n"]], how="left", on=["country", "period"]
            )
            cells.loc[missing_den, "value_den"] = fill["value"].to_numpy()
            cells.loc[missing_den, "n_den"] = fill["n"].to_numpy()
        cells["numerator"] = cells["value_num"]
        cells["denominator"] = cells["value_den"]
        # a side summing censored values ('<5') has no exact value: nor has the ratio
        cells["censored"] = cells["censored_num"] + cells["censored_den"].fillna(0)
        cells.loc[cells["censored"] > 0, ["numerator", "denominator"]] = np.nan
        cells["value_low"] = cells["value_high"] = np.nan
        ok = cells["denominator"].fillna(0) > 0
        cells["value"] = np.where(
            ok, cells["numerator"] / cells["denominator"].where(ok) * factor, np.nan
        )
        cells["note"] = np.where(
            cells["censored"] > 0,
            "censored values: no exact value",
            np.where(
                cells["denominator"].isna() | cells["numerator"].isna(),
                "no data",
                np.where(cells["denominator"] == 0, "denominator is 0", ""),
            ),
        )
        cells["n_records"] = cells["n_num"].fillna(0) + cells["n_den"].fillna(0)
        excluded = _left_out_of_both(ex1, ex2)
    else:
        cells, excluded = run(measure, ind.dataset)
        cells["note"] = np.where(cells["value"].isna(), "no data", "")
        ranged = (cells["censored"] > 0).to_numpy()
        if ranged.any():
            cells.loc[ranged, "note"] = [
                f"range {lo:,.10g}-{hi:,.10g} ({k:,.0f} censored values)"
                if lo == lo
                else f"{k:,.0f} censored values: no exact value"
                for lo, hi, k in cells.loc[
                    ranged, ["value_low", "value_high", "censored"]
                ].itertuples(index=False)
            ]
        cells["n_records"] = cells["n"]
    multi = {d[0]: d[1] for d in disaggs}
    cells["multi_response"] = (
        cells["disaggregation"].map(lambda d: multi.get(d, False)).astype(bool)
    )
    cells["indicator"] = ind.id
    return cells[RESULT_COLUMNS], excluded


def _left_out_of_both(ex1: pd.DataFrame, ex2: pd.DataFrame) -> pd.DataFrame:
    """The records a ratio leaves out, each once: a record of a dataset both sides read is left
    out when neither side counts it (a record only one side's filter drops is used by the
    other); the reason is the denominator's (the numerator's where only it reads the
    dataset)."""
    both = set(ex1["dataset"]) & set(ex2["dataset"])
    if not both:
        return pd.concat([ex1, ex2], ignore_index=True)
    shared1 = ex1[ex1["dataset"].isin(both)]
    shared2 = ex2[ex2["dataset"].isin(both)]
    in_num = pd.MultiIndex.from_frame(shared1[["dataset", "_row"]])
    in_den = pd.MultiIndex.from_frame(shared2[["dataset", "_row"]])
    return pd.concat(
        [
            ex1[~ex1["dataset"].isin(both)],
            ex2[~ex2["dataset"].isin(both)],
            shared2[in_den.isin(in_num)],
        ],
        ignore_index=True,
    )


def _censored(cells, prepared, measure, calendar, cumulation, disaggregations, countries):
    """Cells over a column with censored values ('<5' declared with its bounds): those holding
    any have no exact value. A sum is kept as a range (value_low, value_high: the exact part
    plus the censored cells' bounds); other measures (means, medians) have none. Columns
    censored (how many censored cells), value_low and value_high are added either way."""
    column = getattr(measure, "column", None)
    if not column or column + CENSORED not in prepared.records.columns:
        return cells.assign(censored=0.0, value_low=np.nan, value_high=np.nan)
    keys = ["country", "period", "disaggregation", "category"]

    def total(of: str) -> pd.Series:
        t = measure_cells(
            prepared,
            Sum.model_construct(type="sum", column=of),
            calendar,
            cumulation,
            disaggregations,
            countries,
        )
        return cells[keys].merge(t[[*keys, "value"]], how="left", on=keys)["value"].fillna(0.0)

    out = cells.assign(censored=total(column + CENSORED).to_numpy())
    hit = (out["censored"] > 0).to_numpy()
    out["value_low"] = out["value_high"] = np.nan
    if isinstance(measure, Sum):  # a count of records is exact: a censored cell is one record
        exact = out["value"].fillna(0.0).to_numpy()
        low, high = total(column + LOW).to_numpy(), total(column + HIGH).to_numpy()
        out.loc[hit, "value_low"] = (exact + low)[hit]
        out.loc[hit, "value_high"] = (exact + high)[hit]
    if isinstance(measure, Sum | Mean | Median):
        out.loc[hit, "value"] = np.nan
    return out


def disaggregation_checks(table: pd.DataFrame, indicators: dict[str, Indicator]) -> pd.DataFrame:
    """For single-valued disaggregations of additive measures: do the parts add up to the
    total? (Multi-response ones are labelled instead: their parts may exceed the total.)"""
    rows = []
    additive = {i for i, ind in indicators.items() if isinstance(ind.measure, ADDITIVE)}
    t = table[table["indicator"].isin(additive)]
    totals = t[t["disaggregation"] == TOTAL].set_index(["indicator", "country", "period"])["value"]
    parts = t[(t["disaggregation"] != TOTAL) & ~t["multi_response"]]
    sums = parts.groupby(["indicator", "country", "period", "disaggregation"])["value"].sum(
        min_count=1
    )
    for (ind, geo, per, dis), s in sums.items():
        total = totals.get((ind, geo, per))
        if total is None or pd.isna(total):
            continue
        rows.append((ind, geo, per, dis, total, s, bool(np.isclose(total, s))))
    return pd.DataFrame(
        rows, columns=["indicator", "country", "period", "disaggregation", "total", "parts", "ok"]
    )


def compute(
    indicators: list[Indicator],
    sources: dict[str, SourceData],
    project: Project,
    catalog,
    *,
    countries: list[str] | None = None,
    progress: Callable[[str], None] | None = None,
    cache: dict | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(cells of every indicator, exclusions, disaggregation checks). ``cache``: see
    :func:`prepare` (a new one when not given)."""
    tables, exclusions = [], []
    cache = {} if cache is None else cache
    for ind in indicators:
        if progress:
            progress(ind.id)
        cells, excl = compute_indicator(
            ind, sources, project, catalog, countries=countries, cache=cache
        )
        tables.append(cells)
        if len(excl):
            exclusions.append(
                excl.groupby(["dataset", "_geo", "_reason"])
                .size()
                .rename("records")
                .reset_index()
                .rename(columns={"_geo": "country", "_reason": "reason"})
                .assign(indicator=ind.id)
            )
    table = pd.concat(tables, ignore_index=True)
    excl = (
        pd.concat(exclusions, ignore_index=True)
        if exclusions
        else pd.DataFrame(columns=["dataset", "country", "reason", "records", "indicator"])
    )
    excl["reason"] = excl["reason"].map(REASONS)
    checks = disaggregation_checks(table, {i.id: i for i in indicators})
    return table, excl[["indicator", "dataset", "country", "reason", "records"]], checks


def sources_from(result) -> dict[str, SourceData]:
    """The engine's view of a :class:`mel.data.validate.ValidationResult`."""
    return {
        name: SourceData(
            name,
            ds.template,
            ds.frame,
            ds.rows,
            ds.file,
            ds.invalid,
            frozenset(ds.columns_in_file),
            ds.duplicate,
            ds.censored,
        )
        for name, ds in result.datasets.items()
    }
