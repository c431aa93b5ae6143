"""Generate the example counter-trafficking programme, byte-identically from a seed.

A regional programme in Sudan (migrant resource and response centres in Khartoum, Gedaref and
Kassala), Tanzania (mainland and Zanzibar) and Nigeria, 2023-01-01 to 2025-12-31, reporting
quarterly to a donor whose fiscal year starts in October. The data are synthetic but follow
the patterns of real programme data:

* most persons receive several services over several quarters (distinct persons < services);
* sex and age differ by type of exploitation (sexual exploitation: mostly women and girls;
  forced labour: mostly adult men; forced marriage and begging: mostly children);
* seasonality (more arrivals from April to September), a growing caseload;
* Nigeria starts late (April 2024); Tanzania has no registrations in July-September 2023 (the
  Zanzibar office was closed and the mainland office moved);
* trainees take a pre- and a post-test; some attend two events;
* investigations lead to some prosecutions, which lead to some convictions, months later.

    python examples/generate.py                          # examples/counter-trafficking(-messy)
    python examples/generate.py --cases 1000000 --out /tmp/big --countries SDN,TZA,NGA,ETH,KEN

The messy copy plants the faults field data really has and lists each in FAULTS.csv.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import shutil
import sys
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
START, END = dt.date(2023, 1, 1), dt.date(2025, 12, 31)
DEFAULT_CASES = 4000
EXCEL_MAX_ROWS = 50_000  # larger variants write every dataset as CSV

OFFICES = {
    "SDN": [
        ("KRT", "Khartoum MRRC", 0.45),
        ("GED", "Gedaref MRRC", 0.30),
        ("KAS", "Kassala MRRC", 0.25),
    ],
    "TZA": [("DAR", "Dar es Salaam", 0.60), ("ZNZ", "Zanzibar", 0.40)],
    "NGA": [("LOS", "Lagos", 0.45), ("BEN", "Benin City", 0.40), ("KAN", "Kano", 0.15)],
}
# relative caseload, first month of activity, months without any registration
COUNTRY_PROFILE = {
    "SDN": (1.0, (2023, 1), set()),
    "TZA": (0.55, (2023, 1), {(2023, 7), (2023, 8), (2023, 9)}),
    "NGA": (0.8, (2024, 4), set()),
}
NATIONALITIES = {
    "SDN": (["ERI", "ETH", "SDN", "SSD", "TCD"], [0.40, 0.25, 0.18, 0.12, 0.05]),
    "TZA": (["TZA", "BDI", "COD", "KEN", "MOZ"], [0.58, 0.14, 0.12, 0.10, 0.06]),
    "NGA": (["NGA", "NER", "BEN", "GHA", "TGO"], [0.86, 0.05, 0.04, 0.03, 0.02]),
}
# exploitation: share by country; P(female); P(minor)
EXPLOITATION = [
    "forced_labour",
    "sexual",
    "forced_marriage",
    "begging",
    "forced_military",
    "servitude",
    "other",
]
EXPLOITATION_SHARE = {
    "SDN": [0.42, 0.18, 0.10, 0.10, 0.06, 0.09, 0.05],
    "TZA": [0.40, 0.28, 0.04, 0.10, 0.00, 0.15, 0.03],
    "NGA": [0.28, 0.52, 0.05, 0.06, 0.01, 0.05, 0.03],
}
P_FEMALE = dict(zip(EXPLOITATION, [0.32, 0.93, 0.98, 0.46, 0.08, 0.80, 0.50], strict=True))
P_MINOR = dict(zip(EXPLOITATION, [0.14, 0.33, 0.72, 0.82, 0.58, 0.25, 0.30], strict=True))
SERVICES = [
    "shelter",
    "medical",
    "psychosocial",
    "legal",
    "education",
    "financial",
    "return",
    "reintegration",
    "needs_assessment",
]
FIRST = [
    "Amina",
    "Fatima",
    "Halima",
    "Grace",
    "Mary",
    "Aisha",
    "Zainab",
    "Joy",
    "Rahel",
    "Senait",
    "Ahmed",
    "Mohamed",
    "Yonas",
    "John",
    "Emmanuel",
    "Ibrahim",
    "Musa",
    "Daniel",
    "Samuel",
    "Juma",
]
LAST = [
    "Abdalla",
    "Haile",
    "Tesfaye",
    "Mwangi",
    "Okafor",
    "Adeyemi",
    "Bello",
    "Mohammed",
    "Osman",
    "Kiprono",
    "Mushi",
    "Ngowi",
    "Eze",
    "Bakari",
    "Yusuf",
    "Gebre",
]
PHONE_PREFIX = {"SDN": "+2499", "TZA": "+2557", "NGA": "+2348"}
POPULATION = {  # illustrative orders of magnitude, not official figures
    "SDN": [48_109_006, 49_358_228, 50_448_963],
    "TZA": [67_438_106, 69_419_073, 71_300_000],
    "NGA": [223_804_632, 227_882_945, 232_679_478],
    "ETH": [126_527_060, 129_719_719, 132_059_767],
    "KEN": [55_100_586, 56_432_944, 57_532_493],
}


def _profile(country: str):
    if country in COUNTRY_PROFILE:
        return COUNTRY_PROFILE[country]
    return 0.5, (2023, 1), set()


def _offices(country: str):
    return OFFICES.get(country, [(country[:3], f"{country} office", 1.0)])


def _nationalities(country: str):
    return NATIONALITIES.get(country, ([country, "ERI", "ETH"], [0.8, 0.1, 0.1]))


def _share(country: str):
    return EXPLOITATION_SHARE.get(country, [0.45, 0.30, 0.06, 0.08, 0.01, 0.07, 0.03])


def _months() -> list[tuple[int, int]]:
    return [(y, m) for y in range(START.year, END.year + 1) for m in range(1, 13)]


def _iso(days: np.ndarray) -> np.ndarray:
    """Days since 1970-01-01 -> 'YYYY-MM-DD' strings."""
    return np.datetime_as_string(days.astype("datetime64[D]"), unit="D")


def _iso1(day: int) -> str:
    return (dt.date(1970, 1, 1) + dt.timedelta(days=int(day))).isoformat()


def _day(d: dt.date) -> int:
    return (d - dt.date(1970, 1, 1)).days


def _ids(prefix: pd.Series, numbers: np.ndarray, width: int) -> np.ndarray:
    """Identifiers like SDN-KRT-000012: a prefix and a zero-padded number."""
    return (prefix + pd.Series(numbers).astype(str).str.zfill(width)).to_numpy()


def _pick(rng, choices, p, n):
    return np.asarray(choices)[rng.choice(len(choices), size=n, p=np.asarray(p) / np.sum(p))]


# --- cases ---------------------------------------------------------------------------------------


def make_cases(rng: np.random.Generator, n: int, countries: list[str]) -> pd.DataFrame:
    months = _months()
    weights = np.zeros((len(countries), len(months)))
    for i, c in enumerate(countries):
        load, first, gaps = _profile(c)
        for j, (y, m) in enumerate(months):
            if (y, m) < first or (y, m) in gaps:
                continue
            season = 1.0 + 0.35 * np.sin((m - 4) / 12 * 2 * np.pi)  # peaks in July
            trend = 1.0 + 0.25 * j / len(months)
            weights[i, j] = load * season * trend
    flat = weights.ravel() / weights.sum()
    cell = rng.choice(flat.size, size=n, p=flat)
    ci, mj = np.divmod(cell, len(months))
    country = np.asarray(countries)[ci]
    first_day = np.array([_day(dt.date(y, m, 1)) for y, m in months])
    length = np.array(
        [(_day(dt.date(y + (m == 12), m % 12 + 1, 1)) - _day(dt.date(y, m, 1))) for y, m in months]
    )
    reg = first_day[mj] + (rng.random(n) * length[mj]).astype(np.int64)
    order = np.lexsort((rng.random(n), reg))
    country, reg = country[order], reg[order]

    office_code = np.empty(n, dtype=object)
    office_name = np.empty(n, dtype=object)
    expl = np.empty(n, dtype=object)
    nationality = np.empty(n, dtype=object)
    for c in countries:
        mask = country == c
        k = int(mask.sum())
        offs = _offices(c)
        pick = rng.choice(
            len(offs), size=k, p=np.array([o[2] for o in offs]) / sum(o[2] for o in offs)
        )
        office_code[mask] = np.array([o[0] for o in offs])[pick]
        office_name[mask] = np.array([o[1] for o in offs])[pick]
        expl[mask] = _pick(rng, EXPLOITATION, _share(c), k)
        nats, p = _nationalities(c)
        nationality[mask] = _pick(rng, nats, p, k)

    female = rng.random(n) < np.vectorize(P_FEMALE.get)(expl)
    minor = rng.random(n) < np.vectorize(P_MINOR.get)(expl)
    age = np.where(minor, rng.integers(6, 18, n), 18 + np.minimum(rng.gamma(2.2, 5.5, n), 52))
    age = age.astype(np.int64)
    sex = np.where(female, "Female", "Male").astype(object)
    unknown_sex = rng.random(n) < 0.015
    sex[unknown_sex] = "Unknown"
    age_known = rng.random(n) >= 0.03
    bands = pd.cut(
        age,
        [-1, 8, 17, 20, 23, 26, 29, 38, 47, 200],
        labels=["0-8", "9-17", "18-20", "21-23", "24-26", "27-29", "30-38", "39-47", "48+"],
    ).astype(str)
    age_s = np.where(age_known, age.astype(str), "")
    band_s = np.where(age_known, bands, "")
    group_s = np.where(age_known, np.where(age < 18, "Minor", "Adult"), "")

    status = _pick(rng, ["actual", "possible", "not_a_victim"], [0.62, 0.28, 0.10], n)
    second = rng.random(n) < 0.15
    second_type = np.where(expl == "sexual", "forced_labour", "sexual")
    exploitation = np.where(second & (expl != second_type), expl + ";" + second_type, expl)
    exploitation = np.where(status == "not_a_victim", "", exploitation)
    labour = np.where(
        np.char.find(exploitation.astype(str), "forced_labour") >= 0,
        _pick(rng, ["A", "F", "T", "C", "I", "G"], [0.33, 0.2, 0.28, 0.09, 0.06, 0.04], n),
        "",
    )
    means_all = np.array(
        [
            "debt_bondage",
            "false_promises",
            "physical_threats",
            "withholds_documents",
            "excessive_working_hours",
            "physical_abuse",
            "withholds_necessities",
            "sexual_abuse",
            "psychological_abuse",
        ]
    )
    m1 = _pick(rng, means_all, [0.2, 0.2, 0.14, 0.14, 0.1, 0.08, 0.06, 0.04, 0.04], n)
    m2 = _pick(rng, means_all, [0.1, 0.15, 0.15, 0.15, 0.15, 0.1, 0.1, 0.05, 0.05], n)
    means = np.where(rng.random(n) < 0.45, np.where(m1 != m2, m1 + ";" + m2, m1), m1)
    means = np.where((status == "not_a_victim") | (rng.random(n) < 0.2), "", means)
    identified = _pick(
        rng,
        [
            "LawEnforcement",
            "NGO",
            "ImmigrationService",
            "Community",
            "HealthServiceOrganisation",
            "LabourInspectorate",
        ],
        [0.34, 0.28, 0.16, 0.12, 0.05, 0.05],
        n,
    )

    victim = status != "not_a_victim"
    end = _day(END)
    assessed = victim & (rng.random(n) < 0.86)
    assess = np.minimum(reg + rng.integers(0, 15, n), end)
    closed_at = reg + rng.integers(60, 420, n)
    closed = victim & (rng.random(n) < 0.6) & (closed_at <= end)
    completed = closed & (rng.random(n) < 0.74)

    seq = np.arange(1, n + 1)
    case_id = _ids(pd.Series(country) + "-" + pd.Series(office_code) + "-", seq, 6)
    first = np.asarray(FIRST)[rng.integers(0, len(FIRST), n)]
    last = np.asarray(LAST)[rng.integers(0, len(LAST), n)]
    prefix = np.vectorize(lambda c: PHONE_PREFIX.get(c, "+2547"))(country)
    phone = prefix + pd.Series(rng.integers(10_000_000, 99_999_999, n)).astype(str).to_numpy()
    phone = np.where(rng.random(n) < 0.35, "", phone)
    return pd.DataFrame(
        {
            "case_id": case_id,
            "registration_date": _iso(reg),
            "country": country,
            "office": office_name,
            "sex": sex,
            "age": age_s,
            "age_band": band_s,
            "age_group": group_s,
            "nationality": nationality,
            "trafficking_status": status,
            "exploitation": exploitation,
            "labour_industry": labour,
            "means_of_control": means,
            "identified_by": identified,
            "needs_assessment_date": np.where(assessed, _iso(assess), ""),
            "closure_date": np.where(closed, _iso(closed_at), ""),
            "plan_completed": np.where(closed, np.where(completed, "yes", "no"), ""),
            "full_name": first + " " + last,
            "phone": phone,
        },
        dtype=object,
    )


# --- services, referrals -------------------------------------------------------------------------


def make_assistance(rng, cases: pd.DataFrame) -> pd.DataFrame:
    status = cases["trafficking_status"].to_numpy()
    victim = status != "not_a_victim"
    k = np.where(victim, 1 + rng.poisson(3.4, len(cases)), (rng.random(len(cases)) < 0.3) * 1)
    idx = np.repeat(np.arange(len(cases)), k)
    m = len(idx)
    reg = (
        pd.to_datetime(cases["registration_date"])
        .to_numpy()
        .astype("datetime64[D]")
        .astype(np.int64)[idx]
    )
    offset = np.minimum(rng.exponential(75, m), 540).astype(np.int64)
    first_visit = np.concatenate([[True], idx[1:] != idx[:-1]])
    offset[first_visit] = rng.integers(0, 4, int(first_visit.sum()))
    day = np.minimum(reg + offset, _day(END))
    expl = cases["exploitation"].to_numpy()[idx].astype(str)
    weights_sexual = [0.22, 0.17, 0.2, 0.1, 0.08, 0.06, 0.05, 0.07, 0.05]
    weights_other = [0.12, 0.17, 0.14, 0.09, 0.12, 0.1, 0.1, 0.11, 0.05]
    a = _pick(rng, SERVICES, weights_sexual, m)
    b = _pick(rng, SERVICES, weights_other, m)
    service = np.where(np.char.find(expl, "sexual") >= 0, a, b)
    service[first_visit] = "needs_assessment"
    order = np.lexsort((idx, day))
    idx, day, service = idx[order], day[order], service[order]
    cost = np.round(rng.gamma(2.0, 45.0, m), 2)
    cost[service == "shelter"] *= 4
    cost = np.round(cost, 2)
    country = cases["country"].to_numpy()[idx]
    return pd.DataFrame(
        {
            "service_id": _ids(pd.Series(country) + "-S", np.arange(1, m + 1), 7),
            "case_id": cases["case_id"].to_numpy()[idx],
            "service_date": _iso(day),
            "country": country,
            "service_type": service,
            "provider": _pick(
                rng,
                [
                    "InternationalOrganisation",
                    "NGO",
                    "HealthServiceOrganisation",
                    "LocalGovernmentOrganisation",
                    "LegalService",
                ],
                [0.4, 0.3, 0.15, 0.1, 0.05],
                m,
            ),
            "sex": cases["sex"].to_numpy()[idx],
            "age_group": cases["age_group"].to_numpy()[idx],
            "cost_usd": np.char.mod("%.2f", cost),
        },
        dtype=object,
    )


def make_referrals(rng, cases: pd.DataFrame) -> pd.DataFrame:
    victim = cases["trafficking_status"].to_numpy() != "not_a_victim"
    k = np.where(victim & (rng.random(len(cases)) < 0.45), 1 + (rng.random(len(cases)) < 0.3), 0)
    idx = np.repeat(np.arange(len(cases)), k)
    m = len(idx)
    reg = (
        pd.to_datetime(cases["registration_date"])
        .to_numpy()
        .astype("datetime64[D]")
        .astype(np.int64)[idx]
    )
    day = np.minimum(reg + rng.integers(0, 90, m), _day(END))
    outcome = _pick(
        rng,
        ["received", "pending", "declined", "not_available", "lost_contact"],
        [0.64, 0.1, 0.08, 0.1, 0.08],
        m,
    )
    out_day = day + rng.integers(1, 46, m)
    has_outcome = np.isin(outcome, ["received", "declined", "not_available"])
    late = out_day > _day(END)
    outcome = np.where(has_outcome & late, "pending", outcome)
    has_outcome &= ~late
    to_type = _pick(
        rng,
        [
            "HealthServiceOrganisation",
            "LegalService",
            "NGO",
            "LawEnforcement",
            "LocalGovernmentOrganisation",
            "Community",
        ],
        [0.28, 0.18, 0.25, 0.12, 0.1, 0.07],
        m,
    )
    service = np.select(
        [
            to_type == "HealthServiceOrganisation",
            to_type == "LegalService",
            to_type == "LawEnforcement",
        ],
        ["medical", "legal", "legal"],
        _pick(
            rng, ["shelter", "psychosocial", "education", "reintegration"], [0.3, 0.3, 0.2, 0.2], m
        ),
    )
    reasons = {
        "medical": "Medical care needed",
        "legal": "Legal counselling and representation",
        "shelter": "Safe accommodation",
        "psychosocial": "Psychosocial support",
        "education": "Vocational training",
        "reintegration": "Reintegration support",
    }
    order = np.lexsort((idx, day))
    idx, day, outcome, out_day, has_outcome, to_type, service = (
        idx[order],
        day[order],
        outcome[order],
        out_day[order],
        has_outcome[order],
        to_type[order],
        service[order],
    )
    country = cases["country"].to_numpy()[idx]
    return pd.DataFrame(
        {
            "referral_id": _ids(pd.Series(country) + "-R", np.arange(1, m + 1), 6),
            "case_id": cases["case_id"].to_numpy()[idx],
            "referral_date": _iso(day),
            "country": country,
            "from_type": "InternationalOrganisation",
            "to_type": to_type,
            "service_type": service,
            "reason": np.vectorize(reasons.get)(service),
            "outcome": outcome,
            "outcome_date": np.where(has_outcome, _iso(out_day), ""),
            "sex": cases["sex"].to_numpy()[idx],
        },
        dtype=object,
    )


# --- trainings, awareness, legal, milestones, population -----------------------------------------


def _quarters(country: str) -> list[tuple[int, int]]:
    _, (fy, fm), _ = _profile(country)
    return [
        (y, q)
        for y in range(START.year, END.year + 1)
        for q in range(1, 5)
        if (y, 3 * q) >= (fy, fm)
    ]


def make_trainings(rng, countries: list[str], scale: float) -> pd.DataFrame:
    rows = []
    event_no = 0
    roles = {
        "victim_identification": (
            [
                "police",
                "border_official",
                "labour_inspector",
                "social_worker",
                "health_worker",
                "first_responder",
                "judge",
            ],
            [0.3, 0.2, 0.12, 0.14, 0.1, 0.1, 0.04],
        ),
        "prevention": (
            ["community_leader", "ngo_staff", "social_worker", "other"],
            [0.4, 0.3, 0.2, 0.1],
        ),
        "investigation": (["police", "prosecutor", "judge"], [0.5, 0.3, 0.2]),
        "victim_assistance": (["social_worker", "health_worker", "ngo_staff"], [0.4, 0.3, 0.3]),
    }
    institution = {
        "police": "LawEnforcement",
        "border_official": "ImmigrationService",
        "labour_inspector": "LabourInspectorate",
        "social_worker": "LocalGovernmentOrganisation",
        "health_worker": "HealthServiceOrganisation",
        "first_responder": "LawEnforcement",
        "judge": "Judiciary",
        "prosecutor": "Judiciary",
        "community_leader": "Community",
        "ngo_staff": "NGO",
        "other": "Community",
    }
    for c in countries:
        pool = [f"{c}-P{i:05d}" for i in range(1, int(400 * scale) + 2)]
        used: list[str] = []
        for y, q in _quarters(c):
            for _ in range(max(1, round(rng.uniform(1, 2) * scale))):
                event_no += 1
                curriculum = _pick(rng, list(roles), [0.45, 0.25, 0.15, 0.15], 1)[0]
                day = _day(dt.date(y, 3 * q - 2, 1)) + int(rng.integers(5, 85))
                size = int(rng.integers(14, 30))
                for _ in range(size):
                    again = used and rng.random() < 0.18
                    pid = (
                        used[int(rng.integers(0, len(used)))]
                        if again
                        else pool[len(used) % len(pool)]
                    )
                    if not again:
                        used.append(pid)
                    role = _pick(rng, *roles[curriculum], 1)[0]
                    pre = float(np.clip(rng.normal(52, 13), 5, 95))
                    post = float(np.clip(pre + rng.normal(17, 10), 0, 100))
                    done = rng.random() < 0.93
                    rows.append(
                        (
                            pid,
                            f"{c}-E{event_no:04d}",
                            _iso1(day),
                            c,
                            institution[role],
                            role,
                            "Female"
                            if rng.random()
                            < (0.62 if role in ("social_worker", "health_worker") else 0.27)
                            else "Male",
                            curriculum,
                            "yes" if done else "no",
                            f"{pre:.0f}",
                            f"{post:.0f}" if done else "",
                            f"Trainee {pid[-5:]}",
                        )
                    )
    df = pd.DataFrame(
        rows,
        columns=[
            "participant_id",
            "event_id",
            "event_date",
            "country",
            "institution_type",
            "role",
            "sex",
            "curriculum",
            "completed",
            "pre_score",
            "post_score",
            "participant_name",
        ],
    )
    return df.drop_duplicates(["event_id", "participant_id"]).reset_index(drop=True)


def make_awareness(rng, countries: list[str], scale: float) -> pd.DataFrame:
    rows = []
    k = 0
    channels = ["community_session", "school_session", "radio", "social_media", "print", "event"]
    for c in countries:
        for y, q in _quarters(c):
            for month in range(3 * q - 2, 3 * q + 1):
                for _ in range(int(rng.integers(2, 6) * scale)):
                    k += 1
                    ch = _pick(rng, channels, [0.35, 0.2, 0.15, 0.15, 0.08, 0.07], 1)[0]
                    day = _day(dt.date(y, month, 1)) + int(rng.integers(0, 28))
                    if ch in ("radio", "social_media", "print"):
                        total = int(rng.integers(2_000, 60_000))
                        female = male = ""
                        resp = aware = ""
                    else:
                        total = int(rng.integers(20, 180))
                        f = int(rng.binomial(total, 0.55))
                        female, male = str(f), str(total - f)
                        if rng.random() < 0.5:
                            r = int(rng.integers(10, min(total, 60) + 1))
                            resp, aware = str(r), str(int(rng.binomial(r, 0.35 + 0.1 * (y - 2023))))
                        else:
                            resp = aware = ""
                    rows.append(
                        (
                            f"{c}-A{k:05d}",
                            _iso1(day),
                            c,
                            _offices(c)[0][1],
                            ch,
                            _pick(
                                rng,
                                [
                                    "potential_migrants",
                                    "youth",
                                    "parents",
                                    "community_leaders",
                                    "general_public",
                                ],
                                [0.35, 0.25, 0.15, 0.1, 0.15],
                                1,
                            )[0],
                            str(total),
                            female,
                            male,
                            resp,
                            aware,
                        )
                    )
    return pd.DataFrame(
        rows,
        columns=[
            "activity_id",
            "activity_date",
            "country",
            "location",
            "channel",
            "audience",
            "reached_total",
            "reached_female",
            "reached_male",
            "survey_respondents",
            "respondents_aware",
        ],
    )


def make_legal(rng, countries: list[str], scale: float) -> pd.DataFrame:
    rows = []
    k = 0
    end = _day(END)
    for c in countries:
        for y, q in _quarters(c):
            for _ in range(int(rng.poisson(7 * scale))):
                k += 1
                ref = f"{c}-CR-{y}-{k:05d}"
                d0 = _day(dt.date(y, 3 * q - 2, 1)) + int(rng.integers(0, 90))
                expl = _pick(rng, EXPLOITATION[:4], [0.45, 0.4, 0.08, 0.07], 1)[0]
                defendants = int(rng.integers(1, 5))
                victims = int(rng.integers(1, 9))
                stages = [("investigation", d0)]
                if rng.random() < 0.45:
                    d1 = d0 + int(rng.integers(90, 300))
                    stages.append(("prosecution", d1))
                    u = rng.random()
                    if u < 0.55:
                        stages.append(("conviction", d1 + int(rng.integers(120, 400))))
                    elif u < 0.65:
                        stages.append(("acquittal", d1 + int(rng.integers(120, 400))))
                for stage, d in stages:
                    if d > end:
                        break
                    rows.append(
                        (
                            f"{ref}-{stage[:3].upper()}",
                            ref,
                            _iso1(d),
                            c,
                            stage,
                            expl,
                            str(defendants),
                            str(victims),
                            "yes" if rng.random() < 0.3 else "no",
                        )
                    )
    df = pd.DataFrame(
        rows,
        columns=[
            "event_id",
            "case_ref",
            "event_date",
            "country",
            "stage",
            "exploitation",
            "defendants",
            "victims",
            "us_supported",
        ],
    )
    return df.sort_values(["event_date", "event_id"], kind="stable").reset_index(drop=True)


MILESTONES = [
    (
        "SDN",
        "2023-11-20",
        "coordination_body",
        "National Committee to Combat Trafficking reconstituted",
        "no",
    ),
    (
        "SDN",
        "2024-05-14",
        "referral_mechanism",
        "National referral mechanism for victims adopted",
        "yes",
    ),
    ("SDN", "2025-03-02", "sop", "Standard operating procedures for the MRRCs", "no"),
    (
        "TZA",
        "2023-10-05",
        "national_action_plan",
        "National Anti-Trafficking Action Plan 2023-2026",
        "no",
    ),
    (
        "TZA",
        "2024-08-22",
        "referral_mechanism",
        "National referral mechanism guidelines (Zanzibar)",
        "yes",
    ),
    ("TZA", "2025-06-30", "law", "Anti-Trafficking in Persons (Amendment) Act", "yes"),
    ("NGA", "2024-09-16", "coordination_body", "State task force against trafficking (Edo)", "no"),
    ("NGA", "2025-02-11", "referral_mechanism", "National referral mechanism revised", "yes"),
    ("NGA", "2025-10-01", "policy", "Policy on the protection of trafficked children", "no"),
    (
        "TZA",
        "2024-02-12",
        "inter_ministerial_council",
        "Anti-Trafficking Committee given inter-ministerial standing",
        "no",
    ),
    (
        "NGA",
        "2025-05-20",
        "joint_prevention_plan",
        "Joint NAPTIP and civil-society prevention workplan",
        "yes",
    ),
]


def make_milestones(countries: list[str]) -> pd.DataFrame:
    rows = [
        (f"{c}-M{i:02d}", c, d, kind, title, us, f"Official gazette {d[:4]}")
        for i, (c, d, kind, title, us) in enumerate(MILESTONES, start=1)
        if c in countries
    ]
    return pd.DataFrame(
        rows,
        columns=["milestone_id", "country", "date", "kind", "title", "us_supported", "evidence"],
    )


def make_population(countries: list[str]) -> pd.DataFrame:
    rows = []
    for c in countries:
        figures = POPULATION.get(c, [20_000_000, 20_400_000, 20_800_000])
        for y, p in zip(range(START.year, END.year + 1), figures, strict=True):
            rows.append((c, str(y), str(p), "illustrative figure (example data)"))
    return pd.DataFrame(rows, columns=["country", "year", "population", "source"])


def make_surveys(rng, countries: list[str], scale: float) -> pd.DataFrame:
    """KAP surveys of the awareness campaigns' target groups: a baseline round in the first
    quarter a country is active and an endline in 2025; awareness rises between them."""
    rows = []
    for c in countries:
        first_y, first_q = _quarters(c)[0]
        rounds = [
            ("baseline", dt.date(first_y, 3 * first_q - 2, 1), 2.1),
            ("endline", dt.date(2025, 10, 1), 3.3),
        ]
        for rnd, start, mean_risks in rounds:
            survey = f"{c}-S-{rnd[:4].upper()}"
            n = int(rng.integers(150, 260) * scale)
            day = _day(start) + rng.integers(0, 60, n)
            female = rng.random(n) < 0.54
            minor = rng.random(n) < 0.22
            risks = rng.poisson(mean_risks + 0.4 * female, n).clip(0, 12)
            access = rng.random(n) < (0.3 if rnd == "baseline" else 0.46)
            access_known = rng.random(n) >= 0.06
            audience = _pick(
                rng,
                ["potential_migrants", "youth", "parents", "community_leaders"],
                [0.45, 0.3, 0.15, 0.1],
                n,
            )
            for k in range(n):
                rows.append(
                    (
                        survey,
                        f"{survey}-{k + 1:04d}",
                        _iso1(int(day[k])),
                        c,
                        rnd,
                        _offices(c)[k % len(_offices(c))][1],
                        audience[k],
                        "Female" if female[k] else "Male",
                        "Minor" if minor[k] else "Adult",
                        str(int(risks[k])),
                        ("yes" if access[k] else "no") if access_known[k] else "",
                        f"{FIRST[k % len(FIRST)]} {LAST[(k * 7) % len(LAST)]}",
                    )
                )
    return pd.DataFrame(
        rows,
        columns=[
            "survey_id",
            "respondent_id",
            "survey_date",
            "country",
            "round",
            "location",
            "audience",
            "sex",
            "age_group",
            "risks_named",
            "safe_migration_access",
            "respondent_name",
        ],
    )


def make_budget(rng, countries: list[str]) -> pd.DataFrame:
    """One State budget a year per country, adopted in January; the civil-society prevention
    line grows over the years."""
    rows = []
    lines = ["civil_society_prevention", "victim_assistance", "law_enforcement", "coordination"]
    for c in countries:
        base = float(rng.integers(40, 160)) * 1000
        for y in range(START.year, END.year + 1):
            growth = 1 + 0.18 * (y - START.year)
            for j, line in enumerate(lines):
                amount = base * (growth if line == "civil_society_prevention" else 1) * (1 + j)
                amount *= float(rng.uniform(0.9, 1.1))
                rows.append(
                    (
                        f"{c}-B{y}-{j + 1}",
                        f"{y}-01-{int(rng.integers(10, 29)):02d}",
                        c,
                        line,
                        f"{amount:.0f}",
                        f"State budget {y}",
                    )
                )
    return pd.DataFrame(
        rows,
        columns=["budget_id", "adopted_date", "country", "budget_line", "amount_usd", "source"],
    )


def make_targets(countries: list[str], data: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Baselines, LoP and per-fiscal-year and per-quarter targets, in the range of the data."""
    cases = data["cases"]
    rows = []
    victims = cases[cases["trafficking_status"] != "not_a_victim"]
    per_country = victims.groupby("country").size()
    surveys = data["surveys"]
    budget = data["budget"]
    for c in countries:
        n = int(per_country.get(c, 0))
        lop = int(round(n * 1.05, -1))
        rows.append(("PROT-01", c, "LoP", "", str(lop), ""))
        for fy in (2023, 2024, 2025):
            rows.append(("PROT-01", c, f"FY{fy}", "", str(int(round(lop / 3.2, -1))), ""))
        for q in range(1, 5):
            rows.append(("PROT-01", c, f"FY2025-Q{q}", "", str(round(lop / 12.5)), ""))
        rows.append(("PROT-02", c, "LoP", "60", "85", "percent of identified victims"))
        rows.append(("PROT-04", c, "LoP", "", str(int(round(n * 0.9, -1))), ""))
        rows.append(("PROT-13", c, "LoP", "50", "70", "percent of closed cases"))
        rows.append(("PROT-17", c, "LoP", "", "75", "percent of referrals"))
        rows.append(("PREV-01", c, "LoP", "0", "300", ""))
        # the baseline survey's value is the baseline of the change indicator
        base = surveys[(surveys["country"] == c) & (surveys["round"] == "baseline")]
        known = base["risks_named"].astype(int)
        if len(known):
            pct = 100 * float((known >= 3).mean())
            rows.append(("PREV-05", c, "LoP", f"{pct:.1f}", f"{pct * 1.3:.1f}", "endline value"))
            rows.append(("PREV-06", c, "LoP", f"{pct:.1f}", "30", "30% increase on the baseline"))
        first = budget[
            (budget["country"] == c)
            & (budget["budget_line"] == "civil_society_prevention")
            & budget["adopted_date"].str.startswith(str(START.year))
        ]
        if len(first):
            amount = float(first["amount_usd"].astype(float).sum())
            rows.append(("PREV-11", c, "LoP", f"{amount:.0f}", "25", "25% increase, State budget"))
        rows.append(("PROS-01", c, "LoP", "0", "450", ""))
        rows.append(("PROS-04", c, "LoP", "", "25", ""))
        rows.append(("PROS-06", c, "LoP", "", "40", "convictions per 100 prosecutions"))
        rows.append(("PART-01", c, "LoP", "no", "yes", "national referral mechanism adopted"))
        rows.append(("PART-02", c, "LoP", "", str(int(round(n * 0.5, -1))), ""))
        rows.append(("PART-03", c, "LoP", "no", "yes", ""))
    rows.append(("PROT-01", "ALL", "LoP", "", str(int(round(len(victims) * 1.05, -1))), ""))
    rows.append(("PROT-02", "ALL", "LoP", "60", "85", ""))
    # whole-project LoP targets: the countries' sum for counts, the common value for rates
    for ind in ("PROT-04", "PREV-01", "PROS-01", "PROS-04", "PART-02"):
        own = [r for r in rows if r[0] == ind and r[2] == "LoP" and r[1] != "ALL"]
        base = [int(r[3]) for r in own if r[3]]
        rows.append(
            (
                ind,
                "ALL",
                "LoP",
                str(sum(base)) if base else "",
                str(sum(int(r[4]) for r in own)),
                "",
            )
        )
    for ind, base, target in (
        ("PROT-13", "50", "70"),
        ("PROT-17", "", "75"),
        ("PROS-06", "", "40"),
        ("PART-03", "no", "yes"),
    ):
        rows.append((ind, "ALL", "LoP", base, target, ""))
    base = surveys[surveys["country"].isin(countries) & (surveys["round"] == "baseline")]
    if len(base):
        pct = 100 * float((base["risks_named"].astype(int) >= 3).mean())
        rows.append(("PREV-06", "ALL", "LoP", f"{pct:.1f}", "30", "30% increase on the baseline"))
    first = budget[
        budget["country"].isin(countries)
        & (budget["budget_line"] == "civil_society_prevention")
        & budget["adopted_date"].str.startswith(str(START.year))
    ]
    if len(first):
        amount = float(first["amount_usd"].astype(float).sum())
        rows.append(("PREV-11", "ALL", "LoP", f"{amount:.0f}", "25", "25% increase"))
    return pd.DataFrame(
        rows, columns=["indicator", "country", "period", "baseline", "target", "note"]
    )


