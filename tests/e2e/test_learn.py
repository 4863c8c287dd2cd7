"""The Learn page (/learn) and its embed (/embed?learn=1) in Chromium: a training streamed in
live, its predictions, the viewer at an epoch, both players, Stop, errors, the URL, Korean, the
layout at 1920, 1280 and 375 px; screenshots in test-artifacts/learn-*.png."""

import json
import os
import secrets
import statistics
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlparse

import pytest
from playwright.sync_api import Page, Request, expect

from app.schemas import TrainRequest
from tests.e2e.a11y import axe_violations
from tests.e2e.conftest import ARTIFACTS, serve
from tests.e2e.viewer import OVERLAPS_JS, drawn, overlaps, poll

pytestmark = pytest.mark.e2e

# What the Learn page shows: the loss curve's points and epoch line, both sliders, the report and
# status, the predictions table (its caption and rows) and the probabilities' epoch and step column.
JSON_HEADERS = {"Content-Type": "application/json"}
LEARN_JS = """() => {
  const $ = (s) => document.querySelector(s);
  const loss = $('[data-chart=loss]');
  const probs = $('[data-chart=probabilities]');
  const table = $('[data-chart=predictions] table');
  const texts = (r) => [...r.cells].slice(1).map((c) => c.textContent);
  const rows = table ? [...table.tBodies[0].rows].map(texts) : [];
  const slider = (root) => $(`${root} [data-role=slider]`);
  return {
    points: loss.data ? loss.data[0].x.length : 0,
    epochLine: loss.layout ? loss.layout.shapes.map((s) => s.x0) : [],
    epoch: Number(slider('#training').value),
    epochMax: Number(slider('#training').max),
    step: slider('#viewer') ? Number(slider('#viewer').value) : null,
    busy: $('#training').getAttribute('aria-busy'),
    report: $('[data-role=epoch-report]').textContent,
    status: $('[data-role=status]').textContent,
    caption: table ? table.caption.textContent : '',
    inputs: rows[0] ?? [],
    predicted: rows[2] ?? [],
    chance: rows[3] ?? [],
    probEpoch: probs.data ? probs.data[0].meta.epoch : null,
    probStep: probs.layout ? probs.layout.shapes.at(-1).x0 + 0.5 : null,
    note: $('[data-role=snapshot-note]')?.textContent ?? '',
  };
}"""

# Records, from the next click on `button`, every change of the loss curve's point count:
# {n, at (performance.now()), status}; window.learnClicks holds the clicks' times.
WATCH_JS = """(button) => {
  const loss = document.querySelector('[data-chart=loss]');
  const status = document.querySelector('[data-role=status]');
  window.learnClicks = [];
  window.learnDraws = [];
  const clicked = () => window.learnClicks.push(performance.now());
  button.addEventListener('click', clicked, { capture: true });
  new MutationObserver(() => {
    const n = loss.data ? loss.data[0].x.length : 0;
    const draw = { n, at: performance.now(), status: status.textContent };
    if (window.learnDraws.at(-1)?.n !== n) window.learnDraws.push(draw);
  }).observe(loss, { childList: true, subtree: true, attributes: true });
}"""

IHELLO = ["i ✓", "h ✓", "e ✓", "l ✓", "l ✓", "o ✓"]


def expect_logged(console_errors: list[str], text: str, count: int) -> None:
    """Take the `count` console errors that contain `text` (Chromium logs refused requests) out
    of the test's console errors: they were expected."""
    expected = [e for e in console_errors if text in e]
    assert len(expected) == count, console_errors
    console_errors[:] = [e for e in console_errors if e not in expected]


def learn(page: Page) -> dict:
    return page.evaluate(LEARN_JS)


def wait_trained(page: Page, timeout_s: float = 30) -> dict:
    """Wait until a training has been drawn to its end (the region is no longer busy)."""
    poll(
        page, "document.querySelector('#training').getAttribute('aria-busy') === 'false'", timeout_s
    )
    return learn(page)


def open_learn(page: Page, url: str) -> dict:
    page.goto(url)
    return wait_trained(page)


def train_requests(page: Page) -> list[dict]:
    """The configuration of every GET /api/train the page makes from now on."""
    configs: list[dict] = []

    def on_request(request: Request) -> None:
        url = urlparse(request.url)
        if url.path == "/api/train":
            configs.append(json.loads(parse_qs(url.query)["config"][0]))

    page.on("request", on_request)
    return configs


