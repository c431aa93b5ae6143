"""Linked-table disclosure control: the cells a donor receives, read together, as one system.

Every number a donor edition publishes is a *quantity*: the value of a count or sum, or the
numerator or denominator of a ratio. The same quantity can appear under several indicators
(PROT-03, children identified, is PROT-01's ``Minor`` cell: same dataset, measure, date, filter
and category) and in several publications (the quarter FY2025-Q1 in every later quarterly
report). Quantities are named by a canonical key built from the definitions (dataset, measure,
date column, the filter's conjuncts plus the category's condition, country, and the dates the
cell covers), so that all of these are one variable.

The quantities are tied by the equations a reader can write: the categories of a single-valued
disaggregation add up to the total, the countries to all countries, the reporting periods of a
year to the year, the years to the life of project. An equation is used for an indicator only
where it holds in the data (a count of distinct persons over quarters does not add up to the
year's; it is then no equation at all). For a cumulative or latest-value indicator a year and the
life of project *are* their last reporting period's cell (same key).

The attacker knows every published number, every equation, and that a hidden count is at least
1 (zero is always published). For each hidden quantity the feasible interval is found by linear
programming (HiGHS): minimise and maximise it subject to all equations. A primary-suppressed
count (1 to threshold-1) is protected when its interval holds 1 to threshold-1; every other
hidden quantity when its interval is not a single value. Where a quantity is not protected, the
smallest published non-zero quantity in an equation with it (or, failing that, one step further
along the hidden cells' equations) is hidden too, and the system is solved again, until every
hidden quantity is protected (audit and repair, the scheme of tau-argus' optimal and modular
methods, with a cheap choice instead of an optimal one).

Earlier publications (earlier donor reports and results files) join the system: a quantity they
published is known and cannot protect anything; a quantity they hid stays hidden now unless its
value has become 0 (a hidden count was never 0, so its value changed).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from mel import filters as f
from mel.definitions.models import (
    Indicator,
)
from mel.engine.results import ALL, UNKNOWN
from mel.engine.results import TOTAL as TOTAL_KEY

# the flags of hidden donor cells (the result table's flag column)
SMALL = "small"  # a count from 1 to threshold-1, shown as <threshold
PROTECTED = "protected"  # hidden so that no small count can be worked out, shown as [c]


# --- canonical names of quantities ----------------------------------------------------------------


def _canon(node) -> str:
    """A filter node as text that ignores positions, spacing and the order of 'in' values."""
    if isinstance(node, f.In) and not node.negated and len(node.values) == 1:
        return _canon(f.Compare("==", node.operand, node.values[0], 0))
    if isinstance(node, f.In):
        values = sorted(_canon(v) for v in node.values)
        return f"In({_canon(node.operand)},{values},{node.negated})"
    if isinstance(node, f.Literal_):
        return f"Lit({node.value!r})"
    if isinstance(node, f.Column):
        return f"Col({node.name})"
    if dataclasses.is_dataclass(node):
        parts = [_canon(getattr(node, x.name)) for x in dataclasses.fields(node) if x.name != "pos"]
        return f"{type(node).__name__}({','.join(parts)})"
    if isinstance(node, tuple):
        return "(" + ",".join(_canon(x) for x in node) + ")"
    return repr(node)


def conjuncts(text: str | None) -> list[str]:
    """The canonical conditions a filter's records meet, all of them (a top-level 'and')."""
    return conjuncts_of(f.parse(text)) if text else []


def conjuncts_of(expr) -> list[str]:
    if isinstance(expr, f.BoolOp) and expr.op == "and":
        return [c for e in expr.exprs for c in conjuncts_of(e)]
    return [_canon(expr)]


def category_condition(column: str, category: str, multi: bool) -> str:
    col = f.Column(column, 0)
    if category == UNKNOWN:
        return _canon(f.IsMissing(col, False, 0))
    lit = f.Literal_(category, "string", 0)
    return _canon(f.Has(col, lit, 0) if multi else f.Compare("==", col, lit, 0))


def measure_roles(ind: Indicator) -> list[tuple[str, object]]:
    """(table column, measure) for each additive quantity a row of ``ind`` publishes."""
    m = ind.measure
    if m.inner is not m:  # a change: its row carries the measured sum or count
        return [("numerator", m.inner)] if m.inner.additive else []
    return [(role, side) for role, side in m.parts() if side.additive]


def measure_signature(ind: Indicator, m) -> tuple[str, frozenset[str]]:
    """What a measure counts, apart from the cell's category, country and dates."""
    dataset = m.dataset or ind.dataset
    conds = set(conjuncts(m.where))
    if dataset == ind.dataset:
        conds |= set(conjuncts(ind.where))
    sig = "|".join(
        [
            dataset,
            m.type,
            m.measured or "",
            m.date or ind.date,
            str(m.level),
            ind.geography,
        ]
    )
    return sig, frozenset(conds)