MEL_YAML = """\
# Example: a regional counter-trafficking programme (synthetic data, examples/generate.py).
name: Regional programme to counter trafficking in persons in East Africa and Nigeria
donor: US Department of State (J/TIP)
countries: [{countries}]
start: 2023-01-01
end: 2025-12-31
reporting:
  period: quarter
  fiscal_year_start: 10      # US fiscal year: FY2024 Q1 = October-December 2023
datasets:
  cases: {{path: data/cases.csv}}
  assistance: {{path: data/assistance.csv}}
  referrals: {{path: data/referrals.csv}}
  legal: {{path: data/legal.csv}}
  population: {{path: data/population.csv}}
  surveys: {{path: data/surveys.csv}}
  budget: {{path: data/budget.csv}}
{excel_datasets}indicators:
  # the programme's logframe: catalog indicators by id (see 'mel indicators list')
  select: [PROT-01, PROT-02, PROT-03, PROT-04, PROT-11, PROT-13, PROT-17,
           PREV-01, PREV-02, PREV-05, PREV-06, PREV-11,
           PROS-01, PROS-02, PROS-04, PROS-06,
           PART-01, PART-02, PART-03,
           CTX-01, CTX-03]
iati:                        # for 'mel export iati' (illustrative identifiers)
  identifier: XM-EXAMPLE-CT-2023-001
  reporting_org: {{ref: XM-EXAMPLE-IMPL, type: "21", name: Example implementing organisation}}
targets: targets.csv
privacy:
  threshold: 5
"""


