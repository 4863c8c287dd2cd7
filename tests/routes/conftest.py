"""One warm app per test session, with small limits so limit tests stay cheap."""

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from app.settings import Settings

LIMITS = {
    "max_batch": 4,
    "max_steps": 50,
    "max_input_size": 10,
    "max_hidden_size": 16,
    "max_layers": 3,
    "max_numbers": 20_000,
    "max_body_bytes": 100_000,
}


@pytest.fixture(scope="session")
def client():
    app = create_app(Settings(**LIMITS))
    with TestClient(app) as client:
        app.state.service.executor.wait_ready(timeout_s=120)
        yield client
