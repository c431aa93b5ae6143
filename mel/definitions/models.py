"""Typed models of every declarative file: indicator, dataset template, code list, project, targets.

The models are strict: unknown keys are errors, text is not silently turned into numbers or
booleans, and every field a user may misspell has a fixed vocabulary. ``docs/definitions.md``
documents the YAML shape with a complete example of each file kind (and the tests load them).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, ClassVar, Literal, get_args

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    StringConstraints,
    Tag,
    field_validator,
    model_validator,
)

from mel.definitions.periods import parse_period_label
from mel.definitions.words import ALL, LOP

# --- shared field types --------------------------------------------------------------------------


def _number_to_text(v: Any) -> Any:
    """Codes and labels such as ``1`` or ``2024`` may be written unquoted; keep them as text."""
    if isinstance(v, int) and not isinstance(v, bool):
        return str(v)
    return v


def _parse_date(v: Any) -> Any:
    if isinstance(v, str):
        try:
            return dt.date.fromisoformat(v)
        except ValueError:
            raise ValueError(
                f"'{v}' is not a date; write it as YYYY-MM-DD, e.g. 2024-01-31"
            ) from None
    return v


def _one_or_many(v: Any) -> Any:
    return [v] if isinstance(v, str) else v


Text = Annotated[str, BeforeValidator(_number_to_text)]
NonEmpty = Annotated[str, StringConstraints(min_length=1, strip_whitespace=True)]
Date = Annotated[dt.date, BeforeValidator(_parse_date)]
Identifier = Annotated[
    str,
    BeforeValidator(_number_to_text),
    StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$", max_length=64),
]
Name = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]
ColumnName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$", max_length=64)]

Pillar = Literal["prevention", "protection", "prosecution", "partnership", "context"]
Level = Literal["impact", "objective", "result", "process"]
Cumulation = Literal["per_period", "cumulative", "latest"]
Direction = Literal["increase", "decrease"]
Frequency = Literal["monthly", "quarterly", "semiannual", "annual", "once", "continuous"]
Provenance = Literal["taken", "adapted", "derived"]
# The handbook's target forms: Yes/True (milestones), "X% increase/decrease" from the baseline,
# a number or a percentage to reach.
TargetForm = Literal["yes", "number", "percentage", "percent_increase", "percent_decrease"]
TARGET_FORM_WORDS = {
    "yes": "Yes/True by the end of the period",
    "number": "a number to reach",
    "percentage": "a percentage to reach",
    "percent_increase": "X% increase from the baseline",
    "percent_decrease": "X% decrease from the baseline",
}
ColumnType = Literal["string", "code", "integer", "number", "date", "boolean"]
PeriodType = Literal["month", "quarter", "half", "year"]
Language = Literal["en", "fr", "es"]
DateFormat = Literal["iso", "day_first", "month_first"]
DATE_FORMATS: tuple[str, ...] = get_args(DateFormat)

PILLARS: tuple[str, ...] = get_args(Pillar)
LEVELS: tuple[str, ...] = get_args(Level)

# Words users often write for a fixed value; the loader suggests the right one.
SYNONYMS: dict[str, str] = {
    "outcome": "objective",
    "output": "result",
    "goal": "impact",
    "activity": "process",
    "input": "process",
    "cumulative_to_date": "cumulative",
    "period": "per_period",
    "non_cumulative": "per_period",
    "latest_value": "latest",
    "up": "increase",
    "down": "decrease",
    "quarter": "quarterly",
    "month": "monthly",
    "year": "annual",
    "yearly": "annual",
    "annually": "annual",
    "biannual": "semiannual",
    "text": "string",
    "str": "string",
    "int": "integer",
    "float": "number",
    "bool": "boolean",
    "category": "code",
    "datetime": "date",
    "percent": "percentage",
    "distinct": "count_distinct",
    "average": "mean",
    "partnerships": "partnership",
    "coordination": "partnership",
    "contextual": "context",
}


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=False, populate_by_name=True)


# --- indicator definitions -----------------------------------------------------------------------


Filter = Annotated[str, BeforeValidator(_number_to_text)]


class MeasureKind(Model):
    """What every measure kind answers, so that no caller asks which class it is.

    A new kind is one new class here (its ``type``, fields and these answers), its kernels in
    :mod:`mel.engine.kernels` (keyed by ``type``) and its tests."""

    type: str  # each kind's own literal
    additive: ClassVar[bool] = False  # counts and sums: parts add up, countries' targets sum
    shape: ClassVar[str] = (
        "number"  # how a value reads: number, percentage, ratio, milestone, change
    )
    exact_when_censored: ClassVar[bool] = True  # a cell holding a censored value keeps its value
    ranged_when_censored: ClassVar[bool] = False  # ... or becomes a range (low, high)
    template: ClassVar[str] = ""  # the computation in words: {ds}, {column}, {where}

    @property
    def measured(self) -> str | None:
        """The column the measure reads (None: it counts records)."""
        return getattr(self, "column", None)

    @property
    def inner(self) -> MeasureKind:
        """The measure whose values are computed (a change's measure; otherwise itself)."""
        return self

    @property
    def is_ratio(self) -> bool:
        return False

    def parts(self) -> list[tuple[str, Simple]]:
        """("value", measure), or ("numerator", m), ("denominator", m) for a ratio."""
        raise NotImplementedError

    @property
    def times(self) -> int:
        """What a ratio's quotient is multiplied by (1 for other kinds)."""
        return 1

    def words(self, dataset: str) -> str:
        """The computation in words (reference sheets)."""
        where = f" where {getattr(self, 'where', None)}" if getattr(self, "where", None) else ""
        ds = getattr(self, "dataset", None) or dataset
        return self.template.format(ds=ds, column=self.measured, where=where)


class _MeasureBase(MeasureKind):
    where: Filter | None = Field(None, description="Filter on the records counted by this measure")
    dataset: Name | None = Field(None, description="Dataset, when it differs from the indicator's")
    date: ColumnName | None = Field(None, description="Date column, when it differs")
    level: bool = Field(
        False,
        description="a level dated by year (population, a stock), not events: each period "
        "takes the value of the year it ends in; needs a year (integer) date column",
    )

    def parts(self) -> list[tuple[str, Simple]]:
        return [("value", self)]


Simple = _MeasureBase  # a measure that reads records itself (not a ratio or a change)


class Count(_MeasureBase):
    """Number of records."""

    type: Literal["count"]
    additive: ClassVar[bool] = True
    template: ClassVar[str] = "number of records of '{ds}'{where}"


class CountDistinct(_MeasureBase):
    """Number of distinct values of a key column (persons, cases)."""

    type: Literal["count_distinct"]
    column: ColumnName
    additive: ClassVar[bool] = True
    template: ClassVar[str] = "number of distinct '{column}' in '{ds}'{where}"


class Sum(_MeasureBase):
    type: Literal["sum"]
    column: ColumnName
    additive: ClassVar[bool] = True
    exact_when_censored: ClassVar[bool] = False
    ranged_when_censored: ClassVar[bool] = True
    template: ClassVar[str] = "sum of '{column}' in '{ds}'{where}"


class Mean(_MeasureBase):
    type: Literal["mean"]
    column: ColumnName
    exact_when_censored: ClassVar[bool] = False
    template: ClassVar[str] = "mean of '{column}' in '{ds}'{where}"


class Median(_MeasureBase):
    type: Literal["median"]
    column: ColumnName
    exact_when_censored: ClassVar[bool] = False
    template: ClassVar[str] = "median of '{column}' in '{ds}'{where}"


SimpleMeasure = Annotated[Count | CountDistinct | Sum | Mean | Median, Field(discriminator="type")]
FACTORS = (1, 100, 1000, 10000, 100000)


class _RatioBase(MeasureKind):
    numerator: SimpleMeasure
    denominator: SimpleMeasure

    @property
    def is_ratio(self) -> bool:
        return True

    @property
    def times(self) -> int:
        """What the quotient is multiplied by."""
        return int(getattr(self, "factor", 1))

    def parts(self) -> list[tuple[str, Simple]]:
        return [("numerator", self.numerator), ("denominator", self.denominator)]

    def words(self, dataset: str) -> str:
        num, den = self.numerator.words(dataset), self.denominator.words(dataset)
        times = f" x {self.times:,}" if self.times != 1 else ""
        return (
            f"({num}) / ({den}){times}, computed from the numerator and denominator at every "
            "level; no value when the denominator is 0"
        )


class Ratio(_RatioBase):
    """Numerator / denominator x factor, each side a measure with its own filter."""

    type: Literal["ratio"]
    factor: Literal[1, 100, 1000, 10000, 100000] = 1
    shape: ClassVar[str] = "ratio"


class Percentage(_RatioBase):
    """Numerator / denominator x 100."""

    type: Literal["percentage"]
    shape: ClassVar[str] = "percentage"

    @property
    def times(self) -> int:
        return 100


class Milestone(_MeasureBase):
    """Yes once a record matching the filter is dated on or before the end of the period."""

    type: Literal["milestone"]
    shape: ClassVar[str] = "milestone"
    template: ClassVar[str] = (
        "yes once a record of '{ds}'{where} is dated on or before the end of the period"
    )


class ChangeFromBaseline(MeasureKind):
    """Change of a measure against the indicator's baseline, in percent (or in units)."""

    type: Literal["change_from_baseline"]
    of: Annotated[
        Count | CountDistinct | Sum | Mean | Median | Ratio | Percentage,
        Field(discriminator="type"),
    ]
    relative: bool = Field(True, description="percent change (true) or difference in units")
    shape: ClassVar[str] = "change"

    @property
    def inner(self) -> MeasureKind:
        return self.of

    @property
    def is_ratio(self) -> bool:
        return self.of.is_ratio

    def parts(self) -> list[tuple[str, Simple]]:
        return self.of.parts()

    def words(self, dataset: str) -> str:
        inner = self.of.words(dataset)
        if self.relative:
            return f"(value - baseline) / baseline x 100, where value = {inner}"
        return f"value - baseline, where value = {inner}"


Measure = Annotated[
    Count
    | CountDistinct
    | Sum
    | Mean
    | Median
    | Ratio
    | Percentage
    | Milestone
    | ChangeFromBaseline,
    Field(discriminator="type"),
]
MEASURE_TYPES = (
    "count",
    "count_distinct",
    "sum",
    "mean",
    "median",
    "ratio",
    "percentage",
    "milestone",
    "change_from_baseline",
)


def _disaggregation_shorthand(v: Any) -> Any:
    return {"column": v} if isinstance(v, str) else v


class Disaggregation(Model):
    column: ColumnName
    label: str | None = None
    multi_response: bool = Field(
        False, description="a record may fall in several categories; parts may exceed the total"
    )
    denominator: Literal["category", "total"] = Field(
        "category",
        description="for ratios: each category over its own denominator (default), or over the "
        "total's (shares of a flag group: only records with some information in the group, "
        "as CTDC computes them)",
    )


class Verification(Model):
    """Means of verification: how the data is collected and where it comes from."""

    method: Annotated[list[NonEmpty], BeforeValidator(_one_or_many), Field(min_length=1)]
    source: NonEmpty


class Frequencies(Model):
    collection: Frequency
    reporting: Frequency


class Reference(Model):
    source: NonEmpty = Field(description="e.g. IOM Handbook (2008), US F indicators, IndiKit")
    provenance: Provenance
    code: Text | None = None
    title: str | None = None
    url: str | None = None
    note: str | None = None


class Translation(Model):
    name: NonEmpty
    definition: str | None = None
    unit: str | None = None


class Expectation(Model):
    """One expected value of a fixture."""

    period: Text
    country: Text = ALL
    disaggregation: ColumnName | None = None
    category: Text | None = None
    value: float | int | bool | None
    numerator: float | int | None = None
    denominator: float | int | None = None

    @field_validator("period")
    @classmethod
    def _period(cls, v: str) -> str:
        parse_period_label(v)
        return v


class FixtureProject(Model):
    start: Date = dt.date(2024, 1, 1)
    end: Date = dt.date(2024, 12, 31)
    period: PeriodType = "quarter"
    fiscal_year_start: int = Field(1, ge=1, le=12)
    countries: list[Text] = Field(default_factory=list)


class Fixture(Model):
    """A tiny dataset and the values the indicator must give on it; the test suite runs it."""

    description: str | None = None
    project: FixtureProject = Field(default_factory=FixtureProject)
    data: dict[Name, list[dict[str, Any]]] = Field(min_length=1)
    baseline: float | int | None = None
    expect: list[Expectation] = Field(min_length=1)


class Indicator(Model):
    id: Identifier
    name: NonEmpty
    pillar: Pillar
    level: Level
    result: NonEmpty = Field(description="the logframe objective or result it measures")
    definition: NonEmpty
    rationale: str | None = None
    unit: NonEmpty
    dataset: Name
    measure: Measure
    where: Filter | None = None
    date: ColumnName
    geography: ColumnName = "country"
    disaggregations: list[Annotated[Disaggregation, BeforeValidator(_disaggregation_shorthand)]] = (
        Field(default_factory=list)
    )
    cumulation: Cumulation = "per_period"
    direction: Direction = "increase"
    all_countries_target: Literal["sum", "none"] | None = Field(
        None,
        description="how an all-countries target follows from the countries' targets where "
        "none is given: sum (default for counts and sums), none (default for ratios, "
        "percentages, means, medians, milestones and changes)",
    )
    target_form: TargetForm | None = Field(
        None, description="how targets are set; default from the measure and direction"
    )
    verification: Verification
    frequency: Frequencies
    references: list[Reference] = Field(min_length=1)
    fixture: Fixture | None = None
    translations: dict[Language, Translation] = Field(default_factory=dict)
    notes: str | None = None

    @property
    def is_ratio(self) -> bool:
        return self.measure.is_ratio

    def sources(self) -> list[str]:
        return [r.source for r in self.references]

    @property
    def target_kind(self) -> str:
        """The target form, stated or inferred from the measure and the direction."""
        if self.target_form is not None:
            return self.target_form
        shape = self.measure.shape
        if shape == "milestone":
            return "yes"
        if shape == "change":
            return "percent_increase" if self.direction == "increase" else "percent_decrease"
        return "percentage" if shape == "percentage" else "number"


class IndicatorFile(Model):
    """A file with several indicators (e.g. one per pillar)."""

    indicators: list[Indicator] = Field(min_length=1)


# --- code lists ----------------------------------------------------------------------------------


class Code(Model):
    code: Text
    label: str | None = None
    labels: dict[Language, str] = Field(
        default_factory=dict, description="the label in other languages (fr, es)"
    )
    description: str | None = None
    aliases: list[Text] = Field(default_factory=list)


CodeListSource = Literal["iso3166-alpha3", "iso3166-alpha2"]


class CodeList(Model):
    name: Name
    title: NonEmpty
    description: str | None = None
    source: CodeListSource | None = Field(
        None, description="generate the values from a maintained library instead of listing them"
    )
    values: list[Code] = Field(default_factory=list)
    ordered: bool = False

    @model_validator(mode="after")
    def _values_or_source(self) -> CodeList:
        if self.source is None and not self.values:
            raise ValueError("give either 'values' or 'source'")
        if self.source is not None and self.values:
            raise ValueError("give 'values' or 'source', not both")
        seen: set[str] = set()
        for c in self.values:
            for v in (c.code, *c.aliases):
                if v in seen:
                    raise ValueError(f"code or alias '{v}' appears twice")
                seen.add(v)
        return self

    def codes(self) -> tuple[str, ...]:
        if self.source == "iso3166-alpha3":
            from mel.definitions.countries import alpha3_codes

            return alpha3_codes()
        if self.source == "iso3166-alpha2":
            from mel.definitions.countries import alpha2_codes

            return alpha2_codes()
        return tuple(c.code for c in self.values)

    def spellings(self) -> dict[str, tuple[str, str]]:
        """Every accepted way of writing a value -> (code, how): how is 'code', 'label' or
        'alias'. Labels and aliases are matched case-insensitively by the data layer."""
        out: dict[str, tuple[str, str]] = {}
        if self.source is not None:
            return {c: (c, "code") for c in self.codes()}
        for c in self.values:
            out[c.code] = (c.code, "code")
        for c in self.values:
            if c.label and c.label not in out:
                out[c.label] = (c.code, "label")
            for a in c.aliases:
                out.setdefault(a, (c.code, "alias"))
        return out


class CodeListFile(Model):
    """A file with several code lists."""

    codelists: list[CodeList] = Field(min_length=1)


# --- dataset templates ---------------------------------------------------------------------------


def _provided_shorthand(v: Any) -> Any:
    """``case_id: _id`` or ``registration_date: [registration_date, start]``: the column(s)."""
    return {"column": v} if isinstance(v, (str, list)) else v


class Range(Model):
    min: float | int | None = None
    max: float | int | None = None


class ColumnSpec(Model):
    name: ColumnName
    type: ColumnType
    label: NonEmpty | None = None
    description: str | None = None
    required: bool = False
    unique: bool = False
    codelist: Name | None = None
    multiple: bool = Field(False, description="several codes per cell, separated by ';'")
    range: Range | None = None
    pattern: str | None = None
    pii: bool = Field(False, description="personal data: never leaves in any output")
    aliases: Literal["warn", "accept"] = Field(
        "warn",
        description="a value written as a code-list alias: warn (default) or accept "
        "silently, for sources that write codes their own way (CTDC's 0--8)",
    )
    missing_values: list[Text] = Field(default_factory=list)
    example: Text | None = None
    headers: list[NonEmpty] = Field(
        default_factory=list,
        description="other names files write this column under (a form's spelling of it)",
    )
    core: bool = Field(
        False,
        description="a field the standard expects in every file: a file without it gets a "
        "warning (an empty value is allowed)",
    )
    timestamp: bool = Field(
        False,
        description="a date column whose cells may hold a time of day as well (a form's "
        "start, _submission_time): the date as written is used, without a warning",
    )
    thousands: Literal[",", ".", " ", "'"] | None = Field(
        None,
        description="the thousands separator of a number column written as published "
        "statistics are (1,192); with '.', the decimal mark is ','",
    )
    censored: dict[Text, Annotated[list[float | int], Field(min_length=2, max_length=2)]] = Field(
        default_factory=dict,
        description="values standing for a count known only within bounds, e.g. {'<5': [1, 4]} "
        "as UNODC publishes small counts: sums over them are ranges, never exact figures",
    )

    @model_validator(mode="after")
    def _consistent(self) -> ColumnSpec:
        if self.thousands is not None and self.type not in ("integer", "number"):
            raise ValueError(f"'thousands' is for number columns ('{self.name}')")
        if self.censored and self.type not in ("integer", "number"):
            raise ValueError(f"'censored' is for number columns ('{self.name}')")
        for token, (low, high) in self.censored.items():
            if low > high:
                raise ValueError(f"censored '{token}': the low bound {low} is above {high}")
        if self.type == "code" and self.codelist is None:
            raise ValueError(f"column '{self.name}' has type code but no 'codelist'")
        if self.codelist is not None and self.type != "code":
            raise ValueError(f"column '{self.name}' has a codelist, so its type must be 'code'")
        if self.multiple and self.type != "code":
            raise ValueError(f"only code columns may hold several values ('{self.name}')")
        if self.timestamp and self.type != "date":
            raise ValueError(f"'timestamp' is for date columns ('{self.name}')")
        if self.range is not None and self.type not in ("integer", "number", "date"):
            raise ValueError(f"a range needs a number or date column ('{self.name}')")
        if self.pattern is not None:
            try:
                re.compile(self.pattern)
            except re.error as exc:
                raise ValueError(f"pattern is not a valid regular expression: {exc}") from None
        return self


class Rule(Model):
    """A cross-column check written in the filter language; it must hold (or be unknown)."""

    name: Name
    check: Filter
    message: NonEmpty
    severity: Literal["error", "warning"] = "error"


class ForeignKey(Model):
    column: ColumnName
    dataset: Name
    to: ColumnName


class Provided(Model):
    """How one column of the provided template is read from this template's records."""

    column: Annotated[list[ColumnName], BeforeValidator(_one_or_many)] = Field(
        min_length=1,
        description="this template's column(s); with several, the first one with a value in "
        "the record (a form's registration date, else its start)",
    )
    values: dict[Text, Text] = Field(
        default_factory=dict,
        description="this column's codes -> the provided column's codes ('' for unknown); a "
        "code left out keeps its spelling",
    )
    years_to: ColumnName | None = Field(
        None,
        description="whole years from this date column to the provided date column named "
        "here (an age at registration from a birth date)",
    )
    bands: dict[Text, Annotated[list[float | int], Field(min_length=2, max_length=2)]] = Field(
        default_factory=dict,
        description="code -> [lowest, highest] (both included) of a number: the code of the "
        "band the number falls in (an age group from an age)",
    )
    alpha3: bool = Field(
        False, description="ISO 3166 alpha-2 country codes read as alpha-3 (the first of several)"
    )


class Provides(Model):
    """A template whose records can stand for another's: a standard's field names (HTCDS)
    read by indicators written for mel's own template."""

    template: Name
    columns: dict[ColumnName, Annotated[Provided, BeforeValidator(_provided_shorthand)]]


class Template(Model):
    name: Name
    title: NonEmpty
    description: str | None = None
    key: Annotated[list[ColumnName], BeforeValidator(_one_or_many)] = Field(default_factory=list)
    missing_values: list[Text] = Field(default_factory=lambda: [""])
    columns: list[ColumnSpec] = Field(min_length=1)
    rules: list[Rule] = Field(default_factory=list)
    foreign_keys: list[ForeignKey] = Field(default_factory=list)
    provides: Provides | None = None

    def column(self, name: str) -> ColumnSpec | None:
        for c in self.columns:
            if c.name == name:
                return c
        return None

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]


