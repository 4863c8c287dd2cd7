"""POST /api/train and its event stream (SPEC section 8): fields, snapshots that are run results,
the stream against the JSON, the cache, limits, and a real server for what needs sockets:
concurrency, runs during a training, disconnects, the deadline."""

import asyncio
import json
import logging
import secrets
import threading
import time
from pathlib import Path

import httpx
import numpy as np
import pytest
from fastapi.testclient import TestClient
from uvicorn.config import Config
from uvicorn.server import Server

from app import cli, training_service
from app.errors import InputError
from app.executors.engine import TrainingSession
from app.main import create_app
from app.schemas import RunResult, TrainDoneEvent, TrainEpochEvent, TrainRequest, TrainResult
from app.service import SMALL_BODY_BYTES
from app.settings import Settings
from app.training import prepare_training
from app.validation import count_numbers

LONG = {  # thousands of epochs' worth of work: stopped by the tests long before its end
    "text": "the quick brown fox jumps over the lazy dog and the cat " * 3,
    "hidden_size": 48,
    "epochs": 500,
    "snapshot_every": 500,
}


ROOT = Path(__file__).resolve().parents[2]
GRACEFUL_SHUTDOWN = "--timeout-graceful-shutdown 30"  # = request_timeout_s's default


def events(lines):
    """``(name, data)`` of each server-sent event in ``lines``."""
    name = None
    for line in lines:
        if line.startswith("event: "):
            name = line.removeprefix("event: ")
        elif line.startswith("data: "):
            yield name, json.loads(line.removeprefix("data: "))


def softmax(logits):
    e = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def test_post_returns_every_epoch_and_snapshots_of_the_weights_at_their_epoch(client):
    config = {"cell": "gru", "reset_after": False, "epochs": 12, "snapshot_every": 5}
    response = client.post("/api/train", json=config)
    assert response.status_code == 200, response.text
    result = response.json()
    TrainResult.model_validate(result)
    assert result["vocabulary"] == result["config"]["vocabulary"] == "hielo"
    assert result["config"] | config == result["config"]
    assert [e["epoch"] for e in result["history"]] == list(range(13))
    assert [s["epoch"] for s in result["snapshots"]] == [0, 5, 10, 12]
    targets = ["hielo".index(c) for c in "ihello"]
    history = {e["epoch"]: e for e in result["history"]}
    for snapshot in result["snapshots"]:
        run = snapshot["run"]
        RunResult.model_validate(run)
        assert run["tokens"] == [list("hihell")]
        h = np.array(run["outputs"], np.float64)[0]  # (T, H), float64 from here on
        head = snapshot["head"]
        p = softmax(h @ np.array(head["kernel"]) + np.array(head["bias"]))  # (T, C)
        np.testing.assert_allclose(snapshot["probabilities"], p, atol=1e-5)
        entry = history[snapshot["epoch"]]
        loss = -np.log(p[np.arange(6), targets]).mean()
        np.testing.assert_allclose(entry["loss"], loss, rtol=1e-4)
        assert entry["predicted"] == "".join("hielo"[k] for k in p.argmax(axis=1))
        assert entry["accuracy"] == np.mean(p.argmax(axis=1) == targets)
    losses = [e["loss"] for e in result["history"]]
    assert losses[-1] < losses[0] / 2
    assert result["meta"]["compute_ms"] > 0 and result["meta"]["executor"] == "local"


def test_a_snapshot_run_is_what_api_run_returns_for_its_config(client):
    result = client.post("/api/train", json={"epochs": 3, "hidden_size": 3}).json()
    for snapshot in (result["snapshots"][0], result["snapshots"][-1]):
        run = snapshot["run"]
        assert (run["config"]["weights"] is None) == (snapshot["epoch"] == 0)
        again = client.post("/api/run", json=run["config"]).json()
        for field in ("config", "tokens", "inputs", "layers", "outputs", "weights"):
            assert again[field] == run[field], field
        assert again["meta"]["weights_sha256"] == run["meta"]["weights_sha256"]
    assert result["snapshots"][0]["run"]["weights"] != result["snapshots"][-1]["run"]["weights"]


