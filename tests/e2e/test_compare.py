"""The comparison of cells (SPEC section 7) and the analyses in the viewer (section 6), in
Chromium: one column per cell playing in step under one player, one colour scale per quantity
across the columns, the connectivity map and memory reach following playback, the embed, the URL,
both languages, refusals. Screenshots for people to look at go to test-artifacts/compare-*.png."""

import json
import math
from pathlib import Path
from urllib.parse import parse_qs, quote, urlparse

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.a11y import axe_violations
from tests.e2e.conftest import ARTIFACTS, ENGLISH, watch
from tests.e2e.viewer import OVERLAPS_JS, open_viewer, record_runs, wait_ready

pytestmark = pytest.mark.e2e

PRESET = "memory_reach"

# Per column of the comparison: its cell, heading, and what its charts show now (Plotly's own
# data and layout): the connectivity map's cursor row and colour range, each heatmap colour axis'
# range and cursor, the memory-reach curve and its cursor, the trajectory ring, the gate cells.
COLUMNS_JS = """(root) => [...root.querySelectorAll('.column')].map((col) => {
  const chart = (name) => col.querySelector(`[data-chart=${name}]`);
  const [map, heat, reach, path] = ['connectivity', 'heatmaps', 'reach', 'trajectory'].map(chart);
  const axes = Object.entries(heat.layout).filter(([key]) => key.startsWith('coloraxis'));
  return {
    cell: col.dataset.cell,
    title: col.querySelector('[data-role=cell-title]').textContent,
    rows: map.layout.shapes.map((s) => (s.y0 + s.y1) / 2),
    mapScale: [map.layout.coloraxis.cmin, map.layout.coloraxis.cmax],
    mapTraces: map.data.map((d) => d.name),
    mapLogs: map.data[0].z.flat().filter((v) => v !== null),
    heatScales: Object.fromEntries(axes.map(([key, axis]) => [key, [axis.cmin, axis.cmax]])),
    heat: heat.data.map((d) => ({ axis: d.coloraxis, z: d.z })),
    heatCursors: heat.layout.shapes.filter((s) => !s.fillcolor).map((s) => (s.x0 + s.x1) / 2),
    reach: reach.data[0].y,
    reachCursor: reach.layout.shapes.find((s) => s.type === 'line').x0,
    ring: path.layout.shapes.map((s) => [s.xanchor, s.yanchor]),
    path: path.data.map((d) => ({ x: d.x, y: d.y, t: d.customdata })),
    gates: [...col.querySelectorAll('[data-chart=gates] td')].map((td) => td.title),
    note: col.querySelector('[data-role=analysis-note]').textContent,
  };
})"""


def columns(page: Page) -> list[dict]:
    """What every column shows now."""
    return page.locator("#compare").evaluate(COLUMNS_JS)


def overlaps(page: Page) -> list[list[str]]:
    """Texts of the comparison's charts that overlap one another or a heatmap."""
    return page.locator("#compare").evaluate(OVERLAPS_JS)


def slider(page: Page) -> int:
    return int(page.get_by_role("slider", name="Step").input_value())


def assert_in_step(shown: list[dict], step: int) -> None:
    """Every column shows playback step `step` (forward: the row and position t = step)."""
    for column in shown:
        assert column["rows"] == [step, step], column["cell"]
        assert set(column["heatCursors"]) == {step}, column["cell"]
        assert column["reachCursor"] == step, column["cell"]


def open_compare(page: Page, url: str) -> list[dict]:
    page.goto(url)
    wait_ready(page)
    return columns(page)


