"""Published statistics as input (issue 13): numbers written with thousands separators, and
small counts published as '<5', declared on the column with their bounds. A sum over censored
cells is a range, marked, never an exact figure; the number of censored cells is counted."""

from __future__ import annotations

import csv

import pandas as pd
import pytest

from mel.cli.app import app

TEMPLATE = """\
name: glotip
title: Detected victims (published)
key: [country, year, sex]
columns:
  - {name: country, type: code, codelist: country, required: true}
  - {name: year, type: integer, required: true}
  - {name: sex, type: code, codelist: sex, required: true}
  - {name: victims, type: integer, thousands: ",", censored: {"<5": [1, 4]}}
"""
INDICATOR = """\
id: GLO-01
name: Detected victims
pillar: context
level: impact
result: r
definition: d
unit: victims
dataset: glotip
measure: {type: sum, column: victims}
date: year
disaggregations: [sex]
verification: {method: m, source: UNODC GLOTIP}
frequency: {collection: annual, reporting: annual}
references: [{source: UNODC, provenance: derived}]
"""
ROWS = [  # country, year, sex, victims as published
    ("SDN", 2020, "Female", "1,192"),
    ("SDN", 2020, "Male", "38"),
    ("SDN", 2021, "Female", "<5"),
    ("SDN", 2021, "Male", "12"),
    ("TZA", 2020, "Female", "<5"),
    ("TZA", 2021, "Female", "2,004"),
]


@pytest.fixture
def project(tmp_path):
    root = tmp_path / "p"
    (root / "templates").mkdir(parents=True)
    (root / "templates" / "glotip.yaml").write_text(TEMPLATE)
    (root / "ind.yaml").write_text(INDICATOR)
    with (root / "glotip.csv").open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["country", "year", "sex", "victims"])
        w.writerows(ROWS)
    (root / "mel.yaml").write_text(
        "name: Published\ndonor: none\ncountries: [SDN, TZA]\nstart: 2020-01-01\n"
        "end: 2021-12-31\nreporting: {period: year}\ntemplates: [templates]\n"
        "datasets:\n  glotip: {path: glotip.csv}\nindicators:\n  paths: [ind.yaml]\n"
    )
    return root


def _bounds(value: str) -> tuple[int, int]:
    """A published cell's bounds, worked out here: '<5' is 1 to 4, '1,192' is 1192."""
    if value == "<5":
        return 1, 4
    n = int(value.replace(",", ""))
    return n, n


def test_thousands_and_censored_cells_validate(project, runner):
    res = runner.invoke(app, ["validate", str(project)])
    assert res.exit_code == 0, res.output
    assert "OK: 0 errors" in res.output


def test_sums_over_censored_cells_are_ranges_never_exact(project, runner, tmp_path):
    out = tmp_path / "r.csv"
    res = runner.invoke(app, ["compute", str(project), "--internal", "-o", str(out)])
    assert res.exit_code == 0, res.output
    t = pd.read_csv(out, keep_default_na=False, na_values=[""])
    t = t.assign(disaggregation=t["disaggregation"].fillna(""), category=t["category"].fillna(""))
    cells = 0
    for geo in ("SDN", "TZA", "ALL"):
        for period in ("2020", "2021", "LoP"):
            rows = [r for r in ROWS if geo in ("ALL", r[0]) and period in ("LoP", str(r[1]))]
            low = sum(_bounds(r[3])[0] for r in rows)
            high = sum(_bounds(r[3])[1] for r in rows)
            k = sum(r[3] == "<5" for r in rows)
            got = t[
                (t["country"] == geo) & (t["period"] == period) & (t["disaggregation"] == "")
            ].iloc[0]
            assert got["censored"] == k, (geo, period)
            if k:
                assert pd.isna(got["value"]), (geo, period)  # never an exact figure
                assert (got["value_low"], got["value_high"]) == (low, high), (geo, period)
                assert got["note"].startswith(f"range {low:,}-{high:,} ({k} censored")
            else:
                assert got["value"] == low == high, (geo, period)
            cells += 1
    assert cells == 9
    # donor edition: a range whose low end is a small count is hidden like a small count
    res = runner.invoke(app, ["compute", str(project), "-o", str(out)])
    d = pd.read_csv(out, keep_default_na=False, na_values=[""])
    hidden = d[(d["value_low"].notna()) & (d["value_low"] < 5)]
    assert hidden.empty
    assert d.loc[d["suppressed"], ["value", "value_low", "value_high"]].isna().all().all()


def test_a_grouped_number_without_the_option_is_an_error_that_suggests_it(project, runner):
    text = (project / "templates" / "glotip.yaml").read_text()
    (project / "templates" / "glotip.yaml").write_text(text.replace('thousands: ",", ', ""))
    res = runner.invoke(app, ["validate", str(project)])
    assert res.exit_code == 1
    assert "glotip.csv:2 (column 'victims')" in res.output
    assert "declare thousands: ','" in res.output
