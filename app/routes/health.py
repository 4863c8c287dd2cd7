"""Liveness and readiness probes."""

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from app.routes.api import get_worker
from app.worker import Worker

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """The process is alive (TensorFlow may still be loading)."""
    return {"status": "ok"}


@router.get("/readyz")
def readyz(worker: Annotated[Worker, Depends(get_worker)]) -> JSONResponse:
    """200 once TensorFlow is loaded and every preset has run once; 503 before."""
    if worker.ready:
        return JSONResponse({"status": "ready", "device": worker.device})
    return JSONResponse({"status": "starting"}, 503, headers={"Retry-After": "1"})
