"""Three languages for real (issue 15, item 7): the catalog, the bundled code lists, the
breakdown titles and the report's fixed texts in French and Spanish, and a report in either
language that shows none of the catalog's English."""

from __future__ import annotations

import re

import openpyxl
import pytest

from mel.definitions.catalog import load_catalog
from mel.outputs.report import labels as lb
from tests.conftest import REPO

EXAMPLE = REPO / "examples" / "counter-trafficking"
SAME_IN_ALL = {"USD", "services"}  # units written the same way in French or Spanish


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


def test_every_catalog_indicator_has_its_name_definition_and_unit_translated(catalog):
    missing = []
    for ident, ld in catalog.indicators.items():
        ind = ld.obj
        for lang in ("fr", "es"):
            tr = ind.translations.get(lang)
            if tr is None or not tr.name or not tr.definition or not tr.unit:
                missing.append(f"{ident} {lang}")
                continue
            if tr.name == ind.name or tr.definition == ind.definition:
                missing.append(f"{ident} {lang}: left in English")
            if tr.unit == ind.unit and ind.unit not in SAME_IN_ALL:
                missing.append(f"{ident} {lang}: unit left in English")
    assert not missing, missing


def test_every_bundled_code_label_is_translated(catalog):
    missing = [
        f"{name}:{c.code} {lang}"
        for name, ld in catalog.codelists.items()
        for c in ld.obj.values
        if re.search(r"[A-Za-z]", c.label or c.code)  # '0-8' reads the same in every language
        for lang in ("fr", "es")
        if not c.labels.get(lang)
    ]
    assert not missing, missing


def test_every_breakdown_title_of_the_catalog_is_translated(catalog):
    titles = set()
    for ld in catalog.indicators.values():
        ind = ld.obj
        tpl = catalog.templates[ind.dataset].obj
        for d in ind.disaggregations:
            if d.label:
                titles.add(d.label)
            else:
                spec = tpl.column(d.column)
                cl = catalog.codelists.get(spec.codelist) if spec and spec.codelist else None
                titles.add(spec.label or (cl.obj.title if cl else d.column))
    assert titles - set(lb.BREAKDOWNS) == set()
    for title in titles:
        assert lb.breakdown(title, "fr") != title or title in ("Service", "Institution")


def test_every_fixed_text_has_french_and_spanish():
    missing = [
        f"{key} {lang}"
        for key in lb._LABELS
        for lang in ("fr", "es")
        if not lb._LABELS[key].get(lang)
    ]
    assert not missing, missing
    for table in (lb.REFERENCE_FIELDS, lb.REFERENCE_WORDS, lb.BREAKDOWNS, lb.PROBLEMS):
        assert all(fr and es for fr, es in table.values())
    # every problem title, severity and reason the Data quality sheet can show
    from mel.engine.results import REASONS
    from mel.errors import ERROR_TYPES

    shown = {t.title for t in ERROR_TYPES.values()} | set(REASONS.values()) | {"error", "warning"}
    assert shown - set(lb.PROBLEMS) == set()


def _english(catalog, lang: str) -> tuple[set[str], set[str]]:
    """(long English texts no cell may contain, short ones no cell may be) of the catalog and
    code lists, where the language has its own words."""
    long_, short = set(), set()
    for ld in catalog.indicators.values():
        ind = ld.obj
        tr = ind.translations[lang]
        long_ |= {
            t for t, mine in ((ind.name, tr.name), (ind.definition, tr.definition)) if t != mine
        }
        if tr.unit != ind.unit:
            short.add(ind.unit)
    for ld in catalog.codelists.values():
        for c in ld.obj.values:
            mine = c.labels.get(lang)
            if c.label and mine and mine != c.label:
                (long_ if len(c.label) > 24 else short).add(c.label)
    for title, (fr, es) in lb.BREAKDOWNS.items():
        if (fr if lang == "fr" else es) != title:
            short.add(title)
    return long_, short - set(catalog.templates)  # a dataset's name is an identifier


@pytest.mark.parametrize("lang", ["fr", "es"])
def test_a_report_in_french_or_spanish_shows_no_english_of_the_catalog(
    tmp_path, cli, catalog, lang
):
    """Every string cell of every sheet of the example's report (all 21 indicators; the
    internal edition, whose words are the donor one's) is read back: no indicator name,
    definition, unit, code-list label or breakdown title in English."""
    result = cli(
        "report",
        str(EXAMPLE),
        "--period",
        "FY2025-Q4",
        "--lang",
        lang,
        "--internal",
        "-o",
        str(tmp_path),
    )
    assert result.exit_code == 0, result.output
    wb = openpyxl.load_workbook(tmp_path / "report-FY2025-Q4.xlsx")
    long_, short = _english(catalog, lang)
    found = []
    citation = lb.reference_word("Reference", lang, lb.REFERENCE_FIELDS)
    for ws in wb.worksheets:
        if ws.title == lb.label("sheet.data", lang):
            continue  # the tidy data keeps codes for machines (and label columns)
        for row in ws.iter_rows():
            if len(row) > 1 and row[1].value == citation:
                continue  # a source cited by its own (English) title
            for c in row:
                v = c.value
                if not isinstance(v, str):
                    continue
                if v.strip() in short or any(t in v for t in long_):
                    found.append(f"{ws.title}!{c.coordinate}: {v[:60]}")
    assert not found, found[:20]
    # and the translations are there: a name, a code label, a country, a breakdown
    text = {
        c.value
        for ws in wb.worksheets
        for row in ws.iter_rows()
        for c in row
        if isinstance(c.value, str)
    }
    prot01 = catalog.indicators["PROT-01"].obj.translations[lang]
    assert prot01.name in text
    assert lb.country_name("SDN", lang) in text
    assert lb.breakdown("Type of exploitation", lang) + " " + lb.label("multi", lang) in text
    sex = {c.code: c.labels[lang] for c in catalog.codelists["sex"].obj.values}
    assert sex["Female"] in text
