"""The HTTP API: presets, shapes and the seed notebook's semantics, probes, docs, overload."""

import asyncio
import threading
from types import SimpleNamespace

import numpy as np
import pytest
from fastapi.testclient import TestClient

from app.errors import Overloaded
from app.executors.local import LocalExecutor
from app.main import create_app
from app.presets import presets
from app.schemas import RunResult
from app.settings import Settings

SEED_NAMES = [
    "one_cell",
    "hello_sequence",
    "lstm_batch",
    "gru_batch",
    "dynamic_length",
    "initial_state",
    "bidirectional_rnn",
    "bidirectional_lstm",
    "multilayer_rnn",
    "multilayer_lstm",
]
GATES = {"rnn": [], "lstm": ["i", "f", "g", "o"], "gru": ["z", "r", "n"]}


def run(client, config):
    response = client.post("/api/run", json=config)
    assert response.status_code == 200, response.text
    return response.json()


def test_presets_are_the_seed_examples_in_order_then_the_comparisons(client):
    listed = client.get("/api/presets").json()
    assert [p["name"] for p in listed] == SEED_NAMES + ["memory_reach"]  # then /compare's
    for preset in listed:
        assert preset["title"] and preset["description"]
        cited = preset["seed_heading"].startswith("RNN 기본예제 › ")
        assert cited if preset["name"] in SEED_NAMES else preset["seed_heading"] == ""
        assert preset["config"]["input"]


@pytest.mark.parametrize("name", SEED_NAMES)
def test_every_preset_runs_with_documented_shapes_and_padding(client, name):
    config = presets()[name].config.model_dump(mode="json")
    result = run(client, config)
    RunResult.model_validate(result)  # the documented response model
    cell, hidden = config["cell"], config["hidden_size"]
    directions = ["forward", "backward"] if config["bidirectional"] else ["forward"]
    inputs = np.array(result["inputs"])
    batch, steps, _ = inputs.shape
    lengths = result["sequence_length"]
    assert result["config"]["sequence_length"] == lengths and len(lengths) == batch
    assert len(result["layers"]) == config["num_layers"] == len(result["weights"]["layers"])
    for layer in result["layers"]:
        assert sorted(layer) == sorted(directions)
        for direction, data in layer.items():
            outputs = np.array(data["outputs"])
            assert outputs.shape == (batch, steps, hidden)
            assert sorted(data["states"]) == (["c", "h"] if cell == "lstm" else ["h"])
            assert sorted(data["gates"]) == sorted(GATES[cell])
            for b, length in enumerate(lengths):
                assert np.all(outputs[b, length:] == 0), "zero rows past sequence_length"
                last = length - 1 if direction == "forward" else 0
                h_final = np.array(data["final_state"]["h"][b])
                np.testing.assert_array_equal(h_final, np.array(data["states"]["h"])[b, last])
                np.testing.assert_array_equal(h_final, outputs[b, last])
    top = np.array(result["outputs"])
    assert top.shape == (batch, steps, hidden * len(directions))
    assert result["meta"]["device"].startswith("/device:") and result["meta"]["tensorflow"]
    assert len(result["meta"]["weights_sha256"]) == 64


def test_text_presets_use_the_seeds_one_hot_h_e_l_o(client):
    result = run(client, presets()["hello_sequence"].config.model_dump(mode="json"))
    assert result["tokens"] == [list("hello")]
    assert result["config"]["input"]["vocabulary"] == "helo"
    np.testing.assert_array_equal(result["inputs"][0], np.eye(4)[[0, 1, 2, 2, 3]])


def test_explicit_zero_initial_state_equals_the_default(client):
    with_state = run(client, presets()["initial_state"].config.model_dump(mode="json"))
    default = run(client, presets()["lstm_batch"].config.model_dump(mode="json"))
    assert with_state["outputs"] == default["outputs"]


def test_same_seed_gives_the_same_run_and_another_seed_does_not(client):
    config = presets()["gru_batch"].config.model_dump(mode="json")
    first, again = run(client, config), run(client, config)
    other = run(client, {**config, "seed": 1})
    assert first["outputs"] == again["outputs"]
    assert first["meta"]["weights_sha256"] == again["meta"]["weights_sha256"]
    assert other["meta"]["weights_sha256"] != first["meta"]["weights_sha256"]


def test_returned_weights_given_back_reproduce_the_run(client):
    config = {
        "cell": "gru",
        "reset_after": False,
        "hidden_size": 3,
        "bidirectional": True,
        "input": {"text": ["abc", "ca"]},
        "seed": 5,
    }
    first = run(client, config)
    again = run(client, {**config, "seed": 6, "weights": first["weights"]})
    assert again["outputs"] == first["outputs"]


