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


@router.get("/vendor/plotly.min.js")
def plotly_js() -> FileResponse:
    """Plotly.js as shipped inside the `plotly` Python package."""
    return FileResponse(PLOTLY_JS, media_type="text/javascript")


@router.get("/", response_class=HTMLResponse)
def index(request: Request) -> HTMLResponse:
    """The full app: configuration panel, presets and the visualization."""
    return templates.TemplateResponse(request, "index.html", {})


@router.get("/embed", response_class=HTMLResponse)
def embed(request: Request) -> HTMLResponse:
    """Charts and playback only, for iframes; configuration comes from the URL."""
    return templates.TemplateResponse(request, "embed.html", {})
