"""The embed page: inside an iframe on another origin, hide flags, framing headers."""

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import ARTIFACTS, get
from tests.e2e.viewer import drawn, open_viewer, wait_ready

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("host", ["other origin", "local file"])
def test_copied_embed_code_plays_inside_an_iframe_on_another_site(
    page: Page, app_url: str, other_origin: tuple[str, Path], host: str
) -> None:
    open_viewer(page, f"{app_url}/?preset=bidirectional_lstm&speed=8")
    page.get_by_role("button", name="Copy embed code").click()
    code = page.get_by_label("Text to copy").input_value()
    site, folder = other_origin
    page_html = f'<!doctype html><link rel="icon" href="data:,"><h1>A course page</h1>\n{code}\n'
    (folder / "course.html").write_text(page_html)

    page.goto(
        f"{site}/course.html" if host == "other origin" else (folder / "course.html").as_uri()
    )
    frame = page.frame_locator("iframe")
    wait_ready(frame)
    assert frame.locator("#config").count() == 0
    before = drawn(frame)
    frame.get_by_role("button", name="Play", exact=True).click()
    expect(frame.get_by_role("button", name="Play", exact=True)).to_be_visible(timeout=5000)
    after = drawn(frame)
    assert (before["slider"], after["slider"]) == (0, 4)
    assert after["current"] != before["current"] and after["outputs"] != before["outputs"]
    fits = frame.locator("html").evaluate("(html) => [html.scrollWidth, html.scrollHeight]")
    assert fits[0] <= 800 and fits[1] <= 450, fits
    page.locator("iframe").screenshot(
        path=ARTIFACTS / f"embed-in-iframe-{host.replace(' ', '-')}.png"
    )


def test_embed_hides_the_parts_named_in_hide(page: Page, app_url: str) -> None:
    open_viewer(page, f"{app_url}/embed?preset=lstm_batch&hide=network,math")
    expect(page.locator("[data-part=network]")).to_be_hidden()
    expect(page.locator("[data-part=math]")).to_be_hidden()
    expect(page.locator("[data-part=heatmaps]")).to_be_visible()
    expect(page.locator("[data-part=gates]")).to_be_visible()
    expect(page.get_by_role("button", name="Play", exact=True)).to_be_visible()


def test_autoplay_waits_for_the_user_when_motion_is_reduced(page: Page, app_url: str) -> None:
    page.emulate_media(reduced_motion="reduce")
    open_viewer(page, f"{app_url}/embed?preset=hello_sequence&autoplay=1&speed=30")
    page.wait_for_timeout(400)
    assert drawn(page)["slider"] == 0
    page.emulate_media(reduced_motion="no-preference")
    open_viewer(page, f"{app_url}/embed?preset=hello_sequence&autoplay=1&speed=30")
    expect(page.get_by_role("slider", name="Step")).to_have_value("4")


def test_only_the_embed_page_may_be_framed_by_other_sites(app_url: str) -> None:
    _, app_headers, _ = get(f"{app_url}/")
    _, embed_headers, _ = get(f"{app_url}/embed")
    assert app_headers["x-frame-options"] == "SAMEORIGIN"
    assert "frame-ancestors 'self'" in app_headers["content-security-policy"]
    assert "x-frame-options" not in {k.lower() for k in embed_headers}
    assert "frame-ancestors * file:" in embed_headers["content-security-policy"]
    assert "script-src 'self'" in embed_headers["content-security-policy"]


def test_embed_gives_the_gates_room_to_the_other_charts_when_a_cell_has_none(
    page: Page, app_url: str
) -> None:
    page.set_viewport_size({"width": 800, "height": 450})
    open_viewer(page, f"{app_url}/embed?preset=bidirectional_rnn&step=1")
    page.screenshot(path=ARTIFACTS / "embed-rnn.png")
    expect(page.locator("[data-part=gates]")).to_be_hidden()
    # No gates row: the short math of an RNN joins the charts, the unit lines get a pane of their
    # own, each as wide as the frame.
    math = page.locator("[data-part=math]").bounding_box()
    assert math and math["width"] > 760
    page.get_by_role("button", name="Unit lines").click()
    page.locator("#viewer[aria-busy=false]").wait_for()
    lines = page.locator("[data-part=lines]").bounding_box()
    assert lines and lines["width"] > 760
