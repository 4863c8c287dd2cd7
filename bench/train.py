"""Training (issue 10): 50 epochs of "hihello" per cell against Keras' own ``fit``, and the time
from a request to its first streamed event.

1. In this process, TensorFlow set up and warmed as the app does it (``EngineHost.load``: one
   intra-op and one inter-op thread, every compiled layer and training variant warmed), then in
   turns (every method once per round, medians over the rounds), for each cell with the request
   defaults (H = 5, one layer, learning rate 0.1, seed 0):

   - ``trainer``: ``app.engine.train.Trainer``, 50 updates and the numbers of the 51 epochs (loss,
     accuracy, probabilities): the same work as ``fit``;
   - ``/api/train``: what ``POST /api/train`` with those defaults costs the server but HTTP: the
     engine's turns (``EngineHost.train_turn``), a snapshot at every epoch (``snapshot_every``
     1: a run result's arrays each), and writing each epoch's JSON;
   - ``keras fit``: ``Sequential([Input, SimpleRNN/LSTM/GRU(5, return_sequences=True),
     Dense(5)])`` compiled with ``Adam(0.1)`` and ``SparseCategoricalCrossentropy(from_logits=
     True)`` (Keras' defaults otherwise), ``fit(x, y, epochs=50, batch_size=1, verbose=0)``, after
     a first ``fit`` (its warm-up, tracing included).

2. A server (``uvicorn app.main:app``, default settings) in a child process, once ready: the time
   from opening ``GET /api/train?config=…`` (``Accept: text/event-stream``, a new seed each time,
   so nothing is cached) to having read its first complete ``event: epoch`` (epoch 0 and its
   snapshot), then the stream is closed: the request right after ``/readyz`` on its own (the
   training warm-up may still be running), then the median over the next requests.

It also prints, per cell, the first epoch at which the defaults predict "ihello".

Usage: ``.venv/bin/python -m bench.train [--rounds 5] [--requests 20]``.
"""

import argparse
import json
import statistics
import time

import httpx

from app.executors.engine import EngineHost, TrainingSession
from app.schemas import TrainRequest
from app.settings import Settings
from app.training import history_entry, prepare_training, snapshot_entry
from bench.common import Server, machine, table

CELLS = {
    "rnn": ("rnn", True),
    "lstm": ("lstm", True),
    "gru": ("gru", True),
    "gru_tf1": ("gru", False),
}


