"""The app page in a browser: presets, playback, stepping, the math panel, errors, sharing."""

import json
import re
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.viewer import drawn, open_viewer, poll, wait_ready

pytestmark = pytest.mark.e2e


def heat_count(config: dict) -> int:
    directions = 2 if config["bidirectional"] else 1
    return config["num_layers"] * directions * (2 if config["cell"] == "lstm" else 1)


def test_every_preset_renders_from_the_menu(page: Page, app_url: str, presets: list[dict]) -> None:
    open_viewer(page, f"{app_url}/?preset=one_cell")
    for preset in presets:
        page.get_by_label("Preset", exact=True).select_option(preset["name"])
        wait_ready(page)
        shown = drawn(page)
        assert len(shown["heatmaps"]) == heat_count(preset["config"]), preset["name"]
        assert shown["slider"] == 0 and shown["current"], preset["name"]
        assert "✓ matches server" in shown["math"] and "✗" not in shown["math"], preset["name"]
        expect(page.locator("[data-role=preset-info]")).to_contain_text(preset["description"])
        assert parse_qs(urlparse(page.url).query)["preset"] == [preset["name"]]


def test_play_fills_both_directions_in_and_greys_padding(page: Page, app_url: str) -> None:
    before = open_viewer(page, f"{app_url}/?preset=bidirectional_lstm&speed=4")
    assert before["current"] == [0, 1]  # example 0 has length 2: backward starts at t = 1
    assert len(before["padding"]) == 2 * 3  # t = 2, 3, 4 in both halves of the box
    page.get_by_role("button", name="Play", exact=True).click()
    expect(page.get_by_role("button", name="Pause", exact=True)).to_be_visible()
    poll(page, "document.querySelector('[data-role=slider]').value === '1'")
    during = drawn(page)
    assert during["current"] == [1, 0]
    assert during["cursors"] != before["cursors"]
    assert during["cursorPaths"] != before["cursorPaths"]
    assert during["boxFills"] != before["boxFills"]
    assert len(during["outputs"]) > len(before["outputs"])
    assert sum(during["lineMasks"]) < sum(before["lineMasks"])  # lines drawn further
    expect(page.get_by_role("button", name="Play", exact=True)).to_be_visible(timeout=5000)
    end = drawn(page)
    assert end["slider"] == 4
    assert end["padding"] == before["padding"]
    assert "step=4" in page.url


def test_keys_and_buttons_move_the_highlighted_step(page: Page, app_url: str) -> None:
    open_viewer(page, f"{app_url}/?preset=lstm_batch")
    page.keyboard.press("ArrowRight")  # focus is on the page, not in the viewer: its keys stay put
    assert drawn(page)["slider"] == 0
    page.locator("[data-role=step-label]").click()  # a click in the viewer gives it the keys
    page.keyboard.press("ArrowRight")
    shown = drawn(page)
    assert (shown["slider"], shown["current"], shown["cursors"]) == (1, [1], [1, 1])
    assert shown["label"].startswith("Step 2 of 5")
    page.get_by_role("button", name="Step forward").click()
    page.keyboard.press("ArrowRight")
    assert drawn(page)["current"] == [3]
    page.get_by_role("button", name="Step back").click()
    assert drawn(page)["current"] == [2]
    page.get_by_role("slider", name="Step").fill("4")
    assert drawn(page)["cursors"] == [4, 4]
    page.keyboard.press("ArrowLeft")
    assert drawn(page)["current"] == [3]
    page.locator("#viewer").focus()  # the slider keeps its own arrow keys
    page.keyboard.press(" ")
    expect(page.get_by_role("button", name="Pause", exact=True)).to_be_visible()


def test_the_viewer_takes_keys_only_when_focused_and_shows_its_focus(
    page: Page, app_url: str
) -> None:
    open_viewer(page, f"{app_url}/?preset=lstm_batch")
    page.get_by_role("button", name="Copy link").focus()
    page.keyboard.press("ArrowRight")
    assert drawn(page)["slider"] == 0
    viewer = page.locator("#viewer")
    for _ in range(60):  # by keyboard, the way a reader reaches it
        if viewer.evaluate("(el) => el === document.activeElement"):
            break
        page.keyboard.press("Tab")
    outline = viewer.evaluate("(el) => getComputedStyle(el).outlineStyle")
    assert outline == "solid"
    expect(viewer).to_have_attribute("aria-keyshortcuts", "Space ArrowLeft ArrowRight")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    assert drawn(page)["slider"] == 2
    page.keyboard.press("ArrowLeft")
    assert drawn(page)["slider"] == 1


def math_value(math: str, name: str) -> float:
    line = next(line for line in math.splitlines() if line.startswith(f"{name} =") and "✓" in line)
    return float(re.search(r"= (-?\d+\.\d+)\s+✓", line).group(1))