# --- the system -----------------------------------------------------------------------------------


@dataclass
class Publication:
    """One table as published (or about to be): which rows carry which quantities."""

    table: pd.DataFrame
    as_of: dt.date  # the end of the last period it covers
    current: bool  # the table being suppressed now (its values are all known to us)


@dataclass
class System:
    keys: list[str] = field(default_factory=list)
    index: dict[str, int] = field(default_factory=dict)
    value: list[float] = field(default_factory=list)  # NaN where unknown (an earlier hidden cell)
    count_like: list[bool] = field(default_factory=list)  # a count's value: hidden means >= 1
    known: list[bool] = field(default_factory=list)  # published by an earlier publication
    forced: list[bool] = field(default_factory=list)  # hidden by an earlier publication
    rows: dict[int, list[int]] = field(default_factory=lambda: defaultdict(list))  # current rows
    equations: list[dict[int, float]] = field(default_factory=list)
    level: dict[int, int] = field(default_factory=dict)  # how aggregate its least one row is
    left: list[str] = field(default_factory=list)  # small counts that could not be protected
    threshold: int = 0  # with donor markers: a hidden small count is marked '<N' (1..N-1)
    small_mark: dict[int, bool] = field(default_factory=dict)  # an earlier hidden count's mark
    unmarked: set[int] = field(default_factory=set)  # small counts shown as '[c]', not '<N'
    mark_current: bool = True  # this report's small counts read as '<N' (off while hiding)

    def var(self, key: str, value: float, count_like: bool) -> int:
        i = self.index.get(key)
        if i is None:
            i = len(self.keys)
            self.index[key] = i
            self.keys.append(key)
            self.value.append(value)
            self.count_like.append(count_like)
            self.known.append(False)
            self.forced.append(False)
        return i


def _window(label: str, kind: str, calendar, as_of: dt.date, mode: str) -> str:
    """The records' dates a cell covers, as text: from the period's start (the project's, for
    a cumulative indicator or the life of project) to its end (or the date the table runs to).
    So a cumulative indicator's quarter is a per-period indicator's life of project as of that
    quarter. A latest-value indicator's cell is the value of a reporting period: its year and
    life of project are their last reporting period."""
    from mel.engine.periods import period_from_label

    if kind == "lop":
        start, end = calendar.start, as_of
    else:
        period = period_from_label(label, calendar.fy_start, calendar.start, calendar.end)
        start, end = max(period.start, calendar.start), min(period.end, as_of)
    if mode == "latest":
        inside = [p for p in calendar.periods if p.start <= end]
        last = inside[-1].label if inside else label
        return f"latest:{last}@{end if kind != 'lop' else min(inside[-1].end, as_of)}"
    if mode == "cumulative":
        start = calendar.start
    return f"{start}..{end}"


def _row_keys(
    table: pd.DataFrame, indicators: dict[str, Indicator], calendar, as_of: dt.date, shared=None
):
    """Per role column: the quantity key of each row (None where the row has no such quantity)."""
    t = table
    windows = {
        (lab, kind, mode): _window(lab, kind, calendar, as_of, mode)
        for lab, kind, mode in {
            (lab, kind, indicators[i].cumulation)
            for lab, kind, i in zip(t["period"], t["period_kind"], t["indicator"], strict=True)
            if i in indicators
        }
    }
    if shared is None:  # an earlier table lacks hidden denominators: it takes the current's
        shared = _shared_denominators(t, indicators)
    out: dict[str, list] = {"value": [None] * len(t), "numerator": [None] * len(t),
                            "denominator": [None] * len(t)}  # fmt: skip
    sigs: dict[tuple[str, str], tuple[str, frozenset[str]]] = {}
    cols = ["indicator", "country", "period", "period_kind", "disaggregation", "category"]
    multi = t["multi_response"].to_numpy(dtype=bool)
    for n, (i, g, p, k, d, c) in enumerate(t[cols].itertuples(index=False, name=None)):
        ind = indicators.get(i)
        if ind is None:
            continue
        for role, m in measure_roles(ind):
            if (i, role) not in sigs:
                sigs[(i, role)] = measure_signature(ind, m)
            sig, conds = sigs[(i, role)]
            if d != TOTAL_KEY and not (role == "denominator" and (i, d) in shared):
                conds = conds | {category_condition(d, c, bool(multi[n]))}
            window = windows[(p, k, ind.cumulation)]
            out[role][n] = f"{sig}|{'&'.join(sorted(conds))}#{g}#{window}"
    return out


