"""Screenshots for people to look at (test-artifacts/), and the layouts they show."""

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import ARTIFACTS, watch
from tests.e2e.viewer import open_viewer

pytestmark = pytest.mark.e2e

SIZES = {"desktop": (1280, 800), "phone": (375, 812), "projector": (1920, 1080)}


@pytest.mark.parametrize("name", SIZES)
def test_app_fits_the_screen(
    browser: Browser, app_url: str, console_errors: list[str], name: str
) -> None:
    width, height = SIZES[name]
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    watch(page, console_errors)
    presenter = "&presenter=1" if name == "projector" else ""
    open_viewer(page, f"{app_url}/?preset=bidirectional_lstm&step=1{presenter}")
    page.screenshot(path=ARTIFACTS / f"app-{name}.png", full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    expect(page.get_by_role("button", name="Play", exact=True)).to_be_in_viewport()
    context.close()
    assert console_errors == []


def test_embed_page_fits_800_by_450(page: Page, app_url: str) -> None:
    page.set_viewport_size({"width": 800, "height": 450})
    open_viewer(page, f"{app_url}/embed?preset=multilayer_lstm&step=1")
    page.screenshot(path=ARTIFACTS / "embed.png")
    size = page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.scrollHeight]"
    )
    assert size[0] <= 800 and size[1] <= 450, size
