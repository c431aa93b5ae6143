"""Targets, achievement and status, and small-cell suppression, on values worked out by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mel.definitions.models import Indicator, StatusBand
from mel.engine import targets as tg
from mel.engine.results import RESULT_COLUMNS
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
    assert tg.achievement(0.0, True, False, m, BANDS) == (0.0, "overdue")


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


# --- targets at every level and the status to date (issue 15), worked out by hand -------------


def _calendars(end: str):
    """A project 2024-01-01..2024-12-31 by calendar quarter (fiscal year = calendar year), as
    reported up to ``end`` and as declared."""
    import datetime as dt

    from mel.engine.periods import Calendar, periods_between

    def cal(last):
        return Calendar(
            dt.date(2024, 1, 1),
            last,
            "quarter",
            1,
            periods_between(dt.date(2024, 1, 1), last, "quarter", 1),
            periods_between(dt.date(2024, 1, 1), last, "year", 1),
        )

    return cal(dt.date.fromisoformat(end)), cal(dt.date(2025, 12, 31))


IPTT = [  # TolaData's bands, the default
    StatusBand(status="over-achieved", min=115, above=True, flag=True),
    StatusBand(status="on track", min=85),
    StatusBand(status="under target", min=0),
]


def test_iptt_bands_edges():
    i = ind()
    assert tg.achievement(115.0, 100, None, i, IPTT) == (115.0, "on track")  # within 15%
    assert tg.achievement(116.0, 100, None, i, IPTT)[1] == "over-achieved"
    assert tg.achievement(85.0, 100, None, i, IPTT)[1] == "on track"
    assert tg.achievement(84.9, 100, None, i, IPTT)[1] == "under target"
    # a decrease indicator, mirrored: baseline 40, target 20; actual 15 = 125% of the reduction
    dec = ind("decrease")
    assert tg.achievement(15.0, 20, 40, dec, IPTT) == (125.0, "over-achieved")
    assert tg.achievement(25.0, 20, 40, dec, IPTT) == (75.0, "under target")
    assert StatusBand.model_fields["above"].default is False
    from mel.definitions.models import _default_bands

    assert [(b.status, b.min, b.above) for b in _default_bands()] == [
        (b.status, b.min, b.above) for b in IPTT
    ]


def test_targets_to_date_derived_and_prorated():
    """Two years of quarters (8 periods), reported at 2024-Q3 (3 elapsed).

    Country targets: SDN Q1 10, Q2 10, Q3 20 -> to date 40 (period targets); TZA none by
    period but 2024 = 40 -> to date 40 x 3/4 = 30 (year target pro-rated); all countries: no
    target given, so the countries' targets are summed where both have one: not the quarters
    (TZA has none), 2024 = 60 + 40 = 100 and LoP = 100 + 60 = 160 (derived) -> to date
    100 x 3/4 = 75. Actuals to date (the LoP rows): SDN 36 -> 90% on track; TZA 50 -> 166.7%
    over-achieved; ALL 86 -> 114.7% on track. Period Q3: SDN 10 of 20 -> 50% under target."""
    cal, full = _calendars("2024-09-30")
    rows = [
        ("T-1", "SDN", "LoP", "lop", "", "", 36),
        ("T-1", "TZA", "LoP", "lop", "", "", 50),
        ("T-1", "ALL", "LoP", "lop", "", "", 86),
        ("T-1", "SDN", "2024-Q3", "quarter", "", "", 10),
        ("T-1", "ALL", "2024-Q3", "quarter", "", "", 30),
        ("T-1", "SDN", "2024", "year", "", "", 36),
    ]
    targets = [
        _target(country="SDN", period="2024-Q1", target=10),
        _target(country="SDN", period="2024-Q2", target=10),
        _target(country="SDN", period="2024-Q3", target=20),
        _target(country="SDN", period="2024", target=60),
        _target(country="SDN", period="LoP", target=100),
        _target(country="TZA", period="2024", target=40),
        _target(country="TZA", period="LoP", target=60),
    ]
    out = tg.attach_targets(_table(rows), {"T-1": ind()}, targets, IPTT, cal, full)
    got = {(r.country, r.period): r for r in out.itertuples()}
    sdn, tza, all_ = got[("SDN", "LoP")], got[("TZA", "LoP")], got[("ALL", "LoP")]
    assert (sdn.target_to_date, sdn.to_date_basis) == (40.0, "period targets")
    assert sdn.pct_to_date == pytest.approx(90.0) and sdn.status == "on track"
    assert (tza.target_to_date, tza.to_date_basis) == (30.0, "year targets")
    assert tza.pct_to_date == pytest.approx(50 / 30 * 100) and tza.status == "over-achieved"
    assert all_.target == 160.0 and all_.target_derived
    assert all_.target_to_date == pytest.approx(75.0)
    assert all_.to_date_basis == "year targets"
    assert all_.pct_to_date == pytest.approx(86 / 75 * 100) and all_.status == "on track"
    q3 = got[("SDN", "2024-Q3")]
    assert (q3.target, q3.pct_of_target, q3.status) == (20.0, 50.0, "under target")
    assert got[("ALL", "2024-Q3")].status == "no target"  # TZA has no Q3 target: no sum
    year = got[("SDN", "2024")]
    assert year.target == 60.0 and year.status == ""  # 2024 still running: partial
    assert not got[("SDN", "LoP")].target_derived


def test_cumulative_latest_percentage_and_milestone_to_date():
    cal, full = _calendars("2024-06-30")  # 2 of 8 periods
    cum = ind().model_copy(update={"cumulation": "cumulative", "id": "T-1"})
    measure = {
        "type": "percentage",
        "numerator": {"type": "count", "where": "x == 1"},
        "denominator": {"type": "count"},
    }
    pct = ind(measure=measure).model_copy(update={"id": "T-2"})
    ms = ind(measure={"type": "milestone"}).model_copy(update={"id": "T-3"})
    rows = [
        ("T-1", "SDN", "LoP", "lop", "", "", 30),
        ("T-2", "SDN", "LoP", "lop", "", "", 40.0),
        ("T-2", "TZA", "LoP", "lop", "", "", 60.0),
        ("T-2", "ALL", "LoP", "lop", "", "", 50.0),
        ("T-3", "SDN", "LoP", "lop", "", "", 0.0),
    ]
    from types import SimpleNamespace

    from mel.definitions.models import Target

    def t(i, **kw):
        return SimpleNamespace(target=Target.model_validate({"indicator": i, **kw}))

    targets = [
        t("T-1", country="SDN", period="LoP", target=80),  # cumulative: 80 x 2/8 = 20
        t("T-2", country="SDN", period="LoP", target=50),  # a level: 40 of 50 = 80%
        t("T-2", country="TZA", period="LoP", target=50),
        t("T-3", country="SDN", period="LoP", target=True),
    ]
    inds = {"T-1": cum, "T-2": pct, "T-3": ms}
    out = tg.attach_targets(_table(rows), inds, targets, IPTT, cal, full)
    got = {(r.indicator, r.country): r for r in out.itertuples()}
    c = got[("T-1", "SDN")]
    assert c.target_to_date == pytest.approx(20.0) and c.status == "over-achieved"
    p = got[("T-2", "SDN")]
    assert (p.target_to_date, p.to_date_basis, p.status) == (50.0, "LoP target", "under target")
    assert got[("T-2", "TZA")].status == "over-achieved"  # 60 of 50 = 120% > 115%
    a = got[("T-2", "ALL")]
    assert a.target is None and not a.target_derived  # never summed for a percentage
    assert a.status == "set by country"
    assert got[("T-3", "SDN")].status == "not yet"  # the project runs to 2025
    done, _ = _calendars("2025-12-31")
    out = tg.attach_targets(_table(rows), inds, targets, IPTT, done, full)
    assert out[out["indicator"] == "T-3"]["status"].tolist() == ["overdue"]
