"""The Ray Serve executor against the in-process one: same numbers, replicas that die, readiness.

One local Ray on the CPU for the module, started and stopped by the app's own lifespan
(``executor=ray``, two replicas), next to an app with the in-process executor. Results are
compared as ``?encoding=b64`` bodies: equal base64 is equal float32 bits.
"""

import json
import math
import os
import random
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from app.presets import presets
from app.settings import Settings

# A local Ray of this module's own, kept on loopback (Ray reads this when it is imported).
os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
ray = pytest.importorskip("ray", reason="executor=ray needs the ray extra: pip install -e '.[ray]'")

LIMITS = {"max_batch": 4, "max_steps": 256, "max_hidden_size": 64, "max_layers": 3}
REPLICAS = 2
READY_TIMEOUT_S = 120
# Varying per run (the standards: fresh random inputs); printed on failure to replay one.
SEED = int.from_bytes(os.urandom(4), "little")


def descendants(pid: int) -> dict[int, str]:
    """Every process below ``pid``: pid -> its start time (to tell a reused pid apart)."""
    parents: dict[int, list[int]] = {}
    starts: dict[int, str] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        child = int(stat.parent.name)
        parents.setdefault(int(fields[1]), []).append(child)
        starts[child] = fields[19]
    found, todo = {}, [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            found[child] = starts[child]
            todo.append(child)
    return found


def alive(processes: dict[int, str]) -> list[int]:
    """Those of ``processes`` still running (and not zombies)."""
    running = []
    for pid, start in processes.items():
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[19] == start and fields[0] != "Z":
            running.append(pid)
    return running


def readiness_until_ready(client: TestClient) -> list[tuple[int, dict, str | None]]:
    """``/readyz`` every 50 ms until it answers 200: each distinct answer, in order."""
    seen: list[tuple[int, dict, str | None]] = []
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        response = client.get("/readyz")
        answer = (response.status_code, response.json(), response.headers.get("retry-after"))
        if not seen or seen[-1] != answer:
            seen.append(answer)
        if response.status_code == 200:
            return seen
        time.sleep(0.05)
    pytest.fail(f"not ready within {READY_TIMEOUT_S} s: {seen}")


@pytest.fixture(scope="module")
def ray_app() -> Iterator[tuple[TestClient, list]]:
    """The app on a local Ray with two replicas, and its /readyz answers while they started.
    On teardown: Ray is shut down and every process it started has exited."""
    assert not ray.is_initialized(), "another test left Ray running"
    # A deadline long enough for the burst of the kill test on a busy machine: that test is about
    # losing a replica, not admission (tests/routes/test_hardening.py covers that).
    settings = Settings(
        **LIMITS,
        executor="ray",
        ray_replicas=REPLICAS,
        warm_presets=False,
        request_timeout_s=120,
    )
    app = create_app(settings)
    with TestClient(app) as client:
        readiness = readiness_until_ready(client)
        started = descendants(os.getpid())
        yield client, readiness
    assert not ray.is_initialized()
    deadline = time.monotonic() + 20
    while alive(started) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not alive(started), f"Ray left processes running: {alive(started)}"


@pytest.fixture(scope="module")
def local_client() -> Iterator[TestClient]:
    app = create_app(Settings(**LIMITS, warm_presets=False))
    with TestClient(app) as client:
        app.state.service.executor.wait_ready(timeout_s=READY_TIMEOUT_S)
        yield client


def executor_of(client: TestClient):
    return client.app.state.service.executor


def engine_part(body: bytes) -> dict:
    """A b64 result without what may differ between executors (who ran it, how long)."""
    result = json.loads(body)
    meta = result.pop("meta")
    result["meta"] = {k: meta[k] for k in ("tensorflow", "device", "weights_sha256")}
    return result


def assert_identical(ray_response, local_response, what: str) -> None:
    assert ray_response.status_code == local_response.status_code == 200, what
    assert ray_response.json()["meta"]["executor"] == "ray", what
    assert local_response.json()["meta"]["executor"] == "local", what
    assert engine_part(ray_response.content) == engine_part(local_response.content), what


def random_config(rng: random.Random, hidden: int, steps: int) -> dict:
    """A random network and input: every cell and GRU variant, one or two directions, 1-3
    layers, examples of different lengths (text, or raw values with explicit lengths)."""
    cell = rng.choice(["rnn", "lstm", "gru"])
    config: dict = {
        "cell": cell,
        "hidden_size": rng.randint(1, hidden),
        "num_layers": rng.randint(1, 3),
        "bidirectional": rng.random() < 0.5,
        "reset_after": rng.random() < 0.5,
        "forget_bias": round(rng.uniform(-1, 1), 3),
        "seed": rng.randrange(2**32),
    }
    batch = rng.randint(1, LIMITS["max_batch"])
    if rng.random() < 0.5:
        length = [rng.randint(0, steps) for _ in range(batch)]
        lines = ["".join(rng.choice("abcde") for _ in range(n)) for n in length]
        lines[0] += "a"  # at least one character
        config["input"] = {"text": lines}
    else:
        size, length = rng.randint(1, 5), rng.randint(1, steps)
        values = [[rng.gauss(0, 1) for _ in range(size * length)] for _ in range(batch)]
        config["input"] = {
            "values": [[v[t * size : (t + 1) * size] for t in range(length)] for v in values]
        }
        config["sequence_length"] = [rng.randint(0, length) for _ in range(batch)]
    return config


def test_readiness_is_503_while_replicas_start_then_200_with_every_replica(ray_app):
    _, readiness = ray_app
    first, last = readiness[0], readiness[-1]
    assert first[0] == 503 and first[1]["status"] == "starting" and first[2] == "1", readiness
    assert first[1]["replicas"]["total"] == REPLICAS, readiness
    assert all(status == 503 for status, _, _ in readiness[:-1]), readiness
    assert last[0] == 200, readiness
    assert last[1] == {"status": "ready", "executor": "ray", "replicas": {"ready": 2, "total": 2}}


def test_every_preset_is_identical_to_the_local_executor(ray_app, local_client):
    client, _ = ray_app
    for name in presets():
        url = f"/api/run?preset={name}&encoding=b64"
        assert_identical(client.get(url), local_client.get(url), name)


def test_random_configurations_are_identical_to_the_local_executor(ray_app, local_client):
    client, _ = ray_app
    rng = random.Random(SEED)
    configs = [random_config(rng, 24, 20) for _ in range(24)]

    def post(config: dict):
        return client.post("/api/run?encoding=b64", json=config)

    with ThreadPoolExecutor(4) as pool:  # concurrent: both replicas take part
        answers = list(pool.map(post, configs))
    for config, answer in zip(configs, answers, strict=True):
        expected = local_client.post("/api/run?encoding=b64", json=config)
        assert_identical(answer, expected, f"seed {SEED}: {json.dumps(config)[:300]}")


def test_the_web_tier_learns_connectivitys_rate_from_the_replicas(ray_app):
    """Admission in the web tier prices a run and its connectivity at rates learnt apart, as the
    in-process executor does: from the seconds the replica measured for each."""
    client, _ = ray_app
    rates = executor_of(client).cost.rates.rates
    before = dict(rates)
    values = [[[math.sin(t)] for t in range(200)]]  # 1.6 times the multiply-adds that teach
    config = {"cell": "lstm", "hidden_size": 64, "input": {"values": values}}
    response = client.post("/api/run", json={**config, "analysis": ["connectivity"]})
    assert response.status_code == 200, response.text
    assert rates["connectivity"] != before["connectivity"]


def without_timings(value):
    """A training response (or a part) without what differs between executors: who ran it and
    how long it took."""
    if isinstance(value, dict):
        return {
            k: without_timings(v) for k, v in value.items() if k not in ("executor", "compute_ms")
        }
    if isinstance(value, list):
        return [without_timings(v) for v in value]
    return value


def test_a_training_is_identical_to_the_local_executor(ray_app, local_client):
    client, _ = ray_app
    rng = random.Random(SEED)
    config = {
        "cell": rng.choice(["rnn", "lstm", "gru"]),
        "hidden_size": rng.randint(2, 6),
        "reset_after": rng.random() < 0.5,
        "text": "hihello",
        "epochs": 6,
        "snapshot_every": 3,
        "seed": rng.randrange(2**32),
    }
    trained = client.post("/api/train", json=config)
    expected = local_client.post("/api/train", json=config)
    assert trained.status_code == expected.status_code == 200, trained.text
    assert trained.json()["meta"]["executor"] == "ray"
    assert [s["run"]["meta"]["executor"] for s in trained.json()["snapshots"]] == ["ray"] * 3
    assert without_timings(trained.json()) == without_timings(expected.json()), config
    query = {"config": json.dumps({**config, "seed": config["seed"] + 1})}
    with client.stream("GET", "/api/train", params=query) as stream:
        events = [line for line in stream.iter_lines() if line.startswith("event:")]
    assert events == ["event: epoch"] * 7 + ["event: done"]


def replica_actors() -> dict[str, object]:
    """The engine replicas' actors by name (Serve names them SERVE_REPLICA::app#deployment#id)."""
    names = ray.util.list_named_actors(all_namespaces=True)
    return {
        a["name"]: ray.get_actor(a["name"], namespace=a["namespace"])
        for a in names
        if a["name"].startswith("SERVE_REPLICA::rnnvis#engine#")
    }


def test_a_replica_killed_during_a_burst_loses_no_request(ray_app, local_client):
    client, _ = ray_app
    executor = executor_of(client)
    rng = random.Random(SEED + 1)
    medium = {"cell": "lstm", "hidden_size": 64, "num_layers": 3, "bidirectional": True}
    burst = [  # about 50 ms each on one core: long enough that both replicas are seen busy
        {**medium, "seed": rng.randrange(2**32), "input": {"text": ["abcdefgh" * 25] * 4}}
        for _ in range(48)
    ]
    before = replica_actors()
    assert len(before) == REPLICAS
    killed, busy, answered = threading.Event(), threading.Event(), []

    def post(config: dict):
        answer = client.post("/api/run?encoding=b64", json=config)
        answered.append(answer)
        return answer

    def kill_when_busy() -> None:  # once the replicas are past their first runs, and busy
        deadline = time.monotonic() + 30
        while (len(answered) < 4 or executor.in_flight < 2 * REPLICAS) and (
            time.monotonic() < deadline
        ):
            time.sleep(0.002)
        if executor.in_flight >= 2 * REPLICAS:
            busy.set()
        ray.kill(next(iter(before.values())), no_restart=True)
        killed.set()

    retried = executor.retries
    killer = threading.Thread(target=kill_when_busy)
    killer.start()
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(post, burst))
    killer.join()
    assert killed.is_set() and busy.is_set(), "the burst ended before both replicas were busy"
    assert [a.status_code for a in answers] == [200] * len(burst), [a.text[:200] for a in answers]
    assert executor.retries > retried, "no run was in flight on the killed replica"

    # After the kill, until Ray has replaced the replica and after: no request fails.
    after, replaced_at = [], None
    deadline = time.monotonic() + 90
    while replaced_at is None or len(after) < replaced_at + 8:
        assert time.monotonic() < deadline, f"the replica was not replaced: {replica_actors()}"
        config = {**medium, "seed": rng.randrange(2**32), "input": {"text": ["abcd"] * 2}}
        after.append((config, client.post("/api/run?encoding=b64", json=config)))
        if replaced_at is None:
            now = set(replica_actors())
            ready = client.get("/readyz").json()["replicas"]["ready"]
            if len(now) == REPLICAS and now != set(before) and ready == REPLICAS:
                replaced_at = len(after)
    assert all(r.status_code == 200 for _, r in after), [r.text[:200] for _, r in after]
    for config, answer in [*zip(burst, answers, strict=True), *after]:
        expected = local_client.post("/api/run?encoding=b64", json=config)
        assert_identical(answer, expected, json.dumps(config)[:200])


@pytest.mark.parametrize("path", ["docs/deploy/serve.yaml", "docs/deploy/rayservice.yaml"])
def test_the_documented_serve_configs_build_the_engine_application(path):
    """The Serve config of docs/DEPLOY.md and the RayService's serveConfigV2 are valid for Serve
    and name this code: the application, its import path and settings, the deployment."""
    import yaml
    from ray import serve
    from ray.serve.schema import ServeDeploySchema

    from app.executors.ray import APP_NAME, ENGINE, build_app

    documents = list(yaml.safe_load_all((Path(__file__).parents[2] / path).read_text()))
    service = next((d for d in documents if d.get("kind") == "RayService"), None)
    config = yaml.safe_load(service["spec"]["serveConfigV2"]) if service else documents[0]
    (application,) = ServeDeploySchema.model_validate(config).applications
    assert application.name == APP_NAME
    assert application.import_path == "app.executors.ray:build_app"
    assert [d.name for d in application.deployments] == [ENGINE]
    assert isinstance(build_app(application.args), serve.Application)
