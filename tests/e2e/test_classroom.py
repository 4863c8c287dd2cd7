"""What a teacher and a course author meet on the app page: the embed builder (its code and live
preview), the weights as tables, the run's details, and a preset's description once it is edited."""

import json
from html import unescape
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import ARTIFACTS
from tests.e2e.viewer import drawn, open_viewer, wait_ready

pytestmark = pytest.mark.e2e


# Each table row's numbers, read from the cells' labels ("x[0], i[1]: 0.1234").
CELL_VALUES_JS = """(rows) => rows.map((r) => [...r.cells].slice(1)
  .map((c) => Number(c.title.split(': ')[1])))"""


def run_of(page: Page, app_url: str, query: str) -> dict:
    return json.loads(page.request.get(f"{app_url}/api/run?{query}").body())


def api_json(page: Page, url: str) -> list:
    return json.loads(page.request.get(url).body())


def test_the_embed_builder_makes_the_code_it_previews(page: Page, app_url: str) -> None:
    page.set_viewport_size({"width": 1280, "height": 1000})
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    open_viewer(page, f"{app_url}/?preset=lstm_batch&step=1")
    page.get_by_role("button", name="Embed builder").click()
    builder = page.locator("#builder")
    code = builder.get_by_label("Code to paste into your page")
    # The defaults: every part, 800 x 450, this page's language, the step on screen.
    assert 'width="800" height="450"' in code.input_value()
    assert parse_qs(urlparse(unescape(code.input_value().split('"')[1])).query)["step"] == ["1"]
    for part in ("Unit lines", "Math"):
        builder.get_by_label(part, exact=True).uncheck()
    builder.get_by_label("Width (px)").fill("480")
    builder.get_by_label("Height (px)").fill("320")
    builder.locator("select[name=lang]").select_option("ko")
    builder.get_by_label("Start at step").fill("3")
    builder.get_by_label("Play on load").check()
    text = code.input_value()
    src = unescape(text.split('"')[1])
    query = parse_qs(urlparse(src).query)
    assert urlparse(src).path == "/embed"
    assert (query["preset"], query["hide"], query["lang"]) == (
        ["lstm_batch"],
        ["lines,math"],
        ["ko"],
    )
    assert (query["step"], query["autoplay"]) == (["2"], ["1"])
    assert 'width="480" height="320"' in text and 'title="RNN Visualizer (embedded)"' in text
    # The preview is that embed, at that size (scaled to the panel when wider).
    frame = builder.locator("iframe")
    expect(frame).to_have_attribute("src", src, timeout=5000)
    assert frame.evaluate("(f) => [f.style.width, f.style.height]") == ["480px", "320px"]
    inner = page.frame_locator("#builder iframe")
    wait_ready(inner)
    assert inner.locator("html").get_attribute("lang") == "ko"
    expect(inner.locator("[data-part=math]")).to_be_hidden()
    expect(inner.locator("[data-part=lines]")).to_be_hidden()
    builder.get_by_role("button", name="Copy code").click()
    expect(builder.locator("[data-role=copied]")).to_have_text("Code copied.")
    assert page.evaluate("navigator.clipboard.readText()") == text
    builder.get_by_label("Width (px)").fill("100")  # held to the smallest frame the embed fits
    assert 'width="480"' in code.input_value()
    builder.screenshot(path=ARTIFACTS / "embed-builder.png")


def test_the_embed_builder_reads_korean(page: Page, app_url: str) -> None:
    open_viewer(page, f"{app_url}/?preset=gru_batch&lang=ko")
    page.get_by_role("button", name="임베드 만들기").click()
    builder = page.locator("#builder")
    expect(builder.get_by_role("heading")).to_have_text("임베드 만들기")
    expect(builder.get_by_label("수식", exact=True)).to_be_checked()
    expect(builder.get_by_role("button", name="코드 복사")).to_be_visible()
    wait_ready(page.frame_locator("#builder iframe"))
    builder.screenshot(path=ARTIFACTS / "korean-embed-builder.png")