def test_math_panel_agrees_with_the_heatmap(page: Page, app_url: str) -> None:
    open_viewer(page, f"{app_url}/?preset=bidirectional_lstm&example=1&step=1")
    page.get_by_label("Direction", exact=True).select_option("backward")
    page.get_by_role("spinbutton", name="Unit").fill("3")
    page.get_by_role("spinbutton", name="Unit").press("Enter")
    expect(page.locator("[data-role=math-heading]")).to_contain_text(
        "backward · unit 3 · example 1 · t = 1"
    )
    shown = drawn(page)
    heat = {(m["name"], m["q"]): m["z"] for m in shown["heatmaps"]}
    h = heat[("layer 1 backward", "coloraxis")][3][
        1
    ]  # unit 3, t = 1 (length 3: step 1 reads t = 1)
    c = heat[("layer 1 backward", "coloraxis2")][3][1]
    assert math_value(shown["math"], "h_t") == pytest.approx(h, abs=1e-4)
    assert math_value(shown["math"], "c_t") == pytest.approx(c, abs=1e-4)
    assert shown["math"].count("✓ matches server") == 6


def test_url_round_trip_restores_the_same_run(page: Page, app_url: str) -> None:
    open_viewer(page, f"{app_url}/")
    page.get_by_label("Cell", exact=True).select_option("gru")
    page.get_by_label("Hidden size", exact=True).fill("3")
    page.get_by_label("Layers", exact=True).fill("2")
    page.get_by_label("Bidirectional", exact=True).check()
    page.get_by_label("GRU reset after").uncheck()
    page.get_by_label("Text, one example per line").fill("abc\nba")
    page.get_by_label("Lengths per example").fill("3,1")
    page.get_by_label("Initial state", exact=True).select_option("random")
    page.get_by_label("Seed", exact=True).fill("7")
    page.get_by_role("button", name="Run").click()
    wait_ready(page)
    page.get_by_role("spinbutton", name="Unit").fill("2")
    page.get_by_role("spinbutton", name="Unit").press("Enter")
    page.get_by_role("button", name="Step forward").click()
    first = drawn(page)
    url = page.url
    assert "reset_after=0" in url and "init=random" in url and "step=1" in url

    again = page.context.new_page()
    second = open_viewer(again, url)
    assert second["heatmaps"] == first["heatmaps"]
    assert second["math"] == first["math"]
    assert second["slider"] == 1
    expect(again.get_by_label("GRU reset after")).not_to_be_checked()
    expect(again.get_by_label("Text, one example per line")).to_have_value("abc\nba")


# What the error test reads and types, and the messages it expects, in each language: the API's
# own message (sequence_length) quoted inside a Korean sentence, pydantic's rule said in Korean.
ERROR_PAGE = {
    "en": {
        "hidden": "Hidden size",
        "lengths": "Lengths per example",
        "run": "Run",
        "numbers": "Numbers",
        "values": "Values:",
        "status": "The run was not made; see the messages next to the fields.",
        "hidden_error": "must be greater than or equal to 1",
        "lengths_error": "sequence lengths [0]: is 9, must be in [0, T=5]",
        "values_error": 'write "arange B,T,D" or a JSON array of shape [B][T][D]',
    },
    "ko": {
        "hidden": "은닉 크기",
        "lengths": "샘플별 시퀀스 길이",
        "run": "실행",
        "numbers": "숫자",
        "values": "값:",
        "status": "실행하지 못했습니다. 입력란 옆의 메시지를 확인해 주세요.",
        "hidden_error": "1 이상이어야 합니다",
        "lengths_error": "시퀀스 길이 [0]: 서버가 받아들이지 않았습니다 "
        "(서버 메시지: is 9, must be in [0, T=5])",
        "values_error": '"arange B,T,D" 또는 [B][T][D] 모양의 JSON 배열로 적어 주세요',
    },
}


@pytest.mark.parametrize("lang", ERROR_PAGE)
def test_errors_appear_next_to_the_field_they_name(
    page: Page, app_url: str, console_errors: list[str], lang: str
) -> None:
    words = ERROR_PAGE[lang]
    open_viewer(page, f"{app_url}/?preset=lstm_batch&lang={lang}")
    page.get_by_label(words["hidden"], exact=True).fill("0")
    page.get_by_label(words["lengths"]).fill("9,1,1")
    with page.expect_response(lambda r: "/api/run" in r.url) as refused:
        page.get_by_role("button", name=words["run"]).click()
    wait_ready(page)
    assert (refused.value.request.method, refused.value.status) == ("GET", 422)
    assert refused.value.json()["detail"][0]["loc"] == ["query", "config", "hidden_size"]
    expect(page.locator("#error-hidden_size")).to_have_text(words["hidden_error"])
    expect(page.locator(".viz [data-role=status]")).to_have_text(words["status"])
    page.get_by_label(words["hidden"], exact=True).fill("2")
    page.get_by_role("button", name=words["run"]).click()
    wait_ready(page)
    expect(page.locator("#error-hidden_size")).to_be_hidden()
    expect(page.locator("#error-sequence_length")).to_have_text(words["lengths_error"])
    page.get_by_label(words["numbers"], exact=True).check()
    page.get_by_label(words["values"]).fill("[[1,")
    page.get_by_role("button", name=words["run"]).click()
    expect(page.locator("#error-input-values")).to_have_text(words["values_error"])
    # Chromium logs each 422 response; those two were the point of this test.
    expected = [e for e in console_errors if "status of 422" in e]
    assert len(expected) == 2
    console_errors[:] = [e for e in console_errors if e not in expected]