def _shared_denominators(t: pd.DataFrame, indicators) -> set[tuple[str, str]]:
    """(indicator, disaggregation) whose categories all take the total's denominator."""
    out = set()
    for i, ind in indicators.items():
        for d in ind.disaggregations:
            if d.denominator == "total":
                out.add((i, d.column))
    if "denominator" not in t:
        return out
    sub = t[t["denominator"].notna()]
    keys = ["indicator", "country", "period"]
    total = sub[sub["disaggregation"] == TOTAL_KEY][[*keys, "denominator"]]
    parts = sub[sub["disaggregation"] != TOTAL_KEY]
    if len(parts) and len(total):
        merged = parts.merge(total, on=keys, suffixes=("", "_total"))
        same = merged["denominator"] == merged["denominator_total"]
        by = [merged["indicator"], merged["disaggregation"]]
        for (i, d), ok in same.groupby(by).all().items():
            if ok:
                out.add((i, d))
    return out


def _additive(groups, kinds, table: pd.DataFrame, keys: dict[str, list], columns) -> set:
    """(indicator, role, kind of group) whose groups all add up in the data."""
    bad: set = set()
    seen: set = set()
    ind = table["indicator"].to_numpy(dtype=object)
    for g, kind in zip(groups, kinds, strict=True):
        for role, col in columns.items():
            if keys[role][g[-1]] is None:
                continue
            x = col[g]
            if not np.isfinite(x).all():
                continue
            tag = (ind[g[-1]], role, kind)
            seen.add(tag)
            if abs(x[:-1].sum() - x[-1]) > 1e-6 * max(1.0, abs(x[-1])):
                bad.add(tag)
    return seen - bad


def build(
    publications: list[Publication],
    indicators: dict[str, Indicator],
    calendar,
    years: dict[str, str],
    threshold: int,
    hide: np.ndarray,
):
    """The system of every publication; ``hide``: the current table's hidden rows so far."""
    from mel.engine.suppress import _groups

    system = System(threshold=threshold)
    current = next(p for p in publications if p.current)
    t = current.table
    columns = {
        role: pd.to_numeric(t[role], errors="coerce").to_numpy(dtype="float64")
        for role in ("value", "numerator", "denominator")
    }
    shared = _shared_denominators(t, indicators)
    keys = _row_keys(t, indicators, calendar, current.as_of, shared)
    groups, kinds = _groups(t, years, with_kinds=True)
    additive = _additive(groups, kinds, t, keys, columns)
    row_vars: list[list[int]] = [[] for _ in range(len(t))]
    # a total, all countries, a year and the life of project are what a donor reads first:
    # each makes a cell ten times dearer to hide
    level = (
        (t["disaggregation"] == TOTAL_KEY).astype(int)
        + (t["country"] == ALL).astype(int)
        + t["period_kind"].isin(["year", "lop"]).astype(int)
    ).to_numpy()
    for role, ks in keys.items():
        col = columns[role]
        for n, k in enumerate(ks):
            if k is None or not np.isfinite(col[n]):
                continue
            v = system.var(k, float(col[n]), role == "value")
            system.rows[v].append(n)
            row_vars[n].append(v)
            system.level[v] = min(system.level.get(v, 9), int(level[n]))
    _equations(system, groups, kinds, keys, t, additive, {})
    for pub in publications:
        if pub.current:
            continue
        _join_earlier(system, pub, indicators, calendar, years, additive, shared)
    return system, row_vars


def _equations(system: System, groups, kinds, keys, t, additive, rename) -> None:
    ind = t["indicator"].to_numpy(dtype=object)
    for g, kind in zip(groups, kinds, strict=True):
        for role, ks in keys.items():
            total = ks[g[-1]]
            if total is None or (ind[g[-1]], role, kind) not in additive:
                continue
            members = [rename.get(ks[i], ks[i]) for i in g]
            if any(m is None or m not in system.index for m in members):
                continue
            eq: dict[int, float] = defaultdict(float)
            for m in members[:-1]:
                eq[system.index[m]] += 1.0
            eq[system.index[members[-1]]] -= 1.0
            eq = {k: v for k, v in eq.items() if v != 0}
            if eq:
                system.equations.append(eq)


