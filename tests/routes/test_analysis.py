"""The analyses through the HTTP API (SPEC section 6): the request field, its limits, the numbers
they add, the cache key, both encodings and the GET form."""

import base64
import json
import secrets
from urllib.parse import quote

import numpy as np
import pytest
from fastapi.testclient import TestClient

from app.engine.config import NetworkSpec
from app.main import create_app
from app.schemas import RunResult
from app.settings import Settings
from app.validation import count_numbers

BOTH = ["connectivity", "trajectory"]


def config(**fields):
    base = {
        "cell": "lstm",
        "hidden_size": 3,
        "num_layers": 2,
        "bidirectional": True,
        "input": {"text": ["hello", "hel", ""]},
        "seed": secrets.randbits(16),
    }
    return {**base, **fields}


def run(client, body, encoding="json"):
    response = client.post(f"/api/run?encoding={encoding}", json=body)
    assert response.status_code == 200, response.text
    return response


def numbers_in(value):
    """How many numbers a JSON result carries outside ``config`` (typed arrays decoded)."""
    if isinstance(value, dict):
        if value.get("dtype") == "float32":
            return len(base64.b64decode(value["bdata"])) // 4
        return sum(numbers_in(v) for k, v in value.items() if k not in ("config", "meta"))
    if isinstance(value, list):
        return sum(numbers_in(v) for v in value)
    return 1 if isinstance(value, float) else 0


def same_numbers(a, b):
    """Equal structure and equal float32 numbers (plain JSON writes the shortest decimal)."""
    if isinstance(a, dict):
        assert list(a) == list(b)
        for key in a:
            same_numbers(a[key], b[key])
    elif isinstance(a, list) and a and isinstance(a[0], dict):
        assert len(a) == len(b)
        for x, y in zip(a, b, strict=True):
            same_numbers(x, y)
    else:
        np.testing.assert_array_equal(np.array(a, np.float32), np.array(b, np.float32))


