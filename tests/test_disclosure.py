"""Suppression that holds: everything a donor receives, read together, gives no hidden count away
(tests/disclosure_audit.py is the attacker). Issue 14."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mel.definitions.project import load_project
from mel.engine import pipeline
from mel.engine.periods import Calendar
from mel.engine.suppress import suppress
from mel.outputs.tidy import write_table
from tests.conftest import REPO
from tests.disclosure_audit import KEYS, Auditor, Published

AS_OF = dt.date(2026, 1, 15)
# the indicators where the example's small counts, ratios and identities meet: PROT-03 is
# PROT-01's Minor cell, PROS-06 a cumulative ratio with small denominators, PROT-04 distinct
# persons that do not add up over quarters, PREV-11 a change from a baseline
SELECTION = "[PROT-01, PROT-02, PROT-03, PROT-04, PROS-01, PROS-06, PREV-11]"
QUARTERS = ["FY2025-Q1", "FY2025-Q2", "FY2025-Q3", "FY2025-Q4"]


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    p = tmp_path_factory.mktemp("disclosure") / "project"
    shutil.copytree(REPO / "examples" / "counter-trafficking", p)
    text = (p / "mel.yaml").read_text()
    text = re.sub(r"  select: \[[^\]]*\]", f"  select: {SELECTION}", text, flags=re.S)
    (p / "mel.yaml").write_text(text)
    return p


def read_donor(path: Path) -> pd.DataFrame:
    """A results file as a donor's spreadsheet reads it."""
    t = pd.read_csv(path, dtype=dict.fromkeys(KEYS, "str"), keep_default_na=False,
                    na_values={c: [""] for c in ("value", "numerator", "denominator",
                                                 "n_records")})  # fmt: skip
    for c in ("suppressed", "multi_response"):
        t[c] = t[c].astype(str).str.lower() == "true"
    return t


def publish(bundle, folder: Path, period: str | None, name: str) -> Published:
    """What `mel report --period P -o folder` (or `mel compute -o folder/...`) gives a donor,
    with the truth beside it."""
    donor = pipeline.run(bundle, up_to=period, as_of=AS_OF, published=[folder])
    path = folder / f"results-{name}.csv"
    write_table(donor.table, path)
    # the truth: the same run's values before suppression (what --internal shows)
    truth = donor.unsuppressed_for_audit.assign(suppressed=False)
    end = pipeline.truncated(bundle, period).project.end if period else bundle.project.end
    return Published(read_donor(path), truth, end)


def auditor(bundle) -> Auditor:
    return Auditor(bundle.indicators, Calendar.of(bundle.project), 5)


def _show(findings) -> str:
    return "\n".join(f"{f.kind}: {f.quantity} = {f.truth} in [{f.low}, {f.high}]"
                     for f in findings[:10])  # fmt: skip


def test_one_donor_report_gives_nothing_away(project, tmp_path):
    bundle = load_project(project)
    pub = publish(bundle, tmp_path, "FY2025-Q4", "FY2025-Q4")
    findings = auditor(bundle).audit([pub])
    assert findings == [], _show(findings)
    # and it is not done by hiding everything: most cells are shown
    assert 0 < pub.donor["suppressed"].mean() < 0.4


def test_the_old_rule_gives_small_counts_away(project):
    """The deliberately weakened suppression (each group of cells alone, the rule before
    issue 14) fails the same audit: PROT-03 is PROT-01's Minor cell, and a hidden Unknown
    then falls out of the total."""
    bundle = load_project(project)
    truth = pipeline.run(bundle, internal=True, up_to="FY2025-Q4", as_of=AS_OF).table
    calendar = Calendar.of(bundle.project)
    old = suppress(
        truth.drop(columns=["suppressed"]),
        {i.id: i for i in bundle.indicators},
        5,
        pipeline.years_of(calendar),
    ).assign(n_records=np.nan)
    end = pipeline.truncated(bundle, "FY2025-Q4").project.end
    findings = auditor(bundle).audit([Published(old, truth, end)])
    assert findings, "the audit must catch the old rule"
    assert any(1 <= f.truth <= 4 for f in findings)


def test_a_year_of_reports_and_compute_give_nothing_away_together(project, tmp_path):
    """The four quarterly reports of FY2025, the year-end report and mel compute's donor
    output, written one after the other into one folder, read together."""
    bundle = load_project(project)
    pubs = [publish(bundle, tmp_path, q, q) for q in QUARTERS]
    pubs.append(publish(bundle, tmp_path, "FY2025", "FY2025"))
    audit = auditor(bundle)
    findings = audit.audit(pubs)
    assert findings == [], _show(findings)
    pubs.append(publish(bundle, tmp_path, None, "all"))
    findings = audit.audit(pubs)
    assert findings == [], _show(findings)
    # a cell hidden in one is never shown in another unless its value changed
    ends = {p: _end(bundle, p) for p in set().union(*(x.donor["period"] for x in pubs))}
    for a in pubs:
        for b in pubs:
            both = a.donor.merge(b.donor, on=KEYS, suffixes=("_a", "_b"))
            both = both.merge(a.truth[[*KEYS, "value"]].rename(columns={"value": "true_a"}),
                              on=KEYS).merge(
                b.truth[[*KEYS, "value"]].rename(columns={"value": "true_b"}), on=KEYS
            )  # fmt: skip
            # the same dates: a reporting period that ended before both ran
            last = min(a.as_of, b.as_of)
            ended = both["period_kind"].isin(["quarter"]) & both["period"].map(
                lambda p, last=last: ends[p] <= last
            )
            flipped = both[ended & both["suppressed_a"] & ~both["suppressed_b"]]
            changed = (flipped["true_a"] != flipped["true_b"]) | (flipped["true_b"] == 0)
            assert changed.all(), flipped[~changed][KEYS].head().to_string()


