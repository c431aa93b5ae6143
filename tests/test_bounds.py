"""The components of the disclosure system (hidden quantities linked by equations), found with
numpy, against a plain union-find written here: the same partition, and each component named by
its smallest variable."""

from __future__ import annotations

import numpy as np

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
