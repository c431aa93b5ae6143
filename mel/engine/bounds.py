"""The attacker's linear programs: the feasible interval of each hidden quantity given every
published one and every equation (HiGHS), component by component."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # (this module imports numpy and HiGHS only: the helper process runs it)
    from mel.engine.helper import Helper
    from mel.engine.quantities import System

_SOLVER = None
DUAL, PRIMAL = 1, 4  # HiGHS' simplex_strategy: its default, and the primal simplex


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
        # one thread: these programs are small and solved one after the other (each run with
        # threads to spare reads the machine's core count first: a quarter of a small run)
        h.setOptionValue("threads", 1)
        _SOLVER = h
    return _SOLVER


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


def intervals(
    system: System,
    hidden: np.ndarray,
    variables: np.ndarray,
    threshold: int,
    helper: Helper | None = None,
) -> dict[int, tuple[float, float]]:
    """The feasible interval of each of ``variables`` (hidden ones) given every published
    quantity and every equation; ``inf`` where unbounded. A quantity :func:`protected` may get
    a narrower interval found inside its own, once that is enough: the check holds for the
    true one too; one that is not may get a lower end above its true one where no lower end
    could protect it and the interval is known to be more than one value wide (so that every
    use of it, :func:`protected` and ``hi - lo < 1``, reads the same). The components' linear
    programs are shared with ``helper``: the answers do not depend on who solves them."""
    value = values_of(system)
    lower, upper = known_bounds(system)
    _comp, members_of, eqs_of = _partition(system, hidden)
    wanted = {int(v) for v in variables}
    out: dict[int, tuple[float, float]] = {}
    jobs: list[tuple] = []
    for root, members in members_of.items():
        asked = [v for v in members if v in wanted]
        if not asked:
            continue
        eqs = eqs_of.get(root, [])
        if not eqs:  # tied to nothing: anything within its bounds
            out.update({v: (lower[v], upper[v]) for v in asked})
            continue
        local, rows = _rows(system, hidden, members, eqs)
        if len(rows) == 1:  # one equation: its intervals are read off it, no program needed
            one = _one_equation(rows[0], lower[members], upper[members])
            if one is not None:
                out.update({v: one[local[v]] for v in asked})
                continue
        part = (rows, lower[members], value[members], upper[members])
        jobs.append((*part, [(local[v], v, value[v]) for v in asked], threshold))
    costs = [len(job[1]) * len(job[4]) for job in jobs]
    k = costs.index(max(costs)) if costs else -1
    if helper is not None and k >= 0 and costs[k] > sum(costs) / 2 and len(jobs[k][4]) > 1:
        # one component is most of the work: its quantities in two shares
        big = jobs.pop(k)
        jobs += [(*big[:4], big[4][0::2], threshold), (*big[:4], big[4][1::2], threshold)]
        costs = [len(job[1]) * len(job[4]) for job in jobs]
    answers = helper.map(interval_job, jobs, costs) if helper else map(interval_job, jobs)
    for answer in answers:
        out.update(answer)
    return out


def interval_job(job) -> dict[int, tuple[float, float]]:
    """The intervals of one component's asked quantities (see :func:`intervals`); plain data
    in and out, so that the helper process can solve it."""
    rows, lower, known, upper, asked, threshold = job
    return _Component(rows, lower, known, upper).solve_for(asked, threshold)


def _one_equation(row, lower: np.ndarray, upper: np.ndarray):
    """The exact interval of each quantity of a component tied by one equation (sum of c_i x_i
    = rhs, each x_i within its bounds): c_k x_k is rhs less what the other terms can add up to.
    None where no point satisfies it (the linear programs then say so their own way)."""
    rhs, idx, coef = row
    if len(idx) != len(lower) or not np.all(coef):  # (not a component's one equation)
        return None
    lo, hi = lower[idx], upper[idx]
    t_lo = np.where(coef > 0, coef * lo, coef * hi)  # each term's least and greatest value
    t_hi = np.where(coef > 0, coef * hi, coef * lo)
    lo_inf, hi_inf = np.isinf(t_lo), np.isinf(t_hi)
    fin_lo, fin_hi = t_lo[~lo_inf].sum(), t_hi[~hi_inf].sum()
    s_lo = -np.inf if lo_inf.any() else fin_lo
    s_hi = np.inf if hi_inf.any() else fin_hi
    if not s_lo - 1e-6 <= rhs <= s_hi + 1e-6:
        return None
    # the others' least and greatest sums, each term left out in turn
    o_lo = np.where(lo_inf.sum() - lo_inf > 0, -np.inf, fin_lo - np.where(lo_inf, 0.0, t_lo))
    o_hi = np.where(hi_inf.sum() - hi_inf > 0, np.inf, fin_hi - np.where(hi_inf, 0.0, t_hi))
    a, b = (rhs - o_hi) / coef, (rhs - o_lo) / coef  # c_k x_k within [rhs - o_hi, rhs - o_lo]
    x_lo = np.maximum(np.where(coef > 0, a, b), lo)
    x_hi = np.minimum(np.where(coef > 0, b, a), hi)
    out = [(0.0, 0.0)] * len(lower)
    for k, j in enumerate(idx):
        out[j] = (float(x_lo[k]), float(x_hi[k]))
    return out


class _Component:
    """The linear programs of one component: hidden quantities (lower bounds, known values or
    NaN) tied by rows (rhs, indices, coefficients)."""

    def __init__(self, rows, lower: np.ndarray, known: np.ndarray, upper: np.ndarray):
        import highspy

        self.hs = highspy
        self.h = _highs()
        self.m = m = len(lower)
        # each program here starts from the last one's solution, which stays feasible when
        # only the objective changes: the primal simplex goes on from it, where the dual
        # simplex starts over (a third of a small project's time). What is read is the same
        # whichever way a program is solved: its optimal value (an end of an interval), and
        # its solution as one feasible point among others (which may settle a quantity early,
        # only ever with an interval wide enough). The duals disclosure._binding reads depend
        # on the way: those programs keep the dual simplex.
        self.h.setOptionValue("simplex_strategy", PRIMAL)
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

    def solve_for(self, asked: list[tuple[int, int, float]], threshold: int):
        """Intervals of the (local index, variable, value) triples ``asked``."""

        def settled(j: int, val: float) -> bool:
            return protected(val, self.lo_seen[j], self.hi_seen[j], threshold)

        # a quantity unbounded above is wide enough whatever its lower end (see protected)
        pending = [(j, val) for j, _v, val in asked if not self.free[j] and not settled(j, val)]
        for maximise in (True, False, True, False):  # a few solutions serve them all at once
            if len(pending) < 2:
                break
            cost = np.zeros(self.m)
            cost[[j for j, _ in pending]] = 1.0
            self.solve(cost, maximise)
            pending = [(j, val) for j, val in pending if not settled(j, val)]
        out = {}
        small = threshold - 1
        for j, v, val in asked:
            if self.free[j]:
                out[v] = (min(self.lo_seen[j], 1.0), np.inf)
                continue
            if settled(j, val):
                out[v] = (self.lo_seen[j], self.hi_seen[j])
                continue
            one = np.zeros(self.m)
            one[j] = 1.0
            hi = self.solve(one, True)
            may_be_small = not np.isfinite(val) or 1 <= val <= small
            if settled(j, val) or (
                # below threshold-1 at most: no lower end protects it, and the points seen
                # show more than one value
                may_be_small and np.floor(hi + 1e-7) < small and hi - self.lo_seen[j] >= 1
            ):
                lo = self.lo_seen[j]
            else:
                lo = self.solve(one, False)
            out[v] = (min(lo, self.lo_seen[j]), max(hi, self.hi_seen[j]))
        return out


def binding_job(job) -> tuple[dict[int, list[int]], dict[int, list[int]]]:
    """One component's binding equations (see disclosure._binding): for each asked quantity,
    its maximum (and minimum) solved with the dual simplex, one after the other in one model,
    each from the last one's basis; the published quantities of the rows with a non-zero dual,
    and the marked small counts whose cap has one. Plain data in and out (the helper process
    solves it); the same job gives the same answers in any process: the model is loaded into
    a cleared solver."""
    if job is None:
        return {}, {}
    import highspy

    lower, members, rows, upper, hideable, asked, may_unmark = job
    h = _highs()
    h.setOptionValue("simplex_strategy", DUAL)  # (the intervals' programs use the primal simplex)
    _load(h, lower, rows, upper)
    m = len(members)
    all_idx = np.arange(m, dtype=np.int32)
    out, caps_of = {}, {}
    for v, j_v, both, read_caps in asked:
        cost = np.zeros(m)
        cost[j_v] = 1.0
        h.changeColsCost(m, all_idx, cost)
        senses = [highspy.ObjSense.kMaximize]
        if both:
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
            if not read_caps:
                continue
            col = np.asarray(sol.col_dual)
            for j in np.flatnonzero((np.abs(col) > 1e-9) & may_unmark):
                if members[j] != v:
                    caps.add(members[j])
        out[v] = sorted(found)
        caps_of[v] = sorted(caps)
    return out, caps_of


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


def components(system: System, hidden: np.ndarray) -> np.ndarray:
    """A component number per variable: hidden variables linked by an equation share one (the
    smallest variable index among them); any other variable is its own. Found with numpy:
    each equation links its hidden variables to its first hidden one, and labels take the
    smallest of their neighbours' and jump to their label's label until none changes."""
    labels = np.arange(len(system.keys), dtype=np.int64)
    eq_of, flat = _incidence(system)
    hit = hidden[flat] if len(flat) else np.zeros(0, dtype=bool)
    eqs, members = eq_of[hit], flat[hit]
    if not len(members):
        return labels
    starts = np.flatnonzero(np.r_[True, eqs[1:] != eqs[:-1]])  # entries keep each equation's order
    first = np.repeat(members[starts], np.diff(np.r_[starts, len(members)]))
    while True:
        before = labels.copy()
        low = np.minimum(labels[first], labels[members])
        np.minimum.at(labels, first, low)
        np.minimum.at(labels, members, low)
        labels = labels[labels]
        if np.array_equal(labels, before):
            return labels


def values_of(system: System) -> np.ndarray:
    """The quantities' values as an array, made once per system (values are only added while
    the system is built, never changed)."""
    cached = getattr(system, "_values", None)
    if cached is None or len(cached) != len(system.value):
        cached = np.asarray(system.value, dtype="float64")
        system._values = cached  # type: ignore[attr-defined]  # a cache
    return cached


def _incidence(system: System) -> tuple[np.ndarray, np.ndarray]:
    """(equation of each entry, variable of each entry) of every equation, in order; built once
    per system (equations are only added while the system is built)."""
    cached = _incidence_with_coefficients(system)
    return cached[0], cached[1]


def _incidence_with_coefficients(
    system: System,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """:func:`_incidence`, with each entry's coefficient and where each equation's entries start."""
    cached = getattr(system, "_incidence", None)
    if cached is not None and cached[0] == len(system.equations):
        return cached[1:]
    sizes = [len(eq) for eq in system.equations]
    total = sum(sizes)
    eq_of = np.repeat(np.arange(len(sizes), dtype=np.int64), sizes)
    flat = np.fromiter((v for eq in system.equations for v in eq), dtype=np.int64, count=total)
    coef = np.fromiter(
        (c for eq in system.equations for c in eq.values()), dtype="float64", count=total
    )
    start = np.r_[0, np.cumsum(sizes, dtype=np.int64)]
    system._incidence = (len(system.equations), eq_of, flat, coef, start)  # type: ignore[attr-defined]  # a cache
    return eq_of, flat, coef, start


def _partition(system: System, hidden: np.ndarray):
    """(component per variable, the hidden members of each component, the equations of each
    component); members and equations in increasing order, components by their root. An
    equation belongs to the component of its first hidden variable."""
    comp = components(system, hidden)
    members_of: dict[int, list[int]] = {}
    hv = np.flatnonzero(hidden)
    for root, group in _groups(comp[hv], hv):
        members_of[root] = group
    eq_of, flat = _incidence(system)
    hit = hidden[flat] if len(flat) else np.zeros(0, dtype=bool)
    eqs, first = eq_of[hit], flat[hit]
    if len(eqs):
        starts = np.flatnonzero(np.r_[True, eqs[1:] != eqs[:-1]])
        eqs, first = eqs[starts], first[starts]
    eqs_of: dict[int, list[int]] = dict(_groups(comp[first], eqs))
    return comp, members_of, eqs_of


def _groups(keys: np.ndarray, items: np.ndarray):
    """(key, items of that key in their order) for each key, in increasing key order."""
    if not len(keys):
        return
    order = np.argsort(keys, kind="stable")
    keys, items = keys[order], items[order]
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    for key, part in zip(keys[starts].tolist(), np.split(items, starts[1:]), strict=True):
        yield key, part.tolist()


def known_bounds(system: System) -> tuple[np.ndarray, np.ndarray]:
    """What a reader knows of each hidden quantity before any equation: a count (or anything
    non-zero) is at least 1, a ratio's side at least 0; a count marked '<N' (a small count, or
    one an earlier output marked so) is at most N-1. A small count the marks would give away
    is shown as '[c]' instead (``unmarked``): hidden, and not said to be small."""
    raw = values_of(system)
    value = np.nan_to_num(raw)
    count = np.asarray(system.count_like, dtype=bool)
    lower = np.where(count | (value >= 1), 1.0, 0.0)
    upper = np.full(len(raw), np.inf)
    th = system.threshold
    if th > 1 and len(raw):
        upper[marked_small(system)] = float(th - 1)
    return lower, upper


def marked_small(system: System) -> np.ndarray:
    """The count quantities a donor reads as '<N' where hidden."""
    raw = values_of(system)
    th = system.threshold
    marked = np.asarray(system.count_like, dtype=bool) & (raw >= 1) & (raw <= th - 1)
    if not system.mark_current:
        marked[:] = False
    if system.unmarked:
        marked[list(system.unmarked)] = False
    for i, mark in system.small_mark.items():
        marked[i] = mark
    return marked


class Rows:
    """A component's equations as rows over its hidden members, compressed: row k is
    ``rhs[k] = sum(coef[i] * x[idx[i]] for i in range(start[k], start[k + 1]))``. Indexing and
    iterating give (rhs, indices, coefficients) per row; it travels to the helper process as
    four arrays."""

    def __init__(self, rhs: np.ndarray, start: np.ndarray, idx: np.ndarray, coef: np.ndarray):
        self.rhs, self.start, self.idx, self.coef = rhs, start, idx, coef

    def __len__(self) -> int:
        return len(self.rhs)

    def __getitem__(self, k: int) -> tuple[float, np.ndarray, np.ndarray]:
        a, b = self.start[k], self.start[k + 1]
        return self.rhs[k], self.idx[a:b], self.coef[a:b]

    def __iter__(self):
        return (self[k] for k in range(len(self.rhs)))


def _rows(system: System, hidden: np.ndarray, members: list[int], eqs: list[int]):
    """(local index of each member, the equations as :class:`Rows` over the members: the
    right-hand side from the published quantities, in each equation's order of terms)."""
    local = {v: j for j, v in enumerate(members)}
    _eq_of, flat, coef, start = _incidence_with_coefficients(system)
    e = np.asarray(eqs, dtype=np.int64)
    sizes = start[e + 1] - start[e]
    row = np.repeat(np.arange(len(e)), sizes)
    # each equation's entries in order: its start, plus the entry's place within it
    at = (
        np.repeat(start[e], sizes)
        + np.arange(int(sizes.sum()))
        - np.repeat(np.cumsum(sizes) - sizes, sizes)
    )
    var, c = flat[at], coef[at]
    hid = hidden[var]
    value = values_of(system)
    shown = ~hid
    # the published terms summed in order (as sum() would), then negated; 0 (not -0) where
    # there are none
    rhs = -np.bincount(row[shown], weights=c[shown] * value[var[shown]], minlength=len(e))
    rhs[np.bincount(row[shown], minlength=len(e)) == 0] = 0.0
    lookup = np.full(len(hidden), -1, dtype=np.int32)
    lookup[np.asarray(members, dtype=np.int64)] = np.arange(len(members), dtype=np.int32)
    per_row = np.bincount(row[hid], minlength=len(e))
    starts = np.r_[0, np.cumsum(per_row)].astype(np.int64)
    return local, Rows(rhs, starts, lookup[var[hid]], c[hid].astype("float64"))


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
