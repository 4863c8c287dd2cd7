"""The JSON API: run a network (POST, or GET for cacheable embeds), list the presets and the
cell variants.

Routes stay thin: ``app.service.RunService`` owns preparation, admission, single flight and the
cache. A request's deadline counts from its arrival (``app.middleware`` stamps it).
"""

import hashlib
from functools import lru_cache
from typing import Annotated

import orjson
from fastapi import APIRouter, Query, Request, Response

from app.deps import RunQueryDep, ServiceDep, SettingsDep
from app.engine.cells import describe_all
from app.i18n import Language
from app.middleware import deadline_of
from app.presets import presets
from app.responses import PacedResponse
from app.results import Encoding
from app.schemas import CellDescription, Preset, RunResult

router = APIRouter(prefix="/api", tags=["api"])

ERRORS: dict[int | str, dict] = {
    413: {"description": "The request body is larger than `max_body_bytes`."},
    422: {"description": "A field breaks a rule; `detail[].loc` names it, `msg` states the rule."},
    503: {
        "description": "The run cannot finish by the request's deadline (`request_timeout_s`, "
        "counted from its arrival) or the queue is full; see `Retry-After`. A run that was "
        "started goes on, and a retry gets its cached result."
    },
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
RUN_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {"$ref": "#/components/schemas/RunRequest"},
                "examples": EXAMPLES,
            }
        },
    }
}

ENCODING = Query(
    description="`json` (default): arrays as nested lists of numbers. `b64`: every float array "
    'as a Plotly.js typed array, `{"dtype": "float32", "shape": "B,T,H", "bdata": "<base64 of '
    'the little-endian float32 values in C order>"}`, about half the bytes (docs/PERFORMANCE.md). '
    "`config` stays plain JSON either way.",
)


def _json(body: bytes, source: str, headers: dict[str, str]) -> Response:
    headers = {**headers, "X-Cache": source}
    return PacedResponse(body, media_type="application/json", headers=headers)


@router.post("/run", response_model=RunResult, responses=ERRORS, openapi_extra=RUN_BODY)
async def run(
    request: Request, service: ServiceDep, encoding: Annotated[Encoding, ENCODING] = "json"
) -> Response:
    """Run the configured network and return every timestep's outputs, states and gates.

    The body is a run configuration (`RunRequest`). Identical configurations are answered from
    the result cache (header `X-Cache`: `hit`, `shared` with a run in flight, or `miss`).
    """
    body = await request.body()
    answer = await service.answer(
        "post", body, lambda: service.prepare_body(body), encoding, deadline_of(request)
    )
    return _json(answer.body, answer.source, {})


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    """Whether ``If-None-Match`` names ``etag`` (weak comparison: ``W/`` is ignored)."""
    if if_none_match is None:
        return False
    tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return "*" in tags or etag.removeprefix("W/") in tags


@router.get("/run", response_model=RunResult, responses=GET_ERRORS)
async def run_get(
    request: Request,
    settings: SettingsDep,
    service: ServiceDep,
    source: RunQueryDep,
    encoding: Annotated[Encoding, ENCODING] = "json",
) -> Response:
    """The same run as POST, cacheable: the `ETag` is the configuration's digest and
    `Cache-Control` lets browsers and CDNs keep the result (`If-None-Match` answers 304).

    For embedded charts: `GET /api/run?preset=lstm_batch` or `GET /api/run?config=<JSON>`.
    Give exactly one of `config` and `preset`.
    """
    query = request.scope["query_string"]
    suffix = "" if encoding == "json" else f"-{encoding}"

    def headers(key: str) -> dict[str, str]:
        return {
            "ETag": f'"{key}{suffix}"',
            "Cache-Control": f"public, max-age={settings.cache_max_age_s}",
        }

    known = service.known_key("get", query)
    if known and etag_matches(request.headers.get("if-none-match"), headers(known)["ETag"]):
        return Response(status_code=304, headers=headers(known))
    answer = await service.answer("get", query, source.prepare, encoding, deadline_of(request))
    if etag_matches(request.headers.get("if-none-match"), headers(answer.key)["ETag"]):
        return Response(status_code=304, headers=headers(answer.key))
    return _json(answer.body, answer.source, headers(answer.key))


LANG = Query(description="The language of the titles and descriptions: `en` or `ko`.")


@router.get("/presets", response_model=list[Preset], responses={422: ERRORS[422]})
def list_presets(lang: Annotated[Language, LANG] = "en") -> list[Preset]:
    """The seed notebook's ten examples, each a ready run configuration, described in `lang`."""
    return list(presets(lang).values())


@lru_cache(maxsize=1)
def _cells_body() -> tuple[bytes, str]:
    """``GET /api/cells``' body, and its ETag: the declarations change only with the code."""
    body = orjson.dumps(describe_all())
    return body, '"' + hashlib.sha256(body).hexdigest() + '"'


@router.get(
    "/cells",
    response_model=dict[str, CellDescription],
    responses={304: {"description": "`If-None-Match` names the current ETag."}},
)
def list_cells(request: Request, settings: SettingsDep) -> Response:
    """Every cell variant, by key (`rnn`, `lstm`, `gru`, `gru_tf1`): the engine's own
    declaration of its states, gates, weight layout, options and equations as data
    (docs/CELLS.md). Cacheable: `ETag`, `Cache-Control`, `If-None-Match` answers 304."""
    body, etag = _cells_body()
    headers = {"ETag": etag, "Cache-Control": f"public, max-age={settings.cache_max_age_s}"}
    if etag_matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="application/json", headers=headers)
