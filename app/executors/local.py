"""The in-process executor: one thread owns TensorFlow, loads it, warms it, and runs every job.

Jobs wait in a bounded priority queue for that thread: ordinary runs before training epochs, so
a class training networks never starves the charts of the class exploring them; in order of
arrival otherwise. A full queue answers 503 at once.

Liveness is not readiness: the thread records when its current job started, and ``ready`` turns
false when one has run past the request deadline (with a grace period), so an orchestrator
restarts a process whose engine hangs, while ``/healthz`` (the process is alive) stays instant.

The engine itself (TensorFlow, device choice, warm-up) is ``app.executors.engine.EngineHost``,
which a Ray Serve replica keeps too.
"""

import asyncio
import contextlib
import itertools
import queue
import threading
import time
from collections.abc import AsyncGenerator, Callable
from concurrent.futures import Future
from functools import partial
from typing import Any, TypeVar

from app.errors import Overloaded
from app.executors.base import EngineRun, TrainedEpoch
from app.executors.engine import TRAIN_TURN_S, EngineHost, TrainingSession
from app.settings import Settings
from app.training import PreparedTraining
from app.validation import PreparedRun

T = TypeVar("T")
RUN, TRAIN = 0, 1  # job priorities: runs first
STALL_GRACE_S = 5.0  # beyond the deadline, before a running job counts as a hang


class LocalExecutor:
    """Runs engine jobs one at a time on its own thread, behind a bounded priority queue."""

    name = "local"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.engine = EngineHost(settings, self.name)
        self._jobs: queue.PriorityQueue = queue.PriorityQueue()
        self._order = itertools.count()
        self._lock = threading.Lock()
        self._queued = 0
        self._backlog_s = 0.0  # estimates of the queued and running jobs
        self._busy_since: float | None = None
        self._thread = threading.Thread(target=self._serve, name="engine", daemon=True)
        self._startup: Future[None] = Future()

    # ---- life cycle ---------------------------------------------------------------------------

    def start(self) -> None:
        """Load and warm TensorFlow on the engine thread (returns at once)."""
        self._thread.start()
        self._submit_nowait(RUN, self._load, 0.0, self._startup)

    def stop(self) -> None:
        """End the engine thread after its job in progress (nothing queued runs) and wait for
        it, up to the time after which that job would count as a hang (``stalled``)."""
        self._jobs.put((-1, -1, None, None, 0.0))  # before anything queued
        if self._thread.is_alive():
            self._thread.join(self.settings.request_timeout_s + STALL_GRACE_S)

    def wait_ready(self, timeout_s: float) -> None:
        """Block until warm; re-raise what went wrong during start-up."""
        self._startup.result(timeout=timeout_s)

    @property
    def ready(self) -> bool:
        return self.status()["status"] == "ready"

    def status(self) -> dict[str, Any]:
        if not self._startup.done():
            return {"status": "starting"}
        if self._startup.exception() or not self._thread.is_alive():
            return {"status": "failed", "detail": str(self._startup.exception() or "stopped")}
        busy = self._busy_since
        limit = self.settings.request_timeout_s + STALL_GRACE_S
        if busy is not None and time.monotonic() - busy > limit:
            held = time.monotonic() - busy
            return {"status": "stalled", "detail": f"one job has run for {held:.0f} s"}
        return {"status": "ready", "device": self.engine.device, "executor": self.name}

    # ---- jobs ---------------------------------------------------------------------------------

    def backlog_s(self) -> float:
        return self._backlog_s

    def estimate_s(self, prepared: PreparedRun) -> float:
        return self.engine.cost.estimate_s(prepared)

    async def run(self, prepared: PreparedRun) -> EngineRun:
        estimate = self.estimate_s(prepared)
        return await self.submit(RUN, self._run, estimate, prepared)

    async def train(self, prepared: PreparedTraining) -> AsyncGenerator[TrainedEpoch, None]:
        """Train on the engine thread one turn at a time (``EngineHost.train_turn``, TRAIN
        priority: runs queued meanwhile go first), the next turn queued once this one's epochs
        are taken. Each epoch comes through an asyncio queue as soon as the engine thread has
        done it, followed by its turn's future. Closing the iterator (the client went away)
        stops the turn in progress after its epoch and queues no other."""
        loop = asyncio.get_running_loop()
        done: asyncio.Queue[Any] = asyncio.Queue()

        def emit(item: Any) -> None:
            with contextlib.suppress(RuntimeError):  # the loop has closed: nobody waits
                loop.call_soon_threadsafe(done.put_nowait, item)

        session = TrainingSession(prepared)
        turn: Future[None] | None = None
        try:
            while not session.finished:
                turn = Future()
                turn.add_done_callback(emit)  # after the turn's epochs, in order
                work = partial(self.engine.train_turn, session, emit)
                self._submit_nowait(TRAIN, work, TRAIN_TURN_S, turn, admitted=True)
                while (item := await done.get()) is not turn:
                    yield item
                turn.result()  # what stopped the turn, if anything did
        finally:
            session.stop()
            if turn is not None:
                turn.cancel()

    async def submit(self, priority: int, fn: Callable[..., T], estimate_s: float, *args: Any) -> T:
        """Run ``fn(*args)`` on the engine thread; 503 when the queue is full."""
        future: Future[T] = Future()
        self._submit_nowait(priority, lambda: fn(*args), estimate_s, future)
        return await asyncio.wrap_future(future)

    def _submit_nowait(
        self,
        priority: int,
        fn: Callable[[], Any],
        estimate_s: float,
        future: Future,
        admitted: bool = False,
    ) -> None:
        """Queue ``fn``; a full queue refuses it (503), unless it is a turn of work admitted
        already (a running training's next turn: bounded by ``max_concurrent_trainings``)."""
        with self._lock:
            if not admitted and self._queued >= self.settings.queue_size:
                raise Overloaded(
                    f"the run queue is full ({self.settings.queue_size} jobs, setting queue_size)",
                    retry_after_s=max(1.0, self._backlog_s),
                )
            self._queued += 1
            self._backlog_s += estimate_s
        self._jobs.put((priority, next(self._order), fn, future, estimate_s))

    def _serve(self) -> None:
        while True:
            _, _, fn, future, estimate_s = self._jobs.get()
            if fn is None:
                return
            self._busy_since = time.monotonic()
            running = future.set_running_or_notify_cancel()
            result: Any = None
            error: BaseException | None = None
            if running:
                try:
                    result = fn()
                except BaseException as failure:  # reaches the awaiting request
                    error = failure
            # The slot is free before the answer is: a client that sends its next request as
            # soon as it has one finds room for it.
            self._busy_since = None
            with self._lock:
                self._queued -= 1
                self._backlog_s = max(0.0, self._backlog_s - estimate_s)
            if not running:
                continue
            if error is None:
                future.set_result(result)
            else:
                future.set_exception(error)

    # ---- on the engine thread -----------------------------------------------------------------

    def _load(self) -> None:
        self.engine.load()

    def _run(self, prepared: PreparedRun, device: str | None = None) -> EngineRun:
        return self.engine.run(prepared, device)
