"""HTML pages: the app (/), the chart-only embed page (/embed), the Learn page (/learn) and
the comparison of cells (/compare, and /embed?cells=...).

Every page renders through ``render``, which gives the templates what they share:

- its language (SPEC section 10): ``lang`` for ``<html lang>``, ``t(key, **params)``, the catalog
  the page inlines for its scripts, and a link per language to the same page and state;
- ``engine``, which the page inlines for its scripts too: the cell declarations (what
  ``GET /api/cells`` serves, ``app.engine.cells``) and ``max_analysis_steps``, so the front end
  derives every cell's names, layout and math from the engine's one source, with no request
  before its first chart, and a standalone export carries them;
- ``static_url`` (the content-hashed URL of a static file, ``app.assets``) and the assets every
  page loads: the stylesheet, Plotly, and the front end's entry as one bundle
  (``js/main.bundle.js``: one request, not one per module).

The app and the embed page also inline the presets in the page's language (``presets``, the
same list as ``GET /api/presets?lang=``), so that an embed asks for its run at once instead of
for the presets first.

The standalone HTML export (``app.export.html``) renders the same embed page with every asset
inlined instead.
"""

from functools import lru_cache, partial
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates

from app.assets import PAGE_ASSETS, static_tree
from app.assets import ROOT as STATIC
from app.engine.cells import describe_all
from app.i18n import LANGUAGES, Language, catalog, negotiate, translate
from app.presets import COMPARE_DEFAULT, presets
from app.settings import Settings

TEMPLATES = STATIC.parent / "templates"

router = APIRouter(tags=["pages"], include_in_schema=False)
templates = Jinja2Templates(directory=TEMPLATES)
# ``tojson`` keeps an object's order (Jinja sorts keys by default): the cells' declaration order.
templates.env.policies["json.dumps_kwargs"] = {"sort_keys": False}

# Scripts only from this app (no inline script, no eval); Plotly sets inline styles and draws
# images from data:/blob: URLs (PNG export).
_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors {ancestors}"
)
# The app may be framed by itself only; X-Frame-Options says the same to older browsers.
APP_HEADERS = {
    "Content-Security-Policy": _CSP.format(ancestors="'self'"),
    "X-Frame-Options": "SAMEORIGIN",
}
# `*` alone leaves out pages opened from disk (file:), such as a course page saved locally.
EMBED_HEADERS = {"Content-Security-Policy": _CSP.format(ancestors="* file:")}


def page_language(request: Request) -> Language:
    """The language of a page: its ``lang=``, else the reader's Accept-Language, else English."""
    return negotiate(request.query_params.get("lang"), request.headers.get("accept-language"))


def language_context(request: Request) -> dict[str, Any]:
    """What every template needs for its language (module docstring); main.js keeps the
    language links' query up to date as the state changes."""
    lang = page_language(request)
    links = []
    for code in LANGUAGES:
        query = {**dict(request.query_params.multi_items()), "lang": code}
        links.append({"lang": code, "href": f"{request.url.path}?{urlencode(query)}"})
    return {
        "lang": lang,
        "t": partial(translate, lang),
        "messages": catalog(lang),
        "languages": links,
    }


def engine_context(settings: Settings) -> dict[str, Any]:
    """What the front end reads of the engine (module docstring): 2.3 KB of JSON."""
    return {"cells": describe_all(), "max_analysis_steps": settings.max_analysis_steps}


@lru_cache(maxsize=len(LANGUAGES))
def page_presets(lang: Language) -> list[dict[str, Any]]:
    """The presets as ``GET /api/presets?lang=`` answers them, for a page to inline."""
    return [preset.model_dump(mode="json") for preset in presets(lang).values()]


def render(
    request: Request, template: str, headers: dict[str, str], **context: Any
) -> HTMLResponse:
    """``template`` in the page's language, with the shared assets (module docstring) and
    ``context``. Caches keep one copy per Accept-Language, since it can choose the language."""
    tree = static_tree()
    language = language_context(request)
    shared = {
        **PAGE_ASSETS,
        **language,
        "static_url": tree.url,
        "entry": tree.loadable(PAGE_ASSETS["entry"]),
        "engine": engine_context(request.app.state.settings),
    }
    language_headers = {"Content-Language": language["lang"], "Vary": "Accept-Language"}
    return templates.TemplateResponse(
        request, template, {**shared, **context}, headers={**headers, **language_headers}
    )


@router.get("/vendor/plotly.min.js")
def plotly_js() -> RedirectResponse:
    """The address older pages used for Plotly: now its content-hashed URL."""
    return RedirectResponse(static_tree().url(PAGE_ASSETS["plotly"]), status_code=301)


@router.get("/", response_class=HTMLResponse)
def index(request: Request) -> HTMLResponse:
    """The full app: configuration panel, presets and the visualization. Not frameable."""
    return render(request, "index.html", APP_HEADERS, presets=page_presets(page_language(request)))


@router.get("/embed", response_class=HTMLResponse)
def embed(request: Request) -> HTMLResponse:
    """Charts and playback only, for iframes on any site; configuration comes from the URL.
    ``learn=1`` embeds a training instead (the Learn page's charts, its keys in the URL);
    ``cells=`` embeds a comparison (``/compare``'s columns and player)."""
    if "learn" in request.query_params:
        return learn_page(request, EMBED_HEADERS, embed=True)
    if "cells" in request.query_params:
        return compare_page(request, EMBED_HEADERS, embed=True)
    return render(
        request, "embed.html", EMBED_HEADERS, presets=page_presets(page_language(request))
    )


# ---- the Learn page (SPEC section 8): /learn and /embed?learn=1 --------------------------------
LEARN_ENTRY = "js/learn.bundle.js"


def learn_page(request: Request, headers: dict[str, str], **context: Any) -> HTMLResponse:
    """``learn.html`` with the Learn page's own entry (``js/learn.bundle.js``, or its module
    when the bundler refuses one) in place of the app's."""
    entry = static_tree().loadable(LEARN_ENTRY)
    return render(request, "learn.html", headers, entry=entry, **context)


@router.get("/learn", response_class=HTMLResponse)
def learn(request: Request) -> HTMLResponse:
    """Train a network on a text (default "hihello") and watch it learn: the loss as it
    streams in, each epoch's predictions, and the network at any epoch. Not frameable."""
    return learn_page(request, APP_HEADERS)


# ---- the comparison of cells (SPEC section 7): /compare and /embed?cells=... -------------------
COMPARE_ENTRY = "js/compare.bundle.js"


def compare_page(request: Request, headers: dict[str, str], **context: Any) -> HTMLResponse:
    """``compare.html`` with its own entry (``js/compare.bundle.js``, or the module when the
    bundler refuses one; its stylesheet, ``css/compare.css``, after the app's), opening
    ``COMPARE_DEFAULT`` when the URL names no preset or configuration."""
    entry = static_tree().loadable(COMPARE_ENTRY)
    return render(
        request, "compare.html", headers, entry=entry, default_preset=COMPARE_DEFAULT, **context
    )


@router.get("/compare", response_class=HTMLResponse)
def compare(request: Request) -> HTMLResponse:
    """One configuration run once per cell (``cells=rnn,lstm,gru`` by default), side by side:
    one column per cell, one player for all. The page reads ``preset=`` or ``config=`` and
    the view from the URL and refuses, with a message, what fits one cell only (weights, an
    initial state). Not frameable; ``/embed?cells=...`` is."""
    return compare_page(request, APP_HEADERS)
