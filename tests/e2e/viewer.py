"""What the viewer has drawn, read from the page (each chart's data and layout, as Plotly keeps
them and static/js/plot.js' SVG charts keep them too, and the SVG)."""

import time
from urllib.parse import urlparse

from playwright.sync_api import FrameLocator, Page, Request

# Reads the charts inside #viewer; `current` are the x of the highlighted network boxes,
# `outputs` the outputs the network's SVG shows so far.
DRAWN_JS = """(root) => {
  const empty = { data: [], layout: { shapes: [] } };
  const chart = (name) => {
    const el = root.querySelector(`[data-chart=${name}]`);
    return el.layout ? el : Object.assign(document.createElement('div'), empty);
  };
  const [net, heat] = [chart('network'), chart('heatmaps')];
  const lines = chart('lines');
  const gateTables = [...root.querySelectorAll('[data-chart=gates] table')];
  const rects = net.layout.shapes.filter((s) => s.type === 'rect');
  return {
    slider: Number(root.querySelector('[data-role=slider]').value),
    label: root.querySelector('[data-role=step-label]').textContent,
    current: rects.filter((s) => s.fillcolor === '#fdb863').map((s) => s.x0 + 0.32),
    padding: rects.filter((s) => s.fillcolor === '#d9d9d9').map((s) => s.x0 + 0.32),
    outputs: [...net.querySelectorAll('.shape text')].map((n) => n.textContent)
      .filter(Boolean),
    boxFills: [...net.querySelectorAll('.shape rect')].map((r) => r.getAttribute('fill')),
    cursors: heat.layout.shapes.filter((s) => !s.fillcolor).map((s) => s.x0 + 0.5),
    cursorPaths: [...heat.querySelectorAll('.shapelayer path')].map((p) => p.getAttribute('d')),
    heatmaps: heat.data.map((t) => ({
      name: t.hovertemplate.split('<br>')[0], q: t.coloraxis, z: t.z,
    })),
    gates: gateTables.map((t) => ({
      title: t.caption.textContent,
      cells: [...t.tBodies[0].rows].map((r) => [...r.cells].slice(1).map((c) => c.title)),
    })),
    lineMasks: lines.layout.shapes.filter((s) => s.fillcolor === '#ffffff').map((s) => s.x1 - s.x0),
    math: root.querySelector('[data-role=math]').innerText,
  };
}"""


def wait_ready(page: Page | FrameLocator) -> None:
    """Wait until the last run has been drawn (the page clears aria-busy on <body>)."""
    page.locator("body[aria-busy=false]").wait_for()


def drawn(page: Page | FrameLocator) -> dict:
    """Everything the viewer shows now."""
    return page.locator("#viewer").evaluate(DRAWN_JS)


def open_viewer(page: Page, url: str) -> dict:
    """Open a page of the app and return what it drew."""
    page.goto(url)
    wait_ready(page)
    return drawn(page)


def poll(page: Page, expression: str, timeout_s: float = 5) -> None:
    """Wait until a JS expression is truthy (page.wait_for_function evaluates a string, which the
    app's Content-Security-Policy forbids; page.evaluate is not subject to it)."""
    deadline = time.monotonic() + timeout_s
    while not page.evaluate(expression):
        assert time.monotonic() < deadline, f"still false after {timeout_s} s: {expression}"
        time.sleep(0.02)


# Pairs of texts that overlap in the charts (titles, tick labels, colour bars' ticks and titles,
# the network's labels), and titles that overlap a heatmap's plot area; each as its texts.
OVERLAPS_JS = """(root) => {
  const boxes = (selector) => [...root.querySelectorAll(selector)]
    .map((el) => ({ text: el.textContent, r: el.getBoundingClientRect() }))
    .filter((b) => b.r.width > 0 && b.r.height > 0);
  const hit = (a, b) => a.left < b.right - 1 && b.left < a.right - 1
    && a.top < b.bottom - 1 && b.top < a.bottom - 1;
  const network = '[data-chart=network] .textpoint, [data-chart=network] .shape text';
  const texts = boxes(`.annotation-text, .xtick text, .ytick text, .colorbar text, ${network}`);
  const titles = boxes('[data-chart=heatmaps] .annotation-text');
  const plots = boxes('[data-chart=heatmaps] .nsewdrag');
  const found = [];
  texts.forEach((a, i) => texts.slice(i + 1)
    .forEach((b) => hit(a.r, b.r) && found.push([a.text, b.text])));
  titles.forEach((a) => plots.forEach((b) => hit(a.r, b.r) && found.push([a.text, 'a heatmap'])));
  return found;
}"""


