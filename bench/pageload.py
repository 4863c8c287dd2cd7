"""Page weight and load time of the embed, before and after, side by side (issue 11, item 7).

Two servers on loopback, each ``uvicorn app.main:app`` with its presets warm: *before* runs a
commit's tree (``git archive REF``, default ``main``), *after* this working tree. Headless
Chromium (``/usr/bin/chromium``), a new browser context per load, so every load is cold: an
empty HTTP cache and no compiled code kept. In turns, ``--runs`` times each:

- **/embed**: ``/embed?preset=NAME`` alone. Bytes on the wire (every response's encoded size,
  headers included, from the DevTools protocol), requests, and the time from navigation to the
  first chart drawn (a Plotly ``.main-svg``, or the network's ``.chart-svg`` that
  static/js/svgfigure.js draws without Plotly, in the page) and to
  the whole embed drawn (``<body aria-busy=false>``). Then the same page again in the same
  context: the requests a revisit still sends (answered from the network, 304s included).
- **course page**: plain HTML with 20 ``<iframe>`` embeds (the ten presets, at step 0 and at
  step 2, 800 x 450 each, no lazy loading), served by a second local HTTP server on another
  port and host name (``localhost``), so the embeds are another origin and site. The time
  from its navigation until every embed shows its first chart, and until every embed is drawn.

Medians are printed. Targets (issue 11): cold /embed at most 600 KB and its first chart within
0.5 s; all 20 embeds within 2.5 s. The course page's viewport (3300 x 2400) shows all 20.

Usage: ``python -m bench.pageload [--before REF] [--runs N] [--preset NAME]`` (once this branch
is merged, ``--before`` names the commit before the merge).
"""

import argparse
import statistics
import tempfile
import threading
import time
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from app.presets import presets
from bench.common import Server, export_tree, free_port, machine, table

CHROMIUM = "/usr/bin/chromium"
EMBEDS = 20
TIMEOUT_S = 60

# In every frame, before its scripts: the time (ms since the epoch, so frames compare) when the
# first chart is in the page and when the embed reports itself drawn. Not at the next animation
# frame: Chromium runs none in a frame out of view.
MARKS = """(() => {
  const marks = (window.__marks = {});
  const mark = (name) => {
    if (!(name in marks)) marks[name] = performance.timeOrigin + performance.now();
  };
  new MutationObserver(() => {
    if (document.querySelector('[data-chart] .main-svg, [data-chart] .chart-svg')) mark('chart');
    if (document.body && document.body.getAttribute('aria-busy') === 'false') mark('ready');
  }).observe(document, {
    subtree: true, childList: true, attributes: true, attributeFilter: ['aria-busy'],
  });
})();"""


class Wire:
    """What a page sends and receives over the network, read from the DevTools protocol:
    requests answered from the network (not the memory or disk cache) and their bytes."""

    def __init__(self, page: Page) -> None:
        self.sent: dict[str, str] = {}  # request id -> URL
        self.cached: set[str] = set()
        self.bytes = 0
        self.network: list[str] = []
        cdp = page.context.new_cdp_session(page)
        cdp.on("Network.requestWillBeSent", self._sent)
        cdp.on("Network.requestServedFromCache", lambda e: self.cached.add(e["requestId"]))
        cdp.on("Network.responseReceived", self._received)
        cdp.on("Network.loadingFinished", self._finished)
        cdp.send("Network.enable")

    def _sent(self, event: dict[str, Any]) -> None:
        if not event["request"]["url"].startswith("data:"):
            self.sent[event["requestId"]] = event["request"]["url"]

    def _received(self, event: dict[str, Any]) -> None:
        response = event["response"]
        if response.get("fromDiskCache") or response.get("fromPrefetchCache"):
            self.cached.add(event["requestId"])

    def _finished(self, event: dict[str, Any]) -> None:
        rid = event["requestId"]
        if rid in self.sent and rid not in self.cached:
            self.bytes += int(event["encodedDataLength"])
            self.network.append(self.sent[rid])


def _marks(page: Page, frames: list, key: str) -> list[float]:
    """Each frame's mark ``key`` (waiting for it), in ms after the top page's navigation. Polled
    from here: ``wait_for_function`` would evaluate a string, which the pages' CSP forbids."""
    origin = page.evaluate("performance.timeOrigin")
    deadline = time.monotonic() + TIMEOUT_S
    times = []
    for frame in frames:
        while (value := frame.evaluate(f"() => window.__marks && window.__marks.{key}")) is None:
            assert time.monotonic() < deadline, f"no {key} in {frame.url} in {TIMEOUT_S} s"
            time.sleep(0.02)
        times.append(value - origin)
    return times


