"""What the viewer has drawn, read from the page (Plotly's data and layout, and the SVG)."""

import time

from playwright.sync_api import FrameLocator, Page

# Reads the charts inside #viewer; `current` are the x of the highlighted network boxes,
# `outputs` the outputs the network's SVG shows so far.
DRAWN_JS = """(root) => {
  const empty = { data: [], layout: { shapes: [] } };
  const chart = (name) => {
    const el = root.querySelector(`[data-chart=${name}]`);
    return el.layout ? el : Object.assign(document.createElement('div'), empty);
  };
  const [net, heat] = [chart('network'), chart('heatmaps')];
  const [gates, lines] = [chart('gates'), chart('lines')];
  const rects = net.layout.shapes.filter((s) => s.type === 'rect');
  return {
    slider: Number(root.querySelector('[data-role=slider]').value),
    label: root.querySelector('[data-role=step-label]').textContent,
    current: rects.filter((s) => s.fillcolor === '#fdb863').map((s) => s.x0 + 0.32),
    padding: rects.filter((s) => s.fillcolor === '#d9d9d9').map((s) => s.x0 + 0.32),
    outputs: [...net.querySelectorAll('.shapelayer text')].map((n) => n.textContent)
      .filter(Boolean),
    boxFills: [...net.querySelectorAll('.shapelayer path')].map((p) => p.style.fill),
    cursors: heat.layout.shapes.filter((s) => !s.fillcolor).map((s) => s.x0 + 0.5),
    cursorPaths: [...heat.querySelectorAll('.shapelayer path')].map((p) => p.getAttribute('d')),
    heatmaps: heat.data.map((t) => ({
      name: t.hovertemplate.split('<br>')[0], q: t.coloraxis, z: t.z,
    })),
    gates: gates.data ? gates.data.map((t) => t.z) : null,
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