def test_the_page_trains_hihello_live_to_ihello_and_the_first_point_comes_fast(
    page: Page, app_url: str
) -> None:
    page.set_viewport_size({"width": 1280, "height": 720})
    page.goto(f"{app_url}/learn?lang=en")
    expect(page.locator("[data-role=status]")).to_contain_text("Press Train")
    assert learn(page)["points"] == 0  # a plain /learn waits for Train
    sent = train_requests(page)
    train = page.get_by_role("button", name="Train")
    page.evaluate(WATCH_JS, train.element_handle())
    train.click()
    shown = wait_trained(page)
    draws = page.evaluate("window.learnDraws")
    # The defaults are the API's: the page's training is the one POST {} makes (and caches).
    assert {**TrainRequest().model_dump(), **sent[0]} == TrainRequest().model_dump()
    assert shown["points"] == 51 and shown["epoch"] == shown["epochMax"] == 50
    assert shown["predicted"] == IHELLO and shown["caption"].endswith("6 of 6 right")
    # The report's loss is the server's: the history of the same training by POST {} (cached).
    request = urllib.request.Request(f"{app_url}/api/train", b"{}", JSON_HEADERS)
    with urllib.request.urlopen(request, timeout=30) as response:
        last = json.load(response)["history"][-1]
    assert last["epoch"] == 50
    assert shown["report"] == f"Epoch 50 of 50 · loss {last['loss']:.3f} · 6 of 6 right"
    assert "predicts “ihello”" in shown["status"]
    assert shown["note"] == "Network, states, gates and math with the weights of epoch 50."
    # Live: points were drawn while the server was still training, fewer than all of them.
    live = [d for d in draws if 0 < d["n"] < 51 and d["status"] == "Training…"]
    assert live, draws
    assert draws[-1]["n"] == 51

    # Click -> first drawn point, on fresh trainings (seeds nobody trained: no cache); and the
    # part of it until the stream's response began (the server's), from Resource Timing.
    def measure(click_index: int, draw_index: int) -> dict[str, float]:
        click = page.evaluate("window.learnClicks")[click_index]
        first = page.evaluate("window.learnDraws")[draw_index]
        assert 0 < first["n"] < 51
        response = page.evaluate(
            "performance.getEntriesByType('resource').filter((e) =>"
            " e.name.includes('/api/train')).at(-1).responseStart"
        )
        return {"first_point_ms": first["at"] - click, "response_start_ms": response - click}

    samples = [measure(0, 0)]
    for seed in [secrets.randbelow(2**31) + 1000 for _ in range(5)]:
        page.get_by_label("Seed", exact=True).fill(str(seed))
        clicks = len(page.evaluate("window.learnClicks"))
        before = len(page.evaluate("window.learnDraws"))
        train.click()
        wait_trained(page)
        samples.append(measure(clicks, before))
    median = statistics.median(s["first_point_ms"] for s in samples)
    record = {"samples": samples, "median_first_point_ms": median, "load": os.getloadavg()}
    (ARTIFACTS / "learn-first-point.json").write_text(json.dumps(record, indent=1))
    assert median < 300, record
    page.screenshot(path=ARTIFACTS / "learn-1280x720.png")


def test_playing_epochs_at_a_fixed_step_changes_the_predictions_and_the_viewer(
    page: Page, app_url: str
) -> None:
    before = open_learn(page, f"{app_url}/learn?lang=en&epoch=0&step=2&epoch_speed=30")
    viewer_before = drawn(page)
    assert (before["epoch"], before["step"], before["probEpoch"]) == (0, 2, 0)
    assert before["predicted"] != IHELLO and before["note"].endswith("epoch 0.")
    page.locator("#training").get_by_role("button", name="Play", exact=True).click()
    expect(page.locator("#training").get_by_role("slider", name="Epoch", exact=True)).to_have_value(
        "50", timeout=15000
    )
    expect(page.locator("#training").get_by_role("button", name="Play", exact=True)).to_be_visible()
    after = learn(page)
    viewer_after = drawn(page)
    assert after["step"] == viewer_after["slider"] == 2  # the step stayed where it was
    assert after["predicted"] == IHELLO and after["probEpoch"] == 50 and after["epochLine"] == [50]
    assert viewer_after["heatmaps"][0]["z"] != viewer_before["heatmaps"][0]["z"]  # other weights
    assert viewer_after["math"] != viewer_before["math"]
    assert viewer_after["label"] == viewer_before["label"]  # the same step: "Step 3 of 6 ..."
    assert "epoch=50" in page.url and "step=2" in page.url