def _join_earlier(system, pub: Publication, indicators, calendar, years, additive, shared) -> None:
    """An earlier publication's quantities and equations: what it published is known; what it
    hid is hidden now too, unless the value changed."""
    from mel.engine.suppress import _groups

    t = pub.table[pub.table["indicator"].isin(list(indicators))].reset_index(drop=True)
    if not len(t):
        return
    keys = _row_keys(t, indicators, calendar, pub.as_of, shared)
    hidden = t["suppressed"].fillna(False).astype(bool).to_numpy()
    flags = t["flag"].fillna("").astype(str).to_numpy() if "flag" in t else None
    marks: dict[str, bool] = {}  # a hidden count's key -> marked small ('<N') or not ('[c]')
    shown: dict[str, float] = {}  # quantity -> the value a row published
    concealed: dict[str, bool] = {}  # quantity -> a count's value (hidden means >= 1)
    for role, ks in keys.items():
        col = pd.to_numeric(t[role], errors="coerce").to_numpy(dtype="float64")
        for n, k in enumerate(ks):
            if k is None:
                continue
            if not hidden[n] and np.isfinite(col[n]):
                shown[k] = float(col[n])
            elif hidden[n]:
                concealed[k] = role == "value"
                if flags is not None and role == "value" and flags[n] in (SMALL, PROTECTED):
                    marks[k] = flags[n] == SMALL
    rename: dict[str, str] = {}
    tag = f"~{id(pub)}"
    for k, v in shown.items():
        i = system.index.get(k)
        if i is not None and abs(system.value[i] - v) > 1e-9 * max(1.0, abs(v)):
            rename[k] = k + tag  # published with another value: other data, another cell
            i = None
        if i is None:
            i = system.var(rename.get(k, k), v, True)
        system.known[i] = True
    for k, count_like in concealed.items():
        if k in shown:
            continue  # published by another row of the same table
        i = system.index.get(k)
        if i is not None and count_like and system.value[i] == 0:  # a hidden count is never 0
            rename[k] = k + tag
            i = None
        if i is None:
            i = system.var(rename.get(k, k), float("nan"), count_like)
        system.forced[i] = True
        if k in marks:
            system.small_mark[i] = marks[k]
    groups, kinds = _groups(t, years, with_kinds=True)
    _equations(system, groups, kinds, keys, t, additive, rename)


# --- bounds ---------------------------------------------------------------------------------------

_SOLVER = None


def _highs():
    """One HiGHS instance per process, created with its banner sent nowhere."""
    global _SOLVER
    if _SOLVER is None:
        import highspy

        saved = os.dup(1)
        try:
            with open(os.devnull, "w") as null:
                os.dup2(null.fileno(), 1)
                h = highspy.Highs()
        finally:
            os.dup2(saved, 1)
            os.close(saved)
        h.setOptionValue("output_flag", False)
        _SOLVER = h
    return _SOLVER


def intervals(
    system: System, hidden: np.ndarray, variables: np.ndarray, enough=None
) -> dict[int, tuple[float, float]]:
    """The feasible interval of each of ``variables`` (hidden ones) given every published
    quantity and every equation; ``inf`` where unbounded. With ``enough(v, lo, hi)`` (is an
    interval this wide protection enough?), a quantity may get a narrower interval found
    inside its own, once that is enough: the check holds for the true one too."""
    value = np.asarray(system.value, dtype="float64")
    lower, upper = _bounds(system)
    _comp, members_of, eqs_of = _partition(system, hidden)
    wanted = {int(v) for v in variables}
    out: dict[int, tuple[float, float]] = {}
    for root, members in members_of.items():
        asked = [v for v in members if v in wanted]
        if not asked:
            continue
        eqs = eqs_of.get(root, [])
        if not eqs:  # tied to nothing: anything within its bounds
            out.update({v: (lower[v], upper[v]) for v in asked})
            continue
        local, rows = _rows(system, hidden, members, eqs)
        part = _Component(rows, lower[members], value[members], upper[members])

        def settled(j: int, v: int, part=part) -> bool:
            return enough is not None and enough(v, part.lo_seen[j], part.hi_seen[j])

        out.update(part.solve_for([(local[v], v) for v in asked], settled))
    return out


