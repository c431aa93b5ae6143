"""Small generated projects for the pipeline matrix, and every cell's value worked out by a
naive loop over the records, written here independently of the engine (its own period
arithmetic, its own reading of the rules in docs/engine.md).

One project per (period kind, fiscal year start): a project-local template ``records`` (a key,
a person, a date, a country, sex, a multi-response code, an amount, a flag) and one indicator
per measure kind x cumulation mode x disaggregation (none, single, multi-response).
"""

from __future__ import annotations

import csv
import datetime as dt
import math
import random
import statistics
from dataclasses import dataclass
from pathlib import Path

START = dt.date(2023, 7, 1)
END = dt.date(2025, 6, 30)
COUNTRIES = ["SDN", "TZA"]
SEXES = ["Female", "Male", "Other"]
KINDS = ["a", "b", "c"]
MEASURES = [
    "count",
    "count_distinct",
    "sum",
    "mean",
    "median",
    "ratio",
    "percentage",
    "milestone",
    "change",
]
CUMULATIONS = ["per_period", "cumulative", "latest"]
DISAGGREGATIONS = {"none": [], "single": ["sex"], "multi": ["kinds"], "both": ["sex", "kinds"]}
ADDITIVE = {"count", "count_distinct", "sum"}
SIZE = {"month": 1, "quarter": 3, "half": 6, "year": 12}
BASELINES = {"SDN": 10.0, "TZA": 8.0, "ALL": 20.0}

TEMPLATE = """\
name: records
title: Records for the pipeline matrix
key: [rec_id]
missing_values: [""]
columns:
  - {name: rec_id, type: string, required: true, unique: true}
  - {name: person, type: string, required: true}
  - {name: when, type: date, required: true}
  - {name: country, type: code, codelist: country, required: true}
  - {name: sex, type: code, codelist: sex}
  - {name: kinds, type: code, codelist: kind, multiple: true}
  - {name: amount, type: number, range: {min: 0}}
  - {name: flag, type: boolean}
"""

CODELIST = """\
name: kind
title: Kind
values:
  - {code: a}
  - {code: b}
  - {code: c}
"""


@dataclass
class Record:
    rec_id: str
    person: str
    when: dt.date
    country: str
    sex: str | None
    kinds: list[str]
    amount: float | None
    flag: bool
    invalid: bool = False


def make_records(seed: int, n: int = 90) -> list[Record]:
    rnd = random.Random(seed)  # noqa: S311 - test data
    out = []
    for i in range(n):
        when = START + dt.timedelta(days=rnd.randrange((END - START).days + 1))
        country = rnd.choice(COUNTRIES)
        if i % 30 == 7:  # a few dated outside the project
            when = START - dt.timedelta(days=rnd.randrange(1, 60))
        if i % 45 == 11:  # and a country outside it
            country = "NGA"
        out.append(
            Record(
                rec_id=f"R{i:03d}",
                person=f"P{rnd.randrange(25):02d}",
                when=when,
                country=country,
                sex=rnd.choice([*SEXES, None]),
                kinds=sorted(rnd.sample(KINDS, rnd.randrange(0, 3))),
                amount=rnd.choice([None, *range(0, 100, 7)]),
                flag=rnd.random() < 0.5,
                invalid=(i % 40 == 5),  # an amount below the range: a validation error
            )
        )
    return out


def indicator_id(measure: str, cumulation: str, dis: str) -> str:
    return f"M-{measure}-{cumulation}-{dis}".replace("_", "")


def _measure_yaml(measure: str) -> tuple[str, str | None]:
    """(measure block, indicator filter)."""
    return {
        "count": ("{type: count}", "flag"),
        "count_distinct": ("{type: count_distinct, column: person}", None),
        "sum": ("{type: sum, column: amount}", None),
        "mean": ("{type: mean, column: amount}", None),
        "median": ("{type: median, column: amount}", None),
        "ratio": (
            "{type: ratio, factor: 100, numerator: {type: sum, column: amount, where: flag},"
            " denominator: {type: count}}",
            None,
        ),
        "percentage": (
            "{type: percentage, numerator: {type: count_distinct, column: person, where: flag},"
            " denominator: {type: count_distinct, column: person}}",
            None,
        ),
        "milestone": ("{type: milestone}", "amount > 90"),
        "change": ("{type: change_from_baseline, of: {type: count}}", None),
    }[measure]


