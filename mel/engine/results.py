"""The result table: its words, its columns (a pandera model) and the queries outputs ask of it.

One row per cell: indicator x country (each, and ALL) x period (each reporting period, each year,
the life of project, LoP) x disaggregation (the total, "", and each category). Outputs and lineage
read these names from here, never spell them again.
"""

from __future__ import annotations

import pandas as pd

from mel.definitions.words import ALL, LOP, TOTAL, UNKNOWN

__all__ = ["ALL", "LOP", "NO_GEOGRAPHY", "REASONS", "RESULT_COLUMNS", "TOTAL", "UNKNOWN"]
NO_GEOGRAPHY = "(no country column)"  # records of a dataset without one: counted in ALL only
PERIOD_KINDS = ("month", "quarter", "half", "year", "lop")

# why a record is left out (the engine's codes -> the words the user reads)
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


def result_schema():
    """The engine's result table as a pandera schema (columns in order, their types and the
    values they may hold); the engine's tests check every table they compute against it."""
    import pandera.pandas as pa

    text = {"dtype": "str", "nullable": False}
    number = {"dtype": "float64", "nullable": True}
    columns = {
        "indicator": pa.Column(**text),
        "country": pa.Column(**text),
        "period": pa.Column(**text),
        "period_kind": pa.Column(checks=pa.Check.isin(PERIOD_KINDS), **text),
        "disaggregation": pa.Column(**text),
        "category": pa.Column(**text),
        "value": pa.Column(**number),
        "numerator": pa.Column(**number),
        "denominator": pa.Column(**number),
        "n_records": pa.Column(checks=pa.Check.ge(0), nullable=False),
        "multi_response": pa.Column("bool", nullable=False),
        "note": pa.Column(**text),
        "value_low": pa.Column(**number),
        "value_high": pa.Column(**number),
        "censored": pa.Column(checks=pa.Check.ge(0), **number),
    }
    assert list(columns) == RESULT_COLUMNS
    total_has_no_category = pa.Check(
        lambda t: (t["disaggregation"] != TOTAL) | (t["category"] == TOTAL),
        error="the total's category is ''",
    )
    return pa.DataFrameSchema(
        columns, strict=True, ordered=True, checks=[total_has_no_category], name="results"
    )


def is_headline(table: pd.DataFrame) -> pd.Series:
    """Rows of an indicator's total for all countries over the life of project."""
    return (table["disaggregation"] == TOTAL) & (table["country"] == ALL) & (table["period"] == LOP)


def categories_of(table: pd.DataFrame, indicator: str, disaggregation: str) -> list[str]:
    """The categories of a disaggregation in the table's order (the engine's: the code list's
    order, then other values found, then Unknown), read from the all-countries LoP cells."""
    rows = table[
        (table["indicator"] == indicator)
        & (table["disaggregation"] == disaggregation)
        & (table["country"] == ALL)
        & (table["period"] == LOP)
    ]
    return rows["category"].tolist()
