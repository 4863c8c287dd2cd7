"""The two languages: the catalogs agree, the pages choose and state their language, every word
of the templates comes from a catalog, and the presets are described in both."""

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.i18n import CATALOGS, LANGUAGES, catalog, negotiate, translate
from app.main import create_app
from app.presets import presets
from app.settings import Settings

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
PLACEHOLDER = re.compile(r"\{(\w+)\}")
HANGUL = re.compile(r"[\uac00-\ud7a3]")

# Messages that are the same words in both languages: names, notation, symbols.
SAME_IN_BOTH = {
    "page.api",
    "language.en",
    "language.ko",
    "form.cell_rnn",
    "form.cell_lstm",
    "form.cell_gru",
    "chart.png",
    "player.speed_value",
    "viewer.example_text",
    "frames.box_state",
    "frames.gate_cell",
    "status.field_error",
    "analysis.pc_compact",
}
# Korean messages of notation only, which differ from the English words ("PC1 explains 40% of …").
NOTATION_IN_KOREAN = {"analysis.variance_share"}


@pytest.fixture(scope="module")
def client() -> TestClient:
    """The app without its lifespan: pages and presets need no engine."""
    return TestClient(create_app(Settings(warm_presets=False)))


def test_catalogs_have_the_same_keys_and_placeholders() -> None:
    en, ko = catalog("en"), catalog("ko")
    assert sorted(en) == sorted(ko)
    assert sorted(p.stem for p in CATALOGS.glob("*.json")) == sorted(LANGUAGES)
    for key in en:
        assert sorted(PLACEHOLDER.findall(en[key])) == sorted(PLACEHOLDER.findall(ko[key])), key


def test_plotlys_words_are_keyed_by_its_english() -> None:
    plotly = {k: v for k, v in catalog("en").items() if k.startswith("plotly.")}
    assert plotly and all(v == k.removeprefix("plotly.") for k, v in plotly.items())


def test_korean_catalog_is_written_in_korean() -> None:
    en, ko = catalog("en"), catalog("ko")
    exceptions = SAME_IN_BOTH | NOTATION_IN_KOREAN
    untranslated = [k for k in ko if k not in exceptions and not HANGUL.search(ko[k])]
    assert untranslated == []
    assert [k for k in SAME_IN_BOTH if en[k] != ko[k]] == []


def test_translate_fills_placeholders_and_keeps_others() -> None:
    assert translate("en", "viewer.layer", layer=2) == "layer 2"
    assert translate("ko", "viewer.layer", layer=2) == "2층"
    assert translate("ko", "frames.heat_point") == "t = %{x}, 유닛 %{y}"
    with pytest.raises(KeyError):
        translate("en", "no.such.key")


@pytest.mark.parametrize(
    ("lang", "accept", "expected"),
    [
        ("ko", "en", "ko"),
        ("en", "ko-KR,ko;q=0.9", "en"),
        (None, "ko-KR,ko;q=0.9,en-US;q=0.8", "ko"),
        (None, "fr-FR, en;q=0.5, ko;q=0.7", "ko"),  # by quality, not by order
        (None, "de, en-GB;q=0.8, ko;q=0.8", "en"),  # equal quality: the first
        (None, "ko;q=0, en;q=0.1", "en"),  # q=0: refused
        (None, "fr, de", "en"),
        (None, "*", "en"),
        ("fr", "KO", "ko"),  # an unknown lang= is not ours: negotiated
        (None, "ko;q=abc, en;q=0.2", "en"),
        (None, None, "en"),
    ],
)
def test_a_page_language_is_its_lang_then_accept_language_then_english(
    lang: str | None, accept: str | None, expected: str
) -> None:
    assert negotiate(lang, accept) == expected


@pytest.mark.parametrize("path", ["/", "/embed"])
def test_pages_state_their_language_and_inline_its_catalog(client: TestClient, path: str) -> None:
    for lang, headers, expected in [
        ("ko", {}, "ko"),
        (None, {"Accept-Language": "ko-KR,ko;q=0.9,en;q=0.8"}, "ko"),
        (None, {"Accept-Language": "fr"}, "en"),
    ]:
        response = client.get(path, params={"preset": "lstm_batch", "lang": lang}, headers=headers)
        html = response.text
        assert f'<html lang="{expected}">' in html
        assert response.headers["content-language"] == expected
        assert "accept-language" in response.headers["vary"].lower()
        inline = re.search(
            r'<script type="application/json" id="messages">(.*?)</script>', html, re.S
        )
        assert inline and json.loads(inline[1]) == catalog(expected)
        assert "script-src 'self'" in response.headers["content-security-policy"]
        links = dict(re.findall(r'<a href="([^"]+)" hreflang="(\w+)"', html))
        assert {v: k for k, v in links.items()} == {
            "en": f"{path}?preset=lstm_batch&amp;lang=en",
            "ko": f"{path}?preset=lstm_batch&amp;lang=ko",
        }


class TextOutsideCatalogs(HTMLParser):
    """The words of a template that are not a catalog's: text outside <code>, and the texts of the
    attributes a reader meets (aria-label, title, placeholder, alt), with Jinja's output removed."""

    ATTRIBUTES = ("aria-label", "title", "placeholder", "alt")

    def __init__(self) -> None:
        super().__init__()
        self.code = 0
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.code += tag == "code"
        self.found += [v for k, v in attrs if k in self.ATTRIBUTES and v and re.search(r"\w", v)]

    def handle_endtag(self, tag: str) -> None:
        self.code -= tag == "code"

    def handle_data(self, data: str) -> None:
        if not self.code and re.search(r"[^\W\d_]", data):
            self.found.append(data.strip())


@pytest.mark.parametrize("template", sorted(p.name for p in TEMPLATES.glob("*.html")))
def test_every_word_of_a_template_comes_from_a_catalog(template: str) -> None:
    source = (TEMPLATES / template).read_text(encoding="utf-8")
    keys = re.findall(r"""\bt\(\s*'([\w.]+)'""", source)  # 'language.' ~ code: a key's start
    messages = catalog("en")
    starts = [key for key in keys if key.endswith((".", "_"))]  # 'form.cell_' ~ cell too
    assert all(key in messages for key in keys if key not in starts), keys
    assert all(any(k.startswith(key) for k in messages) for key in starts), starts
    page_name = r"\{%\s*block page\s*%\}\w*"  # data-page="index": a name, not text
    jinja = re.compile(rf"{page_name}|\{{\{{.*?\}}\}}|\{{%.*?%\}}|\{{#.*?#\}}", re.S)
    parser = TextOutsideCatalogs()
    parser.feed(jinja.sub("", source))
    assert parser.found == []


def test_presets_are_described_in_both_languages(client: TestClient) -> None:
    english = client.get("/api/presets").json()
    korean = client.get("/api/presets", params={"lang": "ko"}).json()
    assert english == client.get("/api/presets", params={"lang": "en"}).json()
    assert [p["name"] for p in korean] == [p["name"] for p in english] == list(presets())
    for en, ko in zip(english, korean, strict=True):
        assert en["config"] == ko["config"] and en["seed_heading"] == ko["seed_heading"]
        assert HANGUL.search(ko["title"]) and HANGUL.search(ko["description"]), ko["name"]
        assert not HANGUL.search(en["title"] + en["description"]), en["name"]
    refused = client.get("/api/presets", params={"lang": "fr"})
    assert refused.status_code == 422 and refused.json()["detail"][0]["loc"] == ["query", "lang"]
