"""The components of the disclosure system (hidden quantities linked by equations), found with
numpy, against a plain union-find written here: the same partition, and each component named by
its smallest variable."""

from __future__ import annotations

import numpy as np
import pytest

from mel.engine.bounds import components
from mel.engine.quantities import System


def _union_find(system: System, hidden: np.ndarray) -> np.ndarray:
    parent = list(range(len(system.keys)))

    def find(a: int) -> int:
        while parent[a] != a:
            a = parent[a]
        return a

    for eq in system.equations:
        linked = [v for v in eq if hidden[v]]
        for v in linked[1:]:
            ra, rb = find(linked[0]), find(v)
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)
    return np.array([find(v) for v in range(len(parent))])


def test_components_equal_a_union_find_on_random_systems():
    rng = np.random.default_rng(7)
    for _ in range(300):
        n = int(rng.integers(1, 50))
        system = System()
        system.keys = [str(i) for i in range(n)]
        system.equations = [
            {
                int(v): 1.0
                for v in rng.choice(n, size=int(rng.integers(1, min(n, 6) + 1)), replace=False)
            }
            for _ in range(int(rng.integers(0, 40)))
        ]
        hidden = rng.random(n) < rng.random()
        assert components(system, hidden).tolist() == _union_find(system, hidden).tolist()


def test_an_equation_added_later_is_seen():
    system = System()
    system.keys = ["a", "b", "c"]
    system.equations = [{0: 1.0, 1: -1.0}]
    hidden = np.array([True, True, True])
    assert components(system, hidden).tolist() == [0, 0, 2]
    system.equations.append({1: 1.0, 2: -1.0})
    assert components(system, hidden).tolist() == [0, 0, 0]


def _lp_interval(rhs: float, coef: np.ndarray, lower: np.ndarray, upper: np.ndarray, k: int):
    """x_k's least and greatest value subject to sum(coef * x) = rhs, lower <= x <= upper, by
    scipy's own HiGHS wrapper (not mel's code): None where no x satisfies it."""
    from scipy.optimize import linprog

    ends = []
    for sign in (1.0, -1.0):
        cost = np.zeros(len(coef))
        cost[k] = sign
        res = linprog(
            cost,
            A_eq=coef[None, :],
            b_eq=[rhs],
            bounds=list(zip(lower, np.where(np.isfinite(upper), upper, None), strict=True)),
        )
        if res.status == 2:
            return None
        ends.append(sign * res.fun if res.status == 0 else -sign * np.inf)  # 3: unbounded
    return ends[0], ends[1]


def test_one_equation_intervals_equal_linear_programs():
    """A component of one equation gets its intervals from a formula (no linear program):
    the same as minimising and maximising each quantity, on random equations with totals
    (coefficient -1), parts, '<N' caps and unbounded quantities, feasible or not."""
    from mel.engine.bounds import _one_equation

    rng = np.random.default_rng(11)
    checked = infeasible = 0
    for _ in range(120):
        m = int(rng.integers(1, 7))
        coef = rng.choice([1.0, -1.0, 2.0], size=m, p=[0.6, 0.3, 0.1])
        lower = rng.choice([0.0, 1.0], size=m)
        upper = np.where(rng.random(m) < 0.5, np.inf, lower + rng.integers(0, 8, size=m))
        rhs = float(rng.integers(-10, 25))
        got = _one_equation((rhs, np.arange(m, dtype=np.int32), coef), lower, upper)
        want = [_lp_interval(rhs, coef, lower, upper, k) for k in range(m)]
        if want[0] is None:
            assert got is None
            infeasible += 1
            continue
        assert got is not None
        for (lo, hi), (wlo, whi) in zip(got, want, strict=True):
            assert lo == pytest.approx(wlo, abs=1e-6) and hi == pytest.approx(whi, abs=1e-6)
        checked += 1
    assert checked > 40 and infeasible > 10  # both kinds were tried


def test_one_equation_declines_what_is_not_one_components_equation():
    """A zero coefficient, or a member the equation does not hold, goes to the linear programs."""
    from mel.engine.bounds import _one_equation

    lower, upper = np.ones(2), np.full(2, np.inf)
    idx = np.arange(2, dtype=np.int32)
    assert _one_equation((3.0, idx, np.array([1.0, 0.0])), lower, upper) is None
    assert _one_equation((3.0, idx[:1], np.array([1.0])), lower, upper) is None
    assert _one_equation((3.0, idx, np.array([1.0, 1.0])), lower, upper) == [(1.0, 2.0)] * 2


def _same_float(a: float, b: float) -> bool:
    """Equal to the bit: NaN with NaN, and 0.0 apart from -0.0 (a solver may read them apart)."""
    return bool(np.isnan(a) and np.isnan(b)) or (a == b and np.signbit(a) == np.signbit(b))


def test_rows_are_each_equation_over_its_hidden_terms_on_random_systems():
    """The compressed rows equal each equation written out term by term here: the hidden terms
    in the equation's order, and the published ones summed in order and moved to the right."""
    from mel.engine.bounds import _rows

    rng = np.random.default_rng(11)
    for _ in range(300):
        n = int(rng.integers(1, 30))
        system = System()
        for i in range(n):
            system.var(str(i), float(rng.choice([0.0, 1.0, 2.0, 3.5, 7.0, np.nan])), True)
        system.equations = [
            {
                int(v): float(rng.choice([1.0, -1.0, 2.0, 0.5]))
                for v in rng.choice(n, size=int(rng.integers(1, min(n, 7) + 1)), replace=False)
            }
            for _ in range(int(rng.integers(1, 8)))
        ]
        hidden = rng.random(n) < 0.5
        members = np.flatnonzero(hidden).tolist()
        eqs = sorted(
            rng.choice(
                len(system.equations),
                size=int(rng.integers(1, len(system.equations) + 1)),
                replace=False,
            ).tolist()
        )
        local, rows = _rows(system, hidden, members, eqs)
        assert local == {v: j for j, v in enumerate(members)}
        assert len(rows) == len(eqs)
        for k, e in enumerate(eqs):
            eq = system.equations[e]
            rhs, idx, coef = rows[k]
            want = -sum(c * system.value[v] for v, c in eq.items() if not hidden[v])
            assert _same_float(float(rhs), float(want)), (rhs, want)
            assert idx.dtype == np.int32 and idx.tolist() == [local[v] for v in eq if hidden[v]]
            assert coef.dtype == np.float64 and coef.tolist() == [eq[v] for v in eq if hidden[v]]
        # iterating gives what indexing gives
        assert all(_same_float(r[0], rows[k][0]) for k, r in enumerate(rows))
