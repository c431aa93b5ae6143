"""The pipeline matrix: every period kind x fiscal year start, through ``mel validate`` ->
``mel compute`` -> ``mel report`` on small generated projects, with an indicator of every
measure kind x cumulation mode x disaggregation (none, single, multi-response). Every value the
commands write equals the naive computation of tests/matrix.py; no command ends in an internal
error.

Per configuration, ``compute`` runs every measure kind x cumulation mode with both
disaggregations (the total is the 'none' case); ``report`` runs a sixteenth of the full
measure x cumulation x disaggregation product, so that over the sixteen configurations every
combination goes through a report once."""

from __future__ import annotations

import itertools
import math

import pandas as pd
import pytest

from mel.cli.app import app
from tests import matrix

KINDS = ["month", "quarter", "half", "year"]
FY_STARTS = [1, 4, 7, 10]
CONFIGS = list(itertools.product(KINDS, FY_STARTS))
COMPUTED = list(itertools.product(matrix.MEASURES, matrix.CUMULATIONS, ["both"]))
EVERY = list(itertools.product(matrix.MEASURES, matrix.CUMULATIONS, ["none", "single", "multi"]))


def reported(config: int) -> list[tuple[str, str, str]]:
    return EVERY[config :: len(CONFIGS)]


def _read(path) -> pd.DataFrame:
    table = pd.read_csv(path, keep_default_na=False, na_values=[""])
    return table.assign(
        disaggregation=table["disaggregation"].fillna(""), category=table["category"].fillna("")
    )


def _same(a, b) -> bool:
    a = float("nan") if a is None or a == "" else float(a)
    b = float("nan") if b is None else float(b)
    return (math.isnan(a) and math.isnan(b)) or math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)


def _compare(table: pd.DataFrame, records, combos, kind: str, fy_start: int) -> int:
    """Every cell of ``table`` against the naive values; returns the cells compared."""
    compared = 0
    for measure, cumulation, dis in combos:
        iid = matrix.indicator_id(measure, cumulation, dis)
        want = matrix.expected(records, measure, cumulation, dis, kind, fy_start)
        got = table[table["indicator"] == iid]
        keys = set(
            zip(got["country"], got["period"], got["disaggregation"], got["category"], strict=True)
        )
        assert keys == set(want), (iid, sorted(keys ^ set(want))[:5])
        for row in got.itertuples(index=False):
            key = (row.country, row.period, row.disaggregation, row.category)
            value, num, den = want[key]
            assert _same(row.value, value), (iid, key, row.value, value)
            if measure in ("ratio", "percentage", "change") and not math.isnan(num):
                assert _same(row.numerator, num), (iid, key, "numerator", row.numerator, num)
            if measure in ("ratio", "percentage") and not math.isnan(den):
                assert _same(row.denominator, den), (iid, key, "denominator", row.denominator, den)
            compared += 1
    return compared


def test_every_combination_is_reported_once():
    seen = [c for i in range(len(CONFIGS)) for c in reported(i)]
    assert sorted(seen) == sorted(EVERY)


@pytest.mark.parametrize(("kind", "fy_start"), CONFIGS)
def test_pipeline_matrix(tmp_path, runner, kind, fy_start):
    config = CONFIGS.index((kind, fy_start))
    records = matrix.make_records(seed=config)
    root = matrix.write_project(tmp_path / "computed", kind, fy_start, records, COMPUTED)
    # validate: the planted invalid rows are found
    res = runner.invoke(app, ["validate", str(root)])
    assert res.exit_code == 1, res.output
    assert "'amount'" in res.output
    # compute, internal (every value shown), as a user runs it
    out = tmp_path / "results.csv"
    res = runner.invoke(app, ["compute", str(root), "--internal", "-o", str(out)])
    assert res.exit_code in (0, 1), res.output
    assert "internal error" not in res.output
    n = _compare(_read(out), records, COMPUTED, kind, fy_start)
    assert n > 1000
    # report for the last reporting period (the whole project): its tidy results agree too
    combos = reported(config)
    root = matrix.write_project(tmp_path / "reported", kind, fy_start, records, combos)
    last = matrix.periods(kind, fy_start)[0][-1].label
    report = tmp_path / "report"
    res = runner.invoke(
        app, ["report", str(root), "--internal", "--period", last, "-o", str(report)]
    )
    assert res.exit_code in (0, 1), res.output
    assert "internal error" not in res.output
    assert _compare(_read(report / f"results-{last}.csv"), records, combos, kind, fy_start) > 0
    assert (report / f"report-{last}.xlsx").stat().st_size > 0


@pytest.mark.parametrize("kind", KINDS)
def test_engine_table_meets_its_schema(tmp_path, kind):
    """The engine's table, for every measure kind x cumulation x disaggregation of the matrix,
    has the columns, types and words :func:`mel.engine.results.result_schema` declares (the
    contract every output and lineage reads); and the schema refuses a table that breaks it."""
    import pandera.errors

    from mel.data.validate import validate_project
    from mel.definitions.project import load_project
    from mel.engine.compute import compute
    from mel.engine.prepare import sources_from
    from mel.engine.results import RESULT_COLUMNS, result_schema

    records = matrix.make_records(seed=KINDS.index(kind))
    root = matrix.write_project(tmp_path, kind, 10, records, COMPUTED)
    bundle = load_project(root)
    sources = sources_from(validate_project(bundle))
    table, _, _ = compute(bundle.indicators, sources, bundle.project, bundle.catalog)
    schema = result_schema()
    schema.validate(table, lazy=True)
    assert list(table.columns) == RESULT_COLUMNS
    broken = table.assign(period_kind=table["period_kind"].where(table.index != 0, "week"))
    with pytest.raises(pandera.errors.SchemaErrors):
        schema.validate(broken, lazy=True)
    with pytest.raises(pandera.errors.SchemaErrors):
        schema.validate(table.drop(columns="note"), lazy=True)