def test_repeated_requests_are_answered_from_the_cache_and_the_stream_replays_it(client):
    config = {"cell": "rnn", "epochs": 8, "snapshot_every": 4, "seed": secrets.randbits(32)}
    first = client.post("/api/train", json=config)
    second = client.post("/api/train", json=config)
    assert (first.headers["x-cache"], second.headers["x-cache"]) == ("miss", "hit")
    assert first.content == second.content
    with client.stream("GET", "/api/train", params={"config": json.dumps(config)}) as stream:
        streamed = list(events(stream.iter_lines()))
    body = first.json()
    assert [data for name, data in streamed if name == "epoch"] == [
        {**entry, **({"snapshot": s} if (s := snap(body, entry["epoch"])) else {})}
        for entry in body["history"]
    ]


def snap(result, epoch):
    return next((s for s in result["snapshots"] if s["epoch"] == epoch), None)


def test_a_finished_training_is_cached_once_as_its_stream_and_a_post_is_rebuilt_from_it():
    """One copy in the cache: the event stream. A POST answered from the cache gets the bytes
    the training answered, rebuilt from that stream; the cache holds nothing more."""
    app = create_app(Settings(warm_presets=False))  # an empty cache, nothing warming into it
    text = 'hi,"snapshot":}\\\n\n'  # what the stream and the JSON are split at, in a string
    config = {"cell": "gru", "epochs": 9, "snapshot_every": 4, "text": text}
    with TestClient(app) as client:
        app.state.service.executor.wait_ready(timeout_s=120)
        cache = app.state.service.cache
        first = client.post("/api/train", json=config)
        assert first.status_code == 200 and first.headers["x-cache"] == "miss"
        footprint = cache.size
        streamed = client.get("/api/train", params={"config": json.dumps(config)})
        again = client.post("/api/train", json=config)
    assert again.headers["x-cache"] == "hit" and again.content == first.content
    assert len(cache) == 1 and cache.size == footprint == len(streamed.content)
    names = [name for name, _ in events(streamed.text.splitlines())]
    assert names == ["epoch"] * 10 + ["done"]


def test_a_large_cached_training_is_found_in_its_stream_off_the_event_loop(monkeypatch):
    """Finding a cached POST's pieces scans the whole stream (25 ms for 28 MB): a stream past
    64 KB is scanned on a preparation thread, and the answer is still the training's bytes."""
    app = create_app(Settings(warm_presets=False))
    text = "the quick brown fox jumps over the lazy dog"
    config = {"cell": "lstm", "hidden_size": 64, "epochs": 10, "snapshot_every": 2, "text": text}
    scans = []
    real = training_service.stream_response

    def recording(prepared, stream):
        scans.append((threading.current_thread().name, len(stream)))
        return real(prepared, stream)

    monkeypatch.setattr(training_service, "stream_response", recording)
    with TestClient(app) as client:
        app.state.service.executor.wait_ready(timeout_s=120)
        first = client.post("/api/train", json=config)
        again = client.post("/api/train", json=config)
    assert again.headers["x-cache"] == "hit" and again.content == first.content
    [(thread, size)] = scans
    assert size > SMALL_BODY_BYTES and thread.startswith("prepare"), (thread, size)


BAD = [
    ({"epochs": 501}, ["body", "epochs"], "max_train_epochs"),
    ({"epochs": 0}, ["body", "epochs"], "greater than or equal to 1"),
    ({"epochs": "5"}, ["body", "epochs"], "valid integer"),
    ({"text": "h"}, ["body", "text"], "at least 2"),
    ({"text": "ab" * 30}, ["body", "text"], "max_steps"),
    ({"text": "abcdefghijkl"}, ["body", "text"], "max_input_size"),
    ({"text": "hihello", "vocabulary": "hiel"}, ["body", "text"], "'o' at position 6"),
    ({"vocabulary": "hhielo"}, ["body", "vocabulary"], "repeat"),
    ({"hidden_size": 17}, ["body", "hidden_size"], "max_hidden_size"),
    ({"num_layers": 4}, ["body", "num_layers"], "max_layers"),
    ({"learning_rate": 0}, ["body", "learning_rate"], "greater than 0"),
    ({"learning_rate": 11}, ["body", "learning_rate"], "less than or equal to 10"),
    ({"snapshot_every": 0}, ["body", "snapshot_every"], "greater than or equal to 1"),
    ({"seed": -1}, ["body", "seed"], "greater than or equal to 0"),
    ({"cell": "transformer"}, ["body", "cell"], "'rnn', 'lstm' or 'gru'"),
    ({"bidirectional": True}, ["body", "bidirectional"], "Extra inputs"),
    ({"snapshot_every": 1}, ["body"], "max_numbers"),  # 51 snapshots: over the test limits
]


