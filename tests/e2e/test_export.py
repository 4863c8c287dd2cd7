"""The exports in the browser: the standalone HTML opened from disk with every request blocked,
and the download buttons of the app."""

from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Request, expect

from tests.e2e.conftest import ARTIFACTS, get, watch
from tests.e2e.viewer import drawn, open_viewer, wait_ready

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize(
    "query",
    ["preset=bidirectional_lstm&speed=8", "preset=multilayer_lstm&speed=8&hide=math&example=1"],
)
def test_exported_html_plays_from_disk_with_no_network(
    browser: Browser, app_url: str, tmp_path: Path, console_errors: list[str], query: str
) -> None:
    status, _, body = get(f"{app_url}/api/export/html?{query}")
    assert status == 200
    file = tmp_path / "run.html"
    file.write_bytes(body)
    context = browser.new_context(viewport={"width": 800, "height": 450})
    attempted: list[str] = []

    def refuse(route, request: Request) -> None:  # everything but the file itself
        if request.url == file.as_uri():
            route.continue_()
            return
        attempted.append(request.url)
        route.abort()

    context.route("**/*", refuse)
    page = context.new_page()
    watch(page, console_errors)
    page.on("request", lambda r: r.url != file.as_uri() and attempted.append(r.url))
    try:
        page.goto(file.as_uri())
        wait_ready(page)
        before = drawn(page)
        assert before["heatmaps"] and before["current"], "nothing drawn"
        page.get_by_role("button", name="Play", exact=True).click()
        expect(page.get_by_role("button", name="Play", exact=True)).to_be_visible(timeout=5000)
        after = drawn(page)
        assert (before["slider"], after["slider"]) == (0, 4)
        assert after["current"] != before["current"] and after["outputs"] != before["outputs"]
        assert after["cursors"] != before["cursors"]
        page.get_by_role("button", name="Step back").click()
        assert drawn(page)["slider"] == 3
        back = page.get_by_role("link", name="Open in RNN Visualizer").get_attribute("href")
        assert back.startswith(f"{app_url}/?"), back
        assert "bidirectional=1" in back or "num_layers=3" in back, back  # the run's own config
        if "hide=math" in query:
            expect(page.locator("[data-part=math]")).to_be_hidden()
            assert page.get_by_role("combobox", name="Example").input_value() == "1"
        page.screenshot(path=ARTIFACTS / f"export-html-{query.split('&')[0][7:]}.png")
    finally:
        context.close()
    assert attempted == []


@pytest.mark.parametrize(
    ("button", "extension", "starts"),
    [
        ("Download notebook", "ipynb", b"{"),
        ("Download HTML", "html", b"<!doctype html>"),
        ("Download CSV", "csv", b"layer,direction,example,t,quantity,unit,value\n"),
    ],  # fmt: skip
)
def test_download_buttons_save_the_exports_of_the_run_shown(
    page: Page, app_url: str, button: str, extension: str, starts: bytes
) -> None:
    open_viewer(page, f"{app_url}/?preset=gru_batch&step=2")
    with page.expect_download() as download:
        page.get_by_role("button", name=button).click()
    assert download.value.suggested_filename == f"rnn-gru_batch.{extension}"
    assert Path(download.value.path()).read_bytes().startswith(starts)
    page.get_by_label("Hidden size").fill("3")
    page.get_by_role("button", name="Run", exact=True).click()
    wait_ready(page)
    with page.expect_download() as download:
        page.get_by_role("button", name=button).click()
    assert download.value.suggested_filename.startswith("rnn-gru-")
    saved = Path(download.value.path()).read_bytes()
    if extension == "csv":  # the run now shown: 3 units
        assert {line.split(b",")[5] for line in saved.splitlines()[1:]} == {b"0", b"1", b"2"}
