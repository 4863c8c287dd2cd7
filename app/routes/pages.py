"""HTML pages: the app (/) and the chart-only embed page (/embed).

Every page renders through ``render``, which gives the templates what they share: ``static_url``
(the content-hashed URL of a static file, ``app.assets``) and the names of the assets every page
loads: the stylesheet, Plotly, and the front end's entry as one bundle (``js/main.bundle.js``:
one request, not one per module). The standalone HTML export (``app.export.html``) renders the
same embed page with every asset inlined instead.
"""

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates

from app.assets import PAGE_ASSETS, static_tree
from app.assets import ROOT as STATIC

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


def render(
    request: Request, template: str, headers: dict[str, str], **context: Any
) -> HTMLResponse:
    """``template`` with what every page shares (module docstring) and ``context``."""
    tree = static_tree()
    shared = {**PAGE_ASSETS, "static_url": tree.url, "entry": tree.loadable(PAGE_ASSETS["entry"])}
    return templates.TemplateResponse(request, template, {**shared, **context}, headers=headers)


@router.get("/vendor/plotly.min.js")
def plotly_js() -> RedirectResponse:
    """The address older pages used for Plotly: now its content-hashed URL."""
    return RedirectResponse(static_tree().url(PAGE_ASSETS["plotly"]), status_code=301)


@router.get("/", response_class=HTMLResponse)
def index(request: Request) -> HTMLResponse:
    """The full app: configuration panel, presets and the visualization. Not frameable."""
    return render(request, "index.html", APP_HEADERS)


@router.get("/embed", response_class=HTMLResponse)
def embed(request: Request) -> HTMLResponse:
    """Charts and playback only, for iframes on any site; configuration comes from the URL."""
    return render(request, "embed.html", EMBED_HEADERS)
