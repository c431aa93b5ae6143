"""The web report (report-<period>.html) in a real browser: Debian's Chromium, driven by
Playwright. .ci/run installs Chromium, so in CI its absence is a failure; on a developer machine
without it these tests are skipped."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import openpyxl
import pytest

from tests.test_report import PERIOD, donor  # noqa: F401 - the shared donor report

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run",
         "--disable-component-update", "--disable-sync", "--disable-quic"]  # fmt: skip


def _browser_or_skip():
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail("Chromium is missing: .ci/run should have installed it")
        pytest.skip("Chromium is not installed here")


@pytest.fixture(scope="module")
def seen(donor):  # noqa: F811
    """What a browser shows of the donor report's web page, read once."""
    _browser_or_skip()
    from playwright.sync_api import sync_playwright

    page_file = donor / f"report-{PERIOD}.html"
    out: dict = {"errors": [], "requests": []}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(viewport={"width": 1300, "height": 900})
        page.on("console", lambda m: out["errors"].append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: out["errors"].append(str(e)))
        page.on("request", lambda r: out["requests"].append(r.url))
        page.goto(page_file.as_uri())
        page.wait_for_load_state("load")
        out["rows"] = page.eval_on_selector_all(
            "#tracking-table tbody tr",
            "rs => rs.map(r => ({ind: r.dataset.indicator, country: r.dataset.country, "
            "status: r.dataset.status, values: [...r.querySelectorAll('td[data-value]')]"
            ".map(td => [td.dataset.value, td.textContent])}))",
        )
        out["shown_before"] = page.inner_text("#shown")
        page.select_option("#f-country", "SDN")
        out["visible_sdn"] = page.eval_on_selector_all(
            "#tracking-table tbody tr:not([hidden])", "rs => rs.map(r => r.dataset.country)"
        )
        out["shown_sdn"] = page.inner_text("#shown")
        page.select_option("#f-country", "")
        out["charts"] = page.eval_on_selector_all(
            "#charts svg",
            "ss => ss.map(s => ({bars: s.querySelectorAll('rect.bar').length, "
            "w: s.getBoundingClientRect().width, h: s.getBoundingClientRect().height}))",
        )
        # the keyboard: Tab from the top of the page reaches every filter
        page.goto(page_file.as_uri())
        focused = []
        for _ in range(20):
            page.keyboard.press("Tab")
            focused.append(page.evaluate("document.activeElement.id"))
        out["focused"] = focused
        page.focus("#f-pillar")
        page.keyboard.press("ArrowDown")
        out["pillar_by_key"] = page.eval_on_selector("#f-pillar", "s => s.value")
        out["shown_by_key"] = page.inner_text("#shown")
        browser.close()
    return out


def test_loads_offline_without_errors_or_requests(seen, donor):  # noqa: F811
    assert seen["errors"] == []
    page = (donor / f"report-{PERIOD}.html").as_uri()
    assert set(seen["requests"]) == {page}  # nothing fetched from anywhere else
    text = (donor / f"report-{PERIOD}.html").read_text(encoding="utf-8")
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", text)


def _tracking_sheet(donor_folder: Path) -> dict[str, list]:
    wb = openpyxl.load_workbook(donor_folder / f"report-{PERIOD}.xlsx")
    ws = wb["Indicator tracking"]
    rows = {}
    for r in ws.iter_rows(values_only=True):
        if r and isinstance(r[0], str) and re.fullmatch(r"[A-Z]+-\d+", r[0]):
            rows[r[0]] = list(r[3:16])
    return rows


def _same(cell, dom: tuple[str, str]) -> bool:
    value, text = dom
    if cell is None:
        return value == ""
    if isinstance(cell, (int, float)):
        return value != "" and abs(float(value) - float(cell)) < 1e-9
    return value == str(cell) and text == str(cell)


def test_the_tables_show_the_workbooks_values(seen, donor):  # noqa: F811
    sheet = _tracking_sheet(donor)
    all_rows = {r["ind"]: r["values"] for r in seen["rows"] if r["country"] == "ALL"}
    assert set(all_rows) == set(sheet) and len(sheet) == 21
    compared = 0
    for ind, cells in sheet.items():
        dom = all_rows[ind]
        assert len(dom) == 13
        for k, cell in enumerate(cells):
            assert _same(cell, dom[k]), (ind, k, cell, dom[k])
            compared += cell is not None
    assert compared > 150
    # hidden values are shown with the workbook's markers, never as numbers
    markers = {v for r in seen["rows"] for v, _ in r["values"] if v in ("<5", "[c]")}
    assert markers  # the example has hidden cells


def test_a_number_reads_as_the_workbook_formats_it(seen):
    cells = [(v, t) for r in seen["rows"] for v, t in r["values"] if v and v[0].isdigit()]
    shown = dict(cells)
    assert any(re.fullmatch(r"\d{1,3}(,\d{3})+", t) for t in shown.values())  # 3,281
    assert any(t.endswith("%") for t in shown.values())  # 85.9%


def test_filter_by_country(seen):
    assert seen["visible_sdn"] and set(seen["visible_sdn"]) == {"SDN"}
    assert seen["shown_sdn"] == f"{len(seen['visible_sdn'])} of {len(seen['rows'])} rows shown"
    assert seen["shown_before"] == f"{len(seen['rows'])} of {len(seen['rows'])} rows shown"


def test_the_charts_render(seen):
    assert len(seen["charts"]) >= 15
    for chart in seen["charts"]:
        assert chart["w"] > 200 and chart["h"] > 50
    assert sum(c["bars"] for c in seen["charts"]) > 100


def test_a_keyboard_user_reaches_the_filters(seen):
    for f in ("f-pillar", "f-country", "f-status"):
        assert f in seen["focused"], seen["focused"]
    assert seen["pillar_by_key"] != ""  # the arrow key chose a pillar
    assert seen["shown_by_key"] != seen["shown_before"]


def test_the_edition_and_language_are_marked(donor, tmp_path, cli):  # noqa: F811
    text = (donor / f"report-{PERIOD}.html").read_text(encoding="utf-8")
    assert '<html lang="en">' in text and "Donor edition: small counts suppressed" in text
    out = tmp_path / "fr"
    from tests.conftest import REPO

    result = cli("report", str(REPO / "tests" / "data" / "clean"), "--period", "2024-Q3", "-o",
                 str(out), "--as-of", "2026-01-15", "--internal", "--lang", "fr")  # fmt: skip
    assert result.exit_code == 0, result.output
    fr = (out / "report-2024-Q3.html").read_text(encoding="utf-8")
    assert '<html lang="fr">' in fr and "INTERNE" in fr and "Pays" in fr
    assert "Donor edition" not in fr