# --- targets -------------------------------------------------------------------------------------


class Target(Model):
    indicator: Identifier
    country: Text = ALL
    period: Text = LOP
    target: float | int | bool | None = None
    baseline: float | int | bool | None = None  # yes/no for milestones
    note: str | None = None

    @field_validator("period")
    @classmethod
    def _period(cls, v: str) -> str:
        parse_period_label(v)
        return v


class Narrative(Model):
    """A programme officer's explanation of an indicator's result for a period (why it is
    above or below its target), shown in the report's variance-explanation column."""

    indicator: Identifier
    country: Text = ALL
    period: Text
    text: NonEmpty

    @field_validator("period")
    @classmethod
    def _period(cls, v: str) -> str:
        parse_period_label(v)
        return v


# --- project -------------------------------------------------------------------------------------


class KoboSource(Model):
    """A KoboToolbox server's form, pulled by ``mel pull`` into dated snapshot files."""

    kobo: Annotated[str, StringConstraints(pattern=r"^https?://\S+$")] = Field(
        description="the server, e.g. https://kf.kobotoolbox.org"
    )
    asset: Identifier = Field(description="the form's asset uid (in its URL on the server)")
    token_env: Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")] = Field(
        description="the environment variable holding the API token (never the token itself)"
    )
    page_size: int = Field(30000, ge=1, le=30000, description="records per page (at most 30,000)")
    timeout: float = Field(60, gt=0, description="seconds to wait for a page")

    @property
    def server(self) -> str:
        return self.kobo

    @property
    def what(self) -> str:
        return f"form '{self.asset}'"

    @property
    def secrets(self) -> tuple[str, ...]:
        return (self.token_env,)


