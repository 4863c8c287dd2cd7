"""Exports of a run (SPEC section 9): ``/api/export/notebook``, ``/html`` and ``/csv``.

Each takes the query of ``GET /api/run`` (``?preset=NAME`` or ``?config=<JSON>``, the same
checks, limits and errors) and gets the run through ``RunService``: cached, shared with any
identical request in flight, never run a second way. Large exports are written off the event
loop (a large notebook and every HTML page on the service's threads, the CSV streamed from
Starlette's).
"""

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import StreamingResponse

from app.deps import RunQuery, RunQueryDep, ServiceDep
from app.export import csv, html, notebook
from app.i18n import DEFAULT_LANGUAGE, Language
from app.middleware import deadline_of
from app.presets import presets
from app.responses import PacedResponse
from app.routes.api import ERRORS
from app.routes.pages import render
from app.validation import PreparedRun

router = APIRouter(prefix="/api/export", tags=["export"])

EXPORT_ERRORS: dict[int | str, dict] = {
    414: {"description": "The query string is longer than `max_query_bytes`."},
    **ERRORS,
}
LANG = Query(description="The language of the notebook's explanations.")


def _filename(source: RunQuery, prepared: PreparedRun, extension: str) -> str:
    name = source.preset or f"{prepared.request.cell}-{prepared.key[:8]}"
    return f"rnn-{name}.{extension}"


def _attachment(filename: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{filename}"'}


def _app_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")


@router.get(
    "/notebook",
    responses={200: {"content": {"application/x-ipynb+json": {}}}, **EXPORT_ERRORS},
    response_class=Response,
)
async def export_notebook(
    request: Request,
    service: ServiceDep,
    source: RunQueryDep,
    lang: Annotated[Language, LANG] = DEFAULT_LANGUAGE,
) -> Response:
    """A Jupyter notebook that holds the run (configuration, weights, results) and rebuilds
    it with TensorFlow's public API, asserting that it gets the same numbers."""
    prepared = await source.prepare()
    result = await service.arrays(prepared, deadline_of(request))
    preset = presets(lang).get(source.preset or "")
    name = preset.title if preset else f"{prepared.request.cell.upper()} run {prepared.key[:8]}"
    body = await service.write(
        prepared.numbers,
        notebook.notebook,
        result,
        f"RNN Visualizer: {name}",
        _app_url(request),
        lang,
    )
    headers = _attachment(_filename(source, prepared, "ipynb"))
    return PacedResponse(body, media_type="application/x-ipynb+json", headers=headers)


@router.get(
    "/html",
    responses={200: {"content": {"text/html": {}}}, **EXPORT_ERRORS},
    response_class=Response,
)
async def export_html(request: Request, service: ServiceDep, source: RunQueryDep) -> Response:
    """One HTML file with the charts and playback of `/embed`, which plays from disk with no
    network. Other query keys (`step`, `hide`, `speed`, `autoplay`, ... as `/embed` takes them)
    set the view it opens at."""
    prepared = await source.prepare()
    body = await service.encoded(prepared, "b64", deadline_of(request))
    query = request.scope["query_string"].decode("latin-1")

    def page() -> Response:  # over a megabyte whatever the run (Plotly inline): off the loop
        context = html.standalone_context(body, query, _app_url(request))
        headers = {
            **_attachment(_filename(source, prepared, "html")),
            "Content-Security-Policy": context["standalone"]["csp"],
        }
        return render(request, "embed.html", headers, **context)

    return await service.pool.call("page", 1, page)  # its own rate: not the JSON writes


@router.get(
    "/csv", responses={200: {"content": {"text/csv": {}}}, **EXPORT_ERRORS}, response_class=Response
)
async def export_csv(request: Request, service: ServiceDep, source: RunQueryDep) -> Response:
    """Every output, state and gate of every layer and direction, one number a row:
    `layer,direction,example,t,quantity,unit,value` (0-based)."""
    prepared = await source.prepare()
    result = await service.arrays(prepared, deadline_of(request))
    headers = _attachment(_filename(source, prepared, "csv"))
    return StreamingResponse(csv.rows(result), media_type="text/csv", headers=headers)
