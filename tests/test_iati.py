"""`mel export iati`: an IATI 2.03 activity file with the donor edition's results, valid against
the official schema (tests/iati-2.03), holding exactly the report's shown values (hidden ones
left out), byte-identical on rerun, and refused with the rule named when a results rule of the
IATI validator would break."""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil
from pathlib import Path

import pandas as pd
import pytest
from defusedxml import ElementTree as ET

from mel.outputs import iati as iati_out
from tests.conftest import REPO, shared
from tests.test_report import AS_OF, EXAMPLE, PERIOD, donor  # noqa: F401 - the shared report

SCHEMA = REPO / "tests" / "iati-2.03" / "iati-activities-schema.xsd"


def _export(cli_args: list[str]):
    from typer.testing import CliRunner

    from mel.cli.app import app

    return CliRunner().invoke(app, ["export", "iati", *cli_args])


@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> Path:
    def make(out: Path) -> None:
        args = [str(EXAMPLE), "--period", PERIOD, "-o", str(out / "results.xml"), "--as-of", AS_OF]
        result = _export(args)
        assert result.exit_code == 0, result.output
        (out / "stdout.txt").write_text(result.stdout)

    return shared(tmp_path_factory, f"iati-{PERIOD}", make) / "results.xml"


def test_the_file_is_valid_iati_203(exported):
    import xmlschema

    schema = xmlschema.XMLSchema(str(SCHEMA))
    errors = list(schema.iter_errors(str(exported)))
    assert errors == [], [str(e)[:300] for e in errors[:3]]
    root = ET.parse(exported).getroot()
    assert root.get("version") == "2.03"
    assert len(root.findall("iati-activity/result")) == 21


def _written(path: Path) -> list[dict]:
    """Every value the file holds, with its indicator (mel id), period, country and dimension."""
    out = []
    for result in ET.parse(path).getroot().iter("result"):
        ind = result.find("indicator")
        mel_id = next(
            r.get("code") for r in ind.findall("reference") if r.get("vocabulary") == "99"
        )
        base = ind.find("baseline")
        if base is not None:
            out.append({"indicator": mel_id, "kind": "baseline", "value": base.get("value"),
                        "period": "LoP", "country": "ALL", "dims": ()})  # fmt: skip
        for period in ind.findall("period"):
            start = period.find("period-start").get("iso-date")
            for kind in ("target", "actual"):
                for v in period.findall(kind):
                    loc = v.find("location")
                    out.append({
                        "indicator": mel_id, "kind": kind, "value": v.get("value"),
                        "start": start, "country": loc.get("ref") if loc is not None else "ALL",
                        "dims": tuple(
                            (d.get("name"), d.get("value")) for d in v.findall("dimension")
                        ),
                        "comment": v.findtext("comment/narrative"),
                    })  # fmt: skip
    return out


def _report_cells(donor_folder: Path) -> pd.DataFrame:
    return pd.read_csv(donor_folder / f"results-{PERIOD}.csv", dtype=str, keep_default_na=False)


def test_the_values_are_the_reports_shown_cells(exported, donor):  # noqa: F811
    """Counted independently from the report's own results file: every shown (not hidden,
    not missing) actual of a reporting period up to the report's, every period target of an
    indicator's total, every LoP baseline."""
    t = _report_cells(donor)
    periods = sorted(set(t.loc[t["period_kind"] == "quarter", "period"]))
    upto = [p for p in periods if p <= PERIOD]
    rows = t[t["period"].isin(upto)]
    shown = rows[(rows["suppressed"] == "False") & (rows["value"] != "")]
    targets = rows[(rows["disaggregation"] == "") & (rows["target"] != "")]
    baselines = t[(t["period"] == "LoP") & (t["country"] == "ALL") & (t["disaggregation"] == "")
                  & (t["baseline"] != "")]  # fmt: skip
    written = _written(exported)
    count = {k: sum(w["kind"] == k for w in written) for k in ("actual", "target", "baseline")}
    assert count == {"actual": len(shown), "target": len(targets), "baseline": len(baselines)}
    # and the stdout's count is the file's
    stdout = (exported.parent / "stdout.txt").read_text()
    assert f"{len(written):,} values" in stdout


def test_no_hidden_value_is_written(exported, donor):  # noqa: F811
    t = _report_cells(donor)
    hidden = t[(t["suppressed"] == "True") & (t["disaggregation"] == "")]
    assert len(hidden) > 0  # the example has hidden cells
    starts = {}
    for w in _written(exported):
        if w["kind"] == "actual" and not w["dims"]:
            starts[(w["indicator"], w["country"], w["start"])] = w["value"]
    from mel.definitions.project import load_project
    from mel.engine.periods import Calendar

    cal = {p.label: p.start.isoformat() for p in Calendar.of(load_project(EXAMPLE).project).periods}
    for r in hidden.itertuples():
        if r.period in cal:
            assert (r.indicator, r.country, cal[r.period]) not in starts
    # no '<5', no empty value: a hidden value is absent, not marked
    text = exported.read_text()
    assert "&lt;5" not in text and 'value=""' not in text


def test_totals_equal_the_reports_values(exported, donor):  # noqa: F811
    t = _report_cells(donor)
    from mel.definitions.project import load_project
    from mel.engine.periods import Calendar

    start_of = {
        p.start.isoformat(): p.label for p in Calendar.of(load_project(EXAMPLE).project).periods
    }
    index = {(r.indicator, r.country, r.period): r.value
             for r in t[t["disaggregation"] == ""].itertuples()}  # fmt: skip
    checked = 0
    for w in _written(exported):
        if w["kind"] != "actual" or w["dims"] or w["value"] is None:
            continue
        want = float(index[(w["indicator"], w["country"], start_of[w["start"]])])
        assert float(w["value"]) == pytest.approx(want, abs=5e-5)
        checked += 1
    assert checked > 300


