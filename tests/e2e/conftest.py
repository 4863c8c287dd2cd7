"""Browser tests: the real app (uvicorn in a subprocess) and one headless Chromium for them all.

The fixtures are package-scoped, so they end with the last browser test: Playwright's sync API
keeps an event loop running in the main thread, and tests after it call asyncio.run().
"""

import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = os.environ.get("RNNVIS_CHROMIUM", "/usr/bin/chromium")
READY_TIMEOUT_S = 90
# Every browser context reads English unless a test asks for Korean: its Accept-Language, which a
# page without lang= follows (SPEC section 10).
ENGLISH = {"locale": "en-US"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str) -> tuple[int, dict[str, str], bytes]:
    """Status, headers and body of a GET (no exception on 4xx/5xx)."""
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


@contextmanager
def serve(env: dict[str, str] | None = None, log_name: str = "e2e-server.log") -> Iterator[str]:
    """The app served by uvicorn on a free port, ready (GET /readyz is 200), with `env` added to
    its environment (settings as ``RNNVIS_<NAME>``); its log in test-artifacts/`log_name`."""
    port = free_port()
    ARTIFACTS.mkdir(exist_ok=True)
    log = (ARTIFACTS / log_name).open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "app.main:app", "--http", "app.server:HttpProtocol"]
        + ["--host", "127.0.0.1"]
        + ["--port", str(port)],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + READY_TIMEOUT_S
    try:
        while True:
            if server.poll() is not None:
                pytest.fail(f"the app exited with {server.returncode}; see {log.name}")
            try:
                if get(f"{url}/readyz")[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"the app was not ready within {READY_TIMEOUT_S} s")
            time.sleep(0.5)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


@pytest.fixture(scope="package")
def app_url() -> Iterator[str]:
    """The app with its default settings."""
    with serve() as url:
        yield url


@pytest.fixture(scope="package")
def presets(app_url: str) -> list[dict]:
    """GET /api/presets."""
    return json.loads(get(f"{app_url}/api/presets")[2])


@pytest.fixture(scope="package")
def other_origin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """A second static site on another port (another origin): (its URL, the folder it serves)."""
    folder = tmp_path_factory.mktemp("other-origin")
    handler = partial(SimpleHTTPRequestHandler, directory=str(folder))
    handler.log_message = lambda *args: None  # type: ignore[method-assign]
    server = ThreadingHTTPServer(("localhost", free_port()), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://localhost:{server.server_address[1]}", folder
    server.shutdown()


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (set RNNVIS_CHROMIUM)")
    with sync_playwright() as p:
        chromium = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield chromium
        chromium.close()


@pytest.fixture
def console_errors() -> list[str]:
    """Console errors and uncaught exceptions of every page the test opened."""
    return []


@pytest.fixture
def page(browser: Browser, console_errors: list[str]) -> Iterator[Page]:
    """A fresh 1280 x 800 page; the test fails if any page logged an error."""
    context = browser.new_context(
        viewport={"width": 1280, "height": 800}, accept_downloads=True, **ENGLISH
    )
    context.on("page", lambda p: watch(p, console_errors))
    page = context.new_page()
    yield page
    context.close()
    assert console_errors == []


def sized_page(
    browser: Browser, errors: list[str], width: int, height: int, locale: str = "en-US"
) -> Page:
    """A page `width` x `height` in a context of its own (close it with page.context.close()),
    its console errors collected into `errors`."""
    context = browser.new_context(viewport={"width": width, "height": height}, locale=locale)
    page = context.new_page()
    watch(page, errors)
    return page


def watch(page: Page, errors: list[str]) -> None:
    """Collect a page's console errors (its frames' too) and uncaught exceptions into `errors`."""
    page.on("console", lambda m: m.type == "error" and errors.append(f"{page.url}: {m.text}"))
    page.on("pageerror", lambda e: errors.append(f"{page.url}: {e}"))