_EnvName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]


class OdkSource(Model):
    """An ODK Central server's form, pulled by ``mel pull`` (its OData feed) into snapshots."""

    odk: Annotated[str, StringConstraints(pattern=r"^https?://\S+$")] = Field(
        description="the Central server, e.g. https://central.example.org"
    )
    project: int = Field(ge=1, description="the project's number (in its address on Central)")
    form: Identifier = Field(description="the form's id (xmlFormId)")
    email_env: _EnvName = Field(description="the environment variable holding the user's email")
    password_env: _EnvName = Field(
        description="the environment variable holding the password (never the password itself)"
    )
    page_size: int = Field(10000, ge=1, le=100000, description="records per page")
    timeout: float = Field(60, gt=0, description="seconds to wait for a page")

    @property
    def server(self) -> str:
        return self.odk

    @property
    def asset(self) -> str:
        return f"{self.project}/{self.form}"

    @property
    def what(self) -> str:
        return f"form '{self.form}' of project {self.project}"

    @property
    def secrets(self) -> tuple[str, ...]:
        return (self.email_env, self.password_env)


def _result_types() -> dict[Level, str]:
    return {"impact": "3", "objective": "2", "result": "1", "process": "1"}


class IatiOrg(Model):
    ref: NonEmpty = Field(description="the organisation's IATI identifier, e.g. XM-DAC-47066")
    type: Text = Field(description="IATI OrganisationType code, e.g. 40 (multilateral), 21 (NGO)")
    name: NonEmpty


