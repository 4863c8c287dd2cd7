"""Accessibility: axe-core (offline, tests/e2e/a11y.py) finds nothing on the app and the embed, in
both languages, presenter mode on and off, on every pane of a small embed, with the embed
builder, the weights and the tables of values open, and after a refused run. Also what axe cannot
see: the Plotly toolbar out of the Tab order, the preset menu running once when a preset is
chosen by keyboard, the heatmaps' values as tables, bad fields marked invalid."""

import json
import re

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.a11y import axe_version, axe_violations
from tests.e2e.conftest import ARTIFACTS, sized_page
from tests.e2e.viewer import drawn, open_viewer, panes, record_runs, wait_ready

pytestmark = pytest.mark.e2e

# (page and query, window): presets with and without gates, one and two directions.
PAGES = {
    "app": ("/?preset=bidirectional_lstm&step=1", (1280, 800)),
    "app-presenter": ("/?preset=bidirectional_lstm&step=1&presenter=1", (1920, 1080)),
    "app-presenter-720": ("/?preset=gru_batch&presenter=1", (1280, 720)),
    "app-phone": ("/?preset=bidirectional_rnn", (375, 812)),
    "embed": ("/embed?preset=bidirectional_lstm&step=1", (800, 450)),
    "embed-small": ("/embed?preset=gru_batch&step=2", (480, 320)),
    "embed-rnn": ("/embed?preset=bidirectional_rnn&hide=network", (800, 450)),
}


@pytest.mark.parametrize("lang", ["en", "ko"])
@pytest.mark.parametrize("name", PAGES)
def test_axe_finds_no_violation(
    browser: Browser, app_url: str, console_errors: list[str], name: str, lang: str
) -> None:
    path, size = PAGES[name]
    page = sized_page(browser, console_errors, *size)
    open_viewer(page, f"{app_url}{path}&lang={lang}")
    assert axe_violations(page) == [], f"axe {axe_version()}"
    for k in range(1, len(panes(page))):  # every pane of a fitted viewer
        page.locator("[data-role=panes] button").nth(k).click()
        page.locator("#viewer[aria-busy=false]").wait_for()
        assert axe_violations(page) == [], f"pane {k}"
    page.context.close()
    assert console_errors == []


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_axe_finds_no_violation_with_the_builder_weights_and_values_open(
    browser: Browser, app_url: str, console_errors: list[str], lang: str
) -> None:
    page = sized_page(browser, console_errors, 1280, 900)
    open_viewer(page, f"{app_url}/?preset=gru_batch&lang={lang}")
    page.locator("[data-action=builder]").click()
    wait_ready(page.frame_locator("#builder iframe"))
    page.locator("[data-role=weights] summary").click()
    page.locator("[data-role=heat-all] summary").click()
    expect(page.locator("[data-role=weights] table")).to_have_count(3)
    assert axe_violations(page) == [], f"axe {axe_version()}"
    page.context.close()
    assert console_errors == []


def test_a_refused_run_marks_the_field_invalid_and_keeps_the_old_charts_as_stale(
    page: Page, app_url: str, console_errors: list[str]
) -> None:
    before = open_viewer(page, f"{app_url}/?preset=lstm_batch")
    hidden = page.get_by_label("Hidden size", exact=True)
    hidden.fill("0")
    page.get_by_role("button", name="Run").click()
    wait_ready(page)
    expect(hidden).to_have_attribute("aria-invalid", "true")
    message = page.locator("#" + hidden.get_attribute("aria-describedby"))
    expect(message).to_have_text("must be greater than or equal to 1")
    expect(page.locator("#viewer")).to_have_class(re.compile(r"\bstale\b"))
    expect(page.locator("[data-role=stale-note]")).to_contain_text("last run that worked")
    assert drawn(page)["heatmaps"] == before["heatmaps"]  # the old run, marked as such
    assert axe_violations(page) == []
    hidden.fill("3")
    page.get_by_role("button", name="Run").click()
    wait_ready(page)
    expect(hidden).not_to_have_attribute("aria-invalid", "true")
    expect(page.locator("#viewer")).not_to_have_class(re.compile(r"\bstale\b"))
    expect(page.locator("[data-role=stale-note]")).to_be_hidden()
    assert len(drawn(page)["heatmaps"][0]["z"]) == 3
    console_errors[:] = [e for e in console_errors if "status of 422" not in e]


