"""Targets, achievement and status, and small-cell suppression, on values worked out by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mel.definitions.models import Indicator, StatusBand
from mel.engine import targets as tg
from mel.engine.compute import RESULT_COLUMNS
from mel.engine.suppress import suppress
from tests.test_engine import BASE

BANDS = [
    StatusBand(status="on track", min=90),
    StatusBand(status="needs attention", min=60),
    StatusBand(status="off track", min=0),
]


def ind(direction="increase", measure=None) -> Indicator:
    return Indicator.model_validate(
        {
            **BASE,
            "id": "T-1",
            "name": "n",
            "dataset": "cases",
            "date": "registration_date",
            "direction": direction,
            "measure": measure or {"type": "count_distinct", "column": "case_id"},
        }
    )


@pytest.mark.parametrize(
    ("value", "target", "baseline", "direction", "pct", "status"),
    [
        (90, 100, None, "increase", 90.0, "on track"),
        (59, 100, None, "increase", 59.0, "off track"),
        (75, 100, 10, "increase", 75.0, "needs attention"),
        # decrease: baseline 40, target 20, actual 30 -> half of the planned reduction = 50%
        (30, 20, 40, "decrease", 50.0, "off track"),
        (20, 20, 40, "decrease", 100.0, "on track"),
        (10, 20, 40, "decrease", 150.0, "on track"),
        (45, 20, 40, "decrease", -25.0, "off track"),
        # distinct cases, never shown as 0 or off track
        (np.nan, 100, None, "increase", np.nan, "no data"),
        (12, None, None, "increase", np.nan, "no target"),
        (12, 0, None, "increase", np.nan, "target is 0"),
        (12, 20, 20, "decrease", np.nan, "target equals baseline"),
        (12, 20, None, "decrease", np.nan, "no baseline"),
        (np.nan, None, None, "increase", np.nan, "no data"),
    ],
)
def test_achievement(value, target, baseline, direction, pct, status):
    got_pct, got_status = tg.achievement(value, target, baseline, ind(direction), BANDS)
    assert got_status == status
    if np.isnan(pct):
        assert np.isnan(got_pct)
    else:
        assert got_pct == pytest.approx(pct)


def test_milestone_targets():
    m = ind(measure={"type": "milestone"})
    assert tg.achievement(1.0, True, False, m, BANDS) == (100.0, "achieved")
    assert tg.achievement(0.0, True, False, m, BANDS) == (0.0, "not achieved")


def _table(rows):
    cols = RESULT_COLUMNS[: RESULT_COLUMNS.index("note")]  # up to the note
    return pd.DataFrame([(*r, np.nan, np.nan, r[6], False) for r in rows], columns=cols)


def test_primary_and_secondary_suppression_by_hand():
    # sex in 2024-Q1: Female 3 (small), Male 10, Unknown 0, total 13.
    # Female alone hidden would be 13 - 10 - 0 = 3: Male, the smallest other non-zero, is hidden.
    rows = [
        ("T-1", "SDN", "2024-Q1", "quarter", "", "", 13),
        ("T-1", "SDN", "2024-Q1", "quarter", "sex", "Female", 3),
        ("T-1", "SDN", "2024-Q1", "quarter", "sex", "Male", 10),
        ("T-1", "SDN", "2024-Q1", "quarter", "sex", "Unknown", 0),
    ]
    out = suppress(_table(rows), {"T-1": ind()}, 5, {})
    assert out["suppressed"].tolist() == [False, True, True, False]
    assert out.loc[1:2, "value"].isna().all()
    assert out.loc[3, "value"] == 0  # zero is published
    assert out.loc[0, "value"] == 13


def test_no_secondary_needed_when_two_are_small():
    rows = [
        ("T-1", "SDN", "LoP", "lop", "", "", 7),
        ("T-1", "SDN", "LoP", "lop", "sex", "Female", 3),
        ("T-1", "SDN", "LoP", "lop", "sex", "Male", 4),
    ]
    out = suppress(_table(rows), {"T-1": ind()}, 5, {})
    assert out["suppressed"].tolist() == [False, True, True]


def test_secondary_across_countries():
    # SDN 2 (hidden), TZA 30, ALL 32: TZA must be hidden too, or SDN = 32 - 30
    rows = [
        ("T-1", "SDN", "LoP", "lop", "", "", 2),
        ("T-1", "TZA", "LoP", "lop", "", "", 30),
        ("T-1", "ALL", "LoP", "lop", "", "", 32),
    ]
    out = suppress(_table(rows), {"T-1": ind()}, 5, {})
    assert out["suppressed"].tolist() == [True, True, False]


def test_secondary_across_quarters_of_a_year():
    rows = [
        ("T-1", "SDN", "2024-Q1", "quarter", "", "", 1),
        ("T-1", "SDN", "2024-Q2", "quarter", "", "", 8),
        ("T-1", "SDN", "2024-Q3", "quarter", "", "", 9),
        ("T-1", "SDN", "2024", "year", "", "", 18),
    ]
    years = {"2024-Q1": "2024", "2024-Q2": "2024", "2024-Q3": "2024"}
    out = suppress(_table(rows), {"T-1": ind()}, 5, years)
    assert out["suppressed"].tolist() == [True, True, False, False]


def test_ratio_with_a_small_numerator_is_hidden():
    pct = ind(
        measure={
            "type": "percentage",
            "numerator": {"type": "count"},
            "denominator": {"type": "count"},
        }
    )
    t = _table([("T-1", "SDN", "LoP", "lop", "", "", 0.0)])
    t["numerator"], t["denominator"], t["value"] = 3.0, 40.0, 7.5
    out = suppress(t, {"T-1": pct}, 5, {})
    assert out["suppressed"].tolist() == [True]
    assert np.isnan(out.loc[0, "value"]) and np.isnan(out.loc[0, "numerator"])


def _target(**kw):
    from types import SimpleNamespace

    from mel.definitions.models import Target

    return SimpleNamespace(
        target=Target.model_validate({"indicator": "T-1", **kw}), file="t.csv", line=2
    )


@pytest.mark.parametrize(
    ("direction", "measured", "baseline", "target", "change", "pct", "status"),
    [
        # "20% increase": baseline 40, measured 50 -> +25%, 125% of the target
        ("increase", 50.0, 40, 20, 25.0, 125.0, "on track"),
        # "20% decrease": baseline 40, measured 30 -> -25%; (0 - -25) / (0 - -20) = 125%
        ("decrease", 30.0, 40, -20, -25.0, 125.0, "on track"),
        ("decrease", 36.0, 40, -20, -10.0, 50.0, "off track"),
        ("increase", 50.0, None, 20, np.nan, np.nan, "no data"),
        ("increase", 50.0, 0, 20, np.nan, np.nan, "no data"),
    ],
)
def test_change_from_baseline(direction, measured, baseline, target, change, pct, status):
    chg = ind(
        direction,
        measure={
            "type": "change_from_baseline",
            "of": {"type": "count_distinct", "column": "case_id"},
        },
    )
    t = _table([("T-1", "SDN", "LoP", "lop", "", "", measured)]).assign(note="")
    out = tg.attach_targets(
        t, {"T-1": chg}, [_target(country="SDN", baseline=baseline, target=target)], BANDS
    )
    row = out.iloc[0]
    assert row.numerator == measured  # the measured value is kept
    if np.isnan(change):
        assert np.isnan(row.value) and row.note in ("no baseline", "baseline is 0")
    else:
        assert row.value == pytest.approx(change)
        assert row.pct_of_target == pytest.approx(pct)
    assert row.status == status
