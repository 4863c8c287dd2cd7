"""From a training request to what the engine trains, and from its epochs to JSON (SPEC §8).

Preparation checks every rule that depends on the settings or on several fields (as
``app.validation`` does for runs), before anything is allocated in proportion to the request:
the epochs, the text, the vocabulary, and the numbers the whole response would carry (every
snapshot is a run result; ``max_numbers`` bounds them together).

The recurrent stack is prepared as a run by ``app.validation.prepare_run`` itself: the network
reads ``text[:-1]`` one-hot over the vocabulary, with §4's seeded weights. That ``PreparedRun``
is epoch 0's snapshot run; a later snapshot's is the same run with that epoch's weights given
explicitly (``run_at``), so a snapshot's ``run`` is a run result built by ``/api/run``'s code,
and its ``config`` sent to ``POST /api/run`` gives it back.

JSON is written a piece at a time: each epoch's history entry and snapshot once, and both the
stream's events and the JSON response are made of those same bytes. A finished training is kept
as its stream alone; its JSON response is put together again from the stream's bytes
(``stream_response``), never written twice.
"""

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import orjson

from app.engine.weights import LayerArrays, weights_sha256
from app.errors import InputError, Loc
from app.responses import Piece  # a piece of JSON: written now, or a slice of cached bytes
from app.results import build_result, to_json
from app.schemas import InputSpec, RunRequest, TrainRequest, Weights
from app.settings import Settings
from app.validation import (
    PreparedRun,
    check_known,
    check_limit,
    count_numbers,
    network_spec,
    prepare_run,
    vocabulary_of,
    weight_count,
)

if TYPE_CHECKING:
    from app.executors.base import TrainedEpoch


@dataclass(frozen=True)
class PreparedTraining:
    """A training ready for the engine, and the normalised request it came from."""

    request: TrainRequest  # vocabulary filled in
    run: PreparedRun  # the recurrent stack on text[:-1] with the seeded weights (epoch 0)
    numbers: int  # how many numbers the response carries
    snapshot_numbers: int  # how many one snapshot carries at most

    @property
    def key(self) -> str:
        """Digest of the normalised request: equal keys give identical trainings."""
        return hashlib.sha256(b"train:" + orjson.dumps(self.request.model_dump())).hexdigest()

    def is_snapshot(self, epoch: int) -> bool:
        """Every ``snapshot_every`` epochs, and always epoch 0 and the last."""
        return epoch % self.request.snapshot_every == 0 or epoch == self.request.epochs

    def run_at(self, weights: list[LayerArrays]) -> PreparedRun:
        """The recurrent stack's run with ``weights`` given explicitly (a later epoch's)."""
        given = Weights.model_validate(
            {"layers": [{"forward": vars(w["forward"])} for w in weights]}
        )
        size = self.run.inputs.shape[2]
        return replace(
            self.run,
            request=self.run.request.model_copy(update={"weights": given}),
            weights=weights,
            numbers=self.run.numbers + weight_count(self.run.spec, size),
        )


def _vocabulary(request: TrainRequest, settings: Settings) -> str:
    """The vocabulary (default: first appearance), checked against the text and the limits."""
    vocabulary = vocabulary_of([request.text], request.vocabulary or None, ("vocabulary",))
    loc: Loc = ("vocabulary",) if request.vocabulary else ("text",)
    for limit, setting in (
        (settings.max_train_vocabulary, "max_train_vocabulary"),
        (settings.max_input_size, "max_input_size"),
    ):
        check_limit(len(vocabulary), limit, loc, "the vocabulary size", setting)
    check_known([request.text], vocabulary, lambda _: ("text",))
    return vocabulary


def _snapshot_count(epochs: int, every: int) -> int:
    return epochs // every + 1 + (epochs % every != 0)


def prepare_training(request: TrainRequest, settings: Settings) -> PreparedTraining:
    """Check ``request`` against every cross-field rule and limit; prepare the recurrent stack."""
    check_limit(
        request.epochs, settings.max_train_epochs, ("epochs",), "epochs", "max_train_epochs"
    )
    text = request.text
    check_limit(len(text), settings.max_train_text, ("text",), "the text length", "max_train_text")
    check_limit(len(text) - 1, settings.max_steps, ("text",), "the number of steps", "max_steps")
    vocabulary = _vocabulary(request, settings)
    stack = RunRequest(
        cell=request.cell,
        hidden_size=request.hidden_size,
        num_layers=request.num_layers,
        reset_after=request.reset_after,
        forget_bias=request.forget_bias,
        input=InputSpec(text=[text[:-1]], vocabulary=vocabulary),
        seed=request.seed,
    )
    spec = network_spec(stack, settings)  # the hidden_size and num_layers limits
    steps, classes, hidden = len(text) - 1, len(vocabulary), request.hidden_size
    # One snapshot: its run (later epochs echo their weights in run.config), the probabilities
    # and the head; one history entry: epoch, loss, accuracy and a character per step. Counted
    # from the sizes alone, before the seeded weights are drawn.
    run_numbers = count_numbers(spec, 1, steps, classes)
    snapshot = run_numbers + weight_count(spec, classes) + steps * classes + (hidden + 1) * classes
    snapshots = _snapshot_count(request.epochs, request.snapshot_every)
    numbers = snapshots * snapshot + (request.epochs + 1) * (3 + steps)
    if numbers > settings.max_numbers:
        raise InputError(
            (),
            f"the training's response would carry {numbers} numbers ({snapshots} snapshots), "
            f"above the limit of {settings.max_numbers} (setting max_numbers): raise "
            "snapshot_every, or use fewer epochs, a shorter text or fewer hidden units",
        )
    run = prepare_run(stack, settings)  # the seeded weights
    return PreparedTraining(
        request=request.model_copy(update={"vocabulary": vocabulary}),
        run=run,
        numbers=numbers,
        snapshot_numbers=snapshot,
    )