def test_playing_steps_at_a_fixed_epoch_moves_the_viewer(page: Page, app_url: str) -> None:
    before = open_learn(page, f"{app_url}/learn?lang=en&epoch=20&speed=8")
    viewer_before = drawn(page)
    page.locator("#viewer").get_by_role("button", name="Play", exact=True).click()
    expect(page.locator("#viewer").get_by_role("slider", name="Step", exact=True)).to_have_value(
        "5", timeout=10000
    )
    after = learn(page)
    viewer_after = drawn(page)
    assert after["epoch"] == before["epoch"] == 20 and after["predicted"] == before["predicted"]
    assert viewer_after["current"] != viewer_before["current"]
    assert viewer_after["cursors"] != viewer_before["cursors"]
    assert (before["probStep"], after["probStep"]) == (0, 5)  # the probabilities' step column
    assert viewer_after["heatmaps"][0]["z"] == viewer_before["heatmaps"][0]["z"]  # one epoch's run


def test_each_players_keys_belong_to_its_own_region(page: Page, app_url: str) -> None:
    open_learn(page, f"{app_url}/learn?lang=en&epoch=10&step=1")
    page.locator("[data-chart=loss]").click(position={"x": 5, "y": 5})  # focuses the training
    page.keyboard.press("ArrowRight")
    expect(page.get_by_role("slider", name="Epoch", exact=True)).to_have_value("11")
    assert learn(page)["step"] == 1
    page.locator("[data-chart=network]").click(position={"x": 5, "y": 5})  # focuses the viewer
    page.keyboard.press("ArrowRight")
    expect(page.get_by_role("slider", name="Step", exact=True)).to_have_value("2")
    assert learn(page)["epoch"] == 11
    page.keyboard.press("ArrowLeft")
    expect(page.get_by_role("slider", name="Step", exact=True)).to_have_value("1")
    assert learn(page)["epoch"] == 11


def test_the_url_restores_configuration_epoch_and_step_from_the_same_training(
    page: Page, app_url: str
) -> None:
    page.goto(f"{app_url}/learn?lang=en")
    sent = train_requests(page)
    page.get_by_label("Cell", exact=True).select_option("gru_tf1")
    page.get_by_label("Hidden size", exact=True).fill("6")
    page.get_by_label("Epochs", exact=True).fill("40")
    page.get_by_label("Learning rate", exact=True).fill("0.05")
    page.get_by_label("Seed", exact=True).fill("3")
    page.get_by_role("button", name="Train").click()
    trained = wait_trained(page)
    assert trained["epochMax"] == 40
    page.get_by_role("slider", name="Epoch", exact=True).fill("17")
    page.get_by_role("slider", name="Step", exact=True).fill("3")
    expect(page.locator("[data-role=epoch-report]")).to_contain_text("Epoch 17 of 40")
    shown = learn(page)
    query = parse_qs(urlparse(page.url).query)
    assert {k: v[0] for k, v in query.items()} == {
        "cell": "gru_tf1", "hidden_size": "6", "epochs": "40", "learning_rate": "0.05",
        "seed": "3", "epoch": "17", "step": "3", "lang": "en",
    }  # fmt: skip
    page.reload()
    restored = wait_trained(page)
    for name, value in [("Cell", "gru_tf1"), ("Hidden size", "6"), ("Epochs", "40")]:
        expect(page.get_by_label(name, exact=True)).to_have_value(value)
    assert (restored["epoch"], restored["step"], restored["epochMax"]) == (17, 3, 40)
    for key in ("predicted", "chance", "caption", "report", "probEpoch"):
        assert restored[key] == shown[key], key
    assert sent[0] == sent[1] and sent[0]["cell"] == "gru" and sent[0]["reset_after"] is False
    assert drawn(page)["slider"] == 3