def indicators_yaml(combos: list[tuple[str, str, str]]) -> str:
    lines = ["indicators:"]
    for measure, cumulation, dis in combos:
        block, where = _measure_yaml(measure)
        lines += [
            f"  - id: {indicator_id(measure, cumulation, dis)}",
            f"    name: {measure} {cumulation} {dis}",
            "    pillar: protection",
            "    level: result",
            "    result: r",
            "    definition: d",
            "    unit: u",
            "    dataset: records",
            "    date: when",
            f"    measure: {block}",
            f"    cumulation: {cumulation}",
        ]
        if where:
            lines.append(f"    where: {where}")
        if DISAGGREGATIONS[dis]:
            parts = [
                "{column: kinds, multi_response: true}" if c == "kinds" else "sex"
                for c in DISAGGREGATIONS[dis]
            ]
            lines.append(f"    disaggregations: [{', '.join(parts)}]")
        lines += [
            "    verification: {method: m, source: s}",
            "    frequency: {collection: quarterly, reporting: quarterly}",
            "    references: [{source: test, provenance: derived}]",
        ]
    return "\n".join(lines) + "\n"


def write_project(
    root: Path, kind: str, fy_start: int, records: list[Record], combos: list
) -> Path:
    (root / "templates" / "codelists").mkdir(parents=True)
    (root / "templates" / "records.yaml").write_text(TEMPLATE)
    (root / "templates" / "codelists" / "kind.yaml").write_text(CODELIST)
    (root / "indicators.yaml").write_text(indicators_yaml(combos))
    with (root / "records.csv").open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["rec_id", "person", "when", "country", "sex", "kinds", "amount", "flag"])
        for r in records:
            amount = -5 if r.invalid else r.amount
            w.writerow(
                [
                    r.rec_id,
                    r.person,
                    r.when.isoformat(),
                    r.country,
                    r.sex or "",
                    ";".join(r.kinds),
                    "" if amount is None else amount,
                    "true" if r.flag else "false",
                ]
            )
    ids = [indicator_id(*c) for c in combos]
    with (root / "targets.csv").open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["indicator", "country", "period", "baseline", "target"])
        for i in ids:
            if i.startswith("M-change-"):
                for geo, b in BASELINES.items():
                    w.writerow([i, geo, "LoP", b, 10])
    (root / "mel.yaml").write_text(
        f"""\
name: Matrix {kind} {fy_start}
donor: Test donor
countries: [{", ".join(COUNTRIES)}]
start: {START}
end: {END}
reporting: {{period: {kind}, fiscal_year_start: {fy_start}}}
templates: [templates]
datasets:
  records: {{path: records.csv}}
indicators:
  select: [{", ".join(ids)}]
  paths: [indicators.yaml]
targets: targets.csv
"""
    )
    return root


# --- the calendar, worked out independently ------------------------------------------------------


@dataclass(frozen=True)
class P:
    label: str
    kind: str
    start: dt.date
    end: dt.date


