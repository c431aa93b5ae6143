"""The quantities a donor receives, named canonically, and the equations that tie them: the
system the disclosure check solves (see :mod:`mel.engine.disclosure`)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
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


@functools.lru_cache(maxsize=4096)
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
    cols = ["indicator", "country", "period", "period_kind", "disaggregation", "category"]
    # plain arrays: iterating a frame's text (Arrow) columns converts cell by cell, slowly
    columns = {c: t[c].to_numpy(dtype=object) for c in cols}
    windows = {
        (lab, kind, mode): _window(lab, kind, calendar, as_of, mode)
        for lab, kind, mode in {
            (lab, kind, indicators[i].cumulation)
            for lab, kind, i in zip(
                columns["period"], columns["period_kind"], columns["indicator"], strict=True
            )
            if i in indicators
        }
    }
    if shared is None:  # an earlier table lacks hidden denominators: it takes the current's
        shared = _shared_denominators(t, indicators)
    out: dict[str, list] = {"value": [None] * len(t), "numerator": [None] * len(t),
                            "denominator": [None] * len(t)}  # fmt: skip
    sigs: dict[tuple[str, str], tuple[str, frozenset[str]]] = {}
    conditions: dict[tuple, str] = {}  # the same category's conditions recur in every period
    multi = t["multi_response"].to_numpy(dtype=bool)
    for n, (i, g, p, k, d, c) in enumerate(zip(*(columns[c] for c in cols), strict=True)):
        ind = indicators.get(i)
        if ind is None:
            continue
        for role, m in measure_roles(ind):
            if (i, role) not in sigs:
                sigs[(i, role)] = measure_signature(ind, m)
            sig, conds = sigs[(i, role)]
            own = d != TOTAL_KEY and not (role == "denominator" and (i, d) in shared)
            ckey = (i, role, d, c, bool(multi[n])) if own else (i, role)
            text = conditions.get(ckey)
            if text is None:
                if own:
                    conds = conds | {category_condition(d, c, bool(multi[n]))}
                text = conditions[ckey] = "&".join(sorted(conds))
            window = windows[(p, k, ind.cumulation)]
            out[role][n] = f"{sig}|{text}#{g}#{window}"
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
    current_groups: tuple[list[np.ndarray], list[str]] | None = None,
):
    """The system of every publication; ``hide``: the current table's hidden rows so far;
    ``current_groups``: its groups that add up and their kinds, where the caller has them
    (``suppress._groups(table, years)``)."""
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
    groups, kinds = _groups(t, years) if current_groups is None else current_groups
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
    groups, kinds = _groups(t, years)
    _equations(system, groups, kinds, keys, t, additive, rename)