IATI_RESULT_TYPES = ("1", "2", "3", "9")  # output, outcome, impact, other
IATI_VOCABULARIES = ("1", "2", "3", "4", "5", "6", "7", "8", "9", "99")


class Iati(Model):
    """What an IATI 2.03 activity file needs beyond the project itself."""

    @field_validator("result_types")
    @classmethod
    def _check_result_types(cls, v: dict) -> dict:
        bad = {k: c for k, c in v.items() if c not in IATI_RESULT_TYPES}
        if bad:
            raise ValueError(
                f"{bad} is not an IATI ResultType code ({', '.join(IATI_RESULT_TYPES)}) "
                "[rule: result-type-code]"
            )
        return v

    @field_validator("vocabularies")
    @classmethod
    def _check_vocabularies(cls, v: dict) -> dict:
        bad = {k: c for k, c in v.items() if c not in IATI_VOCABULARIES}
        if bad:
            raise ValueError(
                f"{bad} is not an IATI IndicatorVocabulary code (1-9, 99) [rule: vocabulary-code]"
            )
        return v

    identifier: NonEmpty = Field(description="the activity's iati-identifier")
    reporting_org: IatiOrg
    title: NonEmpty | None = Field(None, description="default: the project's name")
    description: NonEmpty | None = None
    activity_status: Text = Field("2", description="IATI ActivityStatus code (2 = implementation)")
    result_types: dict[Level, Text] = Field(
        default_factory=_result_types,
        description="IATI ResultType code of each logframe level (1 output, 2 outcome, 3 impact)",
    )
    vocabularies: dict[NonEmpty, Text] = Field(
        default_factory=lambda: {
            "US Government standard foreign-assistance indicators": "3",
            "SDG indicator 16.2.2 (custodian UNODC)": "9",
        },
        description="reference source -> IATI IndicatorVocabulary code; other indicators are "
        "referenced by their mel id under 99 (the reporting organisation's own)",
    )


