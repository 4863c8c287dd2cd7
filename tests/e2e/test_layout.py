"""Screenshots for people to look at (test-artifacts/), and the layouts they show: the app at
three sizes, presenter mode on two 16:9 screens, the embed in frames from 480 x 320 up."""

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import ARTIFACTS, sized_page
from tests.e2e.viewer import (
    fit_problems,
    open_viewer,
    overlaps,
    panes,
    scrolled_regions,
)

pytestmark = pytest.mark.e2e

SIZES = {
    "desktop": (1280, 800),
    "phone": (375, 812),
    "projector": (1920, 1080),
    "wide": (1400, 900),
}

# Each heatmap panel's plot area: [left, top, width, height] in pixels.
HEATMAP_PANELS_JS = """(el) => Object.entries(el._fullLayout)
  .filter(([key]) => /^yaxis\\d*$/.test(key))
  .map(([, y]) => [y._anchorAxis._offset, y._offset, y._anchorAxis._length, y._length])"""


# Two presets, and 20 GRU units over 30 steps of 16 numbers (long labels, many ticks).
RUNS = {
    "bidirectional_lstm": "preset=bidirectional_lstm",
    "multilayer_lstm": "preset=multilayer_lstm",
    "gru_30_steps": "cell=gru&hidden_size=20&input=values&values=arange%201,30,16",
}


@pytest.mark.parametrize("run", RUNS)
@pytest.mark.parametrize("name", SIZES)
def test_app_fits_the_screen(
    browser: Browser, app_url: str, console_errors: list[str], name: str, run: str
) -> None:
    width, height = SIZES[name]
    page = sized_page(browser, console_errors, width, height)
    presenter = "&presenter=1" if name == "projector" else ""
    open_viewer(page, f"{app_url}/?{RUNS[run]}&step=1{presenter}")
    page.screenshot(path=ARTIFACTS / f"app-{name}-{run}.png", full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    expect(page.get_by_role("button", name="Play", exact=True)).to_be_in_viewport()
    assert overlaps(page) == []
    panels = page.locator("[data-chart=heatmaps]").evaluate(HEATMAP_PANELS_JS)
    if name == "phone":  # one heatmap per row, each as wide as the others and tall enough to read
        assert len({left for left, *_ in panels}) == 1, panels
        assert all(h >= 80 for *_, h in panels), panels
    page.context.close()
    assert console_errors == []


SCREENS = {"1920x1080": (1920, 1080), "1280x720": (1280, 720)}
# The parts presenter mode shows together: the network, the states, the gates (for a cell that has
# them) and the math (issue 11); the unit lines join them when there is room.
TOGETHER = ["network", "heatmaps", "gates", "math"]
# Runs a lesson shows on one screen at both sizes (a deeper network may need a second pane).
ONE_SCREEN = {
    "bidirectional_lstm": RUNS["bidirectional_lstm"],
    "lstm_batch": "preset=lstm_batch",
    "gru_30_steps": RUNS["gru_30_steps"],
}


def show_pane(page: Page, k: int) -> None:
    """Show a fitted viewer's pane k and wait until its charts are drawn."""
    page.locator("[data-role=panes] button").nth(k).click()
    button = page.locator("[data-role=panes] button").nth(k)
    expect(button).to_have_attribute("aria-pressed", "true")
    page.locator("#viewer[aria-busy=false]").wait_for()


def window_size(page: Page) -> list[int]:
    return page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.scrollHeight]"
    )


@pytest.mark.parametrize("run", ONE_SCREEN)
@pytest.mark.parametrize("screen", SCREENS)
def test_presenter_mode_shows_network_states_gates_and_math_on_one_screen(
    browser: Browser, app_url: str, console_errors: list[str], screen: str, run: str
) -> None:
    width, height = SCREENS[screen]
    page = sized_page(browser, console_errors, width, height)
    open_viewer(page, f"{app_url}/?{ONE_SCREEN[run]}&step=1&presenter=1")
    page.screenshot(path=ARTIFACTS / f"presenter-{screen}-{run}.png")
    assert window_size(page) == [width, height]  # nothing scrolls
    assert panes(page) == [] or "Network" in panes(page)[0], panes(page)
    for part in TOGETHER:
        box = page.locator(f"[data-part={part}]").bounding_box()
        assert box and box["width"] > 200 and box["height"] > 100, (part, box)
        assert box["x"] >= 0 and box["y"] >= 0, (part, box)
        assert box["x"] + box["width"] <= width and box["y"] + box["height"] <= height, (part, box)
    assert fit_problems(page) == []
    assert overlaps(page) == []
    assert scrolled_regions(page) == []  # the math shows every line
    # Large type: in proportion to the screen, 22 px on a 1080-line projector.
    root_px = page.evaluate("parseFloat(getComputedStyle(document.documentElement).fontSize)")
    chart_px = page.evaluate("document.querySelector('[data-chart=network]').layout.font.size")
    assert root_px >= height / 50 - 0.5 and chart_px >= 12 * height / 1080 * 1.5 - 0.5
    page.context.close()
    assert console_errors == []