class _Component:
    """The linear programs of one component: hidden quantities (lower bounds, known values or
    NaN) tied by rows (rhs, indices, coefficients)."""

    def __init__(self, rows, lower: np.ndarray, known: np.ndarray, upper: np.ndarray):
        import highspy

        self.hs = highspy
        self.h = _highs()
        self.m = m = len(lower)
        self.free = _unbounded_above(self.h, m, rows, upper)
        _load(self.h, lower, rows, upper)
        self.all_idx = np.arange(m, dtype=np.int32)
        # every solution is a feasible point: the range each quantity took so far is inside
        # its interval, and often already wide enough to need no linear program of its own
        self.lo_seen = np.where(np.isfinite(known), known, np.inf)
        self.hi_seen = np.where(np.isfinite(known), known, -np.inf)

    def solve(self, cost: np.ndarray, maximise: bool) -> float:
        hs, h = self.hs, self.h
        h.changeColsCost(self.m, self.all_idx, cost)
        h.changeObjectiveSense(hs.ObjSense.kMaximize if maximise else hs.ObjSense.kMinimize)
        h.run()
        status = h.getModelStatus()
        if status == hs.HighsModelStatus.kOptimal:
            x = np.asarray(h.getSolution().col_value)
            np.minimum(self.lo_seen, x, out=self.lo_seen)
            np.maximum(self.hi_seen, x, out=self.hi_seen)
            return h.getInfo().objective_function_value
        # unbounded; or infeasible or unknown, where the published numbers allow nothing: no
        # bound
        return np.inf if maximise else -np.inf

    def solve_for(self, asked: list[tuple[int, int]], settled) -> dict[int, tuple[float, float]]:
        """Intervals of the (local index, variable) pairs ``asked``."""
        # a quantity unbounded above is wide enough whatever its lower end (see protected)
        pending = [(j, v) for j, v in asked if not self.free[j] and not settled(j, v)]
        for maximise in (True, False, True, False):  # a few solutions serve them all at once
            if len(pending) < 2:
                break
            cost = np.zeros(self.m)
            cost[[j for j, _ in pending]] = 1.0
            self.solve(cost, maximise)
            pending = [(j, v) for j, v in pending if not settled(j, v)]
        out = {}
        for j, v in asked:
            if self.free[j]:
                out[v] = (min(self.lo_seen[j], 1.0), np.inf)
                continue
            if settled(j, v):
                out[v] = (self.lo_seen[j], self.hi_seen[j])
                continue
            one = np.zeros(self.m)
            one[j] = 1.0
            hi = self.solve(one, True)
            lo = self.lo_seen[j] if settled(j, v) else self.solve(one, False)
            out[v] = (min(lo, self.lo_seen[j]), max(hi, self.hi_seen[j]))
        return out


def _unbounded_above(h, m: int, rows, upper: np.ndarray | None = None) -> np.ndarray:
    """Which of a component's m hidden quantities can grow without end: those a direction
    d >= 0 with A d = 0 can move. Each linear program maximises the sum of the directions not
    yet found (each capped at 1); when it finds none, there are no more."""
    import highspy

    h.clearModel()
    h.setOptionValue("output_flag", False)
    cap = np.ones(m) if upper is None else np.where(np.isfinite(upper), 0.0, 1.0)
    h.addVars(m, np.zeros(m), cap)  # a quantity bounded above has no direction to grow in
    for _rhs, idx, coef in rows:
        h.addRow(0.0, 0.0, len(idx), idx, coef)
    h.changeObjectiveSense(highspy.ObjSense.kMaximize)
    found = np.zeros(m, dtype=bool)
    all_idx = np.arange(m, dtype=np.int32)
    while not found.all():
        h.changeColsCost(m, all_idx, (~found).astype("float64"))
        h.run()
        if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            break
        d = np.asarray(h.getSolution().col_value)
        new = (d > 1e-9) & ~found
        if not new.any():
            break
        found |= d > 1e-9
    return found


def protected(value: float, lo: float, hi: float, threshold: int) -> bool:
    """Whether a hidden quantity whose interval is [lo, hi] gives nothing away. A count that
    is (or, its value unknown to us, could be) from 1 to threshold-1 needs an interval at least
    as wide as the rule's own (1 to threshold-1) that reaches threshold-1, so that it can be
    told neither from a count of threshold-1 nor within a narrower range; any other hidden
    quantity needs an interval of more than one value. A quantity that is 0 needs nothing:
    zero is published (a ratio hidden for its small denominator may show its numerator 0)."""
    small = threshold - 1
    lo_i, hi_i = np.ceil(lo - 1e-7), np.floor(hi + 1e-7)
    if value == 0 or hi_i <= 0:
        return True
    wide_as_small = hi_i >= small and hi_i - lo_i >= max(small - 1, 1)
    if np.isfinite(value):
        return wide_as_small if 1 <= value <= small else hi_i - lo_i >= 1
    return wide_as_small or (lo_i > small and hi_i - lo_i >= 1)


def unprotected(system: System, threshold: int, bounds) -> list[int]:
    """Hidden quantities whose interval gives too much away (see :func:`protected`)."""
    return [
        v for v, (lo, hi) in bounds.items() if not protected(system.value[v], lo, hi, threshold)
    ]


def _candidates(system: System, hidden: np.ndarray, v: int, eqs_of_var) -> list[int]:
    """Published quantities that, hidden too, may widen v's interval: those sharing an
    equation with v, else those one hidden quantity further, and so on."""
    frontier, seen = [v], {v}
    while frontier:
        found, nxt = [], []
        for u in frontier:
            for e in eqs_of_var.get(u, []):
                for w in system.equations[e]:
                    if w in seen:
                        continue
                    seen.add(w)
                    if hidden[w]:
                        nxt.append(w)
                    elif _can_hide(system, w):
                        found.append(w)
        if found:
            return found
        frontier = nxt
    return []