def test_user_text_is_shown_as_text_and_never_runs(page: Page, app_url: str) -> None:
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    attack = "<img src=x onerror=alert(1)>"
    open_viewer(page, f"{app_url}/")
    page.get_by_label("Text, one example per line").fill(f"{attack}\n<b>hi</b>")
    page.get_by_role("button", name="Run").click()
    wait_ready(page)
    expect(page.get_by_label("Example", exact=True)).to_contain_text(attack)
    assert (
        "<" in drawn(page)["label"] or "<" in page.get_by_label("Example", exact=True).inner_text()
    )
    assert page.locator("#viewer img, #viewer b").count() == 0
    page.goto(f"{app_url}/embed?text=%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E")
    wait_ready(page)
    page.wait_for_timeout(300)
    assert dialogs == []


def test_share_and_download(page: Page, app_url: str) -> None:
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    open_viewer(page, f"{app_url}/?preset=gru_batch&step=2")
    page.get_by_role("button", name="Copy link").click()
    expect(page.get_by_label("Text to copy")).to_have_value(
        f"{app_url}/?preset=gru_batch&step=2&lang=en"
    )
    page.get_by_role("button", name="Copy embed code").click()
    code = page.get_by_label("Text to copy").input_value()
    embed = f"{app_url}/embed?preset=gru_batch&amp;step=2&amp;lang=en"
    assert code.startswith(f'<iframe src="{embed}" width="800"')
    assert page.evaluate("navigator.clipboard.readText()") == code
    with page.expect_download() as download:
        page.get_by_role("button", name="Download JSON").click()
    run = json.loads(download.value.path().read_text())
    assert run["config"]["cell"] == "gru" and len(run["layers"][0]["forward"]["gates"]) == 3
    pngs = {}
    for chart in ("network", "state heatmaps", "gates"):
        with page.expect_download() as download:
            page.get_by_role("button", name=f"Download the {chart} as PNG").click()
        assert download.value.suggested_filename.endswith(".png")
        pngs[chart] = download.value.path().read_bytes()
        assert pngs[chart][:8] == b"\x89PNG\r\n\x1a\n"
    # The network's SVG painted on a canvas at twice its pixels (its IHDR: width, height).
    size = "(svg) => [svg.viewBox.baseVal.width, svg.viewBox.baseVal.height]"
    width, height = page.locator("[data-chart=network] svg").evaluate(size)
    ihdr = pngs["network"][16:24]
    assert (int.from_bytes(ihdr[:4]), int.from_bytes(ihdr[4:])) == (2 * width, 2 * height)


def test_a_gate_cell_shows_its_value_and_explains_its_unit(page: Page, app_url: str) -> None:
    shown = open_viewer(page, f"{app_url}/?preset=bidirectional_lstm&example=1")
    backward = shown["gates"][1]
    assert backward["title"] == "layer 1 · backward · gates"
    assert [row[2].split(" =")[0] for row in backward["cells"]] == [
        f"backward: {g}[2]" for g in "ifgo"
    ]
    f = float(backward["cells"][1][2].split("= ")[1])
    cell = page.locator("[data-chart=gates] table").nth(1).locator("tbody tr").nth(1).locator("td")
    expect(cell.nth(2)).to_have_text(f"{f:.2f}")
    cell.nth(2).click()
    expect(page.locator("[data-role=math-heading]")).to_contain_text(
        "Layer 1 · backward · unit 2 · example 1"
    )
    assert math_value(drawn(page)["math"], "f") == pytest.approx(f, abs=1e-4)


def test_a_cell_without_gates_says_so(page: Page, app_url: str) -> None:
    open_viewer(page, f"{app_url}/?preset=bidirectional_rnn")
    gates = page.locator("[data-part=gates]")
    expect(gates).to_contain_text("A basic RNN cell has no gates")
    expect(gates.locator("[data-chart=gates]")).to_be_hidden()
    expect(gates.get_by_role("button", name="Download the gates as PNG")).to_be_hidden()
    page.get_by_label("Preset", exact=True).select_option("gru_batch")
    wait_ready(page)
    expect(gates.locator(".no-gates")).to_be_hidden()
    expect(gates.locator("table")).to_have_count(1)


def test_presenter_mode_enlarges_text(page: Page, app_url: str) -> None:
    open_viewer(page, f"{app_url}/?preset=hello_sequence")
    size = "document.querySelector('[data-chart=network]').layout.font.size"
    normal = page.evaluate(size)
    page.get_by_role("button", name="Presenter mode").click()
    expect(page.get_by_role("button", name="Presenter mode")).to_have_attribute(
        "aria-pressed", "true"
    )
    poll(page, f"{size} > {normal}")
    assert "presenter=1" in page.url
