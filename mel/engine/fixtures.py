"""Running an indicator's fixture: its tiny dataset through the same validation and engine as a
project's data, and each expected value compared with the computed one.

A fixture's rows are written as text cells (as a CSV would hold them), so dates, codes, booleans
and multi-valued cells are parsed by the data layer exactly as real files are.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import cast

import numpy as np
import pandas as pd

from mel.data.readers import RawTable
from mel.data.validate import validate_raw
from mel.definitions.models import Indicator, Project, Target
from mel.definitions.project import LocatedTarget
from mel.engine.compute import compute
from mel.engine.prepare import SourceData
from mel.engine.results import ALL, LOP
from mel.engine.targets import attach_targets


@dataclass
class FixtureOutcome:
    indicator: str
    checked: int  # expectations compared
    failures: list[str]  # one sentence per mismatch or problem

    @property
    def ok(self) -> bool:
        return not self.failures


def _text(v: object) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, list):
        return ";".join(str(x) for x in v)
    return str(v)


def _raw(name: str, rows: list[dict]) -> RawTable:
    header: list[str] = []
    for r in rows:
        header += [k for k in r if k not in header]
    data = pd.DataFrame(
        {
            str(i): pd.array([_text(r.get(h)) for r in rows], dtype="str")
            for i, h in enumerate(header)
        }
    )
    return RawTable(
        file=f"fixture:{name}", header=header, data=data, rows=np.arange(2, len(rows) + 2)
    )


def fixture_project(ind: Indicator) -> Project:
    fx = ind.fixture
    assert fx is not None
    countries = list(fx.project.countries)
    if not countries:
        seen: list[str] = []
        for rows in fx.data.values():
            for r in rows:
                c = r.get(ind.geography)
                if c is not None and str(c) not in seen:
                    seen.append(str(c))
        countries = seen
    return Project.model_validate(
        {
            "name": f"fixture of {ind.id}",
            "donor": "-",
            "countries": countries,
            "start": fx.project.start.isoformat(),
            "end": fx.project.end.isoformat(),
            "reporting": {
                "period": fx.project.period,
                "fiscal_year_start": fx.project.fiscal_year_start,
            },
        }
    )


def _same(got: object, want: object) -> bool:
    if want is None:
        return got is None or (isinstance(got, float) and math.isnan(got))
    if got is None or (isinstance(got, float) and math.isnan(got)):
        return False
    if isinstance(want, bool) or isinstance(got, bool | np.bool_):
        return bool(got) == bool(want) and isinstance(want, bool)
    a, b = float(cast(float, got)), float(cast(float, want))  # numbers: the rest returned above
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)


def _show(v: object) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "no value"
    if isinstance(v, bool | np.bool_):
        return "yes" if v else "no"
    x = float(cast(float, v))  # a number: the other kinds of value returned above
    return str(int(x)) if x.is_integer() else f"{x:.10g}"


def run_fixture(ind: Indicator, catalog) -> FixtureOutcome:
    """Compute the indicator on its fixture and compare every expectation."""
    fx = ind.fixture
    if fx is None:
        return FixtureOutcome(ind.id, 0, ["has no fixture"])
    project = fixture_project(ind)
    as_of = max(dt.date.today(), fx.project.end)
    sources: dict[str, SourceData] = {}
    failures: list[str] = []
    for name, rows in fx.data.items():
        tpl = catalog.templates[name].obj
        ds = validate_raw(_raw(name, rows), name, tpl, catalog, as_of=as_of)
        for f in ds.findings:
            if f.severity == "error":
                failures.append(f"fixture data {name}, row {f.line}: {f.message}")
        sources[name] = SourceData(name, tpl, ds.frame, ds.rows, ds.file, ds.invalid)
    if failures:
        return FixtureOutcome(ind.id, 0, failures)
    table, _, _ = compute([ind], sources, project, catalog)
    targets = []
    if fx.baseline is not None:
        for country in [*project.countries, ALL]:
            t = Target(indicator=ind.id, country=country, period=LOP, baseline=fx.baseline)
            targets.append(LocatedTarget(t, "fixture", None))
    table = attach_targets(table, {ind.id: ind}, targets, project.status_bands)
    for exp in fx.expect:
        where = f"{exp.period}, {exp.country}" + (
            f", {exp.disaggregation} = {exp.category}" if exp.disaggregation else ""
        )
        hit = table[
            (table["period"] == exp.period)
            & (table["country"] == exp.country)
            & (table["disaggregation"] == (exp.disaggregation or ""))
            & (table["category"] == (exp.category or ""))
        ]
        if len(hit) != 1:
            failures.append(f"{where}: no such cell in the results")
            continue
        row = hit.iloc[0]
        for key in ("value", "numerator", "denominator"):
            want = getattr(exp, key)
            if key != "value" and want is None:
                continue
            got = row[key]
            got = None if got is pd.NA else got
            if not _same(got, want):
                failures.append(f"{where}: {key} is {_show(got)}, expected {_show(want)}")
    return FixtureOutcome(ind.id, len(fx.expect), failures)
