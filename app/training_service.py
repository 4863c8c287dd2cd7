"""Trainings answered through one service: admission, single flight, deadline, cache, cancel.

What the routes of ``/api/train`` call (``app.service`` is its counterpart for runs):

1. **Admission.** At most ``max_concurrent_trainings`` trainings run at once (their turns share
   the engine thread, behind every run: ``app.executors.local``) and ``train_queue_size`` wait
   for a slot; a request beyond that gets 503 at once, its ``Retry-After`` the time the soonest
   running training should still take.
2. **Single flight.** Identical requests (the same normalised configuration, POST or stream)
   follow one training: a request that arrives while it runs gets the epochs done so far at
   once, then the rest as they come.
3. **Deadline.** A training has ``train_timeout_s`` from its first request's arrival, waiting
   included; still running then, it stops and its followers get 503.
4. **Cancel.** A training stops as soon as nobody follows it any more (every client went away),
   or when the app shuts down (``stop``, from the lifespan, as the run service stops): no
   further turn is queued, and the turn in progress ends after its epoch.
5. **Cache.** Trainings are deterministic: a finished one is kept in the run cache
   (``app.cache``) once, as its event stream, which a repeated stream replays and from whose
   bytes a repeated POST's JSON is put together (``app.training.stream_response``), so a
   repeated request costs no engine time and a training no more than its size of the cache.

Each epoch is written to JSON once, by the flight, off the event loop when its snapshot is large
(``app.training``: the stream's events and the JSON response are made of the same bytes).
"""

import asyncio
import logging
import math
import time
from collections.abc import AsyncGenerator
from contextlib import aclosing

import orjson
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError

from app.bodies import read_json
from app.cache import ResultCache
from app.errors import InputError, Loc, Overloaded, error_body
from app.executors.base import Executor, TrainedEpoch
from app.schemas import TrainRequest
from app.service import (
    INLINE_NUMBERS,
    SMALL_BODY_BYTES,
    Deadline,
    Flights,
    PreparePool,
    prepare_seeded,
    weights_units,
)
from app.settings import Settings
from app.training import (
    Piece,
    PreparedTraining,
    epoch_event,
    event,
    history_entry,
    prepare_training,
    response_pieces,
    snapshot_entry,
    stream_response,
    tail,
    training_meta,
)

log = logging.getLogger("rnnvis.training")
STREAM = "sse"  # the cache's name for a training's whole event stream (its only encoding)