def _arrow_text(s: pd.Series):
    """A column as an Arrow string array, missing values as empty text."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if s.dtype == object:
        arr = pa.array(s.to_numpy(), type=pa.string(), from_pandas=True)
    else:
        arr = pa.array(s.astype(str).fillna("").to_numpy(dtype=object), pa.string())
    return pc.fill_null(arr, "")


def _csv(df: pd.DataFrame, path: Path, *, encoding: str = "utf-8", sep: str = ",") -> None:
    """Write CSV as spreadsheet programs do (quotes only where a value needs them).

    pyarrow's writer is used when no value needs quoting (fast for the large variants); pandas'
    otherwise."""
    if encoding == "utf-8" and sep == ",":
        import pyarrow as pa
        import pyarrow.csv as pacsv

        table = pa.table({c: _arrow_text(df[c]) for c in df.columns})
        buf = io.BytesIO()
        buf.write((",".join(df.columns) + "\n").encode())
        try:
            pacsv.write_csv(
                table, buf, pacsv.WriteOptions(quoting_style="none", include_header=False)
            )
        except pa.ArrowInvalid:
            pass
        else:
            path.write_bytes(buf.getvalue())
            return
    text = io.StringIO()
    df.to_csv(text, index=False, sep=sep, lineterminator="\n")
    path.write_bytes(text.getvalue().encode(encoding))


def _excel(sheets: dict[str, pd.DataFrame], path: Path) -> None:
    from openpyxl import Workbook

    from mel.outputs.excel import save_workbook, set_text, write_header

    wb = Workbook()
    wb.remove(wb.active)
    for title, df in sheets.items():
        ws = wb.create_sheet(title)
        write_header(ws, 1, list(df.columns), [max(12, len(c) + 2) for c in df.columns])
        for r, row in enumerate(df.itertuples(index=False), start=2):
            for j, (col, v) in enumerate(zip(df.columns, row, strict=True), start=1):
                cell = ws.cell(row=r, column=j)
                if v == "":
                    continue
                if col.endswith("date") or col == "date":
                    cell.value = dt.date.fromisoformat(v)
                    cell.number_format = "yyyy-mm-dd"
                elif col in (
                    "pre_score",
                    "post_score",
                    "reached_total",
                    "reached_female",
                    "reached_male",
                    "survey_respondents",
                    "respondents_aware",
                ):
                    cell.value = int(v)
                else:
                    set_text(cell, v)
        ws.freeze_panes = "A2"
    save_workbook(wb, path)


def generate(
    out: Path, *, seed: int = 2023, cases: int = DEFAULT_CASES, countries: list[str] | None = None
) -> dict[str, pd.DataFrame]:
    """Write the example project into ``out``; returns the datasets."""
    countries = countries or ["SDN", "TZA", "NGA"]
    rng = np.random.default_rng(seed)
    scale = cases / DEFAULT_CASES
    data = {
        "cases": make_cases(rng, cases, countries),
    }
    data["assistance"] = make_assistance(rng, data["cases"])
    data["referrals"] = make_referrals(rng, data["cases"])
    data["trainings"] = make_trainings(rng, countries, max(1.0, scale**0.5))
    data["awareness"] = make_awareness(rng, countries, max(1.0, scale**0.5))
    data["legal"] = make_legal(rng, countries, max(1.0, scale**0.5))
    data["milestones"] = make_milestones(countries)
    data["population"] = make_population(countries)
    # datasets added later draw from their own streams, so the earlier files stay as they were
    data["surveys"] = make_surveys(
        np.random.default_rng([seed, 1]), countries, max(1.0, scale**0.5)
    )
    data["budget"] = make_budget(np.random.default_rng([seed, 2]), countries)
    if out.exists():
        shutil.rmtree(out)
    (out / "data").mkdir(parents=True)
    for name in ("cases", "assistance", "referrals", "legal", "population", "surveys", "budget"):
        _csv(data[name], out / "data" / f"{name}.csv")
    excel = cases <= EXCEL_MAX_ROWS * 2
    if excel:
        _excel(
            {n: data[n] for n in ("trainings", "awareness", "milestones")},
            out / "data" / "programme.xlsx",
        )
        extra = "".join(
            f"  {n}: {{path: data/programme.xlsx, sheet: {n}}}\n"
            for n in ("trainings", "awareness", "milestones")
        )
    else:
        for n in ("trainings", "awareness", "milestones"):
            _csv(data[n], out / "data" / f"{n}.csv")
        extra = "".join(
            f"  {n}: {{path: data/{n}.csv}}\n" for n in ("trainings", "awareness", "milestones")
        )
    (out / "mel.yaml").write_text(
        MEL_YAML.format(countries=", ".join(countries), excel_datasets=extra), encoding="utf-8"
    )
    _csv(make_targets(countries, data), out / "targets.csv")
    return data


# --- the messy copy ------------------------------------------------------------------------------

FAULT_COLUMNS = [
    "id",
    "kind",
    "dataset",
    "file",
    "row",
    "column",
    "planted_value",
    "rule",
    "severity",
    "description",
]


def make_messy(
    clean: Path, out: Path, data: dict[str, pd.DataFrame], seed: int = 7
) -> pd.DataFrame:
    """Copy the clean project and plant faults; write FAULTS.csv; returns the manifest."""
    rng = np.random.default_rng(seed)
    if out.exists():
        shutil.rmtree(out)
    shutil.copytree(clean, out)
    cases = data["cases"].copy()
    assistance = data["assistance"].copy()
    referrals = data["referrals"].copy()
    trainings = data["trainings"].copy()
    faults: list[tuple] = []
    used: set[tuple[str, int]] = set()

    def row_for(df: pd.DataFrame, name: str, where=None) -> int:
        candidates = np.flatnonzero(where) if where is not None else np.arange(len(df))
        while True:
            i = int(candidates[rng.integers(0, len(candidates))])
            if (name, i) not in used:
                used.add((name, i))
                return i

    def plant(df, name, file, i, column, value, kind, rule, severity, description):
        df.at[i, column] = value
        faults.append((kind, name, file, i + 2, column, value, rule, severity, description))

    victim = cases["trafficking_status"] != "not_a_victim"
    i = row_for(cases, "cases")
    plant(
        cases,
        "cases",
        "data/cases.csv",
        i,
        "sex",
        "Femal",
        "misspelt-code",
        "code-list",
        "error",
        "sex misspelt",
    )
    i = row_for(cases, "cases")
    plant(
        cases,
        "cases",
        "data/cases.csv",
        i,
        "country",
        str(cases.at[i, "country"]).lower(),
        "code-case",
        "alias",
        "warning",
        "country code in lower case",
    )
    i = row_for(cases, "cases")
    plant(
        cases,
        "cases",
        "data/cases.csv",
        i,
        "trafficking_status",
        "-99",
        "missing-code-required",
        "required",
        "error",
        "-99 in a required column",
    )
    i = row_for(cases, "cases")
    plant(
        cases,
        "cases",
        "data/cases.csv",
        i,
        "nationality",
        "N/A",
        "missing-code-optional-ok",
        "",
        "",
        "N/A in an optional column is read as missing: no finding",
    )
    faults.pop()  # not a fault: kept as a control row, see test
    i = row_for(cases, "cases")
    d = dt.date.fromisoformat(cases.at[i, "registration_date"])
    plant(
        cases,
        "cases",
        "data/cases.csv",
        i,
        "registration_date",
        d.strftime("%d/%m/%Y"),
        "mixed-date-format",
        "type",
        "error",
        "date written day first",
    )
    i = row_for(cases, "cases")
    plant(
        cases,
        "cases",
        "data/cases.csv",
        i,
        "registration_date",
        "2024-02-30",
        "impossible-date",
        "type",
        "error",
        "30 February",
    )
    i = row_for(cases, "cases", victim & (cases["needs_assessment_date"] != ""))
    plant(
        cases,
        "cases",
        "data/cases.csv",
        i,
        "needs_assessment_date",
        "2031-03-01",
        "future-date",
        "future-date",
        "error",
        "a date years ahead",
    )
    i = row_for(cases, "cases", cases["age"] != "")
    plant(
        cases,
        "cases",
        "data/cases.csv",
        i,
        "age",
        "150",
        "impossible-age",
        "range",
        "error",
        "age 150",
    )
    i = row_for(cases, "cases", cases["age"] != "")
    plant(
        cases,
        "cases",
        "data/cases.csv",
        i,
        "age",
        "14 yrs",
        "number-as-text",
        "type",
        "error",
        "a number written with its unit",
    )
    # ids are overwritten only on cases without services or referrals: no knock-on findings
    referenced = set(assistance["case_id"]) | set(referrals["case_id"])
    free = ~cases["case_id"].isin(referenced).to_numpy()
    i = row_for(cases, "cases", free & (np.arange(len(cases)) > 10))
    first = row_for(cases, "cases", np.arange(len(cases)) < i)
    plant(
        cases,
        "cases",
        "data/cases.csv",
        i,
        "case_id",
        cases.at[first, "case_id"],
        "duplicated-id",
        "unique",
        "error",
        f"the case id of row {first + 2} again",
    )
    i = row_for(cases, "cases", free)
    plant(
        cases,
        "cases",
        "data/cases.csv",
        i,
        "case_id",
        "",
        "blank-required",
        "required",
        "error",
        "case id left empty",
    )
    i = row_for(cases, "cases", cases["sex"] == "Male")
    plant(
        cases,
        "cases",
        "data/cases.csv",
        i,
        "sex",
        "Male ",
        "trailing-space",
        "whitespace",
        "warning",
        "a space after the value",
    )
    i = row_for(cases, "cases", cases["closure_date"] != "")
    reg = dt.date.fromisoformat(cases.at[i, "registration_date"])
    plant(
        cases,
        "cases",
        "data/cases.csv",
        i,
        "closure_date",
        (reg - dt.timedelta(days=20)).isoformat(),
        "exit-before-entry",
        "rule",
        "error",
        "case closed before it was registered",
    )
    i = row_for(cases, "cases", victim & (cases["exploitation"] == "sexual"))
    plant(
        cases,
        "cases",
        "data/cases.csv",
        i,
        "exploitation",
        "sexual;forcd_labour",
        "misspelt-multi-code",
        "code-list",
        "error",
        "one of two exploitation types misspelt",
    )
    i = row_for(cases, "cases", cases["country"] == "NGA")
    plant(
        cases,
        "cases",
        "data/cases.csv",
        i,
        "nationality",
        "Nigeria",
        "country-name",
        "code-list",
        "error",
        "a country name instead of its code",
    )
    i = row_for(cases, "cases", cases["plan_completed"] != "")
    plant(
        cases,
        "cases",
        "data/cases.csv",
        i,
        "plan_completed",
        "maybe",
        "bad-boolean",
        "type",
        "error",
        "neither yes nor no",
    )
    # assistance: a service for a case that does not exist, N/A in a required column
    i = row_for(assistance, "assistance")
    plant(
        assistance,
        "assistance",
        "data/assistance.csv",
        i,
        "case_id",
        "SDN-KRT-999999",
        "unknown-case",
        "foreign-key",
        "error",
        "service for a case id not in cases",
    )
    i = row_for(assistance, "assistance")
    plant(
        assistance,
        "assistance",
        "data/assistance.csv",
        i,
        "service_type",
        "N/A",
        "missing-code-required",
        "required",
        "error",
        "N/A in a required column",
    )
    i = row_for(assistance, "assistance")
    plant(
        assistance,
        "assistance",
        "data/assistance.csv",
        i,
        "cost_usd",
        "1,250.00",
        "number-as-text",
        "type",
        "error",
        "thousands separator in a number",
    )
    # referrals: outcome before referral; the file saved in Latin-1 with ';' as Excel does in
    # French locales
    has = np.flatnonzero(referrals["outcome_date"].to_numpy() != "")
    i = int(has[rng.integers(0, len(has))])
    ref = dt.date.fromisoformat(referrals.at[i, "referral_date"])
    plant(
        referrals,
        "referrals",
        "data/referrals.csv",
        i,
        "outcome_date",
        (ref - dt.timedelta(days=3)).isoformat(),
        "exit-before-entry",
        "rule",
        "error",
        "outcome dated before the referral",
    )
    referrals["reason"] = referrals["reason"].replace(
        {"Medical care needed": "Prise en charge médicale"}
    )
    # trainings stay clean (their sheet is renamed below); awareness gets a score out of range
    _csv(cases, out / "data" / "cases.csv")
    _csv(assistance, out / "data" / "assistance.csv")
    _csv(referrals, out / "data" / "referrals.csv", encoding="latin-1", sep=";")
    faults.append(
        (
            "latin1-semicolon",
            "referrals",
            "data/referrals.csv",
            None,
            None,
            "",
            "file-format",
            "warning",
            "saved in Latin-1 with ';' separators",
        )
    )
    # the workbook: trainings sheet renamed, a post-test score out of range in awareness' place
    awareness = data["awareness"].copy()
    i = int(np.flatnonzero(awareness["reached_female"].to_numpy() != "")[0])
    total = int(awareness.at[i, "reached_total"])
    awareness.at[i, "reached_female"] = str(total + 40)
    faults.append(
        (
            "inconsistent-numbers",
            "awareness",
            "data/programme.xlsx[awareness]",
            i + 2,
            "reached_female",
            str(total + 40),
            "rule",
            "error",
            "more women reached than people reached",
        )
    )
    _excel(
        {"Trainings 2023-25": trainings, "awareness": awareness, "milestones": data["milestones"]},
        out / "data" / "programme.xlsx",
    )
    faults.append(
        (
            "wrong-sheet",
            "trainings",
            "data/programme.xlsx",
            None,
            None,
            "Trainings 2023-25",
            "wrong-sheet",
            "error",
            "the sheet was renamed; mel.yaml names 'trainings'",
        )
    )
    manifest = pd.DataFrame([(k, *f) for k, f in enumerate(faults, start=1)], columns=FAULT_COLUMNS)
    manifest["row"] = manifest["row"].astype("Int64")
    _csv(manifest, out / "FAULTS.csv")
    return manifest


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description="Write the example counter-trafficking programme.")
    ap.add_argument("--seed", type=int, default=2023)
    ap.add_argument("--cases", type=int, default=DEFAULT_CASES)
    ap.add_argument("--countries", default="SDN,TZA,NGA", help="ISO alpha-3 codes, comma separated")
    ap.add_argument("--out", type=Path, default=HERE / "counter-trafficking")
    ap.add_argument(
        "--messy",
        type=Path,
        default=None,
        help="where to write the messy copy (default: beside --out, when --out is "
        "the bundled example)",
    )
    ap.add_argument("--no-messy", action="store_true")
    args = ap.parse_args(argv)
    countries = [c.strip().upper() for c in args.countries.split(",") if c.strip()]
    data = generate(args.out, seed=args.seed, cases=args.cases, countries=countries)
    messy = args.messy
    if messy is None and not args.no_messy and args.out == HERE / "counter-trafficking":
        messy = HERE / "counter-trafficking-messy"
    if messy is not None:
        make_messy(args.out, messy, data)
    sizes = ", ".join(f"{k} {len(v):,}" for k, v in data.items())
    print(
        f"wrote {args.out}: {sizes}" + (f"; messy copy in {messy}" if messy else ""),
        file=sys.stderr,
    )


if __name__ == "__main__":
    csv.field_size_limit(1 << 24)
    main()
