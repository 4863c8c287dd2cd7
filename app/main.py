"""Application factory: lifespan (load and warm TensorFlow), static files, routers."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path

from app.errors import install_error_handlers
from app.middleware import BodySizeLimit
from app.routes import api, docs, health, pages
from app.settings import Settings, get_settings
from app.worker import Worker

ROOT = Path(__file__).resolve().parent.parent


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app. The worker starts (and warms TensorFlow) in the lifespan."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        worker = Worker(settings)
        app.state.worker = worker
        worker.start()
        try:
            yield
        finally:
            worker.stop()

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
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    app.mount("/static", StaticFiles(directory=ROOT / "static"), name="static")
    app.mount("/vendor/swagger-ui", StaticFiles(directory=swagger_ui_path), name="swagger-ui")
    app.include_router(api.router)
    app.include_router(health.router)
    app.include_router(pages.router)
    app.include_router(docs.router)
    return app


app = create_app()