def test_three_columns_play_pause_and_step_in_sync(page: Page, app_url: str) -> None:
    shown = open_compare(page, f"{app_url}/compare?preset={PRESET}&cells=rnn,lstm,gru")
    assert [(c["cell"], c["title"]) for c in shown] == [
        ("rnn", "RNN"),
        ("lstm", "LSTM"),
        ("gru", "GRU"),
    ]
    assert_in_step(shown, 0)
    page.get_by_label("Speed (steps per second)").select_option("15")
    page.get_by_role("button", name="Play", exact=True).click()
    page.wait_for_timeout(700)
    page.get_by_role("button", name="Pause", exact=True).click()
    expect(page.get_by_role("button", name="Play", exact=True)).to_be_visible()
    step = slider(page)
    assert 0 < step < 39
    assert_in_step(columns(page), step)
    page.get_by_role("button", name="Step forward").click()
    expect(page.get_by_role("slider", name="Step")).to_have_value(str(step + 1))
    assert_in_step(columns(page), step + 1)
    # The keys of the region that holds every column: → steps all of them, space plays.
    page.locator("#compare").focus()
    page.keyboard.press("ArrowRight")
    expect(page.get_by_role("slider", name="Step")).to_have_value(str(step + 2))
    assert_in_step(columns(page), step + 2)
    page.keyboard.press("Space")
    expect(page.get_by_role("button", name="Pause", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Play", exact=True)).to_be_visible(timeout=10000)
    assert slider(page) == 39
    assert_in_step(columns(page), 39)
    assert page.get_by_role("button", name="Play", exact=True).count() == 1  # one player


def test_each_quantity_has_one_colour_scale_in_every_column(page: Page, app_url: str) -> None:
    shown = open_compare(page, f"{app_url}/compare?preset={PRESET}")
    # Connectivity: one log10 range over every column's values (at most 8 powers of ten deep).
    [(lo, hi)] = {tuple(c["mapScale"]) for c in shown}
    logs = [v for c in shown for v in c["mapLogs"]]
    assert hi == pytest.approx(max(logs)) and lo == pytest.approx(
        max(min(logs), math.floor(hi) - 8)
    )
    assert min(min(c["mapLogs"]) for c in shown) < lo  # the RNN's weakest reach is off the scale
    # h: centred on 0 and as deep as the largest |h| of any column; c only in the LSTM's column.
    [(h_lo, h_hi)] = {tuple(c["heatScales"]["coloraxis"]) for c in shown}
    h = [
        abs(v)
        for c in shown
        for trace in c["heat"]
        if trace["axis"] == "coloraxis"
        for v in sum(trace["z"], [])
    ]
    assert h_lo == -h_hi and h_hi == pytest.approx(max(h))
    assert [c["cell"] for c in shown if "coloraxis2" in c["heatScales"]] == ["lstm"]


def test_the_preset_shows_how_far_each_cells_memory_reaches(page: Page, app_url: str) -> None:
    shown = {c["cell"]: c for c in open_compare(page, f"{app_url}/compare?preset={PRESET}")}
    for column in shown.values():
        assert column["mapTraces"] == ["value", "zero", "padding"]
        assert column["note"] == ""
    # The last state's dependence on x_39 over its dependence on x_0, read off the plotted curves:
    # the RNN forgets the first input by powers of ten, LSTM and GRU keep it within one.
    weaker = {cell: c["reach"][-1] / c["reach"][0] for cell, c in shown.items()}
    assert weaker["rnn"] > 1e8 and weaker["lstm"] < 10 and weaker["gru"] < 10


def test_the_trajectory_ring_follows_playback(page: Page, app_url: str) -> None:
    open_compare(page, f"{app_url}/compare?preset={PRESET}&step=7")
    page.get_by_role("button", name="Step forward").click()
    expect(page.get_by_role("slider", name="Step")).to_have_value("8")
    for column in columns(page):
        [path] = column["path"]
        k = path["t"].index(8)
        assert column["ring"] == [[path["x"][k], path["y"][k]]], column["cell"]


def test_the_url_round_trips_step_columns_and_view(page: Page, app_url: str) -> None:
    open_compare(page, f"{app_url}/compare?preset={PRESET}&cells=gru,lstm&step=3&lang=en")
    assert [c["cell"] for c in columns(page)] == ["gru", "lstm"]
    page.locator("#compare").focus()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    expect(page.get_by_role("slider", name="Step")).to_have_value("5")
    query = parse_qs(urlparse(page.url).query)
    assert query["cells"] == ["gru,lstm"] and query["step"] == ["5"] and query["preset"] == [PRESET]
    page.reload()
    wait_ready(page)
    assert slider(page) == 5 and [c["cell"] for c in columns(page)] == ["gru", "lstm"]
    assert_in_step(columns(page), 5)
    # A configuration given as config= comes back as the page's own fields, and reloads the same.
    config = {"cell": "gru", "hidden_size": 3, "input": {"text": ["abcab"]}, "seed": 4}
    open_compare(page, f"{app_url}/compare?config={quote(json.dumps(config))}&cells=rnn,gru_tf1")
    query = parse_qs(urlparse(page.url).query)
    assert (query["hidden_size"], query["text"], query["seed"]) == (["3"], ["abcab"], ["4"])
    before = columns(page)
    page.reload()
    wait_ready(page)
    assert columns(page) == before and [c["title"] for c in before] == ["RNN", "GRU (TF1)"]


def test_a_column_opens_its_own_run_in_the_app(page: Page, app_url: str) -> None:
    open_compare(page, f"{app_url}/compare?preset={PRESET}&cells=rnn,gru_tf1&step=4")
    link = page.get_by_role("link", name="Open the GRU (TF1) run in RNN Visualizer")
    query = parse_qs(urlparse(link.get_attribute("href")).query)
    assert query["cell"] == ["gru"] and query["reset_after"] == ["0"] and query["step"] == ["4"]
    shown = open_viewer(page, link.get_attribute("href"))
    assert shown["label"].startswith("Step 5 of 40")
    assert "r likewise" in shown["math"] and "(r⊙h_prev)·U_n" in shown["math"]


def test_configurations_that_fit_one_cell_are_refused_with_a_reason(
    page: Page, app_url: str
) -> None:
    cases = {
        "preset=initial_state": "zero state",
        f"preset={PRESET}&init=random": "zero state",
        f"preset={PRESET}&weights={quote(json.dumps({'layers': []}))}": "seeded weights",
        f"preset={PRESET}&cells=rnn,nope": "Unknown cells in cells=: nope",
        "config=%7Bnot%20json": "not readable",
    }
    for query, reason in cases.items():
        page.goto(f"{app_url}/compare?{query}")
        wait_ready(page)
        expect(page.get_by_role("status").first).to_contain_text(reason)
        expect(page.locator("#compare")).to_be_hidden()


def test_korean_comparison_reads_korean(browser: Browser, app_url: str, console_errors) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 720}, locale="ko-KR")
    page = context.new_page()
    watch(page, console_errors)
    open_compare(page, f"{app_url}/compare?preset={PRESET}&step=12&lang=ko")
    expect(page.get_by_role("button", name="재생", exact=True)).to_be_visible()
    expect(page.locator("[data-role=step-label]")).to_have_text(
        "40단계 중 13단계 · 정방향: t = 12의 입력 [0, 8]"
    )
    expect(page.locator(".scales-note")).to_contain_text("같은 색 척도")
    expect(page.locator("#preset option:checked")).to_contain_text("LSTM이 필요한 이유")
    assert (
        "1층"
        in page.locator(".column [data-chart=connectivity] .annotation-text").first.text_content()
    )
    page.screenshot(path=ARTIFACTS / "compare-korean-1280x720.png")
    assert overlaps(page) == []
    context.close()
    assert console_errors == []