# ---- JSON ---------------------------------------------------------------------------------------


def _float32(value: float) -> float:
    """``value`` in the shortest decimal form that reads back as the same float32 (as arrays)."""
    return float(str(np.float32(value)))


def history_entry(trained: "TrainedEpoch", vocabulary: str) -> bytes:
    epoch = trained.epoch
    return orjson.dumps(
        {
            "epoch": epoch.epoch,
            "loss": _float32(epoch.loss),
            "accuracy": epoch.accuracy,
            "predicted": "".join(vocabulary[k] for k in epoch.predicted),
        }
    )


def snapshot_entry(trained: "TrainedEpoch") -> bytes:
    """A snapshot's JSON: the probabilities, the head and the run result at its epoch."""
    snapshot = trained.snapshot
    assert snapshot is not None
    prepared, run = snapshot.prepared, snapshot.run
    meta = {**run.meta, "weights_sha256": weights_sha256(prepared.weights)}
    return to_json(
        {
            "epoch": trained.epoch.epoch,
            "probabilities": trained.epoch.probabilities,
            "head": {"kernel": snapshot.head.kernel, "bias": snapshot.head.bias},
            "run": build_result(prepared, run.network, meta),
        }
    )


SNAPSHOT_KEY = b',"snapshot":'  # what an epoch event adds to its history entry


def event(name: str, data: bytes) -> bytes:
    """One server-sent event (orjson writes no newline, so ``data`` is one line)."""
    return b"event: " + name.encode() + b"\ndata: " + data + b"\n\n"


def epoch_event(history: bytes, snapshot: bytes | None) -> bytes:
    """``event: epoch``: the history entry, with ``"snapshot"`` when the epoch has one."""
    data = history if snapshot is None else history[:-1] + SNAPSHOT_KEY + snapshot + b"}"
    return event("epoch", data)


def training_meta(last: "TrainedEpoch", compute_ms: float) -> dict[str, Any]:
    """Where the training ran (the last epoch's snapshot run says) and its engine time."""
    assert last.snapshot is not None
    meta = {k: last.snapshot.run.meta[k] for k in ("tensorflow", "device", "executor")}
    return {**meta, "compute_ms": round(compute_ms, 3)}


def _head(request: TrainRequest) -> bytes:
    """What the JSON response and the tail both begin with: ``{"config":…,"vocabulary":…,``."""
    return b"".join(
        [
            b'{"config":',
            orjson.dumps(request.model_dump()),
            b',"vocabulary":',
            orjson.dumps(request.vocabulary),
            b",",
        ]
    )


def tail(prepared: PreparedTraining, meta: dict[str, Any]) -> bytes:
    """The response without its history and snapshots: the data of ``event: done``."""
    return _head(prepared.request) + b'"meta":' + orjson.dumps(meta) + b"}"


def response_pieces(
    prepared: PreparedTraining, done: Piece, history: Sequence[Piece], snapshots: Sequence[Piece]
) -> list[Piece]:
    """The JSON response as pieces, the same pieces as the stream's events, in order: the tail
    (``done``, the data of ``event: done``) with the history and the snapshots put in before
    its ``meta``. Sent as they are (``PacedResponse``), they are never copied into one."""
    head = _head(prepared.request)

    def listed(items: Sequence[Piece]) -> list[Piece]:
        return [piece for k, item in enumerate(items) for piece in ((b",", item) if k else (item,))]

    return [
        head,
        b'"history":[',
        *listed(history),
        b'],"snapshots":[',
        *listed(snapshots),
        b"],",
        done[len(head) :],
    ]


def _event_data(stream: bytes) -> list[tuple[int, int]]:
    """Where each event's data lies in ``stream``, events as ``event`` writes them: each ends
    at the first blank line (its data is one line of JSON, which escapes every newline)."""
    spans, start = [], 0
    while start < len(stream):
        end = stream.index(b"\n\n", start)
        spans.append((stream.index(b"\ndata: ", start, end) + len(b"\ndata: "), end))
        start = end + 2
    return spans


def stream_response(prepared: PreparedTraining, stream: bytes) -> list[Piece]:
    """The JSON response, as pieces (``response_pieces``: views of ``stream``, nothing copied
    but a snapshot epoch's history entry), from the training's whole event stream (the one copy
    the cache keeps of a finished training): its epoch events hold the history entries and the
    snapshots, its ``done`` event the tail. A snapshot epoch's data is split at the first
    ``SNAPSHOT_KEY``: the history entry's own keys come before it, and no JSON string holds a
    bare ``"``."""
    view = memoryview(stream)
    *epochs, (done, end) = _event_data(stream)
    history: list[Piece] = []
    snapshots: list[Piece] = []
    for epoch, (start, stop) in enumerate(epochs):
        if prepared.is_snapshot(epoch):
            split = stream.index(SNAPSHOT_KEY, start, stop)
            history.append(bytes(view[start:split]) + b"}")
            snapshots.append(view[split + len(SNAPSHOT_KEY) : stop - 1])
        else:
            history.append(view[start:stop])
    return response_pieces(prepared, view[done:end], history, snapshots)