def _binding(
    system: System, hidden: np.ndarray, bad: list[int], bounds, threshold, parts, marks=True
):
    """For each of ``bad`` (hidden quantities of one component), the published quantities in the
    equations that hold its interval where it is: the equations with a non-zero dual value at
    its maximum (and minimum, where the lower end matters). Hiding one of them is what can widen
    the interval. One model per component serves all of them."""
    import highspy

    comp, members_of, eqs_of = parts
    root = int(comp[bad[0]])
    members = members_of[root]
    eqs = eqs_of.get(root, [])
    if not eqs:
        return {}
    value = np.asarray(system.value, dtype="float64")
    local, rows = _rows(system, hidden, members, eqs)
    h = _highs()
    lower, upper = _bounds(system)
    _load(h, lower[members], rows, upper[members])
    m = len(members)
    hideable = [
        sorted(u for u in system.equations[e] if not hidden[u] and _can_hide(system, u))
        for e in eqs
    ]
    all_idx = np.arange(m, dtype=np.int32)
    small = threshold - 1
    capped = np.isfinite(upper[members])
    may_unmark = np.array(
        [capped[j] and system.small_mark.get(u) is None for j, u in enumerate(members)]
    )
    out, marks = {}, {}
    for v in bad:
        cost = np.zeros(m)
        cost[local[v]] = 1.0
        h.changeColsCost(m, all_idx, cost)
        lo, hi = bounds[v]
        is_small = not np.isfinite(value[v]) or 1 <= value[v] <= small
        senses = [highspy.ObjSense.kMaximize]
        # a small count's lower end matters once marks cap it from above; otherwise only for
        # other quantities, or where the interval is one value
        if (is_small if marks else not is_small) or hi - lo < 1:
            senses.append(highspy.ObjSense.kMinimize)
        found: set[int] = set()
        caps: set[int] = set()
        for sense in senses:
            h.changeObjectiveSense(sense)
            h.run()
            if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
                continue
            sol = h.getSolution()
            duals = np.asarray(sol.row_dual)
            for k in np.flatnonzero(np.abs(duals) > 1e-9):
                found.update(hideable[k])
            if not marks:
                continue
            col = np.asarray(sol.col_dual)
            for j in np.flatnonzero((np.abs(col) > 1e-9) & may_unmark):
                if members[j] != v:
                    caps.add(members[j])
        out[v] = sorted(found)
        marks[v] = sorted(caps)
    return out, marks


def _is_small(system: System, v: int, threshold: int) -> bool:
    value = system.value[v]
    return not np.isfinite(value) or 1 <= value <= threshold - 1


def _cost(system: System, w: int) -> float:
    """What hiding quantity w costs the reader: its value, ten times over for each level of
    aggregation (a total, all countries, a year or the life of project)."""
    return system.value[w] * 10.0 ** system.level.get(w, 0)


def _can_hide(system: System, w: int) -> bool:
    value = system.value[w]
    return bool(system.rows.get(w)) and not system.known[w] and np.isfinite(value) and value != 0


def components(system: System, hidden: np.ndarray) -> np.ndarray:
    """A component number per variable: hidden variables linked by an equation share one."""
    parent = np.arange(len(system.keys))

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    for eq in system.equations:
        hv = [v for v in eq if hidden[v]]
        for v in hv[1:]:
            ra, rb = find(hv[0]), find(v)
            if ra != rb:
                parent[rb] = ra
    return np.array([find(v) for v in range(len(parent))], dtype=np.int64)


def _partition(system: System, hidden: np.ndarray):
    """(component per variable, the hidden members of each component, the equations of each
    component)."""
    comp = components(system, hidden)
    members_of: dict[int, list[int]] = defaultdict(list)
    for v in np.flatnonzero(hidden):
        members_of[int(comp[v])].append(int(v))
    eqs_of: dict[int, list[int]] = defaultdict(list)
    for e, eq in enumerate(system.equations):
        first = next((v for v in eq if hidden[v]), None)
        if first is not None:
            eqs_of[int(comp[first])].append(e)
    return comp, members_of, eqs_of


def _bounds(system: System) -> tuple[np.ndarray, np.ndarray]:
    """What a reader knows of each hidden quantity before any equation: a count (or anything
    non-zero) is at least 1, a ratio's side at least 0; a count marked '<N' (a small count, or
    one an earlier output marked so) is at most N-1. A small count the marks would give away
    is shown as '[c]' instead (``unmarked``): hidden, and not said to be small."""
    raw = np.asarray(system.value, dtype="float64")
    value = np.nan_to_num(raw)
    count = np.asarray(system.count_like, dtype=bool)
    lower = np.where(count | (value >= 1), 1.0, 0.0)
    upper = np.full(len(raw), np.inf)
    th = system.threshold
    if th > 1 and len(raw):
        upper[_marked_small(system)] = float(th - 1)
    return lower, upper