def _month_end(y: int, m: int) -> dt.date:
    return (dt.date(y + m // 12, m % 12 + 1, 1)) - dt.timedelta(days=1)


def _label(day: dt.date, kind: str, fy_start: int) -> tuple[str, dt.date]:
    """(label, first day) of the period of ``kind`` holding ``day``."""
    if kind == "month":
        return f"{day.year}-{day.month:02d}", day.replace(day=1)
    first_year = day.year if day.month >= fy_start else day.year - 1  # year the FY began
    name = f"FY{first_year + 1}" if fy_start != 1 else f"{first_year}"
    months_in = (day.month - fy_start) % 12
    index = months_in // SIZE[kind]
    m0 = fy_start + index * SIZE[kind]  # may exceed 12
    first = dt.date(first_year + (m0 - 1) // 12, (m0 - 1) % 12 + 1, 1)
    suffix = {"year": "", "half": f"-H{index + 1}", "quarter": f"-Q{index + 1}"}[kind]
    return name + suffix, first


def periods(kind: str, fy_start: int) -> tuple[list[P], list[P], P]:
    """(reporting periods, years (none when the period is the year), LoP)."""

    def walk(k: str) -> list[P]:
        out: dict[str, P] = {}
        day = START
        while day <= END:
            label, first = _label(day, k, fy_start)
            if label not in out:
                last_month = first.month + SIZE[k] - 1
                end = _month_end(first.year + (last_month - 1) // 12, (last_month - 1) % 12 + 1)
                out[label] = P(label, k, first, end)
            day = _month_end(day.year, day.month) + dt.timedelta(days=1)
        return list(out.values())

    reporting = walk(kind)
    years = [] if kind == "year" else walk("year")
    return reporting, years, P("LoP", "lop", START, END)


# --- the naive computation -----------------------------------------------------------------------


def _usable(r: Record) -> bool:
    return not r.invalid and START <= r.when <= END and r.country in COUNTRIES


def _in_cat(r: Record, dis: str, cat: str) -> bool:
    """Is the record in category ``cat`` of the disaggregation by column ``dis``?"""
    if cat == "":
        return True
    if dis == "sex":
        return (r.sex or "Unknown") == cat
    return cat in r.kinds if r.kinds else cat == "Unknown"


def _simple(kind: str, rows: list[Record]) -> float:
    """A simple measure over rows (already filtered); NaN when it has no value."""
    amounts = [r.amount for r in rows if r.amount is not None]
    if kind == "count":
        return float(len(rows))
    if kind == "count_distinct":
        return float(len({r.person for r in rows}))
    if kind == "sum":
        return float(sum(amounts))
    if kind == "mean":
        return statistics.fmean(amounts) if amounts else math.nan
    if kind == "median":
        return float(statistics.median(amounts)) if amounts else math.nan
    raise ValueError(kind)


def expected(records: list[Record], measure: str, cumulation: str, dis: str, kind, fy_start):
    """{(country, period, disaggregation, category): (value, numerator, denominator)}."""
    reporting, years, lop = periods(kind, fy_start)
    usable = [r for r in records if _usable(r)]
    categories = {"sex": [*SEXES, "Unknown"], "kinds": [*KINDS, "Unknown"]}
    cells = [("", "")] + [(c, cat) for c in DISAGGREGATIONS[dis] for cat in categories[c]]
    everything = [*reporting, *years, lop]
    out = {}

    def geo_rows(geo):
        return [r for r in usable if geo == "ALL" or r.country == geo]

    def side(kind_, where, rows, p, covered_at, dis, cat):
        """One simple measure in period p: its value (cumulation applied), NaN = no data."""

        def raw(q):  # per-period value of a reporting period q (NaN if not covered)
            inside = [r for r in rows if q.start <= r.when <= q.end]
            if not inside:
                return math.nan, False
            sel = [r for r in inside if where(r) and _in_cat(r, dis, cat)]
            return _simple(kind_, sel), True

        if cumulation == "per_period":
            inside = [r for r in rows if p.start <= r.when <= p.end]
            if not inside:
                return math.nan
            return _simple(kind_, [r for r in inside if where(r) and _in_cat(r, dis, cat)])
        if cumulation == "cumulative":
            if not covered_at(p):
                return math.nan
            sel = [r for r in rows if r.when <= p.end and where(r) and _in_cat(r, dis, cat)]
            return _simple(kind_, sel)
        # latest: each reporting period with a value gives it (a count of none is 0 where the
        # period has records); one without carries the last value forward; a year and LoP
        # take their last reporting period's value
        last = math.nan
        for q in reporting:
            if q.end > p.end:
                break
            v, seen = raw(q)
            if seen and not math.isnan(v):
                last = v
        if math.isnan(last) and kind_ in ADDITIVE and covered_at(p):
            return 0.0
        return last

    for geo in [*COUNTRIES, "ALL"]:
        rows = geo_rows(geo)
        first = min((r.when for r in rows), default=None)

        def covered_at(p, first=first):
            return first is not None and first <= p.end

        for p in everything:
            for d, cat in cells:
                key = (geo, p.label, d, cat)
                if measure in ("ratio", "percentage"):
                    flag = lambda r: r.flag  # noqa: E731
                    every = lambda r: True  # noqa: E731
                    if measure == "ratio":
                        num = side("sum", flag, rows, p, covered_at, d, cat)
                        den = side("count", every, rows, p, covered_at, d, cat)
                    else:
                        num = side("count_distinct", flag, rows, p, covered_at, d, cat)
                        den = side("count_distinct", every, rows, p, covered_at, d, cat)
                    value = num / den * 100 if den and not math.isnan(num) else math.nan
                    out[key] = (value, num, den)
                elif measure == "milestone":
                    hit = lambda r, d=d, cat=cat: (  # noqa: E731
                        r.amount is not None and r.amount > 90 and _in_cat(r, d, cat)
                    )
                    if geo == "ALL":
                        done = sum(
                            any(hit(r) and r.when <= p.end for r in geo_rows(c)) for c in COUNTRIES
                        )
                        out[key] = (float(done == len(COUNTRIES)), float(done), len(COUNTRIES))
                    else:
                        done = any(hit(r) and r.when <= p.end for r in rows)
                        out[key] = (float(done), math.nan, math.nan)
                elif measure == "change":
                    measured = side("count", lambda r: True, rows, p, covered_at, d, cat)
                    baseline = BASELINES[geo] if d == "" else None
                    if math.isnan(measured) or baseline is None:
                        out[key] = (math.nan, measured, math.nan)
                    else:
                        out[key] = ((measured - baseline) / baseline * 100, measured, math.nan)
                else:
                    where = (lambda r: r.flag) if measure == "count" else (lambda r: True)
                    value = side(measure, where, rows, p, covered_at, d, cat)
                    out[key] = (value, math.nan, math.nan)
    return out