def _server_kind(v: Any) -> str:
    return "odk" if isinstance(v, dict) and "odk" in v else "kobo"


Source = Annotated[
    Annotated[KoboSource, Tag("kobo")] | Annotated[OdkSource, Tag("odk")],
    Discriminator(_server_kind),
]


class DatasetRef(Model):
    path: NonEmpty = Field(
        description="the data file; for a dataset with a 'source', the folder its snapshots "
        "are pulled into (the newest is read)"
    )
    form: NonEmpty | None = Field(
        None,
        description="the XLSForm the data was collected with (KoboToolbox, ODK): the file is "
        "read as that form's export",
    )
    repeat: ColumnName | None = Field(
        None, description="the form's repeat group whose rows are this dataset's records"
    )
    columns: dict[ColumnName, NonEmpty] = Field(
        default_factory=dict,
        description="template column -> the form field (or header) it is read from",
    )
    values: dict[ColumnName, Text] = Field(
        default_factory=dict,
        description="template column -> one value for every record (a column the file lacks)",
    )
    source: Source | None = Field(
        None, description="a KoboToolbox or ODK Central server to pull the records from"
    )
    template: Name | None = Field(None, description="template name; defaults to the dataset name")
    sheet: str | None = Field(None, description="sheet name, for Excel files")
    header_row: int = Field(1, ge=1)
    date_format: DateFormat = Field(
        "iso",
        description="how dates are written besides YYYY-MM-DD: day_first (31/12/2024) or "
        "month_first (12/31/2024)",
    )