def decode(value):
    """A result with every typed array as nested lists."""
    if isinstance(value, dict):
        if value.get("dtype") == "float32":
            flat = np.frombuffer(base64.b64decode(value["bdata"]), "<f4")
            return flat.reshape([int(n) for n in value["shape"].split(",")]).tolist()
        return {k: decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [decode(v) for v in value]
    return value


@pytest.fixture(scope="module")
def limited():
    """An app whose connectivity limits are small enough to reach cheaply."""
    settings = Settings(warm_presets=False, max_analysis_steps=4, max_connectivity_macs=10**6)
    with TestClient(create_app(settings)) as client:
        client.app.state.service.executor.wait_ready(timeout_s=120)
        yield client


def test_analyses_add_their_fields_to_every_layer_and_direction_only_when_asked(client):
    body = config()
    plain = run(client, body).json()
    both = run(client, {**body, "analysis": BOTH}).json()
    RunResult.model_validate(both)
    for layer_plain, layer in zip(plain["layers"], both["layers"], strict=True):
        for direction, data in layer.items():
            assert "connectivity" not in layer_plain[direction]
            assert data["outputs"] == layer_plain[direction]["outputs"]  # the same run
            assert np.array(data["connectivity"]).shape == (3, 5, 5)
            trajectory = data["trajectory"]
            assert list(trajectory) == ["axes", "mean", "explained_variance_ratio", "components"]
            assert np.array(trajectory["components"]).shape == (3, 5, 2)
    only = run(client, {**body, "analysis": ["trajectory"]}).json()["layers"][0]["forward"]
    assert "trajectory" in only and "connectivity" not in only


def test_connectivity_zeros_follow_lengths_and_directions_through_the_api(client):
    result = run(client, config(analysis=["connectivity"])).json()
    lengths = result["sequence_length"]
    bottom = result["layers"][0]
    for direction, data in bottom.items():
        value = np.array(data["connectivity"])
        for b, length in enumerate(lengths):
            assert not value[b, length:].any() and not value[b, :, length:].any()
            t, s = np.tril_indices(length, -1)  # s < t
            reached = value[b, s, t] if direction == "forward" else value[b, t, s]
            assert not reached.any(), f"{direction} reads only its own side"


def test_bad_names_are_refused_and_order_and_repeats_do_not_matter(client):
    bad = client.post("/api/run", json=config(analysis=["connectivity", "jacobian"]))
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"] == ["body", "analysis", 1]
    body = config()
    answers = [
        client.get("/api/run", params={"config": json.dumps({**body, "analysis": analysis})})
        for analysis in (["trajectory", "connectivity", "trajectory"], BOTH)
    ]
    assert answers[0].json()["config"]["analysis"] == BOTH
    assert answers[0].headers["ETag"] == answers[1].headers["ETag"], "one normalised config"
    assert answers[0].content == answers[1].content


def test_analyses_are_part_of_the_cache_key_and_the_etag(client):
    body = config()
    plain = client.get("/api/run", params={"config": json.dumps(body)})
    with_analysis = client.get(
        "/api/run", params={"config": json.dumps({**body, "analysis": BOTH})}
    )
    assert plain.status_code == with_analysis.status_code == 200
    assert plain.headers["ETag"] != with_analysis.headers["ETag"]
    assert "connectivity" in with_analysis.json()["layers"][0]["forward"]
    assert with_analysis.json() == run(client, {**body, "analysis": BOTH}).json()


def test_both_encodings_carry_the_same_analyses(client):
    body = config(analysis=BOTH)
    plain = run(client, body).json()
    compact = run(client, body, "b64").json()
    RunResult.model_validate(compact)
    layer = compact["layers"][1]["backward"]
    assert layer["connectivity"]["shape"] == "3,5,5"
    assert layer["trajectory"]["axes"]["shape"] == "2,3"
    same_numbers(decode(compact)["layers"], plain["layers"])


def test_the_numbers_limit_counts_the_analyses(client):
    for body in (config(analysis=BOTH), config(cell="gru", bidirectional=False, analysis=BOTH)):
        result = run(client, body, "b64").json()
        spec = NetworkSpec(body["cell"], 3, 2, body["bidirectional"])
        assert numbers_in(result) == count_numbers(spec, 3, 5, 4, analysis=tuple(BOTH))
    # 4 examples of 50 steps fit the test app's 20,000 numbers plainly, not with the
    # 4 x 50 x 50 numbers of connectivity in each of two layers
    long = config(bidirectional=False, hidden_size=1, input={"text": ["ab" * 25] * 4})
    assert client.post("/api/run", json=long).status_code == 200
    refused = client.post("/api/run", json={**long, "analysis": ["connectivity"]})
    assert refused.status_code == 422 and "max_numbers" in refused.json()["detail"][0]["msg"]


def test_connectivity_is_limited_to_max_analysis_steps_on_post_and_get(limited):
    body = config(num_layers=1, input={"text": ["hello"]}, analysis=["connectivity"])
    refused = limited.post("/api/run", json=body)
    assert refused.status_code == 422
    error = refused.json()["detail"][0]
    assert error["loc"] == ["body", "analysis"] and "max_analysis_steps" in error["msg"]
    query = limited.get("/api/run?config=" + quote(json.dumps(body)))
    assert query.status_code == 422
    assert query.json()["detail"][0]["loc"] == ["query", "config", "analysis"]
    assert limited.post("/api/run", json={**body, "analysis": ["trajectory"]}).status_code == 200
    short = {**body, "input": {"text": ["hell"]}}
    assert limited.post("/api/run", json=short).status_code == 200


def test_connectivity_past_its_cost_limit_is_refused(limited):
    body = config(hidden_size=16, input={"text": ["hell"] * 4}, analysis=["connectivity"])
    refused = limited.post("/api/run", json=body)
    assert refused.status_code == 422
    assert "max_connectivity_macs" in refused.json()["detail"][0]["msg"]
