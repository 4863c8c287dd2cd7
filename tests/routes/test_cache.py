"""The result cache, GET /api/run with ETag / Cache-Control, and the b64 encoding over HTTP."""

import asyncio
import base64
import json
from urllib.parse import quote

import numpy as np
import pytest

from app.cache import ResultCache
from app.presets import presets
from app.service import Flights


def config_query(config: dict) -> str:
    return "/api/run?config=" + quote(json.dumps(config))


def decode(value):
    """A b64 result with every typed array turned back into a float32 numpy array."""
    if isinstance(value, dict) and set(value) == {"dtype", "shape", "bdata"}:
        shape = tuple(int(n) for n in value["shape"].split(","))
        return np.frombuffer(base64.b64decode(value["bdata"]), "<f4").reshape(shape)
    if isinstance(value, dict):
        return {k: decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [decode(v) for v in value]
    return value


def assert_same_result(plain, decoded, path="result"):
    if isinstance(decoded, np.ndarray):
        np.testing.assert_array_equal(np.asarray(plain, np.float32), decoded, err_msg=path)
    elif isinstance(decoded, dict):
        assert set(plain) == set(decoded), path
        for key in decoded:
            if key != "meta":
                assert_same_result(plain[key], decoded[key], f"{path}.{key}")
    elif isinstance(decoded, list):
        assert len(plain) == len(decoded), path
        for index, (a, b) in enumerate(zip(plain, decoded, strict=True)):
            assert_same_result(a, b, f"{path}[{index}]")
    else:
        assert plain == decoded, path


def test_identical_configuration_is_served_from_the_cache(client):
    config = {"cell": "gru", "hidden_size": 3, "seed": 11, "input": {"text": ["abc", "b"]}}
    first = client.post("/api/run", json=config)
    again = client.post("/api/run", json=config)
    assert first.status_code == again.status_code == 200
    assert first.headers["x-cache"] == "miss" and again.headers["x-cache"] == "hit"
    assert first.content == again.content


def test_get_preset_equals_post_of_its_configuration(client):
    config = presets()["bidirectional_lstm"].config.model_dump(mode="json")
    posted = client.post("/api/run", json=config)
    fetched = client.get("/api/run?preset=bidirectional_lstm")
    assert fetched.status_code == 200
    assert fetched.content == posted.content  # one cache entry, one set of bytes


def test_get_carries_etag_and_cache_control_and_answers_304(client):
    response = client.get("/api/run?preset=lstm_batch")
    etag = response.headers["etag"]
    assert etag.startswith('"') and etag.endswith('"') and len(etag) == 66
    assert response.headers["cache-control"].startswith("public, max-age=")
    for header in (etag, f"W/{etag}", f'"other", {etag}', "*"):
        unchanged = client.get("/api/run?preset=lstm_batch", headers={"If-None-Match": header})
        assert unchanged.status_code == 304 and unchanged.content == b""
        assert unchanged.headers["etag"] == etag
    changed = client.get("/api/run?preset=lstm_batch", headers={"If-None-Match": '"other"'})
    assert changed.status_code == 200


def test_etag_is_the_normalised_configuration_so_equivalent_queries_share_it(client):
    implicit = {"cell": "rnn", "hidden_size": 2, "input": {"text": ["hello"]}}
    explicit = {**implicit, "seed": 0, "input": {"text": ["hello"], "vocabulary": "helo"}}
    a = client.get(config_query(implicit))
    b = client.get(config_query(explicit))
    assert a.status_code == b.status_code == 200
    assert a.headers["etag"] == b.headers["etag"]
    b64 = client.get(config_query(implicit) + "&encoding=b64")
    assert b64.headers["etag"] != a.headers["etag"]


@pytest.mark.parametrize(
    ("query", "loc"),
    [
        ("", ["query", "config"]),
        ("?preset=lstm_batch&config=%7B%7D", ["query", "config"]),
        ("?preset=no_such_preset", ["query", "preset"]),
        ("?config=%7B%22cell%22", ["query", "config"]),
        (
            "?config=" + quote('{"input": {"text": ["hi"]}, "extra": 1}'),
            ["query", "config", "extra"],
        ),
        (
            "?config=" + quote('{"hidden_size": 17, "input": {"text": ["hi"]}}'),
            ["query", "config", "hidden_size"],
        ),
        (
            "?config=" + quote('{"input": {"text": ["hi"]}, "sequence_length": [3]}'),
            ["query", "config", "sequence_length", 0],
        ),
        ("?preset=lstm_batch&encoding=xml", ["query", "encoding"]),
    ],
)
def test_get_applies_the_same_validation_and_limits_as_post(client, query, loc):
    response = client.get("/api/run" + query)
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"] == loc


def test_get_enforces_the_numbers_limit(client):
    config = {"hidden_size": 16, "input": {"values": [[[0.5] * 10] * 50] * 4}}
    response = client.get(config_query(config))
    assert response.status_code in (414, 422)
    posted = client.post("/api/run", json=config)
    assert posted.status_code == 422 and "max_numbers" in posted.text


def test_too_long_query_is_refused_with_414(client):
    response = client.get("/api/run?config=" + "x" * 20_000)
    assert response.status_code == 414
    assert "max_query_bytes" in response.json()["detail"][0]["msg"]


@pytest.mark.parametrize("name", ["gru_batch", "bidirectional_lstm", "multilayer_rnn"])
def test_b64_encoding_carries_exactly_the_json_numbers(client, name):
    config = presets()[name].config.model_dump(mode="json")
    plain = client.post("/api/run", json=config).json()
    compact = client.post("/api/run?encoding=b64", json=config)
    assert compact.status_code == 200
    assert compact.json()["inputs"]["dtype"] == "float32"
    assert_same_result(plain, decode(compact.json()))


def test_b64_encoding_takes_at_most_6_bytes_a_number(client):
    config = {"cell": "lstm", "hidden_size": 16, "input": {"values": [[[0.3] * 10] * 20] * 2}}
    compact = client.post("/api/run?encoding=b64", json=config)
    plain = client.post("/api/run", json=config)
    assert compact.status_code == plain.status_code == 200, compact.text
    arrays = decode(compact.json())
    numbers = 0
    stack = [arrays]
    while stack:
        item = stack.pop()
        if isinstance(item, np.ndarray):
            numbers += item.size
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    assert len(compact.content) / numbers <= 6.0
    assert len(compact.content) < len(plain.content) / 1.5


def test_concurrent_callers_of_one_key_share_one_flight():
    async def scenario():
        flights = Flights()
        calls = 0

        async def compute():
            nonlocal calls
            calls += 1
            await asyncio.sleep(0.01)
            return b"result"

        joined = [flights.join("k", compute) for _ in range(50)]
        results = await asyncio.gather(*(task for task, _ in joined))
        return calls, results, [started for _, started in joined], len(flights)

    calls, results, started, left = asyncio.run(scenario())
    assert calls == 1 and set(results) == {b"result"}
    assert started == [True] + [False] * 49
    assert left == 0  # a finished flight is forgotten: the next call starts a new one


def test_failed_flight_reaches_every_caller():
    async def scenario():
        flights = Flights()

        async def fail():
            await asyncio.sleep(0.01)
            raise RuntimeError("boom")

        tasks = [flights.join("k", fail)[0] for _ in range(3)]
        return await asyncio.gather(*tasks, return_exceptions=True)

    assert all(isinstance(o, RuntimeError) for o in asyncio.run(scenario()))


def test_flight_outlives_the_caller_that_started_it():
    async def scenario():
        flights = Flights()
        done = []

        async def slow():
            await asyncio.sleep(0.05)
            done.append(True)
            return b"done"

        task, _ = flights.join("k", slow)
        waiter = asyncio.ensure_future(asyncio.shield(task))
        await asyncio.sleep(0.01)
        waiter.cancel()  # the request gave up (its deadline)
        return await task, done

    assert asyncio.run(scenario()) == (b"done", [True])


def test_cache_evicts_least_recently_used_by_count_and_by_bytes():
    cache = ResultCache(max_entries=2, max_bytes=10)
    cache.put_bytes("a", "json", b"1")
    cache.put_bytes("b", "json", b"2")
    assert cache.get_bytes("a", "json") == b"1"  # a is now the most recent
    cache.put_bytes("c", "json", b"3")
    assert cache.get_bytes("b", "json") is None and cache.get_bytes("a", "json") == b"1"
    assert cache.get_bytes("c", "json") == b"3"  # c is now the most recent
    cache.put_bytes("d", "json", b"123456789")  # 9 bytes: with c, 10 fit; a goes (count)
    assert cache.get_bytes("a", "json") is None and cache.size == 10
    cache.put_bytes("d", "b64", b"1")  # d's second encoding: 10 bytes for d, c goes
    assert len(cache) == 1 and cache.size == 10 and cache.get_bytes("d", "b64") == b"1"
    cache.put_bytes("e", "json", b"x" * 11)  # larger than the whole cache: not kept
    assert cache.get_bytes("e", "json") is None and cache.get_bytes("d", "json")


def test_cache_counts_a_results_arrays_in_its_bytes():
    cache = ResultCache(max_entries=4, max_bytes=100)
    result = {"a": np.zeros(10, np.float32), "b": [{"c": np.zeros(5, np.float32)}]}
    cache.put_result("k", result)
    assert cache.size == 60 and cache.get_result("k") is result
    cache.put_bytes("k", "json", b"x" * 40)
    assert cache.size == 100
    cache.put_result("other", {"a": np.zeros(2, np.float32)})  # k no longer fits beside it
    assert cache.get_result("k") is None and cache.size == 8


def test_cache_of_zero_entries_keeps_nothing():
    cache = ResultCache(max_entries=0, max_bytes=1000)
    cache.put_bytes("a", "json", b"1")
    assert cache.get_bytes("a", "json") is None and len(cache) == 0


def test_auto_device_sends_only_large_steps_to_a_gpu():
    from app.executors.engine import CPU, GPU, EngineHost, step_macs
    from app.settings import Settings
    from app.validation import prepare_run

    small = prepare_run(presets()["lstm_batch"].config, Settings())
    large = prepare_run(
        presets()["lstm_batch"].config.model_copy(update={"hidden_size": 64}), Settings()
    )
    assert step_macs(small) == 3 * 1 * 2 * 4 * 2
    assert step_macs(large) == 3 * 1 * 64 * 4 * 64
    auto = EngineHost(Settings(gpu_min_step_macs=10_000), "local")
    assert auto.device_for(large) == CPU  # no GPU seen
    auto.device = GPU  # what loading sets when TensorFlow sees a GPU
    assert auto.device_for(small) == CPU and auto.device_for(large) == GPU
    forced = EngineHost(Settings(device="gpu", gpu_min_step_macs=10_000), "local")
    forced.device = GPU
    assert forced.device_for(small) == GPU
