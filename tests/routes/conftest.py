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
    with TestClient(create_app(Settings(**LIMITS))) as client:
        assert client.get("/readyz").status_code == 200 or _wait_ready(client)
        yield client


def _wait_ready(client: TestClient) -> bool:
    import time

    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if client.get("/readyz").status_code == 200:
            return True
        time.sleep(0.2)
    raise TimeoutError("the app did not become ready")