@pytest.mark.parametrize(("config", "loc", "rule"), BAD)
def test_bad_requests_get_422_naming_the_field_and_the_rule(client, config, loc, rule):
    response = client.post("/api/train", json={"snapshot_every": 10, **config})
    assert response.status_code == 422, response.text[:500]
    (error,) = response.json()["detail"][:1]
    assert error["loc"] == loc and rule in error["msg"], error


def test_a_training_too_large_for_max_numbers_is_refused_before_its_weights_are_drawn(
    monkeypatch,
):
    """The response's size is counted from the sizes alone: no seeded weights (a QR per layer,
    tens of milliseconds for a large network) are drawn for a training that is then refused."""
    import app.validation

    def no_weights(*args):
        raise AssertionError("seeded weights drawn for a refused training")

    # The recurrent stack's run alone fits (57,000 numbers); its 51 snapshots (5.5 M) do not.
    settings = Settings(max_numbers=100_000, warm_presets=False)
    request = TrainRequest(hidden_size=64, num_layers=2, epochs=50, snapshot_every=1)
    monkeypatch.setattr(app.validation, "seeded_weights", no_weights)
    with pytest.raises(InputError, match="max_numbers"):
        prepare_training(request, settings)
    monkeypatch.undo()
    # And what it counted is what the prepared run carries.
    small = {"hidden_size": 4, "num_layers": 1, "epochs": 2}
    accepted = prepare_training(request.model_copy(update=small), settings)
    steps, classes = len(request.text) - 1, len(accepted.request.vocabulary or "")
    assert accepted.run.numbers == count_numbers(accepted.run.spec, 1, steps, classes)


def test_the_stream_checks_its_config_before_it_starts(client):
    response = client.get("/api/train", params={"config": '{"text": "abc", "vocabulary": "ab"}'})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "config", "text"]
    missing = client.get("/api/train")
    assert missing.status_code == 422 and missing.json()["detail"][0]["loc"] == ["query", "config"]
    assert client.get("/api/train", params={"config": "{"}).status_code == 422


def refs(value):
    """Every ``$ref`` inside a JSON schema."""
    if isinstance(value, dict):
        return {value["$ref"]} if "$ref" in value else set().union(*map(refs, value.values()))
    if isinstance(value, list):
        return set().union(*map(refs, value))
    return set()


def test_openapi_describes_the_json_and_the_event_stream(client):
    schema = client.get("/openapi.json").json()
    post, get = schema["paths"]["/api/train"]["post"], schema["paths"]["/api/train"]["get"]
    body = post["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/TrainRequest"}
    ok = post["responses"]["200"]["content"]["application/json"]["schema"]
    assert ok == {"$ref": "#/components/schemas/TrainResult"}
    stream = get["responses"]["200"]["content"]["text/event-stream"]
    events = {
        item["properties"]["event"]["const"]: item["properties"]["data"]["contentSchema"]
        for item in stream["itemSchema"]["oneOf"]
    }
    assert sorted(events) == ["done", "epoch", "error"]
    assert {"snapshot", "loss", "predicted"} <= set(events["epoch"]["properties"])
    assert {"503", "422"} <= set(get["responses"]) and "config" in str(get["parameters"])
    components = schema["components"]["schemas"]
    assert {ref.rsplit("/", 1)[1] for ref in refs(schema)} <= set(components)


# ---- a real server: sockets that close, concurrent requests --------------------------------