def test_lstm_forget_bias_changes_the_forget_gate(client):
    config = {"cell": "lstm", "input": {"text": ["hello"]}}
    plain, biased = run(client, config), run(client, {**config, "forget_bias": 1.0})
    f0 = np.array(plain["layers"][0]["forward"]["gates"]["f"])[0, 0]
    f1 = np.array(biased["layers"][0]["forward"]["gates"]["f"])[0, 0]
    assert np.all(f1 > f0)


def test_probes_and_offline_docs(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json()["status"] == "ready"
    page = client.get("/docs")
    assert page.status_code == 200
    assert "/vendor/swagger-ui/swagger-ui-bundle.js" in page.text
    assert "cdn" not in page.text.lower() and "https://" not in page.text.replace(
        "https://fastapi.tiangolo.com", ""
    )
    assert client.get("/vendor/swagger-ui/swagger-ui-bundle.js").status_code == 200
    assert client.get("/vendor/swagger-ui/swagger-ui.css").status_code == 200
    schema = client.get("/openapi.json").json()
    assert "/api/run" in schema["paths"] and "RunRequest" in schema["components"]["schemas"]


def test_readyz_is_503_until_the_engine_has_warmed_up():
    release = threading.Event()

    class SlowStart(LocalExecutor):
        def _load(self) -> None:
            release.wait(10)

    executor = SlowStart(Settings())
    with TestClient(create_app(Settings(), executor)) as client:
        starting = client.get("/readyz")
        assert starting.status_code == 503 and starting.headers["Retry-After"] == "1"
        assert starting.json()["status"] == "starting"
        assert client.get("/healthz").status_code == 200
        release.set()
        executor.wait_ready(timeout_s=10)
        assert client.get("/readyz").status_code == 200


def test_full_queue_answers_overloaded_at_once():
    async def scenario():
        executor = LocalExecutor(Settings(queue_size=1))
        executor._thread.start()  # the engine thread, without loading TensorFlow
        release = threading.Event()
        blocked = asyncio.ensure_future(executor.submit(0, release.wait, 1.0, 10))
        await asyncio.sleep(0.05)
        with pytest.raises(Overloaded) as refused:
            await executor.submit(0, lambda: None, 0.0)
        release.set()
        assert await blocked is True
        await executor.submit(0, lambda: None, 0.0)  # room again
        executor.stop()
        return refused.value

    refused = asyncio.run(scenario())
    assert "queue_size" in refused.msg and refused.retry_after_s >= 1


def test_a_running_training_is_not_refused_halfway_by_a_full_run_queue(monkeypatch):
    """A training is admitted once (its slot); its later turns queue behind the runs that fill
    the queue meanwhile, and go on, instead of failing with the runs' 503."""
    turns = {"count": 0}

    def fake_turn(session, emit):  # one "epoch" a turn, three in all, no TensorFlow
        turns["count"] += 1
        emit(turns["count"])
        session.finished = turns["count"] == 3

    monkeypatch.setattr("app.executors.local.TrainingSession", lambda prepared: SimpleNamespace(
        finished=False, stop=lambda: None))  # fmt: skip

    async def scenario():
        executor = LocalExecutor(Settings(queue_size=2))
        monkeypatch.setattr(executor.engine, "train_turn", fake_turn)
        executor._thread.start()
        release = threading.Event()
        runs = []
        epochs = []
        async for epoch in executor.train(None):
            epochs.append(epoch)
            if len(epochs) == 1:  # the queue fills with runs while the training goes on
                await asyncio.sleep(0.05)  # (its first turn done)
                runs = [asyncio.ensure_future(executor.submit(0, release.wait, 1.0, 10))]
                await asyncio.sleep(0.05)
                runs.append(asyncio.ensure_future(executor.submit(0, lambda: None, 0.0)))
                await asyncio.sleep(0.05)  # the queue is full (one running, one waiting)
                # The runs end only once the training has asked for its next turn.
                asyncio.get_running_loop().call_later(0.2, release.set)
        assert [await run for run in runs] == [True, None]
        executor.stop()
        return epochs

    assert asyncio.run(scenario()) == [1, 2, 3]


def test_run_past_its_deadline_gets_503_with_retry_after():
    settings = Settings(request_timeout_s=0.001, warm_presets=False)
    with TestClient(create_app(settings)) as client:
        config = {"cell": "lstm", "hidden_size": 64, "input": {"values": [[[0.5] * 8] * 400] * 4}}
        response = client.post("/api/run", json=config)
    assert response.status_code == 503
    assert int(response.headers["Retry-After"]) >= 1
    assert "request_timeout_s" in response.json()["detail"]
