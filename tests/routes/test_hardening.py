"""Issue 8: never freeze, never 5xx, never serve a wrong result, whatever is sent.

Each test reproduces one finding against the app (in process) and checks the fix.
"""

import asyncio
import json
import logging
import threading
import time
import tracemalloc
from concurrent.futures import Future

import httpx
import pytest
from fastapi.testclient import TestClient
from uvicorn.config import Config
from uvicorn.server import ServerState

from app import service as service_module
from app.assets import StaticTree
from app.executors import local
from app.main import create_app
from app.schemas import RunResult
from app.server import HttpProtocol
from app.settings import Settings

MB = 1 << 20


@pytest.fixture(scope="module")
def default_client():
    """An app with the default limits (8 MB bodies, H up to 512), no preset warm-up."""
    app = create_app(Settings(warm_presets=False))
    with TestClient(app) as client:
        app.state.service.executor.wait_ready(timeout_s=120)
        yield client


def peak_bytes(call):
    """The call's result and the most memory Python (numpy included) held during it, above
    what it held before."""
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        result = call()
        return result, tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()


def raw_get(client, path: str, query: bytes, headers=()) -> tuple[int, dict, bytes]:
    """A GET whose query string reaches the app byte for byte (no client encodes it)."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": query,
        "headers": [(b"host", b"testserver"), *headers],
        "client": ("127.0.0.1", 1),
        "server": ("testserver", 80),
    }
    sent: list[dict] = []

    async def call():
        async def receive():
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message):
            sent.append(message)

        await client.app(scope, receive, send)

    client.portal.call(call)
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], {k.decode(): v.decode() for k, v in start["headers"]}, body


# ---- 1. a few large first-time requests froze the server --------------------------------------


def test_large_requests_are_prepared_off_the_event_loop_with_single_threaded_blas(
    default_client, monkeypatch
):
    from threadpoolctl import threadpool_info

    threads = []
    real = service_module.prepare_run

    def recording(*args):
        threads.append(threading.current_thread().name)
        return real(*args)

    monkeypatch.setattr(service_module, "prepare_run", recording)
    config = {"cell": "lstm", "hidden_size": 128, "seed": 5, "input": {"text": ["hello"]}}
    assert default_client.post("/api/run", json=config).status_code == 200
    assert threads and all(name.startswith("prepare") for name in threads)
    blas = [lib for lib in threadpool_info() if lib["user_api"] == "blas"]
    assert blas and all(lib["num_threads"] == 1 for lib in blas)


def test_deadline_counts_from_arrival_and_covers_preparation(monkeypatch):
    real = service_module.prepare_run

    def slow(*args):
        time.sleep(1.0)
        return real(*args)

    monkeypatch.setattr(service_module, "prepare_run", slow)
    app = create_app(Settings(warm_presets=False, request_timeout_s=0.3))
    with TestClient(app) as client:
        app.state.service.executor.wait_ready(timeout_s=120)
        started = time.monotonic()
        config = {"hidden_size": 100, "seed": 7, "input": {"text": ["hi"]}}
        response = client.post("/api/run", json=config)
        took = time.monotonic() - started
    assert response.status_code == 503 and int(response.headers["retry-after"]) >= 1
    assert took < 0.9  # answered at its deadline, not after the slow preparation


def test_work_that_cannot_finish_in_time_is_refused_at_once():
    app = create_app(Settings(warm_presets=False, request_timeout_s=3))
    with TestClient(app) as client:
        executor = app.state.service.executor
        executor.wait_ready(timeout_s=120)
        release = threading.Event()
        executor._submit_nowait(local.RUN, lambda: release.wait(10), 20.0, Future())
        try:
            started = time.monotonic()
            response = client.post("/api/run", json={"seed": 3, "input": {"text": ["abc"]}})
            took = time.monotonic() - started
        finally:
            release.set()
    assert response.status_code == 503 and took < 1.0
    assert int(response.headers["retry-after"]) >= 10
    assert "could not finish within 3 s" in response.json()["detail"]


def test_preparation_that_cannot_finish_in_time_is_refused_at_once(monkeypatch):
    real = service_module.prepare_run
    release = threading.Event()

    def held(*args):
        release.wait(10)
        return real(*args)

    monkeypatch.setattr(service_module, "prepare_run", held)
    app = create_app(Settings(warm_presets=False, request_timeout_s=3))

    async def scenario():
        async with app.router.lifespan_context(app):
            service = app.state.service
            while not service.executor.ready:
                await asyncio.sleep(0.05)
            service.pool.rates.rates["weights"] = 1e6  # an H = 100 LSTM's QR: about 8 s here
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
                first = asyncio.ensure_future(
                    client.post("/api/run", json={"hidden_size": 100, "input": {"text": ["a"]}})
                )
                await asyncio.sleep(0.2)  # the first holds the only preparation thread
                started = time.monotonic()
                second = await client.post(
                    "/api/run", json={"hidden_size": 100, "seed": 1, "input": {"text": ["a"]}}
                )
                took = time.monotonic() - started
                release.set()
                await first
            return second, took

    second, took = asyncio.run(scenario())
    assert second.status_code == 503 and took < 1.0
    assert int(second.headers["retry-after"]) >= 3
    assert "preparation is queued" in second.json()["detail"]


# ---- 2. memory in proportion to the body --------------------------------------------------------


def test_text_limits_are_checked_before_the_one_hot_array_exists(default_client):
    vocabulary = "".join(chr(0x100 + k) for k in range(256))
    line = (vocabulary * 4000)[:1_000_000]
    body = {"input": {"text": [line], "vocabulary": vocabulary}}
    response, peak = peak_bytes(lambda: default_client.post("/api/run", json=body))
    assert response.status_code == 422, response.text
    assert "max_steps" in response.json()["detail"][0]["msg"]
    assert peak < 64 * MB, f"{peak / MB:.0f} MB"  # the one-hot array alone would be 1 GB


@pytest.mark.parametrize(
    ("shape", "number", "status"),
    [((16, 1000, 240), "1", 422), ((8, 1000, 110), "0.25", 200)],  # refused (max_numbers), run
)
def test_large_values_bodies_cost_memory_in_proportion_to_their_bytes(
    default_client, shape, number, status
):
    rows = ",".join([number] * shape[2])
    steps = ",".join([f"[{rows}]"] * shape[1])
    values = ",".join([f"[{steps}]"] * shape[0])
    body = f'{{"cell": "rnn", "hidden_size": 1, "input": {{"values": [{values}]}}}}'.encode()
    assert len(body) > 2 * MB

    def post():
        return default_client.post(
            "/api/run?encoding=b64", content=body, headers={"content-type": "application/json"}
        )

    response, peak = peak_bytes(post)
    assert response.status_code == status, response.text[:300]
    # The response three times: the server's one body, and in this process the test client's
    # copy of each piece it was sent in (app/responses.py) and the content they are joined into.
    assert peak < 64 * MB + 3 * len(response.content), f"{peak / MB:.0f} MB"


def test_large_values_are_read_into_numpy_with_their_rules(default_client):
    rows = ",".join(["1"] * 100)
    steps = ",".join([f"[{rows}]"] * 200)
    ragged = f'{{"input": {{"values": [[{steps}], [[{rows}], [1, 2]]]}}}}'
    response = default_client.post(
        "/api/run", content=ragged, headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
    detail = response.json()["detail"][0]
    assert detail["loc"] == ["body", "input", "values", 1]
    assert "has 2 entries, expected 200" in detail["msg"]
    bad_number = f'{{"input": {{"values": [[{steps}, [{rows[:-1]}01]]]}}}}'
    response = default_client.post(
        "/api/run", content=bad_number, headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][:3] == ["body", "input", "values"]


# ---- 4. a run past its deadline is not wasted ---------------------------------------------------


def test_run_past_its_deadline_is_cached_for_the_retry():
    # A deadline no run can meet (1 ms), and a run that takes tens of milliseconds.
    app = create_app(Settings(warm_presets=False, request_timeout_s=0.001))
    config = {"cell": "lstm", "hidden_size": 64, "input": {"values": [[[0.5] * 8] * 400] * 4}}
    with TestClient(app) as client:
        app.state.service.executor.wait_ready(timeout_s=120)
        first = client.post("/api/run", json=config)
        assert first.status_code == 503
        for _ in range(100):  # the run goes on after its requester gave up
            time.sleep(0.05)
            retry = client.post("/api/run", json=config)
            if retry.status_code == 200:
                break
    assert retry.status_code == 200
    assert retry.headers["x-cache"] in ("hit", "shared")  # the first run's, not a new one


def test_start_up_work_that_fails_is_logged_not_lost(monkeypatch, caplog):
    """Warming the presets and compressing the static files run unawaited at start-up: a failure
    of either is logged as an error (it was lost, or reported at garbage collection)."""

    async def no_presets(self):
        raise RuntimeError("no presets today")

    def no_disk(self):
        raise OSError("disk gone")

    monkeypatch.setattr(service_module.RunService, "warm", no_presets)
    monkeypatch.setattr(StaticTree, "warm", no_disk)
    app = create_app(Settings(warm_presets=False))

    async def scenario():
        async with app.router.lifespan_context(app):
            await asyncio.sleep(0.3)

    with caplog.at_level(logging.ERROR, logger="app.main"):
        asyncio.run(scenario())
    failed = {(r.getMessage(), str(r.exc_info[1])) for r in caplog.records if r.name == "app.main"}
    assert failed == {
        ("warming the presets failed", "no presets today"),
        ("compressing the static files failed", "disk gone"),
    }


# ---- single flight ------------------------------------------------------------------------------


def test_identical_requests_by_post_and_get_in_both_encodings_run_once(monkeypatch):
    app = create_app(Settings(warm_presets=False))
    config = {"cell": "gru", "hidden_size": 7, "seed": 41, "input": {"text": ["flight"]}}
    query = httpx.QueryParams({"config": json.dumps(config)})

    async def scenario():
        async with app.router.lifespan_context(app):
            executor = app.state.service.executor
            while not executor.ready:
                await asyncio.sleep(0.05)
            runs = []
            real = executor._run

            def counting(prepared, device=None):
                runs.append(prepared.key)
                time.sleep(0.2)  # long enough for every request to arrive meanwhile
                return real(prepared, device)

            monkeypatch.setattr(executor, "_run", counting)
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
                requests = [client.post("/api/run", json=config) for _ in range(10)]
                requests += [client.post("/api/run?encoding=b64", json=config) for _ in range(5)]
                requests += [client.get(f"/api/run?{query}") for _ in range(10)]
                requests += [client.get(f"/api/run?{query}&encoding=b64") for _ in range(5)]
                responses = await asyncio.gather(*requests)
            return runs, responses

    runs, responses = asyncio.run(scenario())
    assert [r.status_code for r in responses] == [200] * 30
    assert len(runs) == 1
    plain = {r.content for k, r in enumerate(responses) if k < 10 or 15 <= k < 25}
    assert len(plain) == 1  # one set of bytes per encoding


# ---- 5. readiness reflects progress -------------------------------------------------------------


def test_healthz_answers_while_every_worker_thread_is_busy():
    app = create_app(Settings(warm_presets=False))

    async def scenario():
        import anyio.to_thread

        limiter = anyio.to_thread.current_default_thread_limiter()
        limiter.total_tokens = 1
        release = threading.Event()
        holding = asyncio.ensure_future(anyio.to_thread.run_sync(release.wait, 10))
        await asyncio.sleep(0.05)  # the one worker thread is taken
        transport = httpx.ASGITransport(app=app)
        try:
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
                return await asyncio.wait_for(client.get("/healthz"), 2)
        finally:
            release.set()
            await holding

    assert asyncio.run(scenario()).status_code == 200


def test_readyz_turns_503_while_the_engine_is_stalled(monkeypatch):
    monkeypatch.setattr(local, "STALL_GRACE_S", 0.0)
    app = create_app(Settings(warm_presets=False, request_timeout_s=0.2))
    with TestClient(app) as client:
        executor = app.state.service.executor
        executor.wait_ready(timeout_s=120)
        assert client.get("/readyz").status_code == 200
        release = threading.Event()
        executor._submit_nowait(local.RUN, lambda: release.wait(10), 0.0, Future())
        time.sleep(0.4)
        stalled = client.get("/readyz")
        alive = client.get("/healthz")
        release.set()
        time.sleep(0.1)
        recovered = client.get("/readyz")
    assert stalled.status_code == 503 and stalled.json()["status"] == "stalled"
    assert alive.status_code == 200
    assert recovered.status_code == 200


# ---- 6. no 5xx for odd but small bodies ----------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ('{"hidden_size": 18446744073709551616, "input": {"text": ["hi"]}}', ["hidden_size"]),
        ('{"num_layers": 99999999999999999999999, "input": {"text": ["hi"]}}', ["num_layers"]),
        ('{"input": {"text": ["hi"]}, "sequence_length": [18446744073709551616]}',
         ["sequence_length", 0]),
        ('{"input": {"text": ["\\ud800"]}}', ["input", "text", 0]),
        ('{"input": {"text": ["hi"], "vocabulary": "h\\udfffi"}}', ["input", "vocabulary"]),
        ('{"\\ud800": 1, "input": {"text": ["hi"]}}', []),
    ],
)  # fmt: skip
def test_huge_integers_and_lone_surrogates_get_422_on_post_and_get(client, body, loc):
    posted = client.post("/api/run", content=body, headers={"content-type": "application/json"})
    assert posted.status_code == 422, posted.text
    assert posted.json()["detail"][0]["loc"][: len(loc) + 1] == ["body", *loc]
    fetched = client.get("/api/run", params={"config": body})
    assert fetched.status_code == 422, fetched.text
    assert fetched.json()["detail"][0]["loc"][: len(loc) + 2] == ["query", "config", *loc]


def test_duplicate_keys_are_refused(client):
    body = '{"hidden_size": 2, "hidden_size": 3, "input": {"text": ["hi"]}}'
    response = client.post("/api/run", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "hidden_size"]


# ---- 7. the cache never serves another request's result -----------------------------------------


def test_a_get_never_answers_for_a_post_with_the_same_bytes(default_client):
    config = {
        "cell": "rnn",
        "hidden_size": 3,
        "seed": 99,
        "input": {"text": ["a&preset=one_cell&x="]},
    }
    dump = json.dumps(config).encode()
    status, _, body = raw_get(default_client, "/api/run", dump)  # read as ?preset=one_cell&...
    assert status == 200 and json.loads(body)["config"]["hidden_size"] == 2  # one_cell
    posted = default_client.post(
        "/api/run", content=dump, headers={"content-type": "application/json"}
    )
    assert posted.status_code == 200
    assert posted.json()["config"]["hidden_size"] == 3
    assert posted.json()["tokens"] == [list("a&preset=one_cell&x=")]


def test_config_and_preset_together_are_refused(client):
    response = client.get("/api/run", params={"preset": "one_cell", "config": "{}"})
    assert response.status_code == 422
    assert "exactly one of config or preset" in response.json()["detail"][0]["msg"]


# ---- 8. a finite input that overflows inside the network ----------------------------------------


def test_overflow_inside_the_network_is_refused_not_served_as_null(client):
    big = 3e38
    config = {
        "cell": "gru",
        "hidden_size": 1,
        "input": {"values": [[[1.0]]]},
        "initial_state": {"layers": [{"forward": {"h": [[big]]}}]},
        "weights": {
            "layers": [
                {
                    "forward": {
                        "kernel": [[big] * 3],
                        "recurrent_kernel": [[-big] * 3],  # r = σ(-inf) = 0: 0 × inf
                        "bias": [[0.0] * 3] * 2,
                    }
                }
            ]
        },
    }
    response = client.post("/api/run", json=config)
    assert response.status_code == 422, response.text[:300]
    assert "overflowed float32" in response.json()["detail"][0]["msg"]


# ---- 9. the smaller things ----------------------------------------------------------------------


def test_the_server_answers_a_url_too_long_to_parse_with_json_414():
    class Transport:
        written = b""

        def write(self, data):
            Transport.written += data

        def close(self):
            pass

        def is_closing(self):
            return False

        def get_extra_info(self, name, default=None):
            return {"peername": ("127.0.0.1", 1), "sockname": ("127.0.0.1", 2)}.get(name, default)

        def set_protocol(self, protocol):
            pass

        def pause_reading(self):
            pass

        def resume_reading(self):
            pass

    async def app(scope, receive, send):
        raise AssertionError("the app is never reached")

    config = Config(app=app, http="app.server:HttpProtocol")
    config.load()
    loop = asyncio.new_event_loop()
    try:
        protocol = HttpProtocol(config=config, server_state=ServerState(), app_state={}, _loop=loop)
        protocol.connection_made(Transport())
        request = b"GET /api/run?config=" + b"a" * 70_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n"
        protocol.data_received(request)
    finally:
        loop.close()
    head, _, body = Transport.written.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 414")
    assert b"content-type: application/json" in head
    assert json.loads(body)["detail"][0]["loc"] == ["query"]


def test_options_and_405_list_every_method_of_the_path(client):
    options = client.options("/api/run")
    assert options.status_code == 204
    assert {m.strip() for m in options.headers["allow"].split(",")} >= {"GET", "POST"}
    refused = client.delete("/api/run")
    assert refused.status_code == 405 and "GET" in refused.headers["allow"]


def test_b64_results_conform_to_the_response_schema(client):
    for url in ("/api/run?preset=bidirectional_lstm&encoding=b64", "/api/run?preset=gru_batch"):
        response = client.get(url)
        RunResult.model_validate(response.json())  # raises when a field is off
    schema = client.get("/openapi.json").json()
    preset = next(
        p for p in schema["paths"]["/api/run"]["get"]["parameters"] if p["name"] == "preset"
    )
    assert "one_cell" in json.dumps(preset["schema"])  # an empty preset is not schema-valid
    assert client.get("/api/run?preset=").status_code == 422
    config = next(
        p for p in schema["paths"]["/api/run"]["get"]["parameters"] if p["name"] == "config"
    )
    assert config["schema"]["anyOf"][0]["minLength"] == 1  # nor is an empty config
    empty = client.get("/api/run?config=")
    assert empty.status_code == 422 and empty.json()["detail"][0]["loc"] == ["query", "config"]


def test_every_response_carries_the_security_headers(client):
    for url in ("/api/presets", "/api/run?preset=nope", "/healthz", "/", "/embed", "/docs",
                "/static/css/app.css", "/no/such/page"):  # fmt: skip
        headers = client.get(url).headers
        assert headers["x-content-type-options"] == "nosniff", url
        assert headers["referrer-policy"], url
        assert "content-security-policy" in headers, url
    docs = client.get("/docs").headers["content-security-policy"]
    assert (
        "script-src 'self'" in docs
        and "unsafe-inline" not in docs.split("script-src")[1].split(";")[0]
    )
    app_page = client.get("/").headers
    assert "frame-ancestors 'self'" in app_page["content-security-policy"]
    assert app_page["x-frame-options"] == "SAMEORIGIN"  # the same rule, for older browsers
    assert "x-frame-options" not in client.get("/embed").headers