@pytest.mark.parametrize(
    ("name", "size", "query"),
    [
        ("1280x720", (1280, 720), ""),
        ("1920x1080-presenter", (1920, 1080), "&presenter=1"),
        ("375", (375, 812), ""),
    ],
)
def test_the_comparison_fits_the_screen(
    browser: Browser, app_url: str, console_errors, name: str, size: tuple[int, int], query: str
) -> None:
    context = browser.new_context(viewport={"width": size[0], "height": size[1]}, **ENGLISH)
    page = context.new_page()
    watch(page, console_errors)
    open_compare(page, f"{app_url}/compare?preset={PRESET}&step=20{query}")
    page.screenshot(path=ARTIFACTS / f"compare-{name}.png", full_page=size[0] < 600)
    assert page.evaluate("document.documentElement.scrollWidth") <= size[0]
    expect(page.get_by_role("button", name="Play", exact=True)).to_be_in_viewport()
    if size[0] >= 1280:  # the three maps side by side on the first screen
        maps = page.locator(".column [data-chart=connectivity]")
        for k in range(3):
            expect(maps.nth(k)).to_be_in_viewport()
        tops = {round(maps.nth(k).bounding_box()["y"]) for k in range(3)}
        assert len(tops) == 1
    assert overlaps(page) == []
    context.close()
    assert console_errors == []


def test_the_embedded_comparison_plays_in_an_iframe_on_another_site(
    page: Page, app_url: str, other_origin: tuple[str, Path]
) -> None:
    open_compare(page, f"{app_url}/compare?preset={PRESET}&cells=rnn,lstm,gru&speed=30")
    page.get_by_role("button", name="Copy embed code").click()
    code = page.get_by_label("Text to copy").input_value()
    assert "/embed?" in code and "cells=rnn%2Clstm%2Cgru" in code and 'width="800"' in code
    site, folder = other_origin
    (folder / "compare.html").write_text(f'<!doctype html><link rel="icon" href="data:,">{code}')
    page.goto(f"{site}/compare.html")
    frame = page.frame_locator("iframe")
    wait_ready(frame)
    assert frame.locator(".column").count() == 3 and frame.locator("#preset").count() == 0
    frame.get_by_role("button", name="Play", exact=True).click()
    expect(frame.get_by_role("slider", name="Step")).to_have_value("39", timeout=10000)
    assert_in_step(frame.locator("#compare").evaluate(COLUMNS_JS), 39)
    assert frame.locator("html").evaluate("(html) => html.scrollWidth") <= 800


