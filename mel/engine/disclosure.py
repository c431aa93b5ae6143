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

from collections import defaultdict

import numpy as np

from mel.engine.bounds import (
    _partition,
    _rows,
    binding_job,
    components,
    intervals,
    known_bounds,
    marked_small,
    protected,
    values_of,
)
from mel.engine.helper import Helper
from mel.engine.quantities import (
    System,
)

HELPER_FROM = 1000  # quantities: a system this large starts the helper process at once


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
    system: System,
    hidden: np.ndarray,
    groups: list[list[int]],
    bounds,
    threshold,
    parts,
    helper: Helper | None,
):
    """For each hidden quantity of ``groups`` (bad ones, one group per component), the
    published quantities in the equations that hold its interval where it is: the equations
    with a non-zero dual value at its maximum (and minimum, where the lower end matters).
    Hiding one of them is what can widen the interval. One model per component serves all of
    its quantities (:func:`mel.engine.bounds.binding_job`); the components are shared with
    ``helper``. Returns (the quantities per bad one, the small counts whose marks hold it)."""
    jobs = [_binding_of(system, hidden, bad, bounds, threshold, parts) for bad in groups]
    found: dict[int, list[int]] = {}
    caps: dict[int, list[int]] = {}
    costs = [len(job[1]) * len(job[5]) if job else 0 for job in jobs]
    answers = helper.map(binding_job, jobs, costs) if helper else map(binding_job, jobs)
    for one_found, one_caps in answers:
        found.update(one_found)
        caps.update(one_caps)
    return found, caps


def _binding_of(system: System, hidden: np.ndarray, bad: list[int], bounds, threshold, parts):
    """The job of one component's bad quantities for :func:`mel.engine.bounds.binding_job`."""
    comp, members_of, eqs_of = parts
    root = int(comp[bad[0]])
    members = members_of[root]
    eqs = eqs_of.get(root, [])
    if not eqs:
        return None
    value = values_of(system)
    local, rows = _rows(system, hidden, members, eqs)
    lower, upper = known_bounds(system)
    hideable = [
        sorted(u for u in system.equations[e] if not hidden[u] and _can_hide(system, u))
        for e in eqs
    ]
    capped = np.isfinite(upper[members])
    may_unmark = np.array(
        [capped[j] and system.small_mark.get(u) is None for j, u in enumerate(members)]
    )
    small = threshold - 1
    asked = []
    for i, v in enumerate(bad):
        lo, hi = bounds[v]
        is_small = not np.isfinite(value[v]) or 1 <= value[v] <= small
        # the minimum too where the interval is one value; and, in either phase, as this step
        # has chosen since it was written (bit for bit): a component's first quantity where it
        # is not a small count, and no marks are read at it; each later one where it is small,
        # with the marks that cap it read. This only steers which cell is hidden next: the
        # audit goes on until every hidden quantity is protected.
        first = i == 0
        both = (not is_small if first else is_small) or hi - lo < 1
        asked.append((v, local[v], both, not first))
    return (lower[members], members, rows, upper[members], hideable, asked, may_unmark)


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


def protect(
    system: System,
    row_vars: list[list[int]],
    hide: np.ndarray,
    threshold: int,
    primary: np.ndarray | None = None,
    helper: dict | None = None,
) -> np.ndarray:
    """Hide more rows until every hidden quantity is protected, then mark as '<N' every small
    count whose mark gives nothing away; returns the row mask (the marks are in ``system``).

    Two phases: which cells to hide is decided without this report's marks (earlier outputs'
    marks are facts and count); then the marks are switched on, and the mark of a small count
    that narrows another is dropped ('[c]'), until every hidden quantity is protected again.
    Dropping every mark gives back the first phase's system, so the second always ends.

    The linear programs are shared with a second process where there is a second core
    (:mod:`mel.engine.helper`; ``helper``: its settings, for tests)."""
    with Helper(**(helper or {})) as lp_helper:
        if len(system.keys) >= HELPER_FROM:
            lp_helper.start()  # (ready by the time the first programs are shared)
        system.mark_current = False
        hide = _hide_until_protected(system, row_vars, hide, threshold, primary, lp_helper)
        system.mark_current = True
        _release_marks(system, row_vars, hide, threshold, lp_helper)
    return hide


def _release_marks(
    system: System, row_vars, hide: np.ndarray, threshold: int, helper: Helper
) -> None:
    """Drop the '<N' of the small counts that would narrow another hidden quantity."""
    if threshold <= 1:
        return
    hidden = _hidden_vars(system, row_vars, hide)
    _unmark_small_totals(system, hidden)
    marked = marked_small(system) & hidden
    if not marked.any():
        return
    comp = components(system, hidden)
    touched = {int(comp[v]) for v in np.flatnonzero(marked)}
    dirty = {int(v) for v in np.flatnonzero(hidden) if int(comp[v]) in touched}
    left_before = set(system.left)
    eqs_of_var = _eqs_of_var(system)
    while dirty:
        ask = np.array(sorted(dirty), dtype=int)
        bounds = intervals(system, hidden, ask, threshold, helper)
        bad = [
            v
            for v in unprotected(system, threshold, bounds)
            if not system.known[v] and system.keys[v] not in left_before
        ]
        if not bad:
            return
        marked = marked_small(system)
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
            groups = list(by_root.values())
            _found, caps = _binding(system, hidden, groups, bounds, threshold, parts, helper)
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
    primary: np.ndarray | None,
    helper: Helper,
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
        bounds = intervals(system, hidden, ask, threshold, helper)
        bad = [v for v in unprotected(system, threshold, bounds) if not system.known[v]]
        if not bad:
            return hide
        picked = set()
        parts = _partition(system, hidden)
        comp = parts[0]
        by_root: dict[int, list[int]] = defaultdict(list)
        for v in bad:
            by_root[int(comp[v])].append(v)
        groups = list(by_root.values())
        binding, _caps = _binding(system, hidden, groups, bounds, threshold, parts, helper)
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
    small = marked_small(system)
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
    """The quantities no row shown publishes (and no earlier publication did)."""
    n = len(system.keys)
    published = np.asarray(system.known, dtype=bool).copy()
    row_of, var = _row_entries(system, row_vars)
    if len(var):
        published[var[~np.asarray(hide, dtype=bool)[row_of]]] = True
    return ~published if n else np.zeros(0, dtype=bool)


def _row_entries(system: System, row_vars) -> tuple[np.ndarray, np.ndarray]:
    """(row of each entry, quantity of each entry) of ``row_vars``, made once per audit (the
    rows' quantities do not change while it runs)."""
    cached = getattr(system, "_row_entries", None)
    if cached is not None and cached[0] is row_vars:
        return cached[1], cached[2]
    sizes = [len(vs) for vs in row_vars]
    row_of = np.repeat(np.arange(len(row_vars), dtype=np.int64), sizes)
    var = np.fromiter((v for vs in row_vars for v in vs), dtype=np.int64, count=sum(sizes))
    system._row_entries = (row_vars, row_of, var)  # type: ignore[attr-defined]  # a cache
    return row_of, var
