"""The example programme: clean data validates, every planted fault is found, the generator is
deterministic, and the data have the patterns the README claims."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import importlib.util
from pathlib import Path

import pandas as pd
import pytest

from mel.data.validate import validate_path
from tests.conftest import REPO, run_mel

EXAMPLE = REPO / "examples" / "counter-trafficking"
MESSY = REPO / "examples" / "counter-trafficking-messy"
AS_OF = dt.date(2026, 11, 23)


def _generator():
    spec = importlib.util.spec_from_file_location(
        "mel_example_generator", REPO / "examples" / "generate.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _hashes(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_clean_example_validates_without_findings():
    result = validate_path(EXAMPLE, as_of=AS_OF)
    assert result.findings == []
    assert set(result.datasets) == {
        "cases",
        "assistance",
        "referrals",
        "legal",
        "population",
        "trainings",
        "awareness",
        "milestones",
        "surveys",
        "budget",
    }


def test_cli_main_command_exits_0():
    result = run_mel("validate", "examples/counter-trafficking")
    assert result.returncode == 0, result.stderr
    assert "OK: 0 errors, 0 warnings" in result.stdout


@pytest.fixture(scope="module")
def manifest() -> list[dict[str, str]]:
    with open(MESSY / "FAULTS.csv", newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def messy_result():
    return validate_path(MESSY, as_of=AS_OF)


def test_manifest_has_at_least_15_kinds(manifest):
    assert len({f["kind"] for f in manifest}) >= 15


def test_every_planted_fault_is_reported_where_it_is(manifest, messy_result):
    for fault in manifest:
        file = fault["file"]
        if fault["row"]:
            hits = [
                f
                for f in messy_result.findings
                if f.file.endswith(file)
                and f.line == int(fault["row"])
                and f.field == fault["column"]
            ]
        else:  # a fault of the file itself (encoding, sheet)
            hits = [f for f in messy_result.findings if f.file.endswith(file) and f.line is None]
        assert [(f.rule or f.code, f.severity) for f in hits] == [
            (fault["rule"], fault["severity"])
        ], (fault, [h.format() for h in hits])


def test_nothing_is_reported_beyond_the_manifest(manifest, messy_result):
    assert len(messy_result.findings) == len(manifest)


def test_cli_on_the_messy_copy_exits_1():
    result = run_mel("validate", "examples/counter-trafficking-messy")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr


def test_generator_is_deterministic_and_matches_the_committed_example(tmp_path):
    gen = _generator()
    a, b = tmp_path / "a", tmp_path / "b"
    data = gen.generate(a, seed=2023)
    gen.generate(b, seed=2023)
    gen.make_messy(a, tmp_path / "a-messy", data)
    assert _hashes(a) == _hashes(b)
    assert _hashes(a) == _hashes(EXAMPLE)
    assert _hashes(tmp_path / "a-messy") == _hashes(MESSY)
    other = gen.generate(tmp_path / "c", seed=2024)
    assert _hashes(tmp_path / "c") != _hashes(a)
    assert len(other["cases"]) == len(data["cases"])


@pytest.fixture(scope="module")
def frames():
    d = EXAMPLE / "data"
    read = lambda n: pd.read_csv(d / f"{n}.csv", dtype=str, keep_default_na=False)  # noqa: E731
    return {n: read(n) for n in ("cases", "assistance", "referrals", "legal")} | {
        n: pd.read_excel(d / "programme.xlsx", sheet_name=n, dtype=str).fillna("")
        for n in ("trainings", "awareness")
    }


def test_volumes_are_realistic(frames):
    assert 3000 <= len(frames["cases"]) <= 10_000
    assert 10_000 <= len(frames["assistance"]) <= 60_000
    assert 100 <= frames["trainings"]["participant_id"].nunique() <= 1500


def test_most_persons_get_several_services_over_several_quarters(frames):
    a = frames["assistance"]
    per_person = a.groupby("case_id").size()
    assert (per_person >= 2).mean() > 0.6
    quarters = a.assign(q=pd.PeriodIndex(a["service_date"], freq="Q")).groupby("case_id")["q"]
    assert (quarters.nunique() >= 2).mean() > 0.4
    assert a["case_id"].nunique() < len(a) / 2


def test_sex_and_age_mix_differ_by_exploitation(frames):
    c = frames["cases"]
    c = c[c["sex"].isin(["Female", "Male"]) & (c["age_group"] != "")]
    share = lambda m, col, v: (c.loc[m, col] == v).mean()  # noqa: E731
    sexual = c["exploitation"] == "sexual"
    labour = c["exploitation"] == "forced_labour"
    marriage = c["exploitation"] == "forced_marriage"
    assert share(sexual, "sex", "Female") > 0.85 > 0.45 > share(labour, "sex", "Female")
    assert share(marriage, "age_group", "Minor") > 0.6 > 0.25 > share(labour, "age_group", "Minor")


def test_late_start_gap_and_seasonality(frames):
    c = frames["cases"]
    d = pd.to_datetime(c["registration_date"])
    assert d[c["country"] == "NGA"].min() >= pd.Timestamp("2024-04-01")
    tza = d[c["country"] == "TZA"]
    assert not ((tza >= "2023-07-01") & (tza <= "2023-09-30")).any()
    assert ((tza >= "2023-10-01") & (tza <= "2023-12-31")).any()
    months = d[c["country"] == "SDN"].dt.month
    assert months.isin([6, 7, 8]).mean() > months.isin([12, 1, 2]).mean() * 1.3


def test_trainees_have_pre_and_post_scores_and_some_return(frames):
    t = frames["trainings"]
    done = t[t["completed"] == "yes"]
    pre = pd.to_numeric(done["pre_score"])
    post = pd.to_numeric(done["post_score"])
    assert pre.notna().all() and post.notna().all()
    assert (post - pre).mean() > 10
    assert (t.groupby("participant_id")["event_id"].nunique() > 1).any()


def test_legal_chain(frames):
    legal = frames["legal"]
    stages = legal.groupby("case_ref")["stage"].agg(set)
    convicted = stages[stages.map(lambda s: "conviction" in s)]
    assert len(convicted) > 0
    assert all("prosecution" in s and "investigation" in s for s in convicted)


def test_validation_without_the_cells_finds_the_same(messy_result):
    """`mel validate` without --report keeps only findings and counts (memory: one file at a
    time): the findings, row counts and invalid rows are those of the full validation."""
    from mel.data.summary import summarise

    lean = validate_path(MESSY, as_of=AS_OF, keep_data=False)
    assert [f.format() for f in lean.findings] == [f.format() for f in messy_result.findings]
    assert summarise(lean) == summarise(messy_result)
    for name, ds in lean.datasets.items():
        assert len(ds.frame) == len(messy_result.datasets[name].frame)
        assert (ds.invalid == messy_result.datasets[name].invalid).all()
        assert len(ds.raw.data) == 0  # the cells are gone
