"""How the page fetches runs: GET (cacheable) for presets and short configurations, the compact
encoding for large results, POST for long configurations."""

import json
from urllib.parse import parse_qs, quote, urlparse

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import get
from tests.e2e.viewer import drawn, open_viewer, record_runs

pytestmark = pytest.mark.e2e

# The Performance entries of /api/run: [url, bytes over the network (0 from the HTTP cache)].
RUN_ENTRIES_JS = """performance.getEntriesByType('resource')
  .filter((e) => e.name.includes('/api/run')).map((e) => [e.name, e.transferSize])"""


def test_a_preset_is_fetched_by_get_once_then_from_the_browser_cache(
    page: Page, app_url: str
) -> None:
    runs = record_runs(page)
    # Without its analyses (which a preset's name does not ask for: /embed shows none) the app
    # asks for the preset by name too.
    open_viewer(page, f"{app_url}/?preset=lstm_batch&hide=analysis")
    assert runs == [("GET", "/api/run?preset=lstm_batch")]
    page.goto(f"{app_url}/embed?preset=lstm_batch&step=2")
    expect(page.get_by_role("slider", name="Step")).to_have_value("2")
    assert page.evaluate(RUN_ENTRIES_JS) == [[f"{app_url}/api/run?preset=lstm_batch", 0]]


def test_a_short_configuration_is_fetched_by_get_with_its_json(page: Page, app_url: str) -> None:
    runs = record_runs(page)
    open_viewer(page, f"{app_url}/?cell=gru&hidden_size=3&text=abc")
    [(method, path)] = runs
    config = json.loads(parse_qs(urlparse(path).query)["config"][0])
    assert method == "GET" and "encoding" not in path
    assert (config["cell"], config["hidden_size"], config["input"]) == ("gru", 3, {"text": ["abc"]})


def test_a_large_result_comes_compact_and_shows_the_same_numbers(page: Page, app_url: str) -> None:
    runs = record_runs(page)
    shown = open_viewer(page, f"{app_url}/?hidden_size=64&text={'ab' * 300}")
    [(method, path)] = runs
    assert method == "GET" and parse_qs(urlparse(path).query)["encoding"] == ["b64"]
    config = parse_qs(urlparse(path).query)["config"][0]
    plain = json.loads(get(f"{app_url}/api/run?config={quote(config)}")[2])
    h = plain["layers"][0]["forward"]["states"]["h"][0]  # [T][H]
    z = next(m["z"] for m in shown["heatmaps"] if m["q"] == "coloraxis")  # [H][T]
    assert len(z) == 64 and len(z[0]) == 600
    assert all(abs(z[u][t] - h[t][u]) <= 1e-6 for u in range(64) for t in range(0, 600, 7))


def test_a_long_configuration_is_posted(page: Page, app_url: str) -> None:
    runs = record_runs(page)
    open_viewer(page, f"{app_url}/")
    values = [[[(t * 16 + d) / 1000 for d in range(16)] for t in range(200)]]
    page.get_by_label("Numbers", exact=True).check()
    page.get_by_label("Values:").fill(json.dumps(values))
    page.get_by_role("button", name="Run").click()
    expect(page.get_by_role("slider", name="Step")).to_have_attribute("max", "199")
    assert runs[-1] == ("POST", "/api/run?encoding=b64")
    assert drawn(page)["label"].startswith("Step 1 of 200")
