"""Korean and English (SPEC section 10): a Korean page reads Korean throughout, the switch keeps
the run and the step, and a page without lang= follows the reader's Accept-Language. (Errors in
both languages: test_app.py's test_errors_appear_next_to_the_field_they_name.)"""

from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import ARTIFACTS, watch
from tests.e2e.viewer import drawn, open_viewer, overlaps, wait_ready

pytestmark = pytest.mark.e2e

# The chart titles a Korean page draws (Plotly annotations and the gate tables' captions).
TITLES_JS = """(root) => [
  ...[...root.querySelectorAll('.annotation-text')].map((el) => el.textContent),
  ...[...root.querySelectorAll('caption')].map((el) => el.textContent),
]"""


def query(page: Page) -> dict[str, list[str]]:
    return parse_qs(urlparse(page.url).query)


@pytest.mark.parametrize(("name", "width", "height"), [("desktop", 1280, 720), ("phone", 375, 812)])
def test_a_korean_page_reads_korean(
    browser: Browser,
    app_url: str,
    presets: list[dict],
    console_errors: list[str],
    name: str,
    width: int,
    height: int,
) -> None:
    context = browser.new_context(viewport={"width": width, "height": height}, locale="en-US")
    page = context.new_page()
    watch(page, console_errors)
    shown = open_viewer(page, f"{app_url}/?preset=bidirectional_lstm&step=1&lang=ko")
    page.screenshot(path=ARTIFACTS / f"korean-app-{name}.png", full_page=True)
    assert page.evaluate("document.documentElement.lang") == "ko"
    assert page.title() == "RNN 시각화 도구"
    expect(page.get_by_role("button", name="재생", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="한 단계 앞으로")).to_be_visible()
    expect(page.get_by_label("은닉 크기", exact=True)).to_have_value("4")
    expect(page.get_by_role("button", name="링크 복사")).to_be_visible()
    korean = {p["name"]: p for p in page.request.get(f"{app_url}/api/presets?lang=ko").json()}
    menu = page.get_by_label("예제", exact=True)
    assert menu.locator("option").all_inner_texts()[1:] == [p["title"] for p in korean.values()]
    assert [p["title"] for p in presets] != [p["title"] for p in korean.values()]
    expect(page.locator("[data-role=preset-info]")).to_contain_text(
        korean["bidirectional_lstm"]["description"]
    )
    # Step 2 of 5: forward reads t = 1, backward (length 2) t = 0.
    assert (
        shown["label"]
        == "5단계 중 2단계 · 정방향: t = 1의 입력 [3, 4, 5] · 역방향: t = 0의 입력 [0, 1, 2]"
    )
    assert "✓ 서버 값과 일치" in shown["math"] and "(위치 0의 상태에서)" in shown["math"]
    assert "matches" not in shown["math"]
    expect(page.locator("[data-role=math-heading]")).to_have_text(
        "1층 · 정방향 · 유닛 0 · 샘플 0 · t = 1"
    )
    titles = page.locator("#viewer").evaluate(TITLES_JS)
    assert "1층 · 역방향 · 게이트" in titles or "1층 ← 게이트" in titles, titles
    assert any(title.startswith("1층") for title in titles), titles
    tools = page.locator("[data-chart=heatmaps] .modebar-btn").evaluate_all(
        "(buttons) => buttons.map((b) => b.dataset.title)"
    )
    assert "PNG 파일로 다운로드" in tools and "축 초기화" in tools, tools  # Plotly's own words
    assert overlaps(page) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    menu.select_option("gru_batch")  # another preset keeps the page's language
    wait_ready(page)
    assert query(page)["lang"] == ["ko"]
    expect(page.locator("[data-role=preset-info]")).to_contain_text(
        korean["gru_batch"]["description"]
    )
    context.close()
    assert console_errors == []


def test_a_korean_embed_reads_korean_and_fits(page: Page, app_url: str) -> None:
    page.set_viewport_size({"width": 800, "height": 450})
    shown = open_viewer(page, f"{app_url}/embed?preset=lstm_batch&step=2&lang=ko")
    page.screenshot(path=ARTIFACTS / "korean-embed.png")
    assert page.evaluate("document.documentElement.lang") == "ko"
    assert shown["label"].startswith("5단계 중 3단계 · 정방향: t = 2의 입력 “l”")
    assert "✓ 서버 값과 일치" in shown["math"]
    expect(page.get_by_role("button", name="재생", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="RNN 시각화 도구에서 열기 ↗")).to_have_attribute(
        "href", f"{app_url}/?preset=lstm_batch&step=2&lang=ko"
    )
    size = page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.scrollHeight]"
    )
    assert size[0] <= 800 and size[1] <= 450, size
    assert overlaps(page) == []


def test_the_switch_keeps_the_run_and_the_step(page: Page, app_url: str) -> None:
    open_viewer(page, f"{app_url}/?cell=gru&hidden_size=3&text=abcd&step=1&lang=en")
    page.get_by_role("button", name="Step forward").click()
    english = drawn(page)
    switch = page.get_by_role("navigation", name="Language")
    expect(switch.get_by_role("link", name="English")).to_have_attribute("aria-current", "true")
    switch.get_by_role("link", name="한국어").focus()
    page.keyboard.press("Enter")  # a link: the keyboard uses it as it is
    wait_ready(page)
    korean = drawn(page)
    assert query(page)["lang"] == ["ko"] and query(page)["step"] == ["2"]
    assert (query(page)["cell"], query(page)["hidden_size"]) == (["gru"], ["3"])
    numbers = [[m["z"] for m in shown["heatmaps"]] for shown in (english, korean)]
    assert korean["slider"] == 2 and numbers[0] == numbers[1]
    assert korean["label"].startswith("4단계 중 3단계")
    expect(
        page.get_by_role("navigation", name="언어").get_by_role("link", name="한국어")
    ).to_have_attribute("aria-current", "true")
    page.get_by_role("navigation", name="언어").get_by_role("link", name="English").click()
    wait_ready(page)
    assert query(page)["lang"] == ["en"] and drawn(page)["slider"] == 2


def test_a_page_without_lang_follows_accept_language(
    browser: Browser, app_url: str, console_errors: list[str]
) -> None:
    context = browser.new_context(locale="ko-KR")
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    page = context.new_page()
    watch(page, console_errors)
    open_viewer(page, f"{app_url}/?preset=gru_batch")
    assert page.evaluate("document.documentElement.lang") == "ko"
    assert query(page)["lang"] == ["ko"]  # the URL says it, so a copied link opens in Korean
    page.get_by_role("button", name="임베드 코드 복사").click()
    code = page.get_by_label("복사할 텍스트").input_value()
    assert code.startswith(f'<iframe src="{app_url}/embed?preset=gru_batch&amp;lang=ko"')
    assert 'title="RNN 시각화 도구 (임베드)"' in code  # as the embed builder titles it
    expect(page.locator("[data-role=share-status]")).to_have_text("임베드 코드를 복사했습니다.")
    page.goto(f"{app_url}/embed?preset=gru_batch&lang=en")
    wait_ready(page)
    assert page.evaluate("document.documentElement.lang") == "en"  # lang= wins over the header
    context.close()
    assert console_errors == []