def _marked_small(system: System) -> np.ndarray:
    """The count quantities a donor reads as '<N' where hidden."""
    raw = np.asarray(system.value, dtype="float64")
    th = system.threshold
    marked = np.asarray(system.count_like, dtype=bool) & (raw >= 1) & (raw <= th - 1)
    if not system.mark_current:
        marked[:] = False
    if system.unmarked:
        marked[list(system.unmarked)] = False
    for i, mark in system.small_mark.items():
        marked[i] = mark
    return marked


def _rows(system: System, hidden: np.ndarray, members: list[int], eqs: list[int]):
    """(local index of each member, the equations as rows over the members: right-hand side
    from the published quantities, indices, coefficients)."""
    local = {v: j for j, v in enumerate(members)}
    rows = []
    for e in eqs:
        eq = system.equations[e]
        rhs = -sum(c * system.value[v] for v, c in eq.items() if not hidden[v])
        idx = np.array([local[v] for v in eq if hidden[v]], dtype=np.int32)
        coef = np.array([eq[v] for v in eq if hidden[v]], dtype="float64")
        rows.append((rhs, idx, coef))
    return local, rows


def _load(h, lower: np.ndarray, rows, upper: np.ndarray | None = None) -> None:
    """Put a component's model into the solver: members within their bounds, rows as
    equations."""
    import highspy

    h.clearModel()
    h.setOptionValue("output_flag", False)
    up = np.full(len(lower), highspy.kHighsInf) if upper is None else upper.astype("float64")
    up = np.where(np.isfinite(up), up, highspy.kHighsInf)
    h.addVars(len(lower), lower.astype("float64"), up)
    for rhs, idx, coef in rows:
        h.addRow(rhs, rhs, len(idx), idx, coef)


def protect(
    system: System,
    row_vars: list[list[int]],
    hide: np.ndarray,
    threshold: int,
    primary: np.ndarray | None = None,
) -> np.ndarray:
    """Hide more rows until every hidden quantity is protected, then mark as '<N' every small
    count whose mark gives nothing away; returns the row mask (the marks are in ``system``).

    Two phases: which cells to hide is decided without this report's marks (earlier outputs'
    marks are facts and count); then the marks are switched on, and the mark of a small count
    that narrows another is dropped ('[c]'), until every hidden quantity is protected again.
    Dropping every mark gives back the first phase's system, so the second always ends."""
    system.mark_current = False
    hide = _hide_until_protected(system, row_vars, hide, threshold, primary)
    system.mark_current = True
    _release_marks(system, row_vars, hide, threshold)
    return hide


def _release_marks(system: System, row_vars, hide: np.ndarray, threshold: int) -> None:
    """Drop the '<N' of the small counts that would narrow another hidden quantity."""
    if threshold <= 1:
        return
    hidden = _hidden_vars(system, row_vars, hide)
    _unmark_small_totals(system, hidden)
    marked = _marked_small(system) & hidden
    if not marked.any():
        return
    comp = components(system, hidden)
    touched = {int(comp[v]) for v in np.flatnonzero(marked)}
    dirty = {int(v) for v in np.flatnonzero(hidden) if int(comp[v]) in touched}
    left_before = set(system.left)
    eqs_of_var = _eqs_of_var(system)
    while dirty:
        ask = np.array(sorted(dirty), dtype=int)
        bounds = intervals(
            system, hidden, ask, lambda v, lo, hi: protected(system.value[v], lo, hi, threshold)
        )
        bad = [
            v
            for v in unprotected(system, threshold, bounds)
            if not system.known[v] and system.keys[v] not in left_before
        ]
        if not bad:
            return
        marked = _marked_small(system)
        free = {w for w in np.flatnonzero(marked & hidden) if system.small_mark.get(int(w)) is None}
        unmark = {
            w
            for v in bad
            for e in eqs_of_var.get(v, [])
            for w in system.equations[e]
            if w != v and w in free
        }
        if not unmark:
            parts = _partition(system, hidden)
            by_root: dict[int, list[int]] = defaultdict(list)
            for v in bad:
                by_root[int(parts[0][v])].append(v)
            for group in by_root.values():
                _found, caps = _binding(system, hidden, group, bounds, threshold, parts)
                unmark |= {w for ws in caps.values() for w in ws if w in free}
        if not unmark:
            unmark = {v for v in bad if v in free}  # its own mark, last
        if not unmark:
            return  # nothing marked is left to drop: what is bad was bad without marks
        system.unmarked |= unmark
        touched = {int(comp[w]) for w in unmark}
        dirty = set(bad) | {int(v) for v in np.flatnonzero(hidden) if int(comp[v]) in touched}


