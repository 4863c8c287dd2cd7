"""Light pages: content-hashed static URLs cached for a year, compressed, revalidated with ETags;
the partial Plotly bundle; what a cold and a repeated embed cost on the wire."""

import gzip
import re
import urllib.request
from pathlib import Path

import brotli
import pytest
from playwright.sync_api import Browser, Page

from app.assets import ROOT as STATIC
from app.assets import StaticTree, static_tree
from bench.pageload import Wire
from tests.e2e.conftest import get, watch
from tests.e2e.viewer import wait_ready

pytestmark = pytest.mark.e2e

YEAR = "public, max-age=31536000, immutable"
HASHED = re.compile(r'(?:src|href|content)="(/static/[0-9a-f]{12}/[^"]+)"')


def fetch(url: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return (
                response.status,
                {k.lower(): v for k, v in response.headers.items()},
                response.read(),
            )
    except urllib.error.HTTPError as error:
        return error.code, {k.lower(): v for k, v in error.headers.items()}, error.read()


def expected_bytes(path: str) -> bytes:
    """A static file as on disk, or (``.bundle.js``) its module bundled."""
    if path.endswith(".bundle.js"):
        return static_tree().bundle(path.removesuffix(".bundle.js") + ".js").encode()
    return (STATIC / path).read_bytes()


def test_pages_name_static_files_by_hashed_urls_cached_for_a_year(app_url: str) -> None:
    for page in ("/", "/embed?preset=lstm_batch"):
        urls = HASHED.findall(get(app_url + page)[2].decode())
        names = {url.split("/", 3)[3] for url in urls}
        assert {"css/app.css", "vendor/plotly.min.js", "js/main.bundle.js", "favicon.svg"} <= names
        for url in urls:
            path = url.split("/", 3)[3]
            want = expected_bytes(path)
            plain = fetch(app_url + url, **{"Accept-Encoding": "identity"})
            assert plain[0] == 200 and plain[2] == want, url
            assert plain[1]["cache-control"] == YEAR and plain[1]["etag"], url
            for encoding, decode in (("br", brotli.decompress), ("gzip", gzip.decompress)):
                status, headers, body = fetch(app_url + url, **{"Accept-Encoding": encoding})
                if len(want) > 1024:  # worth compressing
                    assert headers["content-encoding"] == encoding and len(body) < len(want), url
                    assert decode(body) == want, url
                assert headers["vary"] == "Accept-Encoding"
            revisit = fetch(app_url + url, **{"If-None-Match": plain[1]["etag"]})
            assert (revisit[0], revisit[2]) == (304, b""), url


def test_unhashed_static_urls_revalidate_and_stale_digests_are_gone(app_url: str) -> None:
    status, headers, body = fetch(f"{app_url}/static/js/main.js")
    assert status == 200 and headers["cache-control"] == "no-cache"
    assert body == (STATIC / "js/main.js").read_bytes()
    assert fetch(f"{app_url}/static/js/main.js", **{"If-None-Match": headers["etag"]})[0] == 304
    assert fetch(f"{app_url}/static/js/main.js", **{"If-None-Match": '"other"'})[0] == 200
    assert fetch(f"{app_url}/static/000000000000/js/main.js")[0] == 404
    assert fetch(f"{app_url}/static/js/nothing.js")[0] == 404
    assert fetch(f"{app_url}/static/../app/main.py")[0] == 404
    moved = urllib.request.urlopen(f"{app_url}/vendor/plotly.min.js", timeout=10)
    assert moved.url.startswith(f"{app_url}/static/") and moved.url.endswith("/plotly.min.js")


def test_a_changed_module_changes_its_folders_digest_only(tmp_path: Path) -> None:
    for path in ("js/a.js", "js/b.js", "vendor/big.js"):
        (tmp_path / path).parent.mkdir(exist_ok=True)
        (tmp_path / path).write_text(f"export const name = '{path}';\n")
    before = StaticTree(tmp_path)
    (tmp_path / "js/b.js").write_text("export const name = 'changed';\n")
    after = StaticTree(tmp_path)
    assert after.url("js/a.js") != before.url("js/a.js")  # a's imports may have changed
    assert after.url("js/a.js").rsplit("/", 2)[0] == after.url("js/b.js").rsplit("/", 2)[0]
    assert after.url("vendor/big.js") == before.url("vendor/big.js")


def test_a_module_the_bundler_refuses_is_loaded_unbundled(tmp_path: Path) -> None:
    (tmp_path / "js").mkdir()
    (tmp_path / "js/main.js").write_text("import { x } from './x.js';\nconsole.log(x);\n")
    (tmp_path / "js/x.js").write_text("export const x = 1;\n")
    assert StaticTree(tmp_path).loadable("js/main.bundle.js") == "js/main.bundle.js"
    (tmp_path / "js/x.js").write_text("export let x = 1;\n")
    tree = StaticTree(tmp_path)
    assert tree.loadable("js/main.bundle.js") == "js/main.js"
    tree.warm()  # the rest is still compressed, no error


def test_plotly_bundle_holds_only_the_traces_the_app_draws(page: Page, app_url: str) -> None:
    page.goto(f"{app_url}/?preset=lstm_batch")  # its states are Plotly's: it loads Plotly
    wait_ready(page)
    traces = page.evaluate("() => Object.keys(Plotly.PlotSchema.get().traces).sort()")
    assert traces == ["heatmap", "scatter"]
    header = (STATIC / "vendor/plotly.min.js").read_text()[:400]
    assert "plotly.js v" in header and "MIT license" in header
    for name in ("/", "/embed"):
        csp = get(app_url + name)[1]["content-security-policy"]
        script_src = csp.split("script-src")[1].split(";")[0]
        assert script_src.strip() == "'self'", csp


def test_cold_embed_is_light_and_a_revisit_sends_nothing_for_static_files(
    browser: Browser, app_url: str, console_errors: list[str]
) -> None:
    context = browser.new_context(viewport={"width": 800, "height": 450})
    try:
        page = context.new_page()
        watch(page, console_errors)
        cold = Wire(page)
        page.goto(f"{app_url}/embed?preset=bidirectional_lstm")
        wait_ready(page)
        assert cold.bytes <= 600_000, cold.bytes  # issue 11: a cold /embed moves at most 600 KB
        assert len(cold.network) <= 8, cold.network
        again = context.new_page()
        watch(again, console_errors)
        revisit = Wire(again)
        again.goto(f"{app_url}/embed?preset=bidirectional_lstm")
        wait_ready(again)
        assert [url for url in revisit.network if "/static/" in url] == []
        assert len(revisit.network) < len(cold.network)
    finally:
        context.close()


def test_only_the_apps_modules_have_bundles_and_each_is_bundled_once(tmp_path: Path) -> None:
    """A bundle is made for a module under js/ and kept: naming every module's bundle over and
    over costs one bundling each, and a name outside js/ (Plotly's classic script) is not one."""
    (tmp_path / "js").mkdir()
    (tmp_path / "vendor").mkdir()
    names = [f"js/m{k}.js" for k in range(24)]  # more modules than a small cache holds
    for name in names:
        (tmp_path / name).write_text("export const x = 1;\n")
    (tmp_path / "vendor/lib.min.js").write_text("window.lib = 1;\n")
    tree = StaticTree(tmp_path)
    bundles = [name.removesuffix(".js") + ".bundle.js" for name in names]
    calls = []
    bundle = tree.bundle
    tree.bundle = lambda entry: calls.append(entry) or bundle(entry)  # type: ignore[method-assign]
    for _ in range(2):
        for path in bundles:
            assert b"export" in tree.asset(path).data
    assert sorted(calls) == sorted(names)  # once each
    digest = tree.url("vendor/lib.min.js").split("/")[2]
    assert tree.lookup(f"{digest}/vendor/lib.min.bundle.js") is None
    with pytest.raises(KeyError):
        tree.url("vendor/lib.min.bundle.js")
