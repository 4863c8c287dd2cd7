"""HTML pages: the app (/) and the chart-only embed page (/embed).

Every page renders through ``render``, which gives the templates what they share:

- its language (SPEC section 10): ``lang`` for ``<html lang>``, ``t(key, **params)``, the catalog
  the page inlines for its scripts, and a link per language to the same page and state;
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
from app.i18n import LANGUAGES, Language, catalog, negotiate, translate
from app.presets import presets

TEMPLATES = STATIC.parent / "templates"

router = APIRouter(tags=["pages"], include_in_schema=False)
templates = Jinja2Templates(directory=TEMPLATES)

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
    """Charts and playback only, for iframes on any site; configuration comes from the URL."""
    return render(
        request, "embed.html", EMBED_HEADERS, presets=page_presets(page_language(request))
    )