def _hide_until_protected(
    system: System,
    row_vars: list[list[int]],
    hide: np.ndarray,
    threshold: int,
    primary: np.ndarray | None = None,
) -> np.ndarray:
    """Hide more rows until every hidden quantity is protected; returns the row mask. Each
    round audits only what may have changed: hiding a quantity can only widen the others'
    intervals, so the quantities that failed and the ones newly hidden."""
    hide = hide.copy()
    n = len(system.keys)
    # a row whose every quantity an earlier publication showed is shown again (hiding it would
    # protect nothing), unless its own rule hides it
    for r, vs in enumerate(row_vars):
        own_rule = primary is not None and primary[r]
        if hide[r] and vs and not own_rule and all(system.known[v] for v in vs):
            hide[r] = False
    for v in range(n):
        if system.forced[v] and np.isfinite(system.value[v]) and system.value[v] != 0:
            for r in system.rows.get(v, []):
                hide[r] = True
    eqs_of_var = _eqs_of_var(system)
    dirty: set[int] | None = None  # None: every hidden variable
    while True:
        hidden = _hidden_vars(system, row_vars, hide)
        ask = np.flatnonzero(hidden) if dirty is None else np.array(sorted(dirty), dtype=int)
        bounds = intervals(
            system, hidden, ask, lambda v, lo, hi: protected(system.value[v], lo, hi, threshold)
        )
        bad = [v for v in unprotected(system, threshold, bounds) if not system.known[v]]
        if not bad:
            return hide
        picked = set()
        parts = _partition(system, hidden)
        comp = parts[0]
        by_root: dict[int, list[int]] = defaultdict(list)
        for v in bad:
            by_root[int(comp[v])].append(v)
        binding: dict[int, list[int]] = {}
        for group in by_root.values():
            found, _caps = _binding(system, hidden, group, bounds, threshold, parts, marks=False)
            binding.update(found)
        for v in bad:
            cands = binding.get(v) or _candidates(system, hidden, v, eqs_of_var)
            if cands:
                picked.add(min(cands, key=lambda w: (_cost(system, w), w)))
        if not picked:
            system.left = [system.keys[v] for v in bad if _is_small(system, v, threshold)]
            # nothing left to hide around them: what earlier outputs published pins them. A
            # quantity whose value is worked out exactly anyway is shown (that adds nothing);
            # its row too, unless the row's own rule hides it
            exact = {
                v
                for v in bad
                if bounds[v][1] - bounds[v][0] < 1 and not _is_small(system, v, threshold)
            }
            for r, vs in enumerate(row_vars):
                own_rule = primary is not None and primary[r]
                if (
                    hide[r]
                    and vs
                    and not own_rule
                    and all(system.known[u] or u in exact or not hidden[u] for u in vs)
                ):
                    hide[r] = False
            return hide  # nothing published is left to hide around them
        for w in picked:
            for r in system.rows[w]:
                hide[r] = True
        newly = _hidden_vars(system, row_vars, hide) & ~hidden
        dirty = set(bad) | set(np.flatnonzero(newly).tolist())


def _unmark_small_totals(system: System, hidden: np.ndarray) -> None:
    """A hidden small total over hidden parts is shown as '[c]', not '<N': its '<N' would
    bound the parts below N all together (the common case the audit would find one by one)."""
    if system.threshold <= 1:
        return
    small = _marked_small(system)
    for eq in system.equations:
        totals = [v for v, c in eq.items() if c < 0]
        if len(totals) != 1:
            continue
        t = totals[0]
        if (
            hidden[t]
            and small[t]
            and system.small_mark.get(t) is None
            and sum(1 for v, c in eq.items() if c > 0 and hidden[v]) >= 2
        ):
            system.unmarked.add(t)


def _eqs_of_var(system: System) -> dict[int, list[int]]:
    """Each variable's equations (their indexes)."""
    out: dict[int, list[int]] = defaultdict(list)
    for e, eq in enumerate(system.equations):
        for v in eq:
            out[v].append(e)
    return out


def _hidden_vars(system: System, row_vars, hide: np.ndarray) -> np.ndarray:
    n = len(system.keys)
    published = np.asarray(system.known, dtype=bool).copy()
    for r, vs in enumerate(row_vars):
        if not hide[r]:
            for v in vs:
                published[v] = True
    return ~published if n else np.zeros(0, dtype=bool)
