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
   snapshot), then the stream is closed: the request right after ``/readyz`` on its own, then
   the median over the next requests.

It also prints, per cell, the first epoch at which the defaults predict "ihello", and the largest
relative difference of the 51 losses from Keras' ``fit`` of the same model.

Usage: ``.venv/bin/python -m bench.train [--rounds 5] [--requests 20]``.
"""

import argparse
import json
import statistics
import time
from dataclasses import dataclass

import httpx
import numpy as np

from app.engine.train import Head, Trainer, next_characters, seeded_head
from app.executors.base import TrainedEpoch
from app.executors.engine import EngineHost, TrainingSession
from app.schemas import TrainRequest
from app.settings import Settings
from app.training import PreparedTraining, history_entry, prepare_training, snapshot_entry
from bench.common import Server, machine, table

CELLS = {
    "lstm": ("lstm", True),
    "gru": ("gru", True),
    "rnn": ("rnn", True),
    "gru_tf1": ("gru", False),
}


@dataclass(frozen=True)
class Defaults:
    """A request with the defaults for one cell, and what the engine and Keras start from."""

    request: TrainRequest
    prepared: PreparedTraining
    inputs: np.ndarray  # (1, T, C)
    targets: np.ndarray  # (T,)
    head: Head

    @classmethod
    def of(cls, cell: str, reset_after: bool) -> "Defaults":
        request = TrainRequest(cell=cell, reset_after=reset_after)  # hihello, 50 epochs
        inputs, targets = next_characters(request.text)
        head = seeded_head(request.hidden_size, inputs.shape[2], request.seed)
        return cls(request, prepare_training(request, Settings()), inputs, targets, head)

    def trainer(self) -> Trainer:
        run, request = self.prepared.run, self.request
        return Trainer(
            run.spec, self.inputs, self.targets, run.weights, self.head, request.learning_rate
        )

    def keras_model(self):
        """``Sequential([Input, SimpleRNN/LSTM/GRU(H, return_sequences=True), Dense(C)])``
        holding the same weights, compiled with ``Adam(lr)`` and the cross-entropy of logits."""
        import keras

        spec, request = self.prepared.run.spec, self.request
        layer = {"rnn": keras.layers.SimpleRNN, "lstm": keras.layers.LSTM, "gru": keras.layers.GRU}
        options = {"reset_after": spec.reset_after} if spec.cell == "gru" else {}
        model = keras.Sequential(
            [
                keras.Input(self.inputs.shape[1:]),
                layer[spec.cell](request.hidden_size, return_sequences=True, **options),
                keras.layers.Dense(self.inputs.shape[2]),
            ]
        )
        weights = self.prepared.run.weights[0]["forward"].arrays()
        model.set_weights([*weights, self.head.kernel, self.head.bias])
        model.compile(
            keras.optimizers.Adam(request.learning_rate),
            keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        )
        return model

    def fit(self, model) -> list[float]:
        """Keras' losses of 50 epochs: each epoch's before its update, then the last one's."""
        x, y = self.inputs, self.targets[None]
        history = model.fit(x, y, epochs=self.request.epochs, batch_size=1, verbose=0)
        return [*history.history["loss"], model.evaluate(x, y, verbose=0)]


def learnt(defaults: Defaults) -> list[object]:
    """The first epoch predicting "ihello", the loss and prediction at epoch 50, and the largest
    relative difference of the 51 losses from Keras' ``fit`` of the same model."""
    trainer, epochs = defaults.trainer(), defaults.request.epochs
    history = [trainer.step(update=e < epochs) for e in range(epochs + 1)]
    predicted = ["".join("hielo"[k] for k in e.predicted) for e in history]
    first = next((e for e, p in enumerate(predicted) if p == "ihello"), None)
    theirs = defaults.fit(defaults.keras_model())
    worst = max(abs(e.loss - k) / k for e, k in zip(history, theirs, strict=True))
    return [first, history[-1].loss, predicted[-1], worst]


def methods(host: EngineHost, defaults: Defaults) -> dict:
    """The three ways to train 50 epochs of "hihello" (module docstring), ready to call."""
    prepared, epochs = defaults.prepared, defaults.request.epochs
    vocabulary = prepared.request.vocabulary or ""

    def trainer() -> None:
        model = defaults.trainer()
        for epoch in range(epochs + 1):
            model.step(update=epoch < epochs)

    def write(epoch: TrainedEpoch) -> None:
        history_entry(epoch, vocabulary)
        if epoch.snapshot is not None:
            snapshot_entry(epoch)

    def service() -> None:
        session = TrainingSession(prepared)
        while not session.finished:
            host.train_turn(session, write)

    model = defaults.keras_model()
    x, y = defaults.inputs, defaults.targets[None]
    model.fit(x, y, epochs=1, batch_size=1, verbose=0)  # Keras' warm-up: its step traced

    def keras_fit() -> None:  # fit only: its 50 losses are the trainer's epochs 0 to 49
        model.fit(x, y, epochs=epochs, batch_size=1, verbose=0)

    return {"trainer": trainer, "/api/train": service, "keras fit": keras_fit}


def training_times(
    host: EngineHost, defaults: dict[str, Defaults], rounds: int
) -> dict[str, dict[str, list[float]]]:
    fns = {name: methods(host, cell) for name, cell in defaults.items()}
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
    """The first request's time right after ``/readyz`` (the default cell's training is warm by
    then), then ``requests`` more."""
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
    for variant in CELLS.values():
        host.warm_training(*variant)
    defaults = {name: Defaults.of(*variant) for name, variant in CELLS.items()}
    rows = [[name, *learnt(cell)] for name, cell in defaults.items()]
    print("\nhihello with the defaults (H 5, lr 0.1, seed 0):\n")
    headers = ["cell", "first epoch predicting ihello", "loss at 50", "predicted at 50"]
    print(table([*headers, "largest relative loss difference from keras fit"], rows))
    samples = training_times(host, defaults, args.rounds)
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
