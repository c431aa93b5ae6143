"""A disclosure auditor: everything a donor receives, read together, solved as equations.

Written apart from mel.engine.disclosure (its own names for quantities, its own equations, scipy's
linprog instead of the HiGHS API) so that the two can disagree. The attacker:

- reads every published number of every donor table given (values of counts and sums, the
  numerators and denominators of ratios, across indicators, countries, periods and categories);
- names a quantity by what the definitions say it counts: dataset, measure, measured column,
  date column, the filter's conditions (text, spaces removed) and the category's condition,
  country, and the dates it covers; two cells with the same name are one unknown (PROT-03 total
  and PROT-01's Minor cell);
- writes the equations of a table (categories of a single-valued disaggregation and their
  total, countries and ALL, reporting periods and their year, years and the life of project),
  for the indicators where they hold (decided on the true values, group kind by group kind);
- knows that a hidden count of records is at least 1 (the numerator or denominator of a hidden
  ratio at least 0), and reads the markers: a hidden count marked '<N' (flag ``small``) is at
  most N-1;
- and bounds every hidden quantity by linear programming.

A finding is a hidden count whose value is recovered (its interval is one value; a true 0 does
not count: zero is published anyway), a hidden ratio whose numerator and denominator are both
recovered, or a hidden count from 1 to threshold-1 (a ratio's side too) whose interval is
narrower than the rule's own 1 to threshold-1 or does not reach threshold-1.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import linprog

from mel.engine.periods import period_from_label

KEYS = ["indicator", "country", "period", "period_kind", "disaggregation", "category"]


@dataclass
class Published:
    donor: pd.DataFrame  # what the donor received
    truth: pd.DataFrame  # the same run, internal
    as_of: dt.date  # the end of the last reporting period it holds


@dataclass
class Finding:
    quantity: str
    truth: float
    low: float
    high: float
    kind: str  # "recovered" or "narrowed"


def _norm(text: str) -> str:
    return "".join(text.replace('"', "'").split())


def _conditions(where: str | None) -> list[str]:
    if not where:
        return []
    if re.search(r"\bor\b|\(|\bnot\b", where):
        return [_norm(where)]
    return [_norm(p) for p in re.split(r"\s+and\s+", where.strip())]


def _sides(ind) -> list[tuple[str, object]]:
    m = ind.measure
    simple = ("count", "count_distinct", "sum")
    if m.type == "change_from_baseline":
        m = m.of
        if m.type in simple:
            return [("numerator", m)]
    if m.type in ("ratio", "percentage"):
        return [(r, s) for r, s in (("numerator", m.numerator), ("denominator", m.denominator))
                if s.type in simple]  # fmt: skip
    return [("value", m)] if m.type in simple else []


def _name(ind, side) -> str:
    dataset = side.dataset or ind.dataset
    conds = set(_conditions(side.where))
    if dataset == ind.dataset:
        conds |= set(_conditions(ind.where))
    what = [dataset, side.type, getattr(side, "column", "") or "", side.date or ind.date,
            str(getattr(side, "level", False))]  # fmt: skip
    return "/".join(what), frozenset(conds)


def _category(column: str, category: str, multi: bool) -> str:
    if category == "Unknown":
        return f"{column}ismissing"
    return f"{column}has'{category}'" if multi else f"{column}=='{category}'"


def _grouped(frame: pd.DataFrame, by):
    """(key, index labels of its rows in their order) of each group, keys in sorted order: what
    iterating ``frame.groupby(by)`` gives, without a frame per group."""
    indices = frame.groupby(by).indices
    labels = frame.index.to_numpy()
    for key in sorted(indices):
        yield key, labels[indices[key]]


class Auditor:
    def __init__(self, indicators, calendar, threshold: int):
        self.ind = {i.id: i for i in indicators}
        self.cal = calendar
        self.threshold = threshold
        self.year_of = {
            p.label: y.label for p in calendar.periods for y in calendar.years
            if y.start <= p.start <= y.end
        }  # fmt: skip

    # -- names --------------------------------------------------------------------------------
    def _cover(self, label: str, kind: str, as_of: dt.date, cumulation: str) -> str:
        """The dates of the records a cell counts: a cumulative cell from the project's start."""
        if kind == "lop":
            start, end = self.cal.start, as_of
        else:
            p = period_from_label(label, self.cal.fy_start, self.cal.start, self.cal.end)
            start, end = max(p.start, self.cal.start), min(p.end, as_of)
        if cumulation == "latest":  # a level: a year is its last reporting period
            last = [p for p in self.cal.periods if p.start <= end][-1]
            return f"level {last.label} {min(last.end, as_of)}"
        if cumulation == "cumulative":
            start = self.cal.start
        return f"{start}~{end}"

    def names(self, table: pd.DataFrame, truth: pd.DataFrame, as_of: dt.date):
        """role -> list of quantity names per row (None where the row has none)."""
        shared = set()
        for i, ind in self.ind.items():
            shared |= {(i, d.column) for d in ind.disaggregations if d.denominator == "total"}
        tot = truth[truth["disaggregation"] == ""].set_index(["indicator", "country", "period"])
        parts = truth[truth["disaggregation"] != ""]
        if len(parts):
            den_total = (
                tot["denominator"]
                .reindex(pd.MultiIndex.from_frame(parts[["indicator", "country", "period"]]))
                .to_numpy()
            )
            same = pd.Series(parts["denominator"].to_numpy() == den_total)
            ok = same.groupby([parts["indicator"].to_numpy(), parts["disaggregation"].to_numpy()])
            shared |= {k for k, v in ok.all().items() if v}
        out = {r: [None] * len(table) for r in ("value", "numerator", "denominator")}
        for n, row in enumerate(table[[*KEYS, "multi_response"]].itertuples(index=False)):
            ind = self.ind.get(row.indicator)
            if ind is None:
                continue
            cover = self._cover(row.period, row.period_kind, as_of, ind.cumulation)
            for role, side in _sides(ind):
                what, conds = _name(ind, side)
                if row.disaggregation and not (
                    role == "denominator" and (row.indicator, row.disaggregation) in shared
                ):
                    conds = conds | {_category(row.disaggregation, row.category,
                                               bool(row.multi_response))}  # fmt: skip
                out[role][n] = f"{what}/{sorted(conds)}/{row.country}/{cover}"
        return out

    # -- equations ------------------------------------------------------------------------------
    def groups(self, t: pd.DataFrame):
        """(kind, row positions with the total last) of every group of cells that add up."""
        t = t.reset_index(drop=True)
        pos = {k: n for n, k in enumerate(zip(*(t[c] for c in KEYS), strict=True))}
        country = t["country"].to_numpy()
        period = t["period"].to_numpy()
        out = []
        single = t[(t["disaggregation"] != "") & ~t["multi_response"].astype(bool)]
        for (i, g, p, k, _d), rows in _grouped(single, KEYS[:5]):
            total = pos.get((i, g, p, k, "", ""))
            if total is not None:
                out.append(("category", [*rows, total]))
        by = ["indicator", "period", "period_kind", "disaggregation", "category"]
        for _, rows in _grouped(t, by):
            alls = rows[country[rows] == "ALL"]
            if len(alls) == 1 and len(rows) > 1:
                out.append(("country", [*rows[country[rows] != "ALL"], alls[0]]))
        base = t[t["period"].isin(self.year_of)]
        by = [base["indicator"], base["country"], base["disaggregation"], base["category"],
              base["period"].map(self.year_of)]  # fmt: skip
        for (i, g, d, c, y), rows in _grouped(base, by):
            year = pos.get((i, g, y, "year", d, c))
            if year is not None:
                out.append(("period", [*rows, year]))
        years = t[t["period_kind"].isin(["year", "lop"])]
        for _, rows in _grouped(years, ["indicator", "country", "disaggregation", "category"]):
            lop = rows[period[rows] == "LoP"]
            if len(lop) == 1 and len(rows) > 2:
                out.append(("year", [*rows[period[rows] != "LoP"], lop[0]]))
        return out

    # -- the attack -----------------------------------------------------------------------------
    def audit(self, publications: list[Published]) -> list[Finding]:
        value: dict[str, float] = {}  # the truth
        shown: dict[str, float] = {}
        count_of: dict[str, bool] = {}
        said_small: set[str] = set()  # hidden counts a donor reads as '<N': 1 to N-1
        equations: list[tuple[tuple[str, str, str], list[str]]] = []
        holds: dict[tuple[str, str, str], bool] = defaultdict(lambda: True)
        ratios: set[tuple[str, str]] = set()
        for pub in publications:
            donor = pub.donor.reset_index(drop=True)
            truth = (
                pub.truth.set_index(KEYS)
                .reindex(pd.MultiIndex.from_frame(donor[KEYS]))
                .reset_index()
            )
            assert donor["n_records"].isna().all(), "donors get no record counts"
            names = self.names(donor, truth, pub.as_of)
            hidden = donor["suppressed"].astype(bool).to_numpy()
            flag = (
                donor["flag"].fillna("").astype(str).to_numpy()
                if "flag" in donor
                else np.full(len(donor), "")
            )
            for n in np.flatnonzero(hidden):
                if names["numerator"][n] and names["denominator"][n]:
                    ratios.add((names["numerator"][n], names["denominator"][n]))
            for role, per_row in names.items():
                true = pd.to_numeric(truth[role], errors="coerce").to_numpy()
                seen = pd.to_numeric(donor[role], errors="coerce").to_numpy()
                for n, q in enumerate(per_row):
                    if q is None or not np.isfinite(true[n]):
                        continue
                    value[q] = true[n]
                    count_of[q] = role == "value"
                    if not hidden[n] and np.isfinite(seen[n]):
                        assert seen[n] == true[n], (q, seen[n], true[n])
                        shown[q] = seen[n]
                    if hidden[n] and role == "value" and flag[n] == "small":
                        assert 1 <= true[n] < self.threshold, (q, true[n], "marked small")
                        said_small.add(q)
            for kind, rows in self.groups(donor):
                ind = donor.at[rows[-1], "indicator"]
                for role, per_row in names.items():
                    qs = [per_row[r] for r in rows]
                    if any(q is None or q not in value for q in qs):
                        continue
                    tag = (ind, role, kind)
                    x = np.array([value[q] for q in qs])
                    holds[tag] &= bool(abs(x[:-1].sum() - x[-1]) < 1e-6 * max(1, abs(x[-1])))
                    equations.append((tag, qs))
        unknown = sorted(q for q in value if q not in shown)
        col = {q: j for j, q in enumerate(unknown)}
        rows, rhs = [], []
        for tag, qs in equations:
            if not holds[tag]:
                continue
            coef: dict[int, float] = defaultdict(float)
            const = 0.0
            for k, q in enumerate(qs):
                sign = -1.0 if k == len(qs) - 1 else 1.0
                if q in col:
                    coef[col[q]] += sign
                else:
                    const += sign * shown[q]
            coef = {j: c for j, c in coef.items() if c}
            if coef:
                rows.append(coef)
                rhs.append(-const)
        lower = np.array([1.0 if count_of[q] and value[q] >= 1 else 0.0 for q in unknown])
        upper = [self.threshold - 1.0 if q in said_small else None for q in unknown]
        truth = np.array([value[q] for q in unknown])
        found = self._bounds(unknown, rows, rhs, lower, truth, upper)
        # a ratio's side recovered alone gives no hidden value away; both sides do
        exact = {f.quantity for f in found if f.kind == "recovered"}
        small = self.threshold - 1
        out = [
            f for f in found
            if f.kind != "recovered" or count_of[f.quantity] or 1 <= f.truth <= small
        ]  # fmt: skip
        out += [
            Finding(f"{n} / {d}", value[n] / value[d], np.nan, np.nan, "recovered")
            for n, d in sorted(ratios)
            if n in exact and d in exact and value[d] > 0 and value[n] > 0
        ]
        return out

    def _bounds(self, unknown, rows, rhs, lower, truth, upper) -> list[Finding]:
        # components of unknowns tied by equations
        parent = list(range(len(unknown)))

        def find(a):
            while parent[a] != a:
                parent[a] = parent[parent[a]]
                a = parent[a]
            return a

        for r in rows:
            js = list(r)
            for j in js[1:]:
                parent[find(j)] = find(js[0])
        comp = defaultdict(list)
        for j in range(len(unknown)):
            comp[find(j)].append(j)
        eqs = defaultdict(list)
        for k, r in enumerate(rows):
            eqs[find(next(iter(r)))].append(k)
        findings = []
        small = self.threshold - 1
        rng = np.random.default_rng(0)
        for root, members in comp.items():
            if not eqs[root]:
                continue  # tied to nothing: its own bounds only (the rule's own interval)
            local = {j: i for i, j in enumerate(members)}
            a = np.zeros((len(eqs[root]), len(members)))
            b = np.zeros(len(eqs[root]))
            for e, k in enumerate(eqs[root]):
                for j, c in rows[k].items():
                    a[e, local[j]] = c
                b[e] = rhs[k]
            bounds = [(lower[j], upper[j]) for j in members]
            lo_seen, hi_seen = truth[members].copy(), truth[members].copy()

            def solve(c, a=a, b=b, bounds=bounds):
                r = linprog(c, A_eq=a, b_eq=b, bounds=bounds, method="highs")
                if r.status == 3:
                    return None, True
                assert r.status == 0, r.message  # the true values are a solution
                return r.x, False

            for _ in range(4):  # random directions: feasible points for many at once
                for sign in (1, -1):
                    x, unbounded = solve(sign * rng.random(len(members)))
                    if x is not None:
                        np.minimum(lo_seen, x, out=lo_seen)
                        np.maximum(hi_seen, x, out=hi_seen)
            for i, j in enumerate(members):
                t = truth[j]
                if t == 0:
                    continue
                need = (
                    (lambda lo, hi: hi >= small and hi - lo >= max(small - 1, 1))
                    if (1 <= t <= small)
                    else (lambda lo, hi: hi - lo >= 1)
                )
                if need(lo_seen[i], hi_seen[i]):
                    continue
                e = np.zeros(len(members))
                e[i] = 1
                x, unbounded = solve(-e)
                hi = np.inf if unbounded else x[i]
                x, _ = solve(e)
                lo = x[i]
                lo_i, hi_i = np.ceil(lo - 1e-7), np.floor(hi + 1e-7)
                if hi_i - lo_i < 1:
                    findings.append(Finding(unknown[j], t, lo, hi, "recovered"))
                elif 1 <= t <= small and not need(lo_i, hi_i):
                    findings.append(Finding(unknown[j], t, lo, hi, "narrowed"))
        return findings
