"""From a request's bytes to a result's bytes: admission, single flight, cache, executor.

The web tier's whole path for ``/api/run`` (and the exports, which need the same result):

1. **Deadline from arrival.** Every request gets ``request_timeout_s`` from the moment it arrives.
   It waits for its result at most that long, then answers 503 with ``Retry-After``.
2. **Single flight.** Identical requests (the same POST body, or the same GET query) share one
   flight: one preparation, one run, one serialisation, however many arrive, POST or GET, in any
   encoding (the run is shared between encodings; each encoding is written once). A flight does
   not belong to the request that started it: when that request gives up at its deadline, the
   flight goes on, and its result is cached, so a retry is answered from the cache.
3. **Admission.** Work that cannot finish by the deadline is refused at once (503), from the
   queued seconds and the job's estimated cost, instead of queueing behind work that will not
   finish either: at the preparation threads (rates learnt per kind of work, ``WorkRates``) and
   again at the engine (``app.executors.base.CostModel``). Work is refused only when something
   is queued ahead of it: on an idle engine even a run longer than the deadline starts, so that
   its retry finds it cached.
4. **Off the event loop.** Reading a large body, drawing seeded weights (a QR per layer) and
   writing a large result run on ``prepare_threads`` threads, numpy's BLAS single-threaded there
   (many threads in one multi-threaded QR serialise on OpenBLAS' lock). Small requests, which
   cost microseconds, are prepared inline: a thread hop would cost more.

Aliases map the digest of a request as it arrived (``post:`` body, ``get:`` query string: never
one for the other) to its result's key, so a repeated request skips preparation.
"""

import asyncio
import hashlib
import math
import time
from collections.abc import Awaitable, Callable, Hashable
from concurrent.futures import ThreadPoolExecutor
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

import numpy as np
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError

from app.bodies import read_json
from app.cache import ResultCache
from app.engine.config import NetworkSpec
from app.engine.weights import weights_sha256
from app.errors import InputError, Loc, Overloaded
from app.executors.base import EngineRun, Executor, Rates
from app.presets import presets
from app.results import Encoding, build_result, to_json
from app.schemas import RunRequest, TrainRequest
from app.settings import Settings
from app.validation import PreparedRun, prepare_run

T = TypeVar("T")
Source = Literal["hit", "shared", "miss"]

SMALL_BODY_BYTES = 65_536  # a body this small is read and checked inline (microseconds)
INLINE_HIDDEN_SIZE = 64  # seeded weights this small take well under a millisecond to draw
INLINE_NUMBERS = 100_000  # a result this small is written inline (about a millisecond)


@dataclass(frozen=True)
class Answer:
    """A result's bytes, where they came from (``X-Cache``), and the result's key."""

    body: bytes
    source: Source
    key: str


class Deadline:
    """``seconds`` from ``start`` (a request's arrival, ``time.monotonic()``; default now)."""

    def __init__(self, seconds: float, start: float | None = None) -> None:
        self.seconds = seconds
        self.at = (time.monotonic() if start is None else start) + seconds

    def remaining(self) -> float:
        return self.at - time.monotonic()


class Flights:
    """Single flight: one task per key while it runs; later callers join it."""

    def __init__(self) -> None:
        self._tasks: dict[Hashable, asyncio.Future] = {}

    def join(
        self, key: Hashable, start: Callable[[], Awaitable[T]]
    ) -> tuple["asyncio.Future[T]", bool]:
        """The task computing ``key`` (started now if none is), and whether this call started
        it. The task outlives whoever awaits it."""
        running = self._tasks.get(key)
        if running is not None:
            return running, False
        task: asyncio.Future[T] = asyncio.ensure_future(start())
        self._tasks[key] = task
        task.add_done_callback(lambda done: self._finished(key, done))
        return task, True

    def _finished(self, key: Hashable, task: asyncio.Future) -> None:
        if self._tasks.get(key) is task:
            del self._tasks[key]
        if not task.cancelled():
            task.exception()  # retrieved: nobody may be waiting any more

    def __len__(self) -> int:
        return len(self._tasks)


