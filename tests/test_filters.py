"""The filter language: masks checked against masks written by hand in pandas."""

from __future__ import annotations

import contextlib

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mel import filters as flt
from mel.filters import ColumnInfo, FilterError, FilterSyntaxError, FilterTypeError, mask, tristate


@pytest.fixture
def df() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "sex": pd.array(["Female", "Male", None, "Female", "Other", "Male"], dtype="str"),
            "age": [10.0, 20.0, np.nan, 40.0, 17.0, 18.0],
            "reg": pd.to_datetime(
                ["2024-01-01", "2023-05-01", None, "2024-06-01", "2024-03-31", "2023-12-31"]
            ),
            "closed": pd.to_datetime(
                ["2024-02-01", "2023-04-01", "2024-01-01", None, "2024-03-31", "2024-01-05"]
            ),
            "expl": ["sexual;forced_labour", "forced_labour", None, "sexual", "begging", ""],
            "done": pd.array([True, False, None, True, False, True], dtype="boolean"),
            "n": pd.array([1, 2, 3, None, 5, 6], dtype="Int64"),
        }
    )


def _hand(df: pd.DataFrame) -> dict[str, np.ndarray]:
    """The expected masks, written directly in pandas (missing values never satisfy a test)."""
    sex, age, reg, closed = df["sex"], df["age"], df["reg"], df["closed"]
    known_sex = sex.notna()
    return {
        "sex == 'Female'": (known_sex & (sex == "Female")).to_numpy(),
        "sex = 'Female'": (known_sex & (sex == "Female")).to_numpy(),
        "sex != 'Female'": (known_sex & (sex != "Female")).to_numpy(),
        "not sex == 'Female'": (known_sex & ~(sex == "Female")).to_numpy(),
        "sex != 'Female' or sex is missing": (~known_sex | (sex != "Female")).to_numpy(),
        "age < 18": (age.notna() & (age < 18)).to_numpy(),
        "age >= 18 and sex == 'Male'": (
            age.notna() & (age >= 18) & known_sex & (sex == "Male")
        ).to_numpy(),
        "age < 18 or age > 30": (age.notna() & ((age < 18) | (age > 30))).to_numpy(),
        "sex in ['Male', 'Other']": sex.isin(["Male", "Other"]).to_numpy(),
        "sex not in ['Male', 'Other']": (known_sex & ~sex.isin(["Male", "Other"])).to_numpy(),
        "age is missing": age.isna().to_numpy(),
        "age is not missing": age.notna().to_numpy(),
        "reg >= 2024-01-01": (reg.notna() & (reg >= pd.Timestamp("2024-01-01"))).to_numpy(),
        "reg >= 2024-01-01 and reg <= 2024-03-31": (
            reg.notna() & (reg >= "2024-01-01") & (reg <= "2024-03-31")
        ).to_numpy(),
        "closed >= reg": (reg.notna() & closed.notna() & (closed >= reg)).to_numpy(),
        "expl has 'sexual'": df["expl"]
        .fillna("")
        .str.split(";")
        .map(lambda xs: "sexual" in xs)
        .to_numpy(dtype=bool),
        "expl has 'forced_labour' and not expl has 'sexual'": df["expl"]
        .fillna("")
        .str.split(";")
        .map(lambda xs: "forced_labour" in xs and "sexual" not in xs)
        .to_numpy(dtype=bool)
        & df["expl"].notna().to_numpy(),
        "done": df["done"].fillna(False).to_numpy(dtype=bool),
        "not done": (df["done"].notna() & ~df["done"].fillna(True)).to_numpy(dtype=bool),
        "n > 2": (df["n"].notna() & (df["n"].fillna(0) > 2)).to_numpy(dtype=bool),
        "(sex == 'Female' or sex == 'Male') and (age < 15 or age > 35)": (
            known_sex & sex.isin(["Female", "Male"]) & age.notna() & ((age < 15) | (age > 35))
        ).to_numpy(),
        "SEX == 'Female' AND age < 18".replace("SEX", "sex"): (
            known_sex & (sex == "Female") & (age < 18)
        ).to_numpy(),
        "`sex` == 'Male'": (known_sex & (sex == "Male")).to_numpy(),
        "'Female' == sex": (known_sex & (sex == "Female")).to_numpy(),
        "18 <= age": (age.notna() & (age >= 18)).to_numpy(),
        # arithmetic: a sum with a missing part is missing, so its comparison is unknown
        "age - n >= 15": (age.notna() & df["n"].notna() & (age - df["n"].astype(float) >= 15))
        .fillna(False)
        .to_numpy(dtype=bool),
        "age > n + 10 + 2": (age.notna() & df["n"].notna() & (age > df["n"].astype(float) + 12))
        .fillna(False)
        .to_numpy(dtype=bool),
        "age > -5 + 20": (age.notna() & (age > 15)).to_numpy(),
        "age >= -1": age.notna().to_numpy(),
        "closed - reg >= 31": (
            reg.notna() & closed.notna() & ((closed - reg).dt.days >= 31)
        ).to_numpy(),
        "reg + 30 < closed": (
            reg.notna() & closed.notna() & (reg + pd.Timedelta(days=30) < closed)
        ).to_numpy(),
        "reg - 10 <= 2023-12-25": (reg.notna() & (reg <= pd.Timestamp("2024-01-04"))).to_numpy(),
    }


