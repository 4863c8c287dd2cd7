"""Where the course page's time goes: a CPU profile of the 20-embed page of ``bench.pageload``.

One server (this tree), the same course page of 20 embeds on another origin, Chromium with site
isolation off so the 20 frames and the page share one renderer whose one CPU profile (DevTools
protocol ``Profiler``, 200 us sampling) sees them all. Prints, per cold load, the time until
every embed shows a chart and is drawn (both slower than in ``bench.pageload``: the profiler
costs), the renderer's script, layout and style seconds, the sampled milliseconds by script
file, and for the last load the functions with the most self time. A diagnosis, not a
before/after: ``bench.pageload`` measures.

Usage: ``python -m bench.pageload_profile [--runs N]``
"""

import argparse
import collections
import tempfile
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, sync_playwright

from bench.common import Server, machine
from bench.pageload import CHROMIUM, CourseSite, _marks, course_html, new_context

# One renderer for the course page and its 20 frames: one profile sees them all.
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-site-isolation-trials"]
ARGS += ["--disable-features=site-per-process,IsolateOrigins"]
METRICS = ("ScriptDuration", "LayoutDuration", "RecalcStyleDuration", "TaskDuration")


def self_times(profile: dict[str, Any]) -> tuple[collections.Counter, collections.Counter]:
    """Sampled self time in ms by script file and by (file, function)."""
    nodes = {node["id"]: node["callFrame"] for node in profile["nodes"]}
    by_file: collections.Counter = collections.Counter()
    by_function: collections.Counter = collections.Counter()
    for sample, delta in zip(profile["samples"][1:], profile["timeDeltas"][1:], strict=True):
        frame = nodes[sample]
        where = frame["url"].rsplit("/", 1)[-1].split("?")[0] or frame["functionName"]
        by_file[where] += delta / 1000
        by_function[(where, frame["functionName"])] += delta / 1000
    return by_file, by_function


def profile_load(browser: Browser, url: str) -> tuple[str, collections.Counter]:
    """One cold load of the course page at ``url`` under the profiler: its summary line (times,
    the renderer's seconds, ms by file) and its ms by function."""
    context = new_context(browser, 3300, 2400)
    try:
        page = context.new_page()
        cdp = context.new_cdp_session(page)
        cdp.send("Performance.enable")
        cdp.send("Profiler.enable")
        cdp.send("Profiler.setSamplingInterval", {"interval": 200})
        cdp.send("Profiler.start")
        page.goto(url)
        frames = [f for f in page.frames if "/embed" in f.url]
        charts = max(_marks(page, frames, "chart")) / 1000
        drawn = max(_marks(page, frames, "ready")) / 1000
        profile = cdp.send("Profiler.stop")["profile"]
        metrics = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
    finally:
        context.close()
    by_file, by_function = self_times(profile)
    seconds = ", ".join(f"{name} {metrics.get(name, 0):.2f} s" for name in METRICS)
    files = ", ".join(f"{f} {v:.0f}" for f, v in by_file.most_common(8))
    line = f"all charts {charts:.2f} s, all drawn {drawn:.2f} s; {seconds}\n  ms by file: {files}"
    return line, by_function


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    print(machine())
    server = Server().start()
    with tempfile.TemporaryDirectory() as tmp:
        site = CourseSite(Path(tmp))
        try:
            server.wait_ready()
            (Path(tmp) / "course.html").write_text(course_html(server.url))
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
                for run in range(args.runs):
                    line, by_function = profile_load(browser, f"{site.url}/course.html")
                    print(f"load {run + 1}: {line}")
                browser.close()
        finally:
            site.stop()
            server.stop()
    print("ms by function (last load):")
    for (where, name), ms in by_function.most_common(20):
        print(f"  {ms:7.0f}  {where}  {name or '(anonymous)'}")


if __name__ == "__main__":
    main()
