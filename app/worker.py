"""The one thread that owns TensorFlow: loads it, warms it, and runs every network.

Requests never run TensorFlow on the event loop. They wait in a bounded queue for this thread;
a full queue or a missed deadline answers 503 with ``Retry-After`` instead of hanging. In front
of the queue sits the result cache (``app.cache``): a configuration already run is not run again.

Device: ``cpu`` and ``gpu`` settings place every run. ``auto`` uses a GPU, when TensorFlow sees
one, only for runs whose recurrent step is large (``gpu_min_step_macs``): a step loop of tiny
kernels runs faster on the CPU than it launches on a GPU.
"""

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

from app.cache import ResultCache
from app.errors import Overloaded
from app.presets import presets
from app.results import Encoding, build_result, to_json
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
        self.device = CPU  # where runs go; with device=auto, only the large ones go to the GPU
        self.has_gpu = False
        self.tensorflow_version = ""
        self.cache = ResultCache(settings.cache_entries, settings.cache_max_bytes)
        self._presets: dict[str, PreparedRun] = {}

    @property
    def ready(self) -> bool:
        """TensorFlow is loaded and every preset has run once."""
        return self._startup is not None and self._startup.done() and not self._startup.exception()

    def wait_ready(self, timeout_s: float) -> None:
        """Block until warm; re-raise what went wrong during start-up."""
        assert self._startup is not None, "start() first"
        self._startup.result(timeout=timeout_s)

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

    def preset(self, name: str) -> PreparedRun:
        """The preset ``name``, validated against the settings once per process."""
        if name not in self._presets:
            self._presets[name] = prepare_run(presets()[name].config, self.settings)
        return self._presets[name]

    def device_for(self, prepared: PreparedRun) -> str:
        """Where ``prepared`` runs: the GPU for large steps under ``auto`` (module docstring)."""
        if self.device == CPU or self.settings.device == "gpu":
            return self.device
        return GPU if step_macs(prepared) >= self.settings.gpu_min_step_macs else CPU

    def _release(self, _: Future) -> None:
        with self._lock:
            self._queued -= 1

    def _load(self) -> None:
        started = time.perf_counter()
        import tensorflow as tf

        _set_threads(tf, self.settings.intra_op_threads, self.settings.inter_op_threads)
        self.has_gpu = bool(tf.config.list_physical_devices("GPU"))
        if self.settings.device == "gpu" and not self.has_gpu:
            raise RuntimeError("setting device=gpu, but TensorFlow sees no GPU")
        self.device = GPU if self.has_gpu and self.settings.device != "cpu" else CPU
        self.tensorflow_version = tf.__version__
        if self.settings.warm_presets:
            self._warm()
        log.info("engine ready on %s in %.1f s", self.device, time.perf_counter() - started)

    def _warm(self) -> None:
        """Trace every compiled layer and run every preset, on each device runs may use."""
        from app.engine.unroll import warm_up

        runs = [prepare_run(p.config, self.settings) for p in presets().values()]
        devices = {self.device, CPU} if self.settings.device == "auto" else {self.device}
        for device in sorted(devices):
            warm_up(device)
            for prepared in runs:
                self.run(prepared, device=device)

    def run(
        self, prepared: PreparedRun, encoding: Encoding = "json", device: str | None = None
    ) -> bytes:
        """Run the network and serialise the result (on the worker thread)."""
        from app.engine.unroll import run_network
        from app.engine.weights import weights_sha256

        device = device or self.device_for(prepared)
        started = time.perf_counter()
        network = run_network(
            prepared.spec,
            prepared.inputs,
            prepared.lengths,
            prepared.weights,
            prepared.initial_state,
            device=device,
        )
        meta = {
            "tensorflow": self.tensorflow_version,
            "device": device,
            "compute_ms": round((time.perf_counter() - started) * 1000, 3),
            "weights_sha256": weights_sha256(prepared.weights),
        }
        return to_json(build_result(prepared, network, meta), encoding)

    async def result(self, prepared: PreparedRun, encoding: Encoding = "json") -> tuple[bytes, str]:
        """The serialised result, from the cache or a run; and ``"hit"``, ``"shared"`` or
        ``"miss"``."""
        return await self.cache.get_or_compute(
            result_key(prepared.key, encoding), lambda: self.submit(self.run, prepared, encoding)
        )


def result_key(key: str, encoding: Encoding) -> str:
    """The cache key of a result: the configuration's key and the encoding."""
    return f"{key}.{encoding}"


def _set_threads(tf: Any, intra_op: int, inter_op: int) -> None:
    """Set TensorFlow's thread pools (0 keeps TF's default).

    TensorFlow fixes them when its runtime starts: in a process that already ran TensorFlow
    (tests, a notebook) the pools in place are kept, with a warning.
    """
    threading_config = tf.config.threading
    for wanted, get, set_ in (
        (
            intra_op,
            threading_config.get_intra_op_parallelism_threads,
            threading_config.set_intra_op_parallelism_threads,
        ),
        (
            inter_op,
            threading_config.get_inter_op_parallelism_threads,
            threading_config.set_inter_op_parallelism_threads,
        ),
    ):
        if wanted and get() != wanted:
            try:
                set_(wanted)
            except RuntimeError:
                log.warning("TensorFlow already started: its thread pools stay as they are")


def step_macs(prepared: PreparedRun) -> int:
    """Multiply-adds of one recurrent step of one layer: batch x directions x H x G*H."""
    spec = prepared.spec
    batch = prepared.inputs.shape[0]
    return batch * len(spec.directions) * spec.hidden_size * spec.num_blocks * spec.hidden_size
