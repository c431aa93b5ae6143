"""The result table: its words, its columns (a pandera model) and the queries outputs ask of it.

One row per cell: indicator x country (each, and ALL) x period (each reporting period, each year,
the life of project, LoP) x disaggregation (the total, "", and each category). Outputs and lineage
read these names from here, never spell them again."""

from __future__ import annotations

ALL = "ALL"


LOP = "LoP"


NO_GEOGRAPHY = "(no country column)"  # records of a dataset without one: counted in ALL only


TOTAL = ""


UNKNOWN = "Unknown"


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
