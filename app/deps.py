"""The dependencies routes declare: the settings and the run service (tests override them)."""

from typing import Annotated

from fastapi import Depends, Request

from app.service import RunService
from app.settings import Settings, get_settings


def get_service(request: Request) -> RunService:
    """The app's run service (validation, cache, single flight, executor)."""
    return request.app.state.service


SettingsDep = Annotated[Settings, Depends(get_settings)]
ServiceDep = Annotated[RunService, Depends(get_service)]
