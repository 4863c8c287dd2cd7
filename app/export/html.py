"""The standalone HTML export: the embed page with everything inline, the run included.

Opened from disk with no network, the file makes no request: the stylesheet, Plotly and the
front end's module graph (bundled by ``app.export.bundle`` from ``js/standalone.js``, the
embed viewer started from the run the file carries) are inline, images are ``data:`` URLs, and
the run result is a JSON script element in the compact encoding. A ``<meta>`` Content-Security-
Policy allows exactly those inline scripts (by their digests) and nothing from anywhere, so a
request the code might still try is refused by the browser, not sent.
"""

import base64
import hashlib
import re
from functools import lru_cache
from typing import Any

import orjson
from markupsafe import Markup

from app.assets import PAGE_ASSETS, static_tree

ENTRY = "js/standalone.bundle.js"  # js/standalone.js and what it imports


def script_text(text: str) -> str:
    """JavaScript made safe inside ``<script>``: ``</script`` and ``<!--`` (which the HTML parser
    reads even inside strings) are escaped in a form that means the same to JavaScript."""
    return re.sub(r"<(/script|!--)", lambda m: "<\\" + m[1], text, flags=re.I)


def _hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def data_url(path: str) -> str:
    """A static file as a ``data:`` URL."""
    asset = static_tree().assets[path]
    return f"data:{asset.media_type};base64,{base64.b64encode(asset.data).decode()}"


@lru_cache(maxsize=1)
def _inlined() -> tuple[Markup, Markup, Markup, str]:
    """The stylesheet, Plotly and the bundled viewer, made safe to inline, and the CSP that
    allows those two scripts (the same for every export of this process)."""
    tree = static_tree()
    plotly = script_text(tree.text(PAGE_ASSETS["plotly"]))
    viewer = script_text(tree.asset(ENTRY).data.decode())
    csp = (
        f"default-src 'none'; script-src {_hash(plotly)} {_hash(viewer)}; "
        "style-src 'unsafe-inline'; img-src data: blob:; font-src data:; base-uri 'none'; "
        "form-action 'none'"
    )
    css = tree.text(PAGE_ASSETS["stylesheet"]).replace("</", "<\\/")
    return Markup(css), Markup(plotly), Markup(viewer), csp


def standalone_context(result_b64: bytes, query: str, app_url: str) -> dict[str, Any]:
    """What ``templates/base.html`` inlines for the export: a run result (its compact-encoding
    JSON), the view query (``step=2&hide=math``, read as ``/embed`` reads its URL) and the
    address of the app the "open in the app" link points to."""
    data = (
        b'{"query":'
        + orjson.dumps(query)
        + b',"app":'
        + orjson.dumps(app_url)
        + b',"result":'
        + result_b64
        + b"}"
    ).replace(b"<", b"\\u003c")  # nothing in the JSON can close its element
    css, plotly, viewer, csp = _inlined()
    return {
        "standalone": {
            "csp": csp,
            "css": css,
            "plotly": plotly,
            "data": Markup(data.decode()),
            "bundle": viewer,
        },
        "static_url": data_url,
    }