def test_masks_equal_hand_written_pandas(df):
    for expr, expected in _hand(df).items():
        got = mask(expr, df)
        assert got.dtype == bool
        np.testing.assert_array_equal(got, np.asarray(expected, dtype=bool), err_msg=expr)


def test_three_valued_logic(df):
    # row 2 has sex and age missing: every comparison is unknown, so neither it nor its negation
    # keeps the row; 'or is missing' does.
    t = tristate("age < 18", df)
    assert t.isna().tolist() == [False, False, True, False, False, False]
    assert not mask("age < 18", df)[2]
    assert not mask("not (age < 18)", df)[2]
    assert mask("age < 18 or age is missing", df)[2]
    # Kleene: false and unknown = false; true or unknown = true
    assert tristate("sex == 'Male' and age < 100", df).iloc[2] is pd.NA
    assert tristate("age > 100 and sex == 'Male'", df).iloc[2] is pd.NA
    assert tristate("age is missing or sex == 'X'", df).iloc[2]


def test_no_filter_keeps_everything(df):
    assert mask(None, df).all()


def test_empty_frame_gives_empty_mask():
    empty = pd.DataFrame({"sex": pd.array([], dtype="str"), "age": pd.array([], dtype="float")})
    assert mask("sex == 'Female' and age < 3", empty).shape == (0,)


@pytest.mark.parametrize(
    ("text", "offset", "words"),
    [
        ("sex ==", 6, "found the end of the filter"),
        ("sex == 'Female' and and age > 3", 20, "found 'and'"),
        ("(sex == 'Female'", 16, "expected ')'"),
        ("sex == 'Female')", 15, "unexpected ')'"),
        ("sex == 'Female' age > 3", 16, "unexpected 'age'"),
        ("sex && age", 4, "unexpected character '&'"),
        ("sex == 'Female", 7, "unclosed text"),
        ("sex in 'Female'", 7, "expected '['"),
        ("sex in ['a' 'b']", 12, "expected ',' or ']'"),
        ("age is nothing", 7, "expected 'missing'"),
        ("reg > 2024-02-30", 6, "not a real date"),
        ("", 0, "the filter is empty"),
        ("sex not 'a'", 8, "expected 'in' after 'not'"),
        ("in", 0, "expected a column name or a value"),
        ("`sex", 0, "unclosed `quoted column name`"),
        ("age - n", 7, "expected a comparison"),
        ("age > - n", 8, "a number after '-'"),
        ("sex == Female", -1, ""),  # valid syntax: Female is read as a column (type error later)
    ],
)
def test_syntax_errors_point_at_the_character(text, offset, words):
    if offset < 0:
        flt.parse(text)
        return
    with pytest.raises(FilterSyntaxError) as exc:
        flt.parse(text)
    assert exc.value.offset == offset
    assert words in exc.value.message


COLUMNS = {
    "sex": ColumnInfo("code", ("Female", "Male", "Other")),
    "age": ColumnInfo("integer"),
    "reg": ColumnInfo("date"),
    "closed": ColumnInfo("date"),
    "expl": ColumnInfo("code", ("sexual", "forced_labour", "begging"), multiple=True),
    "done": ColumnInfo("boolean"),
    "name": ColumnInfo("string"),
}


@pytest.mark.parametrize(
    ("text", "offset", "words"),
    [
        ("gender == 'Female'", 0, "unknown column 'gender'"),
        ("sex == 'Femal'", 7, "did you mean 'Female'"),
        ("age > '18'", 6, "holds numbers but is compared with text"),
        ("reg > '2024-01-01'", 6, "without quotes"),
        ("sex < 'Male'", 0, "compares numbers or dates"),
        ("expl == 'sexual'", 0, "several values per record"),
        ("sex has 'Female'", 0, "'has' is for columns with several values"),
        ("age", 0, "not true/false"),
        ("'a' == 'b'", 0, "needs at least one column"),
        ("age == reg", 0, "cannot be compared"),
        ("sex in ['Female', 'Mal']", 18, "did you mean 'Male'"),
        ("expl has 'sexuel'", 9, "did you mean 'sexual'"),
        ("age - sex > 3", 0, "cannot compute numbers - text"),
        ("reg + closed > 3", 0, "cannot compute dates + dates"),
        ("closed - reg > 2024-01-01", 15, "holds numbers but is compared with dates"),
        ("reg + 3 > 5", 10, "holds dates but is compared with numbers"),
        ("expl + age > 3", 0, "cannot be added or subtracted"),
        ("1 + 2 > 3", 0, "needs at least one column"),
    ],
)
def test_type_errors(text, offset, words):
    problems = flt.check(flt.parse(text), COLUMNS)
    assert problems, text
    assert all(isinstance(p, FilterTypeError) for p in problems)
    assert problems[0].offset == offset
    assert words in (problems[0].message + " " + (problems[0].hint or ""))


