"""The contract mel.data.schema relies on in pandera's lazy failure frame. If a pandera release
changes any of it, this test fails first (and pyproject.toml's pandera range must not admit that
release until mel.data.schema is adapted)."""

from __future__ import annotations

import warnings

import pandas as pd

from mel.data.schema import run_schema

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    import pandera.pandas as pa


def test_pandera_failure_frame_contract():
    frame = pd.DataFrame(
        {
            "a": pd.array([1, 50, 3, 3], dtype="Int64"),
            "b": pd.array(["x", "y", "zz", "y"], dtype="str"),
        }
    )
    schema = pa.DataFrameSchema(
        {
            # check 0 passes everywhere, check 1 fails on row 1: its number is its position
            "a": pa.Column(
                None, checks=[pa.Check.ge(0), pa.Check.le(10)], nullable=True, required=False
            ),
            "b": pa.Column(
                None,
                checks=[pa.Check.str_length(max_value=1)],
                nullable=True,
                required=False,
                unique=True,
                report_duplicates="exclude_first",
            ),
        },
        checks=[pa.Check(lambda df: df["a"] != 3, ignore_na=False)],  # frame check 0
    )
    failures = run_schema(schema, frame)
    assert {"column", "check", "check_number", "failure_case", "index", "schema_context"} <= set(
        failures.columns
    )
    column_level = failures[failures["schema_context"] == "Column"]
    range_fail = column_level[(column_level["column"] == "a")]
    assert [(int(r.check_number), int(r.index)) for r in range_fail.itertuples()] == [(1, 1)]
    length = column_level[(column_level["column"] == "b") & column_level["check_number"].notna()]
    assert [(int(r.check_number), int(r.index)) for r in length.itertuples()] == [(0, 2)]
    # a repeated value: check 'field_uniqueness', every later occurrence, not the first
    unique = column_level[column_level["check"] == "field_uniqueness"]
    assert sorted(unique["index"].astype(int)) == [3]
    # a frame-level check comes back per column, with its own number and the row index
    frame_level = failures[failures["schema_context"] == "DataFrameSchema"]
    assert set(frame_level["check_number"].astype(int)) == {0}
    assert set(frame_level["index"].dropna().astype(int)) == {2, 3}


def test_no_failure_gives_an_empty_frame_of_the_same_columns():
    schema = pa.DataFrameSchema({"a": pa.Column(None, checks=[pa.Check.ge(0)])})
    failures = run_schema(schema, pd.DataFrame({"a": [1, 2]}))
    assert failures.empty
    assert {"column", "check", "check_number", "index"} <= set(failures.columns)
