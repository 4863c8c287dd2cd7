"""HTML pages: the app (/) and the chart-only embed page (/embed)."""

from functools import partial
from pathlib import Path
from urllib.parse import urlencode

import plotly
from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.templating import Jinja2Templates

from app.i18n import LANGUAGES, Language, catalog, negotiate, translate

ROOT = Path(__file__).resolve().parent.parent.parent
PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"

router = APIRouter(tags=["pages"], include_in_schema=False)
templates = Jinja2Templates(directory=ROOT / "templates")

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


@router.get("/vendor/plotly.min.js")
def plotly_js() -> FileResponse:
    """Plotly.js as shipped inside the `plotly` Python package."""
    return FileResponse(PLOTLY_JS, media_type="text/javascript")


# ---- the page's language (SPEC section 10) ----


def page_language(request: Request) -> Language:
    """The language of a page: its ``lang=``, else the reader's Accept-Language, else English."""
    return negotiate(request.query_params.get("lang"), request.headers.get("accept-language"))


def language_context(request: Request) -> dict:
    """What every template needs for its language: ``lang`` (for ``<html lang>``), ``t(key,
    **params)``, the catalog the page inlines for its scripts, and a link per language to the same
    page and state (main.js keeps their query up to date as the state changes)."""
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


def page_response(request: Request, template: str, headers: dict[str, str]) -> HTMLResponse:
    """A page in its language; caches keep one copy per Accept-Language, since it can choose it."""
    context = language_context(request)
    language_headers = {"Content-Language": context["lang"], "Vary": "Accept-Language"}
    return templates.TemplateResponse(
        request, template, context, headers={**headers, **language_headers}
    )


@router.get("/", response_class=HTMLResponse)
def index(request: Request) -> HTMLResponse:
    """The full app: configuration panel, presets and the visualization. Not frameable."""
    return page_response(request, "index.html", APP_HEADERS)


@router.get("/embed", response_class=HTMLResponse)
def embed(request: Request) -> HTMLResponse:
    """Charts and playback only, for iframes on any site; configuration comes from the URL."""
    return page_response(request, "embed.html", EMBED_HEADERS)
