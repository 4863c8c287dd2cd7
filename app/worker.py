"""The one thread that owns TensorFlow: loads it, warms it, and runs every network.

Requests never run TensorFlow on the event loop. They wait in a bounded queue for this thread;
a full queue or a missed deadline answers 503 with ``Retry-After`` instead of hanging.
"""

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

from app.errors import Overloaded
from app.presets import presets
from app.results import build_result, to_json
from app.settings import Settings
from app.validation import PreparedRun, prepare_run

log = logging.getLogger("rnnvis.worker")
T = TypeVar("T")

CPU = "/device:CPU:0"
GPU = "/device:GPU:0"


class Worker:
    """Runs engine calls one at a time on its own thread, behind a bounded queue."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="engine")
        self._lock = threading.Lock()
        self._queued = 0
        self._startup: Future[None] | None = None
        self.device = CPU
        self.tensorflow_version = ""

    @property
    def ready(self) -> bool:
        """TensorFlow is loaded and every preset has run once."""
        return self._startup is not None and self._startup.done() and not self._startup.exception()

    def start(self) -> None:
        """Load and warm TensorFlow on the worker thread (returns at once)."""
        self._startup = self._pool.submit(self._load)

    def stop(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    async def submit(self, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn(*args)`` on the worker thread; 503 when the queue is full or time runs out."""
        with self._lock:
            if self._queued >= self.settings.queue_size:
                raise Overloaded(
                    f"the run queue is full ({self.settings.queue_size} runs, setting queue_size)",
                    retry_after_s=1,
                )
            self._queued += 1
        future = self._pool.submit(fn, *args)
        future.add_done_callback(self._release)
        try:
            return await asyncio.wait_for(
                asyncio.wrap_future(future), self.settings.request_timeout_s
            )
        except TimeoutError:
            future.cancel()
            raise Overloaded(
                f"the run did not finish within {self.settings.request_timeout_s:g} s "
                "(setting request_timeout_s)",
                retry_after_s=5,
            ) from None

    def _release(self, _: Future) -> None:
        with self._lock:
            self._queued -= 1

    def _load(self) -> None:
        started = time.perf_counter()
        import tensorflow as tf

        threads = tf.config.threading
        if self.settings.intra_op_threads:
            threads.set_intra_op_parallelism_threads(self.settings.intra_op_threads)
        if self.settings.inter_op_threads:
            threads.set_inter_op_parallelism_threads(self.settings.inter_op_threads)
        has_gpu = bool(tf.config.list_physical_devices("GPU"))
        if self.settings.device == "gpu" and not has_gpu:
            raise RuntimeError("setting device=gpu, but TensorFlow sees no GPU")
        self.device = GPU if self.settings.device == "gpu" else CPU
        self.tensorflow_version = tf.__version__
        if self.settings.warm_presets:
            for preset in presets().values():
                self.run(prepare_run(preset.config, self.settings))
            gru_tf1 = presets()["gru_batch"].config.model_copy(update={"reset_after": False})
            self.run(prepare_run(gru_tf1, self.settings))
        log.info("engine ready on %s in %.1f s", self.device, time.perf_counter() - started)

    def run(self, prepared: PreparedRun) -> bytes:
        """Run the network and serialise the result (on the worker thread)."""
        from app.engine.unroll import run_network
        from app.engine.weights import weights_sha256

        started = time.perf_counter()
        network = run_network(
            prepared.spec,
            prepared.inputs,
            prepared.lengths,
            prepared.weights,
            prepared.initial_state,
            device=self.device,
        )
        meta = {
            "tensorflow": self.tensorflow_version,
            "device": self.device,
            "compute_ms": round((time.perf_counter() - started) * 1000, 3),
            "weights_sha256": weights_sha256(prepared.weights),
        }
        return to_json(build_result(prepared, network, meta))
