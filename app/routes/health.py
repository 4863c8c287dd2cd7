"""Liveness and readiness probes.

``/healthz`` is liveness: the process answers (it does nothing else, so it stays instant under
any load). ``/readyz`` is readiness: the engine is warm *and* making progress; it turns 503 when
a job has run past the request deadline, so an orchestrator can restart a process whose engine
hangs while the event loop still answers.
"""

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is alive (TensorFlow may still be loading). Answered on the event loop, no
    thread hop: it must not queue behind the thread pool's work."""
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(request: Request) -> JSONResponse:
    """200 once the engine is warm and while it makes progress; 503 before, or when stalled."""
    status = request.app.state.service.executor.status()
    if status["status"] == "ready":
        return JSONResponse(status)
    return JSONResponse(status, 503, headers={"Retry-After": "1"})