def _end(bundle, label: str) -> dt.date:
    from mel.engine.periods import period_from_label

    p = bundle.project
    return period_from_label(label, p.reporting.fiscal_year_start, p.start, p.end).end


def test_reports_through_the_cli_keep_what_an_earlier_one_hid(cli, project, tmp_path):
    """`mel report` reads the donor results already in its folder: a quarter hidden in the
    FY2025-Q1 report stays hidden in the FY2025-Q2 report."""
    out = tmp_path / "reports"
    for q in QUARTERS[:2]:
        r = cli("report", str(project), "--period", q, "--as-of", str(AS_OF), "-o", str(out))
        assert r.exit_code == 0, r.output
    q1 = read_donor(out / "results-FY2025-Q1.csv")
    q2 = read_donor(out / "results-FY2025-Q2.csv")
    both = q1.merge(q2, on=KEYS, suffixes=("_1", "_2"))
    first = both[both["period"] == "FY2025-Q1"]
    assert first["suppressed_1"].any()
    assert not (first["suppressed_1"] & ~first["suppressed_2"]).any()
    assert both["value_2"].notna().any()


def test_earlier_outputs_named_in_mel_yaml_must_exist(cli, project, tmp_path):
    p = tmp_path / "p"
    shutil.copytree(project, p)
    with (p / "mel.yaml").open("a") as fh:
        fh.write("  published: [sent/results-FY2025-Q1.csv]\n")
    r = cli("compute", str(p), "-o", str(tmp_path / "r.csv"), "--as-of", str(AS_OF))
    assert r.exit_code == 2, r.output
    assert "sent/results-FY2025-Q1.csv" in r.stderr and "does not exist" in r.stderr


def test_a_count_earlier_outputs_give_away_is_said(cli, project, tmp_path):
    """An earlier output that showed a small count's total and every sibling cannot be undone:
    the run says so instead of ending calmly."""
    bundle = load_project(project)
    truth = pipeline.run(bundle, internal=True, up_to="FY2025-Q4", as_of=AS_OF).table
    small = truth[
        (truth["indicator"] == "PROT-01")
        & (truth["disaggregation"] == "age_group")
        & (truth["period_kind"] == "quarter")
        & (truth["country"] != "ALL")
        & truth["value"].between(1, 4)
    ]
    assert len(small)
    leaked = truth.assign(suppressed=False, n_records=np.nan)
    at = small.index[0]
    leaked.loc[at, "suppressed"] = True
    leaked.loc[at, ["value", "numerator", "denominator"]] = np.nan
    folder = tmp_path / "sent"
    write_table(leaked, folder / "results-FY2025-Q4.csv")
    r = cli("compute", str(project), "-o", str(folder / "now.csv"), "--as-of", str(AS_OF))
    assert r.exit_code == 0, r.output
    assert "cannot be fully protected" in r.stderr
    # without that earlier output, nothing to say
    r = cli("compute", str(project), "-o", str(tmp_path / "alone.csv"), "--as-of", str(AS_OF))
    assert "cannot be fully protected" not in r.stderr


def test_another_projects_results_beside_the_output_are_not_this_projects(cli, project, tmp_path):
    """A results file of another project (another calendar: 2024-Q4, not FY2025-Q1) in the
    output folder is not an earlier publication of this one: it is passed over, not a crash;
    named in privacy.published it is refused with the file and the period."""
    out = tmp_path / "shared-folder"
    clean = REPO / "tests" / "data" / "clean"
    r = cli("compute", str(clean), "-o", str(out / "other.csv"), "--as-of", str(AS_OF))
    assert r.exit_code in (0, 1), r.output
    r = cli("compute", str(project), "-o", str(out / "r.csv"), "--as-of", str(AS_OF))
    assert r.exit_code in (0, 1), r.output
    assert "internal error" not in r.output
    p = tmp_path / "p"
    shutil.copytree(project, p)
    with (p / "mel.yaml").open("a") as fh:
        fh.write(f"  published: [{out / 'other.csv'}]\n")
    r = cli("compute", str(p), "-o", str(tmp_path / "r2.csv"), "--as-of", str(AS_OF))
    assert r.exit_code == 2, r.output
    assert "other.csv" in r.stderr and "is not a period of this project" in r.stderr
