"""The comparison pages (SPEC section 7) as the server sends them, what every page inlines of the
engine for the front end, and the preset made for /compare."""

import json
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.engine.cells import VARIANTS
from app.main import create_app
from app.presets import COMPARE_DEFAULT, presets
from app.routes.pages import engine_context
from app.settings import Settings

FIXTURE = Path(__file__).resolve().parents[1] / "js" / "fixtures" / "engine.json"


@pytest.fixture(scope="module")
def pages() -> TestClient:
    """The app without its lifespan (pages need no engine), with a max_analysis_steps of its own."""
    return TestClient(create_app(Settings(warm_presets=False, max_analysis_steps=77)))


def inlined(html: str) -> dict:
    found = re.search(r'<script type="application/json" id="engine">(.*?)</script>', html, re.S)
    assert found
    return json.loads(found[1])


@pytest.mark.parametrize(
    "path", ["/", "/embed?preset=lstm_batch", "/compare", "/embed?cells=rnn,gru"]
)
def test_every_page_inlines_the_cells_in_declaration_order_and_the_analysis_limit(
    pages: TestClient, path: str
) -> None:
    engine = inlined(pages.get(path).text)
    assert engine == engine_context(Settings(max_analysis_steps=77))
    assert list(engine["cells"]) == list(VARIANTS)  # not sorted: the order the engine declares
    assert engine["max_analysis_steps"] == 77


def test_the_front_ends_fixture_is_what_a_page_inlines() -> None:
    # tests/js read fixtures/engine.json; regenerate it with tests/js/fixtures/make_engine.py.
    assert json.loads(FIXTURE.read_text()) == engine_context(Settings())


def test_compare_is_its_own_page_and_not_frameable(pages: TestClient) -> None:
    response = pages.get("/compare", params={"lang": "ko"})
    html = response.text
    assert response.status_code == 200 and '<html lang="ko">' in html
    assert "frame-ancestors 'self'" in response.headers["content-security-policy"]
    assert response.headers["x-frame-options"] == "SAMEORIGIN"
    assert re.search(r'src="/static/\w+/js/compare\.bundle\.js"', html)
    assert re.search(r'href="/static/\w+/css/compare\.css"', html)
    assert f'data-default-preset="{COMPARE_DEFAULT}"' in html
    assert 'id="preset"' in html and '<template id="column">' in html
    boxes = re.findall(r'name="cells" value="(\w+)"', html)
    assert boxes == list(VARIANTS)


def test_embed_with_cells_is_the_comparison_framed_anywhere(pages: TestClient) -> None:
    response = pages.get("/embed", params={"preset": COMPARE_DEFAULT, "cells": "rnn,lstm"})
    html = response.text
    assert "frame-ancestors * file:" in response.headers["content-security-policy"]
    assert (
        "compare.bundle.js" in html
        and 'id="preset"' not in html
        and 'class="compare embedded"' in html
    )
    single = pages.get("/embed", params={"preset": "lstm_batch"}).text
    assert "main.bundle.js" in single and "compare.bundle.js" not in single
    assert 'data-part="analysis"' not in single  # a single embed keeps its 800 x 450 charts


def test_the_comparison_page_links_its_stylesheet_after_the_apps(pages: TestClient) -> None:
    html = pages.get("/compare", params={"preset": "lstm_batch"}).text
    links = re.findall(r'<link rel="stylesheet" href="([^"]+)">', html)
    assert [link.rsplit("/", 2)[-2:] for link in links] == [
        ["css", "app.css"],
        ["css", "compare.css"],
    ]
    assert all(pages.get(link).status_code == 200 for link in links)


def test_the_compare_preset_shows_the_rnn_forgetting_and_lstm_gru_remembering(client) -> None:
    """memory_reach's design: the last state's dependence on its own input over its dependence
    on the first, by the engine's connectivity, for every cell a comparison may show."""
    config = presets()[COMPARE_DEFAULT].config.model_dump(mode="json")
    assert presets("ko")[COMPARE_DEFAULT].title != presets()[COMPARE_DEFAULT].title
    assert config["initial_state"] is None and config["weights"] is None  # comparable
    weaker = {}
    for key, variant in VARIANTS.items():
        body = {**config, **variant.request, "analysis": ["connectivity"]}
        response = client.post("/api/run", json=body)
        assert response.status_code == 200, response.text
        last = response.json()["layers"][0]["forward"]["connectivity"][0][-1]  # t = T - 1
        weaker[key] = last[-1] / last[0]
    assert weaker["rnn"] > 1e8, weaker  # more than eight powers of ten: off the shared scale
    assert all(weaker[key] < 10 for key in VARIANTS if key != "rnn"), weaker