class TrainingFlight:
    """One training while it runs: its events so far, shared by every request following it."""

    def __init__(self, prepared: PreparedTraining) -> None:
        self.prepared = prepared
        self.frames: list[bytes] = []  # ``event: epoch`` frames, in order
        self.last: bytes | None = None  # ``event: done``, once finished
        self.body: list[Piece] | None = None  # the JSON response's pieces, once finished
        self.error: BaseException | None = None
        self.followers = 0
        self.task: asyncio.Task | None = None
        self.started: float | None = None  # when it got its slot
        self._changed = asyncio.Event()

    @property
    def finished(self) -> bool:
        return self.last is not None or self.error is not None

    def changed(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    async def wait(self) -> None:
        await self._changed.wait()

    def remaining_s(self) -> float:
        """Seconds it should still take, from its pace so far (unknown before an epoch: 1)."""
        done = len(self.frames)
        if self.started is None or done == 0:
            return 1.0
        epochs = self.prepared.request.epochs + 1
        return (time.monotonic() - self.started) / done * (epochs - done)


class TrainingService:
    """Trainings, shared, bounded and cached; what the routes of ``/api/train`` call."""

    def __init__(
        self, settings: Settings, executor: Executor, cache: ResultCache, pool: PreparePool
    ) -> None:
        self.settings, self.executor, self.cache, self.pool = settings, executor, cache, pool
        self._flights: dict[str, TrainingFlight] = {}
        self._scans = Flights()  # cached streams being scanned for their JSON's pieces
        self._slots = asyncio.Semaphore(settings.max_concurrent_trainings)

    def __len__(self) -> int:
        """Trainings running or waiting for a slot."""
        return len(self._flights)

    async def stop(self) -> None:
        """Stop every training running or waiting (the app shuts down): each is cancelled, its
        requests get 503, its turn in progress ends after its epoch and no other is queued."""
        tasks = [flight.task for flight in self._flights.values() if flight.task is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    # ---- preparation --------------------------------------------------------------------------

    async def prepare_body(self, body: bytes) -> PreparedTraining:
        """The training a POST body asks for, read and checked (off the loop when large)."""
        if len(body) > SMALL_BODY_BYTES:
            request = await self.pool.call("body", len(body), self._parse, body, ("body",))
        else:
            request = self._parse(body, ("body",))
        return await self._prepare(request)

    async def prepare_config(self, config: str) -> PreparedTraining:
        """The training ``?config=`` asks for, checked exactly as a POST body is."""
        try:
            return await self._prepare(
                self._parse(config.encode("utf-8", "surrogatepass"), ("query", "config"))
            )
        except InputError as error:
            if error.root == "query":
                raise
            raise InputError(("config", *error.loc), error.msg, error.kind, "query") from None

    @staticmethod
    def _parse(data: bytes, root: Loc) -> TrainRequest:
        try:
            return TrainRequest.model_validate(read_json(data))
        except ValidationError as error:
            errors = [{**e, "loc": (*root, *e["loc"])} for e in error.errors()]
            raise RequestValidationError(errors) from None

    async def _prepare(self, request: TrainRequest) -> PreparedTraining:
        """Checked; its seeded weights drawn as a run's (on a preparation thread when large)."""
        units = weights_units(request.cell, request.hidden_size, request.num_layers)
        return await prepare_seeded(self.pool, self.settings, request, units, prepare_training)

    # ---- answers ------------------------------------------------------------------------------

    def stream(self, prepared: PreparedTraining, deadline: Deadline) -> AsyncGenerator[bytes, None]:
        """The training's server-sent events: ``epoch`` per epoch, then ``done``, or ``error``
        for what stopped it. 503 now (before any event) when every slot is taken."""
        cached = self.cache.get_bytes(prepared.key, STREAM)
        if cached is not None:
            return _once(cached)
        flight, _ = self._join(prepared, deadline)
        return self._stream(flight)

    async def _stream(self, flight: TrainingFlight) -> AsyncGenerator[bytes, None]:
        try:
            async with aclosing(self._frames(flight)) as frames:
                async for frame in frames:
                    yield frame
        except Exception as error:
            yield error_event(error)

    async def answer(
        self, prepared: PreparedTraining, deadline: Deadline
    ) -> tuple[bytes | list[Piece], str]:
        """The training's JSON response, and where it came from (``X-Cache``): the cache
        (``hit``: the response's pieces, views of the cached stream found on a preparation
        thread, for ``PacedResponse`` to send without joining them; joined on the event loop,
        a 28 MB training took 46 ms there), a training in progress (``shared``) or one started
        now (``miss``)."""
        cached = self.cache.get_bytes(prepared.key, STREAM)
        if cached is not None and len(cached) <= SMALL_BODY_BYTES:
            return stream_response(prepared, cached), "hit"
        if cached is not None:  # finding its pieces scans it (25 ms for 28 MB): off the loop, once
            # for all who ask meanwhile, and never refused for the queue (it is a cache hit)
            task, _ = self._scans.join(prepared.key, lambda: self._scan(prepared, cached))
            return await asyncio.shield(task), "hit"
        flight, started = self._join(prepared, deadline)
        async with aclosing(self._frames(flight)) as frames:
            async for _ in frames:
                pass
        assert flight.body is not None
        return flight.body, "miss" if started else "shared"

    async def _scan(self, prepared: PreparedTraining, stream: bytes) -> list[Piece]:
        return await self.pool.call(
            "bytes", len(stream), stream_response, prepared, stream, admitted=True
        )

    async def _frames(self, flight: TrainingFlight) -> AsyncGenerator[bytes, None]:
        """``flight``'s frames, those so far at once, then each as it comes, ``done`` last."""
        flight.followers += 1
        try:
            sent = 0
            while True:
                while sent < len(flight.frames):
                    yield flight.frames[sent]
                    sent += 1
                if flight.error is not None:
                    raise flight.error
                if flight.last is not None:
                    yield flight.last
                    return
                await flight.wait()
        finally:
            flight.followers -= 1
            if flight.followers == 0 and not flight.finished and flight.task is not None:
                self._forget(flight)  # a request arriving now starts afresh
                flight.task.cancel()  # nobody follows it any more

    def _join(self, prepared: PreparedTraining, deadline: Deadline) -> tuple[TrainingFlight, bool]:
        """The flight training ``prepared`` and whether it starts now: the one running, or a
        new one if a slot or a place in the queue is free (else 503)."""
        flight = self._flights.get(prepared.key)
        if flight is not None:
            return flight, False
        limit = self.settings.max_concurrent_trainings + self.settings.train_queue_size
        if len(self._flights) >= limit:
            raise Overloaded(
                f"{len(self._flights)} trainings are running or waiting (settings "
                "max_concurrent_trainings and train_queue_size): try again shortly",
                retry_after_s=self._soonest_s(),
            )
        flight = TrainingFlight(prepared)
        self._flights[prepared.key] = flight
        flight.task = asyncio.ensure_future(self._train(flight, deadline))
        return flight, True

    def _soonest_s(self) -> float:
        """Seconds until the soonest training should end (``Retry-After``), at least 1."""
        soonest = min((f.remaining_s() for f in self._flights.values()), default=1.0)
        return max(1.0, math.ceil(soonest))

    async def _train(self, flight: TrainingFlight, deadline: Deadline) -> None:
        try:
            async with asyncio.timeout(deadline.remaining()), self._slots:
                flight.started = time.monotonic()
                await self._epochs(flight)
        except TimeoutError:
            flight.error = Overloaded(
                f"the training did not finish within {deadline.seconds:g} s (setting "
                "train_timeout_s): try again later, or train for fewer epochs",
                retry_after_s=self._soonest_s(),
            )
        except asyncio.CancelledError:
            flight.error = Overloaded("the training was stopped", retry_after_s=1)
            raise
        except Exception as error:  # reaches every follower
            flight.error = error
        finally:
            self._forget(flight)
            flight.changed()

    def _forget(self, flight: TrainingFlight) -> None:
        if self._flights.get(flight.prepared.key) is flight:
            del self._flights[flight.prepared.key]

    async def _epochs(self, flight: TrainingFlight) -> None:
        """Train, writing each epoch to JSON as it comes; cache the finished training."""
        prepared = flight.prepared
        vocabulary = prepared.request.vocabulary or ""
        history: list[bytes] = []
        snapshots: list[bytes] = []
        compute_ms = 0.0
        last: TrainedEpoch | None = None
        large = prepared.snapshot_numbers > INLINE_NUMBERS
        async with aclosing(self.executor.train(prepared)) as trained:
            async for epoch in trained:
                compute_ms += epoch.compute_ms
                history.append(history_entry(epoch, vocabulary))
                snapshot = None
                if epoch.snapshot is not None:
                    if large:
                        snapshot = await self.pool.call(
                            "write", prepared.snapshot_numbers, snapshot_entry, epoch, admitted=True
                        )
                    else:
                        snapshot = snapshot_entry(epoch)
                    snapshots.append(snapshot)
                    last = epoch
                flight.frames.append(epoch_event(history[-1], snapshot))
                flight.changed()
        assert last is not None  # the last epoch always has a snapshot
        done = tail(prepared, training_meta(last, compute_ms))
        flight.body = response_pieces(prepared, done, history, snapshots)  # sent unjoined
        flight.last = event("done", done)
        frames = [*flight.frames, flight.last]
        size = sum(map(len, frames))
        if size > SMALL_BODY_BYTES:  # the one copy the cache keeps: joined off the loop
            stream = await self.pool.call("bytes", size, b"".join, frames, admitted=True)
        else:
            stream = b"".join(frames)
        self.cache.put_bytes(prepared.key, STREAM, stream)


async def _once(data: bytes) -> AsyncGenerator[bytes, None]:
    yield data


def error_event(error: Exception) -> bytes:
    """``event: error``: the status and detail a JSON request would have got."""
    if isinstance(error, Overloaded):
        data = {"status": 503, "detail": error.msg, "retry_after": error.retry_after_s}
    elif isinstance(error, InputError):
        data = {"status": error.status, **error_body(error.loc, error.msg, error.kind, error.root)}
    else:
        log.exception("training failed", exc_info=error)
        data = {"status": 500, "detail": "the training failed on the server"}
    return event("error", orjson.dumps(data))
