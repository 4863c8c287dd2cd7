"""The engine host: what owns TensorFlow in one process, whichever executor drives it.

The in-process executor keeps one ``EngineHost`` on its engine thread; a Ray Serve replica keeps
one of its own. Both load it the same way (thread pools, device, warm-up) and run every job
through it, so a result is the same whichever executor computed it.

Device: ``cpu`` and ``gpu`` settings place every run. ``auto`` uses a GPU, when TensorFlow sees
one, only for runs whose recurrent step is large (``gpu_min_step_macs``): a step loop of tiny
kernels runs faster on the CPU than it launches on a GPU.
"""

import logging
import threading
import time
from typing import Any

from app.executors.base import CostModel, EngineRun, run_macs
from app.presets import presets
from app.settings import Settings
from app.validation import PreparedRun, prepare_run

log = logging.getLogger("rnnvis.engine")

CPU = "/device:CPU:0"
GPU = "/device:GPU:0"


class EngineHost:
    """TensorFlow in this process: loaded and warmed once, then one job at a time."""

    def __init__(self, settings: Settings, executor: str) -> None:
        self.settings = settings
        self.executor = executor  # reported in every result's meta
        self.device = CPU  # where runs go; with device=auto, only the large ones go to the GPU
        self.has_gpu = False
        self.tensorflow_version = ""
        self.cost = CostModel()

    def load(self) -> None:
        """Import TensorFlow, set its thread pools, pick the device, warm every compiled layer
        and preset (``warm_presets``)."""
        started = time.perf_counter()
        import tensorflow as tf
        from threadpoolctl import threadpool_limits

        threadpool_limits(1)  # numpy's BLAS: one thread per caller (see app.service)
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

    def device_for(self, prepared: PreparedRun) -> str:
        """Where ``prepared`` runs: the GPU for large steps under ``auto`` (module docstring)."""
        if self.device == CPU or self.settings.device == "gpu":
            return self.device
        return GPU if step_macs(prepared) >= self.settings.gpu_min_step_macs else CPU

    def run(self, prepared: PreparedRun, device: str | None = None) -> EngineRun:
        """Run ``prepared`` on the engine (on ``device``, or where ``device_for`` sends it), with
        the analyses it asks for. ``compute_ms`` counts both; the cost model learns from the
        plain run alone, whose rate it models."""
        from app.engine.analysis import analyse
        from app.engine.unroll import run_network

        device = device or self.device_for(prepared)
        started = time.perf_counter()
        network = run_network(*prepared.run_arguments, device=device)
        plain = time.perf_counter() - started
        if prepared.analysis:
            network = analyse(*prepared.run_arguments, network, prepared.analysis, device=device)
        seconds = time.perf_counter() - started
        self.cost.observe(run_macs(prepared), plain)
        meta = {
            "tensorflow": self.tensorflow_version,
            "device": device,
            "compute_ms": round(seconds * 1000, 3),
            "executor": self.executor,
        }
        return EngineRun(network, meta)


_THREADS_LOCK = threading.Lock()


def _set_threads(tf: Any, intra_op: int, inter_op: int) -> None:
    """Set TensorFlow's thread pools (0 keeps TF's default).

    TensorFlow fixes them when its runtime starts: in a process that already ran TensorFlow
    (tests, a notebook) the pools in place are kept, with a warning.
    """
    threading_config = tf.config.threading
    with _THREADS_LOCK:
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
