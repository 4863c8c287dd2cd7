"""axe-core in the browser tests, with no network: the copy of axe.min.js that the
``axe-playwright-python`` package carries (the ``test`` extra), injected into the page and every
frame in it, then run on the whole page with its default rules (WCAG 2 A and AA, and best
practices). Any page of the app (``/compare``, ``/learn`` too) can use it::

    assert axe_violations(page) == []
"""

from functools import cache
from importlib.resources import files

from playwright.sync_api import Page


@cache
def axe_source() -> str:
    """axe-core's script, from the installed package (never fetched)."""
    return (files("axe_playwright_python") / "axe.min.js").read_text(encoding="utf-8")


def axe_violations(page: Page) -> list[str]:
    """axe-core's violations on `page` and its frames, each as "rule (impact): target, ...":
    [] when there are none. Injected through the DevTools protocol, which the pages' CSP
    (``script-src 'self'``) does not govern."""
    for frame in page.frames:
        frame.evaluate(axe_source())
    results = page.evaluate(
        "axe.run(document, { resultTypes: ['violations'] }).then((r) => r.violations.map((v) =>"
        " `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`))"
    )
    return results


def axe_version() -> str:
    """The version of axe-core these tests run."""
    return axe_source().split("\n", 1)[0].removeprefix("/*! axe v").strip()
