"""Playback speed of the comparison (issue 9): N viewers following one timeline, against one.

One server on loopback (``uvicorn app.main:app``, as ``make run``), headless Chromium at
1280 x 720. Each page opens the ``memory_reach`` preset (T = 40) at speed 30 and is played from
step 0 to the last: the time from the click on Play to the step the slider reaches last,
measured in the page (``performance.now()``, the slider watched on every animation frame). The
first step is drawn at once, so the ideal is 38 / 30 = 1.27 s. In turns, ``--runs`` times each:
``/compare`` with three columns, ``/compare`` with one, and ``/`` (the app: one viewer with its
network, lines and math panel).

Usage: ``python -m bench.compare [--runs N]``; medians are printed.
"""

import argparse
import statistics

from playwright.sync_api import Page, sync_playwright

from bench.common import Server, machine, table

CHROMIUM = "/usr/bin/chromium"
PAGES = {
    "/compare, 3 columns": "/compare?preset=memory_reach&speed=30",
    "/compare, 1 column": "/compare?preset=memory_reach&cells=lstm&speed=30",
    "/ (the app)": "/?preset=memory_reach&speed=30",
}

# Click Play, then resolve with the seconds until the slider shows its last step.
PLAY_JS = """() => new Promise((resolve) => {
  const slider = document.querySelector('[data-role=slider]');
  const start = performance.now();
  document.querySelector('[data-action=play]').click();
  const watch = () => (slider.value === slider.max
    ? resolve((performance.now() - start) / 1000) : requestAnimationFrame(watch));
  requestAnimationFrame(watch);
})"""


def play(page: Page, url: str) -> float:
    page.goto(url)
    page.locator("body[aria-busy=false]").wait_for(timeout=60_000)
    page.wait_for_timeout(300)
    return page.evaluate(PLAY_JS)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    times: dict[str, list[float]] = {name: [] for name in PAGES}
    with Server() as server, sync_playwright() as p:
        server.wait_ready()
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1280, "height": 720})
        for _ in range(args.runs):
            for name, path in PAGES.items():
                times[name].append(play(page, server.url + path))
        browser.close()
    print(machine())
    rows = []
    for name, seconds in times.items():
        median = statistics.median(seconds)
        rows.append(
            (name, f"{median:.2f} s", f"{39 / median:.1f}", " ".join(f"{s:.2f}" for s in seconds))
        )
    print(table(["page", "39 steps at speed 30 (median)", "steps/s", "runs"], rows))


if __name__ == "__main__":
    main()