def test_korean_page_trains_and_explains_a_refused_field_next_to_it(
    page: Page, app_url: str, console_errors: list[str]
) -> None:
    page.set_viewport_size({"width": 1280, "height": 720})
    shown = open_learn(page, f"{app_url}/learn?lang=ko&epoch=50")
    assert page.locator("html").get_attribute("lang") == "ko"
    expect(page.get_by_role("button", name="학습 시작")).to_be_visible()
    assert shown["report"].startswith("에폭 50/50 · 손실")
    assert shown["caption"] == "에폭 50의 예측: 6개 중 6개 정답"
    assert "“ihello”" in shown["status"] and "학습 완료" in shown["status"]
    loss_title = page.locator("[data-chart=loss] .annotation-text").first.text_content()
    assert loss_title == "에폭별 손실(실선)과 정확도(점선)"
    assert overlaps(page) == [] and page.locator("#training").evaluate(OVERLAPS_JS) == []
    page.screenshot(path=ARTIFACTS / "learn-korean-1280x720.png")
    page.get_by_label("은닉 크기", exact=True).fill("0")
    page.get_by_label("학습할 텍스트", exact=True).fill("h")
    page.get_by_role("button", name="학습 시작").click()
    expect(page.locator("#error-hidden_size")).to_have_text("1 이상이어야 합니다")
    expect(page.locator("#error-text")).to_have_text("최소 2자 이상이어야 합니다")
    expect(page.locator("[data-role=status]")).to_have_text(
        "학습을 시작하지 못했습니다. 입력란 옆의 메시지를 확인해 주세요."
    )
    assert learn(page)["points"] == 51  # the last training stays on screen
    # The URL keeps what was typed: the same page in English says the same in English.
    page.get_by_role("link", name="English").click()
    expect(page.locator("#error-hidden_size")).to_have_text("must be greater than or equal to 1")
    expect(page.locator("#error-text")).to_have_text("must have at least 2 characters")
    expect(page.get_by_label("Hidden size", exact=True)).to_have_value("0")
    expect_logged(console_errors, "status of 422", 2)


def test_the_main_page_links_to_learn_in_its_language(page: Page, app_url: str) -> None:
    page.goto(f"{app_url}/?lang=ko")
    page.get_by_role("link", name="“hihello” 학습: 신경망이 배우는 과정 보기 →").click()
    expect(page.get_by_role("button", name="학습 시작")).to_be_visible()
    assert urlparse(page.url).path == "/learn" and "lang=ko" in page.url


@pytest.mark.parametrize(
    ("width", "height", "presenter"), [(1920, 1080, False), (1280, 720, True), (375, 812, False)]
)
def test_the_page_reads_without_overlaps_or_overflow(
    page: Page, app_url: str, width: int, height: int, presenter: bool
) -> None:
    page.set_viewport_size({"width": width, "height": height})
    shown = open_learn(page, f"{app_url}/learn?lang=en&epoch=8&step=1&presenter={int(presenter)}")
    assert shown["epoch"] == 8 and shown["probEpoch"] == 8
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert page.locator("#training").evaluate(OVERLAPS_JS) == []
    assert overlaps(page) == []
    name = f"learn-{width}x{height}{'-presenter' if presenter else ''}"
    page.screenshot(path=ARTIFACTS / f"{name}.png")
    page.screenshot(path=ARTIFACTS / f"{name}-full.png", full_page=True)


@pytest.mark.parametrize(
    "path", ["/learn?lang=en&epoch=8", "/learn?lang=ko", "/embed?learn=1&epoch=8"]
)
def test_the_learn_pages_pass_axe(page: Page, app_url: str, path: str) -> None:
    """axe-core's rules (tests/e2e/a11y.py): no violation."""
    page.set_viewport_size({"width": 1280, "height": 720})
    page.goto(f"{app_url}{path}")
    if "epoch=" in path:
        wait_trained(page)
    assert axe_violations(page) == []


