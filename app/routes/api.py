"""The JSON API: run a network (POST, or GET for cacheable embeds), list the presets.

A repeated small request is answered from the result cache without being prepared again: the
digest of the request as it arrived resolves to its result's key (``ResultCache.alias``).
"""

import hashlib
from typing import Annotated

import orjson
from fastapi import APIRouter, Body, Depends, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from app.errors import InputError, error_body
from app.presets import presets
from app.results import Encoding
from app.schemas import Preset, RunRequest, RunResult
from app.settings import Settings, get_settings
from app.validation import PreparedRun, prepare_run
from app.worker import Worker, result_key

router = APIRouter(prefix="/api", tags=["api"])

ERRORS: dict[int | str, dict] = {
    413: {"description": "The request body is larger than `max_body_bytes`."},
    422: {"description": "A field breaks a rule; `detail[].loc` names it, `msg` states the rule."},
    503: {"description": "The worker is busy or the run missed its deadline; see `Retry-After`."},
}
GET_ERRORS: dict[int | str, dict] = {
    304: {"description": "`If-None-Match` names this result's ETag: the cached copy is current."},
    414: {"description": "The query string is longer than `max_query_bytes`."},
    **ERRORS,
}

EXAMPLES = {
    name: {
        "summary": preset.title,
        "value": preset.config.model_dump(mode="json", exclude_none=True),
    }
    for name, preset in presets().items()
}

ENCODING = Query(
    description="`json` (default): arrays as nested lists of numbers. `b64`: every float array "
    'as a Plotly.js typed array, `{"dtype": "float32", "shape": "B,T,H", "bdata": "<base64 of '
    'the little-endian float32 values in C order>"}`, about half the bytes (docs/PERFORMANCE.md).',
)


SMALL_BODY_BYTES = 65_536  # digesting a body this small costs microseconds
INLINE_HIDDEN_SIZE = 64  # seeded weights this small take well under a millisecond to draw


def get_worker(request: Request) -> Worker:
    """The app's engine worker (a dependency, so tests can replace it)."""
    return request.app.state.worker


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _json(body: bytes, source: str, headers: dict[str, str]) -> Response:
    return Response(body, media_type="application/json", headers={**headers, "X-Cache": source})


async def _respond(
    worker: Worker, prepared: PreparedRun, encoding: Encoding, headers: dict[str, str]
) -> Response:
    return _json(*await worker.result(prepared, encoding), headers)


@router.post("/run", response_model=RunResult, responses=ERRORS)
async def run(
    request: Request,
    body: Annotated[RunRequest, Body(openapi_examples=EXAMPLES)],
    settings: Annotated[Settings, Depends(get_settings)],
    worker: Annotated[Worker, Depends(get_worker)],
    encoding: Annotated[Encoding, ENCODING] = "json",
) -> Response:
    """Run the configured network and return every timestep's outputs, states and gates.

    Identical configurations are answered from the result cache (header `X-Cache`).
    """
    small = int(request.headers.get("content-length") or SMALL_BODY_BYTES + 1) <= SMALL_BODY_BYTES
    digest = None
    if small:
        digest = _digest(orjson.dumps(body.model_dump(mode="json")))
        key = worker.cache.resolve(digest)
        cached = worker.cache.get(result_key(key, encoding)) if key else None
        if cached is not None:
            return _json(cached, "hit", {})
    if small and body.hidden_size <= INLINE_HIDDEN_SIZE:
        prepared = prepare_run(body, settings)  # cheaper than a hop to the thread pool
    else:
        prepared = await run_in_threadpool(prepare_run, body, settings)
    if digest is not None:
        worker.cache.alias(digest, prepared.key)
    return await _respond(worker, prepared, encoding, {})


def _query_error(field: str, loc: tuple, msg: str, kind: str) -> RequestValidationError:
    return RequestValidationError([{"loc": ("query", field, *loc), "msg": msg, "type": kind}])


def _from_query(
    config: str | None, preset: str | None, settings: Settings, worker: Worker
) -> PreparedRun:
    """The run that ``?config=`` or ``?preset=`` names, checked exactly as a POST body is."""
    if (config is None) == (preset is None):
        raise _query_error("config", (), "give exactly one of config or preset", "value_error")
    if preset is not None:
        if preset not in presets():
            names = ", ".join(presets())
            raise _query_error("preset", (), f"unknown preset; one of {names}", "value_error")
        return worker.preset(preset)
    assert config is not None
    try:
        request = RunRequest.model_validate_json(config)
        return prepare_run(request, settings)
    except ValidationError as error:
        raise RequestValidationError(
            [{**e, "loc": ("query", "config", *e["loc"])} for e in error.errors()]
        ) from None
    except InputError as error:
        raise _query_error("config", error.loc, error.msg, "value_error") from None


def _etag_matches(if_none_match: str | None, etag: str) -> bool:
    if if_none_match is None:
        return False
    tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return "*" in tags or etag in tags


@router.get("/run", response_model=RunResult, responses=GET_ERRORS)
async def run_get(
    request: Request,
    settings: Annotated[Settings, Depends(get_settings)],
    worker: Annotated[Worker, Depends(get_worker)],
    config: Annotated[
        str | None,
        Query(description="The run configuration as URL-encoded JSON (the POST body)."),
    ] = None,
    preset: Annotated[str | None, Query(description="A preset name instead of config.")] = None,
    encoding: Annotated[Encoding, ENCODING] = "json",
) -> Response:
    """The same run as POST, cacheable: the `ETag` is the configuration's digest and
    `Cache-Control` lets browsers and CDNs keep the result (`If-None-Match` answers 304).

    For embedded charts: `GET /api/run?preset=lstm_batch` or `GET /api/run?config=<JSON>`.
    """
    if len(request.scope["query_string"]) > settings.max_query_bytes:
        msg = (
            f"the query string is longer than {settings.max_query_bytes} bytes "
            "(setting max_query_bytes): POST the configuration instead"
        )
        return JSONResponse(error_body((), msg, "too_long"), 414)
    digest = _digest(request.scope["query_string"])
    key = worker.cache.resolve(digest)
    prepared = None
    if key is None:
        if preset is not None and config is None:
            prepared = _from_query(None, preset, settings, worker)  # validated once per process
        else:
            prepared = await run_in_threadpool(_from_query, config, preset, settings, worker)
        key = prepared.key
        worker.cache.alias(digest, key)
    suffix = "" if encoding == "json" else f"-{encoding}"
    headers = {
        "ETag": f'"{key}{suffix}"',
        "Cache-Control": f"public, max-age={settings.cache_max_age_s}",
    }
    if _etag_matches(request.headers.get("if-none-match"), headers["ETag"]):
        return Response(status_code=304, headers=headers)
    cached = worker.cache.get(result_key(key, encoding))
    if cached is not None:
        return _json(cached, "hit", headers)
    if prepared is None:
        prepared = await run_in_threadpool(_from_query, config, preset, settings, worker)
    return await _respond(worker, prepared, encoding, headers)


@router.get("/presets", response_model=list[Preset])
def list_presets() -> list[Preset]:
    """The seed notebook's ten examples, each a ready run configuration."""
    return list(presets().values())