def methods(host: EngineHost, cell: str, reset_after: bool) -> dict:
    """The three ways to train 50 epochs of "hihello" (module docstring), ready to call."""
    import keras

    from app.engine.train import Trainer, next_characters, seeded_head

    settings = host.settings
    request = TrainRequest(cell=cell, reset_after=reset_after)  # the defaults: hihello, 50 epochs
    prepared = prepare_training(request, settings)
    inputs, targets = next_characters(request.text)
    spec, weights = prepared.run.spec, prepared.run.weights
    head = seeded_head(request.hidden_size, inputs.shape[2], request.seed)

    def trainer() -> None:
        model = Trainer(spec, inputs, targets, weights, head, request.learning_rate)
        for epoch in range(request.epochs + 1):
            model.step(update=epoch < request.epochs)

    def service() -> None:
        session = TrainingSession(prepared)
        vocabulary = prepared.request.vocabulary or ""

        def write(epoch) -> None:
            history_entry(epoch, vocabulary)
            if epoch.snapshot is not None:
                snapshot_entry(epoch)

        while not session.finished:
            host.train_turn(session, write)

    layer = {"rnn": keras.layers.SimpleRNN, "lstm": keras.layers.LSTM, "gru": keras.layers.GRU}
    options = {"reset_after": reset_after} if cell == "gru" else {}
    model = keras.Sequential(
        [
            keras.Input(inputs.shape[1:]),
            layer[cell](request.hidden_size, return_sequences=True, **options),
            keras.layers.Dense(inputs.shape[2]),
        ]
    )
    model.set_weights([*weights[0]["forward"].arrays(), head.kernel, head.bias])
    model.compile(
        keras.optimizers.Adam(request.learning_rate),
        keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    model.fit(inputs, targets[None], epochs=1, batch_size=1, verbose=0)  # warm-up

    def keras_fit() -> None:
        model.fit(inputs, targets[None], epochs=request.epochs, batch_size=1, verbose=0)

    return {"trainer": trainer, "/api/train": service, "keras fit": keras_fit}


def learnt(cell: str, reset_after: bool) -> tuple[int | None, float, str]:
    """The first epoch predicting "ihello", the loss and the prediction at epoch 50 (defaults)."""
    from app.engine.train import Trainer, next_characters, seeded_head

    request = TrainRequest(cell=cell, reset_after=reset_after)
    inputs, targets = next_characters(request.text)
    prepared = prepare_training(request, Settings())
    head = seeded_head(request.hidden_size, inputs.shape[2], request.seed)
    trainer = Trainer(
        prepared.run.spec, inputs, targets, prepared.run.weights, head, request.learning_rate
    )
    epochs = [trainer.step(update=e < request.epochs) for e in range(request.epochs + 1)]
    predicted = ["".join("hielo"[k] for k in e.predicted) for e in epochs]
    first = next((e for e, p in enumerate(predicted) if p == "ihello"), None)
    return first, epochs[-1].loss, predicted[-1]


def training_times(host: EngineHost, rounds: int) -> dict[str, dict[str, list[float]]]:
    fns = {name: methods(host, *variant) for name, variant in CELLS.items()}
    samples: dict[str, dict[str, list[float]]] = {
        name: {method: [] for method in per} for name, per in fns.items()
    }
    for _ in range(rounds):
        for name, per in fns.items():
            for method, fn in per.items():
                started = time.perf_counter()
                fn()
                samples[name][method].append(time.perf_counter() - started)
    return samples


def first_event(http: httpx.Client, seed: int) -> float:
    """Seconds from opening a stream (a new seed: nothing cached) to its first complete epoch
    event; the stream is closed then, which stops the training."""
    started = time.perf_counter()
    with http.stream(
        "GET",
        "/api/train",
        params={"config": json.dumps({"seed": seed})},
        headers={"Accept": "text/event-stream"},
    ) as stream:
        assert stream.status_code == 200
        lines = stream.iter_lines()
        assert next(lines) == "event: epoch"
        assert next(lines).startswith('data: {"epoch":0,')
        return time.perf_counter() - started


def first_event_times(requests: int) -> tuple[float, list[float]]:
    """The first request's time right after ``/readyz`` (it may wait for the training warm-up,
    which runs behind readiness), then ``requests`` more."""
    with Server() as server, httpx.Client(base_url=server.url, timeout=60) as http:
        first = first_event(http, 0)
        return first, [first_event(http, seed) for seed in range(1, requests + 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--requests", type=int, default=20)
    args = parser.parse_args()
    print(machine())
    host = EngineHost(Settings(), "local")
    host.load()
    host.warm_training()
    rows = [[name, *learnt(*variant)] for name, variant in CELLS.items()]
    print("\nhihello with the defaults (H 5, lr 0.1, seed 0):\n")
    print(table(["cell", "first epoch predicting ihello", "loss at 50", "predicted at 50"], rows))
    samples = training_times(host, args.rounds)
    rows = []
    for name, per in samples.items():
        ms = {method: statistics.median(times) * 1000 for method, times in per.items()}
        rows.append(
            [
                name,
                ms["trainer"],
                ms["/api/train"],
                ms["keras fit"],
                ms["trainer"] / ms["keras fit"],
                ms["/api/train"] / ms["keras fit"],
            ]
        )
    print(f"\n50 epochs of hihello, median of {args.rounds} rounds (ms):\n")
    print(
        table(
            ["cell", "trainer", "/api/train", "keras fit", "trainer / fit", "/api/train / fit"],
            rows,
        )
    )
    at_ready, times = first_event_times(args.requests)
    print(
        f"\nfirst streamed event over HTTP: {at_ready * 1000:.1f} ms for the request right after "
        f"/readyz; then {len(times)} requests: median {statistics.median(times) * 1000:.1f} ms, "
        f"max {max(times) * 1000:.1f} ms"
    )


if __name__ == "__main__":
    main()