def test_the_embed_shows_a_training_inside_an_iframe_on_another_site(
    page: Page, app_url: str, other_origin: tuple[str, Path]
) -> None:
    open_learn(page, f"{app_url}/learn?lang=en&epoch=12")
    page.get_by_role("button", name="Copy embed code").click()
    code = page.get_by_label("Text to copy").input_value()
    assert "/embed?learn=1&amp;epoch=12&amp;lang=en" in code
    site, folder = other_origin
    (folder / "learn.html").write_text(f'<!doctype html><link rel="icon" href="data:,">{code}\n')
    page.goto(f"{site}/learn.html")
    frame = page.frame_locator("iframe")
    frame.locator("#training[aria-busy=false]").wait_for()
    assert frame.locator("form, #viewer").count() == 0
    expect(frame.get_by_role("slider", name="Epoch", exact=True)).to_have_value("12")
    expect(frame.locator("[data-role=epoch-report]")).to_contain_text("Epoch 12 of 50")
    expect(frame.locator("[data-chart=predictions] caption")).to_contain_text("epoch 12")
    link = frame.get_by_role("link", name="Open in RNN Visualizer ↗").get_attribute("href")
    assert urlparse(link).path == "/learn" and "epoch=12" in link
    fits = frame.locator("html").evaluate("(html) => [html.scrollWidth, html.scrollHeight]")
    assert fits[0] <= 800 and fits[1] <= 450, fits
    assert frame.locator("#training").evaluate(OVERLAPS_JS) == []
    frame.get_by_role("button", name="Play", exact=True).click()
    expect(frame.get_by_role("slider", name="Epoch", exact=True)).to_have_value("50", timeout=20000)
    page.locator("iframe").screenshot(path=ARTIFACTS / "learn-embed-800x450.png")


# ---- one training slot: Stop, and a full server -------------------------------------------------

# About 30 ms an epoch here: 500 of them take many seconds.
LONG = {
    "text": "hihello world, hello again, " * 3 + "hihello!",
    "hidden_size": 256,
    "epochs": 500,
    "snapshot_every": 100,
}


@pytest.fixture(scope="module")
def one_slot() -> Iterator[str]:
    """The app with one training slot and no queue: a second training gets 503 while one runs."""
    settings = {"RNNVIS_MAX_CONCURRENT_TRAININGS": "1", "RNNVIS_TRAIN_QUEUE_SIZE": "0"}
    with serve(settings, "e2e-learn-one-slot.log") as url:
        yield url


def probe(url: str) -> int:
    """The status of a one-epoch training nobody asked for before: 503 while the slot is taken."""
    body = json.dumps({"text": "hi", "epochs": 1, "seed": secrets.randbelow(2**31)}).encode()
    request = urllib.request.Request(f"{url}/api/train", body, JSON_HEADERS)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_stop_ends_the_stream_and_the_servers_training_and_a_full_server_says_when_to_retry(
    page: Page, one_slot: str, console_errors: list[str]
) -> None:
    page.goto(f"{one_slot}/learn?{urlencode({**LONG, 'lang': 'en'})}")
    started = time.monotonic()
    page.get_by_role("button", name="Train").click()
    poll(page, "document.querySelector('[data-chart=loss]').data?.[0].x.length >= 4", 30)
    assert probe(one_slot) == 503  # the page's training holds the only slot

    other = page.context.new_page()
    other.goto(f"{one_slot}/learn?lang=ko&seed=5")
    other.get_by_role("button", name="학습 시작").click()
    expect(other.locator("[data-role=status]")).to_contain_text("초 후에 다시 시도해 주세요")
    seconds = other.locator("[data-role=status]").text_content().split("초 후에")[0].split()[-1]
    assert int(seconds) >= 1
    other.close()

    page.get_by_role("button", name="Stop").click()
    stopped = time.monotonic()
    expect(page.locator("[data-role=status]")).to_contain_text("Stopped after epoch")
    points = learn(page)["points"]
    per_epoch_s = (stopped - started) / points
    while probe(one_slot) == 503:  # the server stopped training: its slot is free again
        assert time.monotonic() - stopped < 5, "the training was not stopped"
        time.sleep(0.1)
    freed_s = time.monotonic() - stopped
    remaining_s = (LONG["epochs"] + 1 - points) * per_epoch_s
    assert freed_s < remaining_s / 3, (freed_s, remaining_s)
    time.sleep(0.5)
    after = learn(page)
    assert after["points"] == points and after["epochMax"] == points - 1  # no more points
    expect(page.get_by_role("button", name="Stop")).to_be_disabled()
    expect(page.get_by_role("button", name="Train")).to_be_enabled()
    # Chromium logs the refused requests: the 503s of the second page were this test's point.
    expect_logged(console_errors, "status of 503", 1)
