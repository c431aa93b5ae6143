"""Real case data: the CTDC extract in ../shared/data, through the bundled `ctdc` template.

Every expected value is derived here from the raw file with the csv module, independently of
mel's readers and parsers."""

from __future__ import annotations

import csv
import datetime as dt

import pytest

from mel.data.validate import validate_file
from mel.definitions.catalog import load_templates
from tests.conftest import REPO, run_mel

CTDC = REPO / "tests" / "data" / "ctdc_sample.csv"  # a copy of shared/data/ctdc_sample.csv
AS_OF = dt.date(2026, 11, 23)


@pytest.fixture(scope="module")
def raw_rows() -> list[dict[str, str]]:
    with open(CTDC, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def dataset():
    return validate_file(CTDC, "ctdc", load_templates(), as_of=AS_OF)


def test_exact_findings(dataset, raw_rows):
    # the only problem in the extract: citizenship '00', which is no ISO 3166 alpha-2 code
    expected = [
        (i + 2, "citizenship", "00") for i, r in enumerate(raw_rows) if r["citizenship"] == "00"
    ]
    assert len(expected) == 20
    got = [(f.line, f.field, f.value) for f in dataset.findings]
    assert got == expected
    assert {(f.code, f.severity) for f in dataset.findings} == {("code-list", "error")}
    assert dataset.findings[0].format() == (
        f"{dataset.file}:{expected[0][0]} (column 'citizenship'): error[code-list]: '00' is not "
        "in the code list 'country_alpha2' (hint: write an ISO 3166 alpha-2 country code)"
    )
    assert dataset.invalid.sum() == 20


def test_minus_99_is_missing_never_a_category(dataset, raw_rows):
    for col in (
        "majority_status_at_exploit",
        "majority_entry",
        "citizenship",
        "victim_purpose",
        "control_threats",
    ):
        n_missing = sum(r[col] in ("-99", "") for r in raw_rows)
        assert int(dataset.frame[col].isna().sum()) == n_missing, col
        assert "-99" not in set(dataset.frame[col].dropna().astype(str))


def test_age_bands_written_with_double_dash_are_read_as_the_ctdc_bands(dataset, raw_rows):
    by_raw: dict[str, int] = {}
    for r in raw_rows:
        band = r["age_range"].replace("--", "-")
        by_raw[band] = by_raw.get(band, 0) + 1
    assert dataset.frame["age_range"].value_counts().to_dict() == by_raw


def test_flags_and_numeric_codes(dataset, raw_rows):
    assert int(dataset.frame["control_threats"].sum()) == sum(
        r["control_threats"] == "1" for r in raw_rows
    )
    assert set(dataset.frame["victim_purpose"].dropna()) == {
        r["victim_purpose"] for r in raw_rows if r["victim_purpose"] != "-99"
    }
    assert int(dataset.frame["registration_year"].min()) == min(
        int(r["registration_year"]) for r in raw_rows
    )


def test_cli_on_the_ctdc_extract_exits_1():
    result = run_mel("validate", str(CTDC), "--template", "ctdc", "--as-of", "2026-11-23")
    assert result.returncode == 1
    assert "FAILED: 20 errors, 0 warnings" in result.stdout
    assert "Traceback" not in result.stderr


def test_input_file_is_not_modified(raw_rows):
    before = CTDC.read_bytes()
    validate_file(CTDC, "ctdc", load_templates(), as_of=AS_OF)
    assert CTDC.read_bytes() == before


def _compute(tmp_path, countries: list[str], geography: str | None):
    """A yearly 2017-2018 project over the extract with one count of victims by registration
    year (by ``geography``, or none), run through `mel compute --internal`."""
    (tmp_path / "mel.yaml").write_text(
        f"name: CTDC extract\ndonor: none\ncountries: [{', '.join(countries)}]\n"
        "start: 2017-01-01\nend: 2018-12-31\nreporting: {period: year}\n"
        f"datasets:\n  ctdc: {{path: {CTDC}}}\nindicators:\n  paths: [ind.yaml]\n"
    )
    (tmp_path / "ind.yaml").write_text(
        "id: CTDC-01\nname: Victims registered\npillar: protection\nlevel: result\n"
        "result: r\ndefinition: d\nunit: victims\ndataset: ctdc\nmeasure: {type: count}\n"
        "date: registration_year\n"
        + (f"geography: {geography}\n" if geography else "")
        + "verification: {method: m, source: s}\n"
        "frequency: {collection: annual, reporting: annual}\n"
        "references: [{source: CTDC, provenance: derived}]\n"
    )
    out = tmp_path / "r.csv"
    result = run_mel("compute", str(tmp_path), "--internal", "--accept-left-out", "-o", str(out))
    return out, result


def test_a_project_on_the_extract_matches_alpha2_countries_and_counts_years_as_events(
    tmp_path, raw_rows
):
    """Issue 13, defects 5 and 6: CTDC writes countries as ISO alpha-2 and dates cases by
    year. A project naming alpha-3 countries computes every cell, the life of project adds the
    years up, and the conversion is noted once. Expected values from the raw file."""
    alpha3 = {"KH": "KHM", "MY": "MYS", "CN": "CHN", "UA": "UKR", "IN": "IND"}
    out, result = _compute(tmp_path, list(alpha3.values()), "country_of_exploitation")
    assert result.returncode == 0, result.stderr
    assert "'country_of_exploitation' names countries another way" in result.stderr
    assert "KH -> KHM" in result.stderr
    valid = [r for r in raw_rows if r["citizenship"] != "00"]  # the 20 invalid rows
    want: dict[tuple[str, str], int] = {}
    for r in valid:
        code = alpha3.get(r["country_of_exploitation"])
        if code is None:
            continue
        for geo in (code, "ALL"):
            for period in (r["registration_year"], "LoP"):
                want[(geo, period)] = want.get((geo, period), 0) + 1
    with open(out, newline="", encoding="utf-8") as fh:
        got = {
            (r["country"], r["period"]): int(float(r["value"]))
            for r in csv.DictReader(fh)
            if r["disaggregation"] == "" and r["value"] != ""
        }
    assert want["ALL", "LoP"] == want["ALL", "2017"] + want["ALL", "2018"] > 0
    assert {k: v for k, v in got.items() if v} == want


def test_without_a_country_column_an_indicator_is_computed_for_all_countries(tmp_path, raw_rows):
    """The ctdc template has no 'country' column: an indicator that names no geography is
    computed for all countries together, every valid record counted (issue 13)."""
    out, result = _compute(tmp_path, ["KHM"], None)
    assert result.returncode == 0, result.stderr
    assert "its records are counted for all countries together" in result.stderr
    valid = [r for r in raw_rows if r["citizenship"] != "00"]
    with open(out, newline="", encoding="utf-8") as fh:
        got = {
            (r["country"], r["period"]): r["value"]
            for r in csv.DictReader(fh)
            if r["disaggregation"] == ""
        }
    for year in ("2017", "2018"):
        assert float(got["ALL", year]) == sum(r["registration_year"] == year for r in valid)
    assert float(got["ALL", "LoP"]) == len(valid)
    assert got["KHM", "LoP"] == ""  # nothing per country