def overlaps(page: Page | FrameLocator) -> list[list[str]]:
    """Texts of the charts that overlap one another or a heatmap (none when the layout is right)."""
    return page.locator("#viewer").evaluate(OVERLAPS_JS)


def record_runs(page: Page) -> list[tuple[str, str]]:
    """(method, path?query) of every /api/run request the page makes from now on."""
    runs: list[tuple[str, str]] = []

    def on_request(request: Request) -> None:
        url = urlparse(request.url)
        if url.path == "/api/run":
            runs.append((request.method, f"{url.path}?{url.query}"))

    page.on("request", on_request)
    return runs


# What a fitted viewer (presenter mode, /embed) must not do, each as a sentence: a part outside the
# window or over another part, a text under `minPx` pixels, a chart's text cut by the chart's edge,
# content cut off inside a part. Parts on another pane (display: none) are not on screen.
FIT_PROBLEMS_JS = """(root, minPx) => {
  const problems = [];
  const box = (el) => el.getBoundingClientRect();
  const shown = (el) => { const r = box(el); return r.width > 0 && r.height > 0; };
  const round = (r) => [r.left, r.top, r.right, r.bottom].map(Math.round).join(',');
  const inside = (a, b) => a.left >= b.left - 1 && a.top >= b.top - 1 && a.right <= b.right + 1
    && a.bottom <= b.bottom + 1;
  const hit = (a, b) => a.left < b.right - 1 && b.left < a.right - 1
    && a.top < b.bottom - 1 && b.top < a.bottom - 1;
  const parts = [...root.querySelectorAll('[data-part]')].filter(shown);
  const screen = { left: 0, top: 0, right: innerWidth, bottom: innerHeight };
  for (const el of parts) {
    const r = box(el);
    if (!inside(r, screen)) problems.push(`${el.dataset.part} outside the window: ${round(r)}`);
  }
  parts.forEach((a, i) => parts.slice(i + 1).forEach((b) => {
    if (hit(box(a), box(b))) problems.push(`${a.dataset.part} overlaps ${b.dataset.part}`);
  }));
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    if (!node.textContent.trim() || el.closest('.sr-only') || !shown(el)) continue;
    const size = parseFloat(getComputedStyle(el).fontSize);
    const text = node.textContent.trim().slice(0, 30);
    if (size > 0 && size < minPx) problems.push(`${size}px text: ${text}`);
  }
  for (const chart of root.querySelectorAll('[data-chart]')) {
    if (!shown(chart)) continue;
    for (const text of chart.querySelectorAll('svg text')) {
      if (shown(text) && text.textContent.trim() && !inside(box(text), box(chart))) {
        problems.push(`${chart.dataset.chart}: "${text.textContent}" cut by the chart's edge`);
      }
    }
  }
  for (const el of [...parts, ...root.querySelectorAll('[data-part] .chart')].filter(shown)) {
    if (el.scrollHeight > el.clientHeight + 1 || el.scrollWidth > el.clientWidth + 1) {
      problems.push(`${el.dataset.part ?? el.dataset.chart}: content cut off`);
    }
  }
  return problems;
}"""


def fit_problems(page: Page | FrameLocator, min_px: float = 0) -> list[str]:
    """What is wrong with a fitted viewer's layout on screen (see above); [] when right."""
    return page.locator("#viewer").evaluate(FIT_PROBLEMS_JS, min_px)


def scrolled_regions(page: Page | FrameLocator) -> list[dict]:
    """Regions of the viewer whose text is longer than their box (they scroll): the part and
    whether a keyboard reaches them (focusable)."""
    return page.locator("#viewer").evaluate(
        """(root) => [...root.querySelectorAll('[data-role=math]')]
          .filter((el) => el.getBoundingClientRect().height > 0
            && el.scrollHeight > el.clientHeight + 1)
          .map((el) => ({
            part: el.closest('[data-part]').dataset.part, focusable: el.tabIndex >= 0,
          }))"""
    )


def panes(page: Page | FrameLocator) -> list[str]:
    """The pane buttons of a fitted viewer (none when everything is on one screen)."""
    buttons = page.locator("[data-role=panes]:not([hidden]) button")
    return buttons.all_inner_texts()