def test_qualitative_milestones_have_no_value(exported):
    root = ET.parse(exported).getroot()
    qualitative = [i for i in root.iter("indicator") if i.get("measure") == "5"]
    assert qualitative  # PART-01, PART-03
    for ind in qualitative:
        for v in ind.iter():
            if v.tag in ("actual", "target", "baseline"):
                assert v.get("value") is None and v.findtext("comment/narrative") in ("yes", "no")


def test_references_and_attributes(exported):
    root = ET.parse(exported).getroot()
    refs = {(r.get("vocabulary"), r.get("code")) for r in root.iter("reference")}
    assert {c for v, c in refs if v == "3"} and all(
        c.startswith("PS.") for v, c in refs if v == "3"
    )  # US foreign-assistance codes
    assert any(v == "9" for v, _ in refs) and ("99", "PROT-01") in refs
    for result in root.iter("result"):
        assert result.find("reference") is None  # references at the indicator only
    ind = {next(r.get("code") for r in i.findall("reference") if r.get("vocabulary") == "99"): i
           for i in root.iter("indicator")}  # fmt: skip
    assert ind["PROT-01"].get("measure") == "1" and ind["PROT-01"].get("aggregation-status") == "1"
    assert ind["PROT-02"].get("measure") == "2" and ind["PROT-02"].get("aggregation-status") == "0"
    assert ind["PROS-06"].get("aggregation-status") == "0"  # a ratio


def test_rerun_is_byte_identical(exported, tmp_path):
    again = tmp_path / "again.xml"
    result = _export([str(EXAMPLE), "--period", PERIOD, "-o", str(again), "--as-of", AS_OF])
    assert result.exit_code == 0
    assert (
        hashlib.sha256(again.read_bytes()).digest()
        == hashlib.sha256(exported.read_bytes()).digest()
    )


# --- the results rules ---------------------------------------------------------------------------


def _activity():
    from mel.definitions.project import load_project
    from mel.engine.pipeline import execute
    from mel.engine.spec import RunSpec
    from mel.outputs.report import report_context

    bundle = load_project(EXAMPLE)
    bundle.indicators = [i for i in bundle.indicators if i.id in ("PROT-01", "PART-01")]
    spec = RunSpec.build(bundle, period="FY2025-Q2", latest=True, as_of=dt.date(2026, 1, 15))
    return iati_out.build(report_context(spec, execute(spec)))


@pytest.fixture(scope="module")
def activity():
    return _activity()


def _plant(activity, how: str):
    import copy

    a = copy.deepcopy(activity)
    count, milestone = a.results[0], a.results[1]
    assert count.measure == "1" and milestone.measure == "5"
    if how == "period-order":
        p = count.periods[0]
        p.start, p.end = p.end, p.start
    elif how == "value-required":
        count.periods[0].actuals[0].value = None
    elif how == "value-number":
        count.periods[0].actuals[0].value = "1,200"
    elif how == "qualitative-no-value":
        milestone.periods[-1].actuals[0].value = "1"
    elif how == "reference-once":
        count.result_references = [("99", "R1")]
    elif how == "result-type-code":
        count.result_type = "4"
    elif how == "measure-code":
        count.measure = "6"
    elif how == "vocabulary-code":
        count.references.append(("42", "X"))
    return a


RULES = ["period-order", "value-required", "value-number", "qualitative-no-value",
         "reference-once", "result-type-code", "measure-code", "vocabulary-code"]  # fmt: skip


def test_the_untouched_activity_breaks_no_rule(activity):
    assert iati_out.check(activity) == []


@pytest.mark.parametrize("rule", RULES)
def test_each_planted_breach_is_refused_with_its_rule(activity, rule):
    found = iati_out.check(_plant(activity, rule))
    assert [f.rule for f in found] == [rule]
    assert f"[rule: {rule}]" in found[0].message and "result " in found[0].message


def test_a_code_breach_in_mel_yaml_is_refused_before_any_record_is_read(tmp_path):
    project = tmp_path / "p"
    shutil.copytree(EXAMPLE, project)
    text = (project / "mel.yaml").read_text()
    (project / "mel.yaml").write_text(
        text.replace(
            "  identifier: XM-EXAMPLE", "  result_types: {result: '7'}\n  identifier: XM-EXAMPLE"
        )
    )
    (project / "data" / "cases.csv").write_text("not read")
    out = tmp_path / "o" / "results.xml"
    result = _export([str(project), "--period", PERIOD, "-o", str(out), "--as-of", AS_OF])
    assert result.exit_code == 2, result.output
    assert "[rule: result-type-code]" in result.stderr and "mel.yaml:" in result.stderr
    assert not out.exists() and "Traceback" not in result.output


def test_without_an_iati_section_the_export_says_what_to_add(tmp_path):
    project = tmp_path / "p"
    shutil.copytree(EXAMPLE, project)
    text = (project / "mel.yaml").read_text()
    (project / "mel.yaml").write_text(text[: text.index("iati:")])
    result = _export([str(project), "--period", PERIOD, "-o", str(tmp_path / "r.xml"),
                      "--as-of", AS_OF])  # fmt: skip
    assert result.exit_code == 2 and "no 'iati:' section" in result.stderr
    assert not (tmp_path / "r.xml").exists()


def test_numbers_are_written_plainly():
    assert [iati_out.number(v) for v in (1200.0, 0.5, 42.97872, 1e6, None, "x", True)] == [
        "1200",
        "0.5",
        "42.9787",
        "1000000",
        None,
        None,
        None,
    ]