class WorkRates(Rates):
    """Units of preparation work per second, by kind, learnt from what the pool ran: body bytes
    read, multiply-adds of seeded weights (the QR), numbers written, bytes scanned or joined (a
    finished training's stream, and its JSON found in it), HTML pages rendered (the export,
    over a megabyte whatever the run). Starting rates are this 2-core machine's,
    single-threaded; the first measured jobs take over."""

    def __init__(self) -> None:
        super().__init__(body=5e7, weights=3e9, write=1e7, bytes=1e9, page=20)

    def observe(self, kind: str, units: float, seconds: float) -> None:
        if seconds > 0.005 and units > 0:  # shorter jobs measure the clock, not the rate
            self.learn(kind, units, seconds)


# The deadline of the request a flight serves, for the preparation it queues (set by
# ``RunService.answer`` in the requester's context, which the flight's task copies).
_DEADLINE: ContextVar["Deadline | None"] = ContextVar("deadline", default=None)


class PreparePool:
    """The bounded threads that read, prepare and write large requests (module docstring).

    Admission: a job that would start too late to finish by its request's deadline, behind the
    estimated seconds already queued here, is refused at once (503), as the engine does."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._pool = ThreadPoolExecutor(settings.prepare_threads, thread_name_prefix="prepare")
        self._pending = 0
        self._backlog_s = 0.0
        self.rates = WorkRates()
        self._limit_blas()

    def _limit_blas(self) -> None:
        from threadpoolctl import threadpool_limits

        threadpool_limits(1)

    async def call(
        self, kind: str, units: float, fn: Callable[..., T], *args: Any, admitted: bool = False
    ) -> T:
        """``fn(*args)`` on a preparation thread; ``units`` of ``kind`` say what it costs.
        ``admitted``: part of work admitted already (a running training's snapshots), never
        refused halfway for the queue."""
        if not admitted and self._pending >= self.settings.prepare_queue_size:
            raise Overloaded(
                f"{self._pending} large requests are being prepared "
                "(setting prepare_queue_size): try again shortly",
                retry_after_s=2,
            )
        estimate = self.rates.seconds(kind, units)
        deadline = _DEADLINE.get()
        wait = self._backlog_s / self.settings.prepare_threads
        if (
            deadline is not None
            and not admitted
            and self._pending
            and wait + estimate > deadline.remaining()
        ):
            raise Overloaded(
                f"{wait:.1f} s of preparation is queued and this request needs about "
                f"{estimate:.1f} s more: it could not finish within {deadline.seconds:g} s "
                "(setting request_timeout_s)",
                retry_after_s=wait,
            )
        self._pending += 1
        self._backlog_s += estimate

        def timed() -> T:
            started = time.perf_counter()
            try:
                return fn(*args)
            finally:
                self.rates.observe(kind, units, time.perf_counter() - started)

        try:
            return await asyncio.get_running_loop().run_in_executor(self._pool, timed)
        finally:
            self._pending -= 1
            self._backlog_s = max(0.0, self._backlog_s - estimate)

    def stop(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


def weights_units(
    cell: str, hidden: int, layers: int, directions: int = 1, given: bool = False
) -> float:
    """Multiply-adds of drawing a network's seeded weights, about: a QR of a (G*H, H) matrix per
    layer and direction (zero when the request gives its weights)."""
    if given:
        return 0.0
    blocks = NetworkSpec(cell, hidden).num_blocks
    return 2.0 * layers * directions * blocks * hidden**3


async def prepare_seeded(
    pool: "PreparePool",
    settings: Settings,
    request: RunRequest | TrainRequest,
    units: float,
    prepare: Callable[..., T],
) -> T:
    """``prepare(request, settings)``, which draws ``request``'s seeded weights (``units`` of
    work): inline when they are small (well under a millisecond) or refused at once for their
    size (a 422, never a 503 for the pool's backlog), else on a preparation thread."""
    too_large = (
        request.hidden_size > settings.max_hidden_size or request.num_layers > settings.max_layers
    )
    if request.hidden_size <= INLINE_HIDDEN_SIZE or too_large or not units:
        return prepare(request, settings)
    return await pool.call("weights", units, prepare, request, settings)


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def parse_request(value: Any, root: Loc) -> RunRequest:
    """A run request from parsed JSON (``app.bodies.read_json``); pydantic's errors are all
    reported, each ``loc`` under ``root`` (``body``, or ``query, config``)."""
    try:
        return RunRequest.model_validate(value)
    except ValidationError as error:
        errors = [{**e, "loc": (*root, *e["loc"])} for e in error.errors()]
        raise RequestValidationError(errors) from None


def _check_finite(run: EngineRun) -> None:
    """A finite input can still overflow float32 inside the network (weights of 1e38): refuse
    it, naming where, rather than serve ``null`` for the numbers JSON cannot carry."""
    for index, layer in enumerate(run.network.layers):
        for direction, result in layer.items():
            arrays = {"h": result.outputs, **result.states, **result.gates}
            if result.connectivity is not None:
                arrays["connectivity"] = result.connectivity
            for name, array in arrays.items():
                if not np.isfinite(array).all():
                    b, t, _ = np.argwhere(~np.isfinite(array))[0]
                    raise InputError(
                        (),
                        f"the run overflowed float32: layer {index + 1} {direction} {name} is not "
                        f"finite at example {b}, t = {t}; use smaller inputs, weights or "
                        "initial state",
                    )


class RunService:
    """Runs, cached and shared; what the routes of ``/api/run`` and ``/api/export`` call."""

    def __init__(self, settings: Settings, executor: Executor) -> None:
        self.settings = settings
        self.executor = executor
        self.cache = ResultCache(settings.cache_entries, settings.cache_max_bytes)
        self.flights = Flights()
        self.pool = PreparePool(settings)
        self._presets: dict[str, PreparedRun] = {}

    def stop(self) -> None:
        self.pool.stop()

    async def warm(self) -> None:
        """Once the engine is ready, cache every preset's result (a class opening one is answered
        from memory from the first request on); nothing unless ``warm_presets``."""
        if not self.settings.warm_presets:
            return
        while not self.executor.ready:
            await asyncio.sleep(0.1)
        for name in presets():
            prepared = await self.prepare_preset(name)
            await self.result(prepared, "json", Deadline(self.settings.request_timeout_s))

    # ---- preparation --------------------------------------------------------------------------

    async def prepare_preset(self, name: str) -> PreparedRun:
        """The preset ``name``, validated against the settings once per process."""
        if name not in self._presets:
            self._presets[name] = prepare_run(presets()[name].config, self.settings)
        return self._presets[name]

    async def prepare_body(self, body: bytes) -> PreparedRun:
        """The run a POST body asks for: read and checked inline when small, else off the loop."""
        if len(body) > SMALL_BODY_BYTES:
            return await self.pool.call("body", len(body), self._prepare_body, body)
        return await self._prepare(parse_request(read_json(body), ("body",)))

    def _prepare_body(self, body: bytes) -> PreparedRun:
        return prepare_run(parse_request(read_json(body), ("body",)), self.settings)

    async def prepare_config(self, config: str) -> PreparedRun:
        """The run ``?config=`` asks for, checked exactly as a POST body is, and prepared once
        for all who ask for it meanwhile: a class downloading one export at once (the exports
        prepare outside ``answer``'s flight) draws its seeded weights once, not once a reader."""
        digest = _digest(config.encode("utf-8", "surrogatepass"))
        task, _ = self.flights.join(("config", digest), lambda: self._prepare_config(config))
        return await asyncio.shield(task)

    async def _prepare_config(self, config: str) -> PreparedRun:
        try:
            value = read_json(config.encode("utf-8", "surrogatepass"))
            return await self._prepare(parse_request(value, ("query", "config")))
        except InputError as error:
            if error.root == "query":
                raise
            raise InputError(("config", *error.loc), error.msg, error.kind, "query") from None

    async def _prepare(self, request: RunRequest) -> PreparedRun:
        units = weights_units(
            request.cell,
            request.hidden_size,
            request.num_layers,
            2 if request.bidirectional else 1,
            request.weights is not None,
        )
        return await prepare_seeded(self.pool, self.settings, request, units, prepare_run)

    # ---- the flights --------------------------------------------------------------------------

    async def answer(
        self,
        kind: Literal["post", "get"],
        raw: bytes,
        prepare: Callable[[], Awaitable[PreparedRun]],
        encoding: Encoding,
        deadline: Deadline,
    ) -> Answer:
        """The result for a request (``raw``: its body or query string) in ``encoding``."""
        name = f"{kind}:{_digest(raw)}"
        known = self.cache.resolve(name)
        if known is not None:
            cached = self.cache.get_bytes(known, encoding)
            if cached is not None:
                return Answer(cached, "hit", known)

        async def flight() -> tuple[bytes, str]:
            prepared = await prepare()
            self.cache.alias(name, prepared.key)
            return await self.result(prepared, encoding, deadline), prepared.key

        _DEADLINE.set(deadline)  # this request's context: the flight's task copies it
        task, started = self.flights.join(("request", name, encoding), flight)
        body, key = await self._wait(task, deadline)
        return Answer(body, "miss" if started else "shared", key)

    def known_key(self, kind: Literal["post", "get"], raw: bytes) -> str | None:
        """The key of a request seen before (its ETag can be checked before any work)."""
        return self.cache.resolve(f"{kind}:{_digest(raw)}")

    async def result(self, prepared: PreparedRun, encoding: Encoding, deadline: Deadline) -> bytes:
        """The bytes of ``prepared``'s result in ``encoding``: cached, or run (once) and written
        (once per encoding)."""
        key = prepared.key
        cached = self.cache.get_bytes(key, encoding)
        if cached is not None:
            return cached

        async def write() -> bytes:
            result = await self._arrays(prepared, deadline)
            body = await self.write(prepared.numbers, to_json, result, encoding)
            self.cache.put_bytes(key, encoding, body)
            return body

        task, _ = self.flights.join(("write", key, encoding), write)
        return await asyncio.shield(task)

    async def write(self, numbers: int, fn: Callable[..., T], *args: Any) -> T:
        """``fn(*args)``, which writes out a result of ``numbers`` numbers (as JSON, or as an
        export): inline when small (about a millisecond), else on the prepare threads."""
        if numbers <= INLINE_NUMBERS:
            return fn(*args)
        return await self.pool.call("write", numbers, fn, *args)

    async def encoded(self, prepared: PreparedRun, encoding: Encoding, deadline: Deadline) -> bytes:
        """``prepared``'s result in ``encoding`` (cached and shared like ``answer``'s), waited for
        until ``deadline``."""
        _DEADLINE.set(deadline)  # this request's context: the tasks below copy it
        return await self._wait(
            asyncio.ensure_future(self.result(prepared, encoding, deadline)), deadline
        )

    async def arrays(self, prepared: PreparedRun, deadline: Deadline) -> dict[str, Any]:
        """``prepared``'s result as arrays (what the exports read): cached, or run once and
        shared with every request for it, waited for until ``deadline``."""
        _DEADLINE.set(deadline)  # this request's context: the tasks below copy it
        return await self._wait(asyncio.ensure_future(self._arrays(prepared, deadline)), deadline)

    async def _arrays(self, prepared: PreparedRun, deadline: Deadline) -> dict[str, Any]:
        result = self.cache.get_result(prepared.key)
        if result is not None:
            return result
        run, _ = self.flights.join(("run", prepared.key), lambda: self._run(prepared, deadline))
        return await asyncio.shield(run)

    async def _run(self, prepared: PreparedRun, deadline: Deadline) -> dict[str, Any]:
        estimate = self.executor.estimate_s(prepared)
        backlog = self.executor.backlog_s()
        if backlog > 0 and backlog + estimate > deadline.remaining():
            raise Overloaded(
                f"the engine has {backlog:.1f} s of work queued and this run needs about "
                f"{estimate:.1f} s: it could not finish within {deadline.seconds:g} s "
                "(setting request_timeout_s)",
                retry_after_s=backlog,
            )
        run = await self.executor.run(prepared)
        _check_finite(run)
        meta = {**run.meta, "weights_sha256": weights_sha256(prepared.weights)}
        result = build_result(prepared, run.network, meta)
        self.cache.put_result(prepared.key, result)
        return result

    async def _wait(self, task: "asyncio.Future[T]", deadline: Deadline) -> T:
        remaining = deadline.remaining()
        try:
            if remaining <= 0:
                raise TimeoutError
            return await asyncio.wait_for(asyncio.shield(task), remaining)
        except TimeoutError:
            backlog = self.executor.backlog_s()
            raise Overloaded(
                f"the run did not finish within {deadline.seconds:g} s (setting "
                "request_timeout_s); it goes on, and its result is cached for a retry",
                retry_after_s=max(1.0, math.ceil(backlog)),
            ) from None
