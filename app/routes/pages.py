"""HTML pages: the app (/) and the chart-only embed page (/embed)."""

from pathlib import Path

import plotly
from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.templating import Jinja2Templates

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


@router.get("/", response_class=HTMLResponse)
def index(request: Request) -> HTMLResponse:
    """The full app: configuration panel, presets and the visualization. Not frameable."""
    return templates.TemplateResponse(request, "index.html", {}, headers=APP_HEADERS)


@router.get("/embed", response_class=HTMLResponse)
def embed(request: Request) -> HTMLResponse:
    """Charts and playback only, for iframes on any site; configuration comes from the URL."""
    return templates.TemplateResponse(request, "embed.html", {}, headers=EMBED_HEADERS)
