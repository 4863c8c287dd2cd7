"""Screenshots for people to look at (test-artifacts/), and the layouts they show."""

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import ARTIFACTS, ENGLISH, watch
from tests.e2e.viewer import open_viewer, overlaps

pytestmark = pytest.mark.e2e

SIZES = {"desktop": (1280, 800), "phone": (375, 812), "projector": (1920, 1080)}

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
    context = browser.new_context(viewport={"width": width, "height": height}, **ENGLISH)
    page = context.new_page()
    watch(page, console_errors)
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
    context.close()
    assert console_errors == []


@pytest.mark.parametrize("run", RUNS)
def test_embed_page_fits_800_by_450(page: Page, app_url: str, run: str) -> None:
    page.set_viewport_size({"width": 800, "height": 450})
    open_viewer(page, f"{app_url}/embed?{RUNS[run]}&step=1")
    page.screenshot(path=ARTIFACTS / f"embed-{run}.png")
    size = page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.scrollHeight]"
    )
    assert size[0] <= 800 and size[1] <= 450, size
    assert overlaps(page) == []