def test_the_embed_at_800_by_450_reads_clearly(page: Page, app_url: str) -> None:
    page.set_viewport_size({"width": 800, "height": 450})
    shown = open_compare(page, f"{app_url}/embed?preset={PRESET}&cells=rnn,lstm,gru&step=20")
    page.screenshot(path=ARTIFACTS / "compare-embed-800x450.png")
    assert_in_step(shown, 20)
    assert page.evaluate("document.documentElement.scrollWidth") <= 800
    maps = page.locator(".column [data-chart=connectivity]")
    for k in range(3):
        box = maps.nth(k).bounding_box()
        assert box["width"] >= 240 and box["y"] + box["height"] <= 450, box
    assert overlaps(page) == []
    link = page.get_by_role("link", name="Open in RNN Visualizer ↗")
    assert urlparse(link.get_attribute("href")).path == "/compare"


def test_the_main_page_shows_the_analyses_and_moves_their_cursors(page: Page, app_url: str) -> None:
    runs = record_runs(page)
    open_viewer(page, f"{app_url}/?preset=lstm_batch")
    [(method, path)] = runs
    asked = json.loads(parse_qs(urlparse(path).query)["config"][0])
    assert method == "GET" and asked["analysis"] == ["connectivity", "trajectory"]
    rows = "(el) => el.layout.shapes.map((s) => (s.y0 + s.y1) / 2)"
    expect(page.locator("[data-figure=connectivity]")).to_be_visible()
    assert page.locator("[data-chart=connectivity]").evaluate(rows) == [0, 0]
    page.get_by_role("button", name="Step forward").click()
    expect(page.get_by_role("slider", name="Step")).to_have_value("1")
    assert page.locator("[data-chart=connectivity]").evaluate(rows) == [1, 1]
    summary = page.locator("[data-summary=connectivity]").text_content()
    assert summary.startswith("At step 2 of 5, the forward state at t = 1 depends")
    # hide=analysis asks for none, and shows none.
    runs.clear()
    open_viewer(page, f"{app_url}/?preset=lstm_batch&hide=analysis")
    assert runs == [("GET", "/api/run?preset=lstm_batch")]
    expect(page.locator("[data-part=analysis]")).to_be_hidden()


@pytest.mark.parametrize(
    ("locale", "lang", "expected"),
    [
        (
            "en-US",
            "en",
            "Connectivity is computed for runs of at most 200 steps; this one has 250.",
        ),
        ("ko-KR", "ko", "연결도는 200단계 이하인 실행에서만 계산합니다. 이 실행은 250단계입니다."),
    ],
)
def test_a_run_past_max_analysis_steps_says_why_and_shows_the_rest(
    browser: Browser, app_url: str, console_errors, locale: str, lang: str, expected: str
) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale=locale)
    page = context.new_page()
    watch(page, console_errors)
    runs = record_runs(page)
    shown = open_viewer(page, f"{app_url}/?text={'ab' * 125}&lang={lang}")
    expect(page.locator("[data-role=analysis-note]")).to_contain_text(expected)
    [(_, path)] = runs  # the run is not asked for what the server would refuse
    assert json.loads(parse_qs(urlparse(path).query)["config"][0])["analysis"] == ["trajectory"]
    assert len(shown["heatmaps"][0]["z"][0]) == 250
    expect(page.locator("[data-figure=connectivity]")).to_be_hidden()
    expect(page.locator("[data-figure=trajectory]")).to_be_visible()
    context.close()
    assert console_errors == []


@pytest.mark.parametrize(
    ("path", "size"),
    [
        (f"/compare?preset={PRESET}&lang=en", (1280, 720)),
        (f"/compare?preset={PRESET}&lang=ko&presenter=1", (1920, 1080)),
        (f"/embed?preset={PRESET}&cells=rnn,lstm,gru&step=3", (800, 450)),
        ("/compare?preset=initial_state", (1280, 720)),
    ],
)
def test_the_comparison_pages_pass_axe(
    page: Page, app_url: str, path: str, size: tuple[int, int]
) -> None:
    """axe-core's rules (tests/e2e/a11y.py): no violation."""
    page.set_viewport_size({"width": size[0], "height": size[1]})
    page.goto(f"{app_url}{path}")
    wait_ready(page)
    assert axe_violations(page) == []