def new_context(browser: Browser, width: int, height: int) -> BrowserContext:
    context = browser.new_context(viewport={"width": width, "height": height})
    context.add_init_script(MARKS)
    return context


def load_embed(browser: Browser, url: str) -> dict[str, float]:
    """One cold load of an embed URL, then a revisit in the same context."""
    context = new_context(browser, 800, 450)
    try:
        page = context.new_page()
        wire = Wire(page)
        page.goto(url)
        (chart,) = _marks(page, [page.main_frame], "chart")
        (ready,) = _marks(page, [page.main_frame], "ready")
        cold = {"kb": wire.bytes / 1000, "requests": len(wire.network), "chart_s": chart / 1000,
                "ready_s": ready / 1000}  # fmt: skip
        again = context.new_page()
        revisit = Wire(again)
        again.goto(url)
        _marks(again, [again.main_frame], "ready")
        return {**cold, "revisit_requests": len(revisit.network)}
    finally:
        context.close()


def load_course(browser: Browser, url: str) -> dict[str, float]:
    """One cold load of the course page of 20 embeds."""
    context = new_context(browser, 3300, 2400)  # every embed in view
    try:
        page = context.new_page()
        page.goto(url)
        frames = [f for f in page.frames if "/embed" in f.url]
        assert len(frames) == EMBEDS, [f.url for f in page.frames]
        return {
            "all_chart_s": max(_marks(page, frames, "chart")) / 1000,
            "all_ready_s": max(_marks(page, frames, "ready")) / 1000,
        }
    finally:
        context.close()


def course_html(app: str) -> str:
    frames = [f"{app}/embed?preset={name}&step={step}" for step in (0, 2) for name in presets()]
    iframes = "\n".join(
        f'<iframe src="{src}" width="800" height="450" style="border:0" title="embed {k}"></iframe>'
        for k, src in enumerate(frames[:EMBEDS])
    )
    return f'<!doctype html><meta charset="utf-8"><link rel="icon" href="data:,">\n{iframes}\n'


class QuietHandler(SimpleHTTPRequestHandler):
    """Static files without a log line per request."""

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002  (the base's name)
        pass


class CourseSite:
    """A plain HTTP server on another port (another origin) serving course pages."""

    def __init__(self, folder: Path) -> None:
        handler = partial(QuietHandler, directory=str(folder))
        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
        # `localhost`, not the app's 127.0.0.1: another site, as a course site is, so the
        # embeds run in a renderer process of their own, not the course page's.
        self.url = f"http://localhost:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", default="main", help="the commit to compare with")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--preset", default="bidirectional_lstm")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        before_root = Path(tmp) / "before"
        export_tree(args.before, before_root)
        site_folder = Path(tmp) / "site"
        site_folder.mkdir()
        servers = {
            f"before ({args.before})": Server(
                root=before_root, env={"PYTHONPATH": str(before_root)}
            ),
            "after (this tree)": Server(),
        }
        site = CourseSite(site_folder)
        try:
            for server in servers.values():
                server.start()
            for server in servers.values():
                server.wait_ready()
                (site_folder / f"{server.port}.html").write_text(course_html(server.url))
            samples: dict[str, list[dict[str, float]]] = {name: [] for name in servers}
            with sync_playwright() as p:
                browser = p.chromium.launch(
                    executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
                )
                for _ in range(args.runs):
                    for name, server in servers.items():
                        embed = load_embed(browser, f"{server.url}/embed?preset={args.preset}")
                        course = load_course(browser, f"{site.url}/{server.port}.html")
                        samples[name].append({**embed, **course})
                browser.close()
        finally:
            site.stop()
            for server in servers.values():
                server.stop()
    print(f"{machine()}; Chromium headless, cold cache, loopback; median of {args.runs} runs")
    columns = ["kb", "requests", "chart_s", "ready_s", "revisit_requests", "all_chart_s",
               "all_ready_s"]  # fmt: skip
    headers = ["server", "/embed KB on the wire", "requests", "first chart s", "drawn s",
               "revisit requests", "20 embeds: all charts s", "all drawn s"]  # fmt: skip
    rows = [
        [name] + [statistics.median(s[c] for s in runs) for c in columns]
        for name, runs in samples.items()
    ]
    print(table(headers, rows))
    (before, after) = rows
    print(
        "after/before: "
        + ", ".join(
            f"{h} {a / b:.2f}"
            for h, b, a in zip(headers[1:], before[1:], after[1:], strict=True)
            if b
        )  # fmt: skip
    )


if __name__ == "__main__":
    main()