def test_the_chart_toolbars_are_out_of_the_tab_order(page: Page, app_url: str) -> None:
    open_viewer(page, f"{app_url}/?preset=bidirectional_lstm")
    buttons = page.locator(".modebar-btn")
    assert buttons.count() >= 12
    assert set(buttons.evaluate_all("(bs) => bs.map((b) => b.tabIndex)")) == {-1}
    reached = []
    for _ in range(120):
        page.keyboard.press("Tab")
        reached.append(page.evaluate("document.activeElement.className"))
    assert not [c for c in reached if "modebar" in str(c)]
    assert any("png" in str(c) for c in reached)  # each chart's own PNG button is reachable


def test_the_preset_menu_runs_once_when_a_preset_is_chosen_by_keyboard(
    page: Page, app_url: str, presets: list[dict]
) -> None:
    # Without the analyses a preset's run is asked for by its name (GET ?preset=), which the
    # assertions read; with them it goes by its configuration (docs/FRONTEND.md).
    open_viewer(page, f"{app_url}/?preset=one_cell&hide=analysis")
    runs = record_runs(page)
    menu = page.get_by_label("Preset", exact=True)
    menu.focus()
    first = [p["name"] for p in presets].index("one_cell")
    for _ in range(3):
        page.keyboard.press("ArrowDown")
    chosen = presets[first + 3]
    expect(page.locator("[data-role=preset-info]")).to_contain_text(chosen["description"])
    page.wait_for_timeout(300)
    assert runs == []  # moving through the menu runs nothing
    page.keyboard.press("Enter")
    wait_ready(page)
    expect(page.locator("#viewer")).to_be_visible()
    page.wait_for_timeout(300)
    assert runs == [("GET", f"/api/run?preset={chosen['name']}")]
    assert f"preset={chosen['name']}" in page.url
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Tab")  # leaving the menu chooses too
    wait_ready(page)
    page.wait_for_timeout(300)
    assert [q for _, q in runs] == [
        f"/api/run?preset={p['name']}" for p in presets[first + 3 :][:2]
    ]


def test_the_heatmaps_values_are_tables_for_screen_readers(page: Page, app_url: str) -> None:
    run = json.loads(page.request.get(f"{app_url}/api/run?preset=bidirectional_lstm").body())
    open_viewer(page, f"{app_url}/?preset=bidirectional_lstm&step=1")
    table = page.locator("[data-role=heat-now] table")
    expect(table).to_have_count(1)
    expect(table.locator("caption")).to_have_text("Values at step 2")
    heads = table.locator("thead th").all_inner_texts()
    assert heads[1:] == [
        f"layer 1 · {d} · {q} (t = {t})" for d, t in (("forward", 1), ("backward", 0)) for q in "hc"
    ]
    rows = [r.locator("td").all_inner_texts() for r in table.locator("tbody tr").all()]
    layer = run["layers"][0]
    for u, row in enumerate(rows):
        expected = [layer[d]["states"][q][0][t][u] for d, t in (("forward", 1), ("backward", 0))
                    for q in "hc"]  # fmt: skip
        assert [float(v) for v in row] == pytest.approx(expected, abs=1e-4)
    page.get_by_role("button", name="Step forward").click()
    expect(table.locator("caption")).to_have_text("Values at step 3")
    # The whole matrix, for anyone: every step of the focused layer and direction.
    page.locator("[data-role=heat-all] summary").click()
    tables = page.locator("[data-role=heat-all-tables] table")
    expect(tables).to_have_count(2)
    h = [r.locator("td").all_inner_texts() for r in tables.nth(0).locator("tbody tr").all()]
    for row, expected in zip(h, layer["forward"]["states"]["h"][0], strict=True):
        assert [float(v) for v in row] == pytest.approx(expected, abs=1e-4)
    page.screenshot(path=ARTIFACTS / "values-tables.png", full_page=True)