class Reporting(Model):
    period: PeriodType = "quarter"
    fiscal_year_start: int = Field(1, ge=1, le=12, description="1 = calendar year; 10 = US FY")


class Override(Model):
    """Project-level changes to a catalog indicator, without copying it."""

    name: NonEmpty | None = None
    disaggregations: (
        list[Annotated[Disaggregation, BeforeValidator(_disaggregation_shorthand)]] | None
    ) = None
    where: Filter | None = None
    cumulation: Cumulation | None = None
    direction: Direction | None = None


class IndicatorSelection(Model):
    select: list[Text] = Field(
        default_factory=list, description="catalog ids, id prefixes ending in *, or pillars"
    )
    paths: list[NonEmpty] = Field(default_factory=list, description="project's own definitions")
    overrides: dict[Identifier, Override] = Field(default_factory=dict)


class Privacy(Model):
    threshold: int = Field(5, ge=1, le=100, description="counts below this are shown as <N")
    secondary: bool = True
    published: list[NonEmpty] = Field(
        default_factory=list,
        description="earlier donor outputs (results files, or folders of them) that later "
        "suppression must stay consistent with; a report's own folder always counts",
    )


class Quality(Model):
    max_left_out: float | int = Field(
        10,
        ge=0,
        le=100,
        description="% of a dataset's rows that may be left out (invalid, undated, outside the "
        "project's dates or countries) before a run ends with exit 1",
    )