@pytest.fixture(scope="module")
def server():
    """The app on a free port, nothing cached (every request trains), one training at a time
    and one waiting."""
    settings = Settings(
        warm_presets=False, cache_entries=0, max_concurrent_trainings=1, train_queue_size=1
    )
    app = create_app(settings)
    uvicorn = Server(Config(app, host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=uvicorn.run, daemon=True)
    thread.start()
    while not uvicorn.started:
        time.sleep(0.01)
    app.state.service.executor.wait_ready(timeout_s=120)
    port = uvicorn.servers[0].sockets[0].getsockname()[1]
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as http:
        yield app, http
    uvicorn.should_exit = True
    thread.join(10)


class Turns:
    """Counts the engine's training turns (and the threads they ran on, and those running)."""

    def __init__(self, app, monkeypatch):
        engine = app.state.service.executor.engine
        self.count, self.running, self.threads, original = 0, 0, set(), engine.train_turn

        def counted(*args, **kwargs):
            self.count += 1
            self.running += 1
            self.threads.add(threading.current_thread().name)
            try:
                return original(*args, **kwargs)
            finally:
                self.running -= 1

        monkeypatch.setattr(engine, "train_turn", counted)


def trainings(app):
    return len(app.state.trainings)


def wait_until(condition, timeout_s=10.0):
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_the_stream_sends_each_epoch_then_done_equal_to_a_post(server):
    app, http = server
    config = {"cell": "lstm", "num_layers": 2, "epochs": 15, "snapshot_every": 7}
    with http.stream("GET", "/api/train", params={"config": json.dumps(config)}) as stream:
        assert stream.headers["content-type"].startswith("text/event-stream")
        streamed = list(events(stream.iter_lines()))
    posted = http.post("/api/train", json=config).json()  # trained again: nothing is cached
    names = [name for name, _ in streamed]
    assert names == ["epoch"] * 16 + ["done"]
    epochs = [data for name, data in streamed if name == "epoch"]
    for data in epochs:
        TrainEpochEvent.model_validate(data)
    TrainDoneEvent.model_validate(streamed[-1][1])
    assert [{k: e[k] for k in posted["history"][0]} for e in epochs] == posted["history"]
    snapshots = [e["snapshot"] for e in epochs if "snapshot" in e]
    strip = [{**s, "run": {**s["run"], "meta": None}} for s in snapshots]
    assert strip == [{**s, "run": {**s["run"], "meta": None}} for s in posted["snapshots"]]
    done = streamed[-1][1]
    assert done["config"] == posted["config"] and done["vocabulary"] == posted["vocabulary"]
    assert set(done["meta"]) == set(posted["meta"])


def test_runs_are_answered_quickly_while_a_long_training_runs(server, monkeypatch):
    app, http = server
    turns = Turns(app, monkeypatch)
    with http.stream("GET", "/api/train", params={"config": json.dumps(LONG)}) as stream:
        lines = stream.iter_lines()
        received = iter(events(lines))
        next(received)
        waits = []
        for _ in range(5):
            config = {"cell": "lstm", "hidden_size": 8, "input": {"text": ["hello"]}}
            started = time.perf_counter()
            response = http.post("/api/run", json={**config, "seed": secrets.randbits(32)})
            waits.append(time.perf_counter() - started)
            assert response.status_code == 200
            assert next(received)[0] == "epoch"  # the training goes on meanwhile
    assert max(waits) < 1.0, waits  # a turn is ~30 ms; the training alone takes many seconds
    assert turns.count >= 2 and turns.threads == {"engine"}
    wait_until(lambda: trainings(app) == 0)


def test_a_closed_stream_stops_the_training(server, monkeypatch):
    app, http = server
    turns = Turns(app, monkeypatch)
    with http.stream("GET", "/api/train", params={"config": json.dumps(LONG)}) as stream:
        received = events(stream.iter_lines())
        for _ in range(3):
            assert next(received)[0] == "epoch"
    wait_until(lambda: trainings(app) == 0)
    stopped = turns.count
    time.sleep(0.5)
    assert turns.count == stopped  # no turn after the client left
    assert stopped < LONG["epochs"]


def test_a_post_whose_client_gives_up_stops_the_training(server, monkeypatch, caplog):
    app, http = server
    turns = Turns(app, monkeypatch)
    # uvicorn logs "Exception in ASGI application" to its own logger, which does not propagate.
    monkeypatch.setattr(logging.getLogger("uvicorn.error"), "handlers", [caplog.handler])
    with caplog.at_level(logging.ERROR):
        with pytest.raises(httpx.ReadTimeout):
            http.post("/api/train", json=LONG, timeout=httpx.Timeout(60, read=0.5))
        wait_until(lambda: trainings(app) == 0)
        stopped = turns.count
        time.sleep(0.5)
    assert 0 < stopped == turns.count
    # The handler ends quietly (499), not with an exception the server logs as a 500.
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []


def test_full_slots_get_503_with_retry_after_at_once(server):
    app, http = server
    streams = []
    try:
        for seed in (1, 2):  # one running, one waiting for its slot
            stream = http.stream(
                "GET", "/api/train", params={"config": json.dumps({**LONG, "seed": seed})}
            )
            streams.append(stream)
            assert stream.__enter__().status_code == 200
        wait_until(lambda: trainings(app) == 2)
        started = time.perf_counter()
        for refused in (
            http.post("/api/train", json={**LONG, "seed": 3}),
            http.get("/api/train", params={"config": json.dumps({**LONG, "seed": 4})}),
        ):
            assert refused.status_code == 503
            assert int(refused.headers["retry-after"]) >= 1
            assert "max_concurrent_trainings" in refused.json()["detail"]
        assert time.perf_counter() - started < 2.0
    finally:
        for stream in streams:
            stream.__exit__(None, None, None)
    wait_until(lambda: trainings(app) == 0)


def test_a_training_past_its_deadline_ends_with_an_error_event(server, monkeypatch):
    app, http = server
    monkeypatch.setattr(app.state.settings, "train_timeout_s", 0.5)
    with http.stream("GET", "/api/train", params={"config": json.dumps(LONG)}) as stream:
        streamed = list(events(stream.iter_lines()))
    name, error = streamed[-1]
    assert name == "error" and error["status"] == 503 and "train_timeout_s" in error["detail"]
    assert all(name == "epoch" for name, _ in streamed[:-1])
    response = http.post("/api/train", json={**LONG, "seed": 9})
    assert response.status_code == 503 and "train_timeout_s" in response.json()["detail"]


def test_shutdown_stops_every_training_and_waits_for_its_turn(monkeypatch, caplog):
    """Leaving the lifespan (the server stopping) cancels the trainings running and waiting:
    their requests get 503 at once, the turn in progress ends, no other runs, the engine
    thread has ended when the shutdown returns, and nothing is logged as an error."""
    app = create_app(Settings(warm_presets=False, max_concurrent_trainings=1))

    async def scenario():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            async with app.router.lifespan_context(app):
                executor = app.state.service.executor
                await asyncio.to_thread(executor.wait_ready, 120)
                turns = Turns(app, monkeypatch)
                posted = asyncio.ensure_future(http.post("/api/train", json=LONG, timeout=60))
                config = json.dumps({**LONG, "seed": 1})  # one of the two waits for the slot
                streamed = asyncio.ensure_future(
                    http.get("/api/train", params={"config": config}, timeout=60)
                )
                while turns.count < 2 or len(app.state.trainings) < 2:
                    await asyncio.sleep(0.02)
                stopping = time.monotonic()
            stopped_s = time.monotonic() - stopping
            answered = await asyncio.wait_for(asyncio.gather(posted, streamed), 5)
        return executor, turns, stopped_s, answered

    with caplog.at_level(logging.ERROR):
        executor, turns, stopped_s, (post, stream) = asyncio.run(scenario())
        count = turns.count
        time.sleep(0.3)
    assert stopped_s < 5 and turns.running == 0 and not executor._thread.is_alive()
    assert turns.count == count  # no turn after the shutdown
    assert post.status_code == 503 and "stopped" in post.json()["detail"]
    streamed = list(events(stream.text.splitlines()))  # its epochs, if it had the slot
    assert stream.status_code == 200 and all(name == "epoch" for name, _ in streamed[:-1])
    name, error = streamed[-1]
    assert name == "error" and error["status"] == 503 and "stopped" in error["detail"]
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []


def test_a_server_stopped_during_a_stream_stops_within_its_graceful_timeout(caplog, monkeypatch):
    """uvicorn starts the lifespan's shutdown only once its connections have closed, and a
    training stream stays open up to ``train_timeout_s`` (2 minutes). With a graceful timeout
    (``make run`` and the image give 30 s: ``GRACEFUL_SHUTDOWN``) it cancels the stream still
    open then, and the lifespan stops its training: the server is gone within the timeout, the
    stream has ended, and nothing is logged but uvicorn's notice of the cancelled request."""
    app = create_app(Settings(warm_presets=False))
    config = Config(app, host="127.0.0.1", port=0, log_level="warning", timeout_graceful_shutdown=1)
    uvicorn = Server(config)
    thread = threading.Thread(target=uvicorn.run, daemon=True)
    # uvicorn's own logger does not propagate once it is configured: listen to it too.
    monkeypatch.setattr(logging.getLogger("uvicorn.error"), "handlers", [caplog.handler])
    with caplog.at_level(logging.ERROR):
        thread.start()
        while not uvicorn.started:
            time.sleep(0.01)
        app.state.service.executor.wait_ready(timeout_s=120)
        port = uvicorn.servers[0].sockets[0].getsockname()[1]
        training, ended, names = threading.Event(), threading.Event(), []

        def follow():
            url = f"http://127.0.0.1:{port}/api/train"
            try:
                with httpx.stream("GET", url, params={"config": json.dumps(LONG)}) as stream:
                    for line in stream.iter_lines():
                        if line.startswith("event: "):
                            names.append(line.removeprefix("event: "))
                            training.set()
            except httpx.HTTPError:
                pass  # the connection closed under it
            ended.set()

        threading.Thread(target=follow, daemon=True).start()
        assert training.wait(60)
        stopping = time.monotonic()
        uvicorn.should_exit = True
        thread.join(30)
        stopped_s = time.monotonic() - stopping
    assert not thread.is_alive() and stopped_s < 1 + 5, stopped_s
    assert ended.wait(5) and len(app.state.trainings) == 0
    assert "done" not in names  # cut while training: the stop did not wait for its end
    # uvicorn's notice that it cut the stream, and its trace of the cancellation it caused; no
    # other error.
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    cut = [r for r in errors if "graceful shutdown" in r.getMessage()]
    cancelled = [r for r in errors if r.exc_info and "graceful shutdown" in str(r.exc_info[1])]
    assert cut and len(cut) + len(cancelled) == len(errors), [r.getMessage() for r in errors]


def test_make_run_the_image_and_the_console_script_bound_the_graceful_shutdown(monkeypatch):
    """The timeout the test above relies on is in the three ways the app is started."""
    for path in ("Makefile", "Dockerfile"):
        text = (ROOT / path).read_text()
        assert GRACEFUL_SHUTDOWN in text.replace('", "', " "), path
    runs = []
    monkeypatch.setattr(cli.uvicorn, "run", lambda *args, **kwargs: runs.append(kwargs))
    monkeypatch.setattr("sys.argv", ["rnn-visualizer", "--port", "8123"])
    cli.main()
    [kwargs] = runs
    assert f"--timeout-graceful-shutdown {kwargs['timeout_graceful_shutdown']}" == GRACEFUL_SHUTDOWN
    assert kwargs["port"] == 8123


def test_a_diverging_training_is_refused_naming_the_learning_rate(client):
    host = client.app.state.service.executor.engine
    request = TrainRequest(epochs=3).model_copy(update={"learning_rate": 3e38})  # past the schema
    session = TrainingSession(prepare_training(request, host.settings))
    done = []
    with pytest.raises(InputError) as refused:
        while not session.finished:
            host.train_turn(session, done.append)
    assert refused.value.loc == ("learning_rate",) and "diverged at epoch 1" in refused.value.msg
    assert [e.epoch.epoch for e in done] == [0]