def test_the_weights_are_tables_labelled_by_gate_block(page: Page, app_url: str) -> None:
    for query, blocks in (("preset=bidirectional_lstm", "ifgo"), ("preset=gru_batch", "zrn")):
        run = run_of(page, app_url, query)
        open_viewer(page, f"{app_url}/?{query}")
        page.locator("[data-role=weights] summary").click()
        tables = page.locator("[data-role=weights] table")
        expect(tables).to_have_count(3)
        H = run["config"]["hidden_size"]
        heads = tables.nth(0).locator("thead th").all_inner_texts()[1:]
        assert heads == [f"{g}[{u}]" for g in blocks for u in range(H)]
        weights = run["weights"]["layers"][0]["forward"]
        for k, name in enumerate(("kernel", "recurrent_kernel")):
            cells = tables.nth(k).locator("tbody tr").evaluate_all(CELL_VALUES_JS)
            assert len(cells) == len(weights[name]), name
            for row, expected in zip(cells, weights[name], strict=True):
                assert row == pytest.approx(expected, abs=1e-4), name
        bias_rows = tables.nth(2).locator("tbody tr")
        expect(bias_rows).to_have_count(2 if run["config"]["cell"] == "gru" else 1)
    # Another direction in the math panel shows its weights.
    page.goto(f"{app_url}/?preset=bidirectional_lstm")
    wait_ready(page)
    page.locator("[data-role=weights] summary").click()
    page.get_by_label("Direction", exact=True).select_option("backward")
    expect(page.locator("[data-role=weights] caption").first).to_contain_text("backward")
    page.locator("[data-role=weights]").screenshot(path=ARTIFACTS / "weights.png")


def test_a_basic_rnn_has_one_unnamed_block_of_weights(page: Page, app_url: str) -> None:
    open_viewer(page, f"{app_url}/?preset=bidirectional_rnn")
    page.locator("[data-role=weights] summary").click()
    heads = page.locator("[data-role=weights] table").first.locator("thead th").all_inner_texts()
    assert heads[1:] == [f"[{u}]" for u in range(len(heads) - 1)]


def test_the_run_details_name_device_version_time_and_weights(page: Page, app_url: str) -> None:
    meta = run_of(page, app_url, "preset=gru_batch")["meta"]
    open_viewer(page, f"{app_url}/?preset=gru_batch")
    details = page.locator("[data-role=run-details]")
    expect(details).to_contain_text(meta["device"].removeprefix("/device:"))
    expect(details).to_contain_text(f"TensorFlow {meta['tensorflow']}")
    expect(details).to_contain_text(f"weights sha256 {meta['weights_sha256'][:12]}")
    expect(details).to_contain_text(" ms ")


def test_an_edited_preset_says_so_and_a_run_of_it_is_custom(page: Page, app_url: str) -> None:
    open_viewer(page, f"{app_url}/?preset=lstm_batch")
    info = page.locator("[data-role=preset-info]")
    described = info.inner_text()
    page.get_by_label("Hidden size", exact=True).fill("5")
    expect(info).to_contain_text("Edited from")
    assert info.inner_text() != described
    page.get_by_label("Hidden size", exact=True).fill("2")  # back to the preset's
    page.get_by_label("Hidden size", exact=True).dispatch_event("input")
    expect(info).to_have_text(described)
    page.get_by_label("Hidden size", exact=True).fill("5")
    page.get_by_role("button", name="Run").click()
    wait_ready(page)
    expect(page.get_by_label("Preset", exact=True)).to_have_value("")
    expect(info).to_be_hidden()
    assert len(drawn(page)["heatmaps"][0]["z"]) == 5


def test_an_embed_asks_for_its_run_at_once_from_the_presets_its_page_carries(
    page: Page, app_url: str
) -> None:
    api: list[str] = []
    page.on("request", lambda r: "/api/" in r.url and api.append(urlparse(r.url).path))
    open_viewer(page, f"{app_url}/embed?preset=gru_batch&lang=ko")
    assert api == ["/api/run"]  # not /api/presets first
    inlined = json.loads(page.locator("#presets").text_content())
    assert inlined == api_json(page, f"{app_url}/api/presets?lang=ko")
