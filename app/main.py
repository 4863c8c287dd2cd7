"""Application factory: lifespan (the run and training services, the executor started and
warmed; on shutdown, the trainings stopped first), middleware, static, routers."""

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path

from app.assets import static_tree
from app.errors import install_error_handlers
from app.executors import Executor, make_executor
from app.middleware import RequestLimits, SecurityHeaders
from app.routes import api, assets, docs, export, health, pages, train
from app.service import RunService
from app.settings import Settings, get_settings
from app.training_service import TrainingService

log = logging.getLogger(__name__)


def _logged(future: "asyncio.Future[None]", what: str) -> "asyncio.Future[None]":
    """``future``, whose failure is logged when it ends: start-up work that no request awaits
    (warming the presets, compressing the static files) fails loudly, not at garbage collection
    as an exception "never retrieved", or not at all."""

    def done(ended: "asyncio.Future[None]") -> None:
        if not ended.cancelled() and ended.exception() is not None:
            log.error("%s failed", what, exc_info=ended.exception())

    future.add_done_callback(done)
    return future


def create_app(settings: Settings | None = None, executor: Executor | None = None) -> FastAPI:
    """Build the app. The executor (``settings.executor``'s, unless one is given) starts and
    warms TensorFlow in the lifespan."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        service = RunService(settings, executor or make_executor(settings))
        trainings = TrainingService(settings, service.executor, service.cache, service.pool)
        app.state.service, app.state.trainings = service, trainings
        service.executor.start()
        loop = asyncio.get_running_loop()
        _logged(loop.run_in_executor(None, static_tree().warm), "compressing the static files")
        warming = _logged(asyncio.ensure_future(service.warm()), "warming the presets")
        try:
            yield
        finally:
            warming.cancel()
            await asyncio.wait([warming])  # ended (its failure, if any, logged) before the engine
            await trainings.stop()  # their turns end before the engine does
            await asyncio.to_thread(service.executor.stop)  # it waits (engine, Ray): off the loop
            service.stop()

    app = FastAPI(
        title="RNN Visualizer",
        version="0.1.0",
        summary="Every timestep's outputs, states and gates of an RNN, LSTM or GRU.",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.dependency_overrides[get_settings] = lambda: settings
    install_error_handlers(app)
    app.add_middleware(RequestLimits, settings=settings)
    app.add_middleware(SecurityHeaders)
    app.mount("/vendor/swagger-ui", StaticFiles(directory=swagger_ui_path), name="swagger-ui")
    app.include_router(api.router)
    app.include_router(train.router)
    app.include_router(health.router)
    app.include_router(pages.router)
    app.include_router(docs.router)
    app.include_router(assets.router)
    app.include_router(export.router)
    return app


app = create_app()