@pytest.mark.parametrize(
    "text",
    [
        "sex == 'Female' and age < 18",
        "expl has 'sexual' or reg >= 2024-01-01",
        "closed >= reg",
        "done and name is not missing",
        "not (sex in ['Male', 'Other'])",
        "closed - reg <= 90",
        "age - 1 > -3",
        "reg + 30 >= closed",
    ],
)
def test_valid_filters_pass_the_checker(text):
    assert flt.check(flt.parse(text), COLUMNS) == []


def test_runtime_type_errors_are_filter_errors(df):
    with pytest.raises(FilterTypeError):
        mask("age > 'x'", df)
    with pytest.raises(FilterTypeError):
        mask("nope == 1", df)
    with pytest.raises(FilterTypeError):
        mask("sex", df)


def test_never_evaluates_python():
    # text that would do harm under eval() is only ever a syntax error here
    for text in ["__import__('os').system('true')", "age.__class__", "sex == 'a'; import os"]:
        with pytest.raises(FilterError):
            flt.parse(text)


def test_deep_nesting_is_refused_not_a_crash():
    with pytest.raises(FilterSyntaxError):
        flt.parse("(" * 500 + "age > 1" + ")" * 500)
    with pytest.raises(FilterSyntaxError):
        flt.parse("not " * 500 + "done")


# --- property tests ------------------------------------------------------------------------------

TOKENS = [
    "sex",
    "age",
    "reg",
    "closed",
    "expl",
    "done",
    "n",
    "nope",
    "`sex`",
    "'Female'",
    "'x'",
    '"y"',
    "18",
    "-3",
    "2.5",
    "1e3",
    "2024-01-01",
    "2024-13-45",
    "true",
    "false",
    "==",
    "=",
    "+",
    "-",
    "-3",
    "!=",
    "<",
    "<=",
    ">",
    ">=",
    "and",
    "or",
    "not",
    "in",
    "is",
    "missing",
    "has",
    "(",
    ")",
    "[",
    "]",
    ",",
    "&",
    "|",
    "'",
    "`",
    "!",
    ";",
    "@",
    "é",
    "\u200f",
]


@settings(
    max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.sampled_from(TOKENS), max_size=14).map(" ".join))
def test_token_soup_raises_only_filter_errors(df, text):
    try:
        expr = flt.parse(text)
        flt.check(expr, COLUMNS)
        result = mask(expr, df)
    except FilterError:
        return
    assert result.dtype == bool and result.shape == (len(df),)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.text(max_size=60))
def test_arbitrary_text_raises_only_filter_errors(df, text):
    with contextlib.suppress(FilterError):
        mask(text, df)


@st.composite
def _valid_expr(draw, depth=0):
    """Random well-formed filters over the test frame's columns."""
    leaf = st.sampled_from(
        [
            "sex == 'Female'",
            "sex != 'Male'",
            "age < 18",
            "age >= 30",
            "age is missing",
            "reg >= 2024-01-01",
            "expl has 'sexual'",
            "done",
            "sex in ['Male', 'Other']",
            "closed >= reg",
            "n > 2",
        ]
    )
    if depth > 3 or draw(st.booleans()):
        return draw(leaf)
    op = draw(st.sampled_from(["and", "or", "not"]))
    if op == "not":
        return f"not ({draw(_valid_expr(depth + 1))})"
    return f"({draw(_valid_expr(depth + 1))}) {op} ({draw(_valid_expr(depth + 1))})"


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(_valid_expr())
def test_de_morgan_and_excluded_middle_under_three_valued_logic(df, text):
    # not(a) keeps exactly the rows where a is known and false
    t = tristate(text, df)
    negated = mask(f"not ({text})", df)
    expected = (t.notna() & ~t.fillna(True)).to_numpy(dtype=bool)
    np.testing.assert_array_equal(negated, expected)
    # a row is never kept by both a filter and its negation
    assert not (mask(text, df) & negated).any()


def test_filters_on_categorical_text_columns():
    """The engine holds text as categoricals: comparisons with a value, with another text
    column (whose categories differ), 'in' and 'has' give what plain text gives."""
    plain = pd.DataFrame(
        {
            "a": pd.Series(["x", "y", None, "z"], dtype="str"),
            "b": pd.Series(["x", "q", "y", "y;z"], dtype="str"),
        }
    )
    coded = plain.astype("category")
    for expr in ["a == b", "a != b", "a == 'y'", "a in ['x', 'z']", "b has 'z'", "a is missing"]:
        assert mask(expr, coded).tolist() == mask(expr, plain).tolist(), expr
    assert mask("a == b", coded).tolist() == [True, False, False, False]