class StatusBand(Model):
    status: NonEmpty
    min: float | int = Field(description="lowest % of target in this band")
    above: bool = Field(
        False, description="the % of target must be more than min (not equal to it)"
    )
    flag: bool = Field(
        False, description="a band to look into although the target is met (over-achievement)"
    )
    color: Annotated[str, StringConstraints(pattern=r"^[0-9A-Fa-f]{6}$")] = "FFFFFF"


def _default_bands() -> list[StatusBand]:
    """TolaData's IPTT bands: within 15% of the target is on track; more than 15% above is
    over-achieved (flagged: a target set too low, or a counting problem); below, under target."""
    return [
        StatusBand(status="over-achieved", min=115, above=True, flag=True, color="BDD7EE"),
        StatusBand(status="on track", min=85, color="C6EFCE"),
        StatusBand(status="under target", min=0, color="FFC7CE"),
    ]


class Project(Model):
    name: NonEmpty
    donor: NonEmpty
    countries: list[Text] = Field(min_length=1)
    start: Date
    end: Date
    reporting: Reporting = Field(default_factory=Reporting)
    datasets: dict[Name, DatasetRef] = Field(default_factory=dict)
    templates: list[NonEmpty] = Field(default_factory=list, description="extra template folders")
    indicators: IndicatorSelection = Field(default_factory=IndicatorSelection)
    targets: NonEmpty | list[Target] | None = None
    narratives: NonEmpty | None = Field(
        None,
        description="a CSV or Excel file (its 'narratives' sheet, else the first) with the "
        "columns indicator, country, period, text: variance explanations for the report",
    )
    privacy: Privacy = Field(default_factory=Privacy)
    quality: Quality = Field(default_factory=Quality)
    status_bands: list[StatusBand] = Field(default_factory=_default_bands, min_length=1)
    language: Language = "en"
    iati: Iati | None = None

    @field_validator("countries")
    @classmethod
    def _countries(cls, v: list[str]) -> list[str]:
        from mel.definitions.countries import check_country

        problems = [msg for c in v if (msg := check_country(c))]
        if problems:
            raise ValueError("; ".join(problems))
        if len(set(v)) != len(v):
            raise ValueError("a country is listed twice")
        return v

    @model_validator(mode="after")
    def _dates(self) -> Project:
        if self.end < self.start:
            raise ValueError(f"end {self.end} is before start {self.start}")
        return self