@pytest.mark.parametrize("screen", SCREENS)
def test_presenter_mode_of_a_deep_network_shows_every_part_on_panes(
    browser: Browser, app_url: str, console_errors: list[str], screen: str
) -> None:
    width, height = SCREENS[screen]
    page = sized_page(browser, console_errors, width, height)
    open_viewer(page, f"{app_url}/?preset=multilayer_lstm&step=1&presenter=1")
    shown: set[str] = set()
    for k in range(max(1, len(panes(page)))):
        if panes(page):
            show_pane(page, k)
        page.screenshot(path=ARTIFACTS / f"presenter-{screen}-multilayer_lstm-pane{k}.png")
        assert window_size(page) == [width, height]
        assert fit_problems(page) == [] and overlaps(page) == []
        shown |= set(visible_parts(page))
    assert shown == {"network", "heatmaps", "gates", "lines", "math"}
    page.context.close()
    assert console_errors == []


def visible_parts(page: Page) -> list[str]:
    return page.locator("#viewer .charts > [data-part]").evaluate_all(
        "(els) => els.filter((el) => el.getBoundingClientRect().height > 0)"
        ".map((el) => el.dataset.part)"
    )


FRAMES = {"800x450": (800, 450), "480x320": (480, 320), "1280x720": (1280, 720)}


@pytest.mark.parametrize("run", RUNS)
@pytest.mark.parametrize("frame", FRAMES)
def test_embed_fits_its_frame(page: Page, app_url: str, frame: str, run: str) -> None:
    """At any frame from 480 x 320 up: every part it shows inside the frame, none over another, no
    text under 11 px, no chart text cut, no overlapping labels; parts that do not fit are on panes,
    and only the math of a small frame scrolls (by keyboard too)."""
    width, height = FRAMES[frame]
    page.set_viewport_size({"width": width, "height": height})
    open_viewer(page, f"{app_url}/embed?{RUNS[run]}&step=1")
    shown: set[str] = set()
    for k in range(max(1, len(panes(page)))):
        if panes(page):
            show_pane(page, k)
        page.screenshot(path=ARTIFACTS / f"embed-{frame}-{run}-pane{k}.png")
        assert window_size(page) == [width, height]
        assert fit_problems(page, 11) == []
        assert overlaps(page) == []
        scrolled = scrolled_regions(page)
        assert all(r["focusable"] for r in scrolled) and (not scrolled or frame == "480x320")
        shown |= set(visible_parts(page))
    assert shown == {"network", "heatmaps", "gates", "lines", "math"}


def test_embed_lays_out_only_the_parts_hide_leaves(page: Page, app_url: str) -> None:
    page.set_viewport_size({"width": 480, "height": 320})
    open_viewer(page, f"{app_url}/embed?preset=lstm_batch&hide=network,math,lines")
    assert panes(page) == ["States", "Gates"]
    assert visible_parts(page) == ["heatmaps"]
    show_pane(page, 1)
    assert visible_parts(page) == ["gates"]
    assert fit_problems(page, 11) == []
    # By keyboard: the pressed pane button keeps the focus.
    first = page.get_by_role("button", name="States", exact=True)
    first.focus()
    page.keyboard.press("Enter")
    expect(first).to_have_attribute("aria-pressed", "true")
    expect(first).to_be_focused()
    page.locator("#viewer[aria-busy=false]").wait_for()
    assert visible_parts(page) == ["heatmaps"]


def test_embed_draws_only_the_charts_of_its_pane(page: Page, app_url: str) -> None:
    """The pane buttons' row is counted before the charts are drawn: at 800 x 450 a bidirectional
    LSTM's first pane is the network alone, and the states and unit lines, on other panes, are not
    drawn (each a Plotly chart of its own: 0.1 s of a cold embed) until their pane is chosen. The
    network is drawn without Plotly, so Plotly's script is not even loaded until then."""
    scripts: list[str] = []
    page.on("request", lambda r: r.resource_type == "script" and scripts.append(r.url))
    page.set_viewport_size({"width": 800, "height": 450})
    open_viewer(page, f"{app_url}/embed?preset=bidirectional_lstm")
    assert panes(page)[0] == "Network", panes(page)
    assert visible_parts(page) == ["network"]
    drawn = "(el) => Boolean(el.querySelector('svg.main-svg, svg.chart-svg'))"
    assert page.locator("[data-chart=network]").evaluate(drawn)
    assert not page.locator("[data-chart=heatmaps]").evaluate(drawn)
    assert not page.locator("[data-chart=lines]").evaluate(drawn)
    assert not page.evaluate("'Plotly' in window")
    assert not [url for url in scripts if "plotly" in url], scripts
    show_pane(page, panes(page).index("States"))
    assert visible_parts(page) == ["heatmaps"]
    assert page.locator("[data-chart=heatmaps]").evaluate(drawn)
    assert page.evaluate("'Plotly' in window")
    assert len([url for url in scripts if "plotly" in url]) == 1, scripts
    assert fit_problems(page, 11) == []
