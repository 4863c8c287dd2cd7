"""The JSON API: run a network, list the presets."""

from typing import Annotated

from fastapi import APIRouter, Body, Depends, Request, Response
from fastapi.concurrency import run_in_threadpool

from app.presets import presets
from app.schemas import Preset, RunRequest, RunResult
from app.settings import Settings, get_settings
from app.validation import prepare_run
from app.worker import Worker

router = APIRouter(prefix="/api", tags=["api"])

ERRORS: dict[int | str, dict] = {
    413: {"description": "The request body is larger than `max_body_bytes`."},
    422: {"description": "A field breaks a rule; `detail[].loc` names it, `msg` states the rule."},
    503: {"description": "The worker is busy or the run missed its deadline; see `Retry-After`."},
}


EXAMPLES = {
    name: {
        "summary": preset.title,
        "value": preset.config.model_dump(mode="json", exclude_none=True),
    }
    for name, preset in presets().items()
}


def get_worker(request: Request) -> Worker:
    """The app's engine worker (a dependency, so tests can replace it)."""
    return request.app.state.worker


@router.post("/run", response_model=RunResult, responses=ERRORS)
async def run(
    body: Annotated[RunRequest, Body(openapi_examples=EXAMPLES)],
    settings: Annotated[Settings, Depends(get_settings)],
    worker: Annotated[Worker, Depends(get_worker)],
) -> Response:
    """Run the configured network and return every timestep's outputs, states and gates."""
    prepared = await run_in_threadpool(prepare_run, body, settings)
    return Response(await worker.submit(worker.run, prepared), media_type="application/json")


@router.get("/presets", response_model=list[Preset])
def list_presets() -> list[Preset]:
    """The seed notebook's ten examples, each a ready run configuration."""
    return list(presets().values())
