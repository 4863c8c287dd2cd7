"""The dependencies routes declare: the settings, the run and training services (tests override
them), and the run a query names (``GET /api/run`` and every ``/api/export`` route take the same
query)."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Query, Request

from app.errors import InputError
from app.presets import presets
from app.service import RunService
from app.settings import Settings, get_settings
from app.training_service import TrainingService
from app.validation import PreparedRun


def get_service(request: Request) -> RunService:
    """The app's run service (validation, cache, single flight, executor)."""
    return request.app.state.service


def get_trainings(request: Request) -> TrainingService:
    """The app's training service (made in the lifespan beside the run service, sharing its
    executor, cache and preparation threads)."""
    return request.app.state.trainings


SettingsDep = Annotated[Settings, Depends(get_settings)]
ServiceDep = Annotated[RunService, Depends(get_service)]
TrainingsDep = Annotated[TrainingService, Depends(get_trainings)]

CONFIG = Query(
    min_length=1, description="The run configuration as URL-encoded JSON (the POST body)."
)
PRESET = Query(
    description="A preset name instead of config.", json_schema_extra={"enum": list(presets())}
)


@dataclass(frozen=True)
class RunQuery:
    """The run a query names: ``preset`` or ``config`` (exactly one), and how to prepare it."""

    preset: str | None
    prepare: Callable[[], Awaitable[PreparedRun]]


def run_query(
    service: ServiceDep,
    config: Annotated[str | None, CONFIG] = None,
    preset: Annotated[str | None, PRESET] = None,
) -> RunQuery:
    """``?preset=NAME`` or ``?config=<JSON>``, checked: exactly one, and a known preset name."""
    if (config is None) == (preset is None):
        raise InputError(("config",), "give exactly one of config or preset", root="query")
    if preset is not None:
        if preset not in presets():
            names = ", ".join(presets())
            raise InputError(("preset",), f"unknown preset; one of {names}", root="query")
        return RunQuery(preset, lambda: service.prepare_preset(preset))
    return RunQuery(None, lambda: service.prepare_config(config or ""))


RunQueryDep = Annotated[RunQuery, Depends(run_query)]
