"""The engine host: what owns TensorFlow in one process, whichever executor drives it.

The in-process executor keeps one ``EngineHost`` on its engine thread; a Ray Serve replica keeps
one of its own. Both load it the same way (thread pools, device, warm-up) and run every job
through it, so a result is the same whichever executor computed it.

Device: ``cpu`` and ``gpu`` settings place every run. ``auto`` uses a GPU, when TensorFlow sees
one, only for runs whose recurrent step is large (``gpu_min_step_macs``): a step loop of tiny
kernels runs faster on the CPU than it launches on a GPU.
"""

import logging
import math
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from app.errors import InputError
from app.executors.base import (
    CostModel,
    EngineRun,
    TrainedEpoch,
    TrainSnapshot,
)
from app.presets import presets
from app.schemas import TrainRequest
from app.settings import Settings
from app.training import PreparedTraining, prepare_training
from app.validation import PreparedRun, prepare_run

if TYPE_CHECKING:
    from app.engine.train import Trainer

log = logging.getLogger("rnnvis.engine")

CPU = "/device:CPU:0"
GPU = "/device:GPU:0"
TRAIN_TURN_S = 0.03  # a training's turn on the engine: epochs until this long (at least one)


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
        """Import TensorFlow, set its thread pools, pick the device, warm every compiled layer,
        preset and the default cell's training (``warm_presets``)."""
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
            default = TrainRequest()
            self.warm_training(default.cell, default.reset_after)
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
        the analyses it asks for. ``compute_ms`` counts both; the cost model learns the run's rate
        and connectivity's apart (trajectories cost next to nothing)."""
        from app.engine.analysis import analyse
        from app.engine.unroll import run_network

        device = device or self.device_for(prepared)
        started = time.perf_counter()
        network = run_network(*prepared.run_arguments, device=device)
        plain = time.perf_counter() - started
        if prepared.analysis:
            network = analyse(*prepared.run_arguments, network, prepared.analysis, device=device)
        seconds = time.perf_counter() - started
        meta = {
            "tensorflow": self.tensorflow_version,
            "device": device,
            "compute_ms": round(seconds * 1000, 3),
            "executor": self.executor,
        }
        run = EngineRun(network, meta, run_s=plain)
        self.cost.learn_from(prepared, run)
        return run

    # ---- training (SPEC section 8) ------------------------------------------------------------

    def warm_training(self, cell: str, reset_after: bool) -> None:
        """Train one cell variant for an epoch: a compiled layer's first gradient builds its
        backward graph (a few hundred milliseconds). ``load`` does it for the default cell,
        what ``/learn`` opens with; another variant's first training pays it in its first epoch
        (warming all four would add about a second to every start, and warming them once ready
        would hold up the runs that arrive first)."""
        request = TrainRequest(cell=cell, reset_after=reset_after, text="hih", epochs=1)
        session = TrainingSession(prepare_training(request, self.settings))
        while not session.finished:
            self.train_turn(session, lambda epoch: None)

    def train_turn(
        self,
        session: "TrainingSession",
        emit: Callable[[TrainedEpoch], None],
    ) -> None:
        """One turn of ``session`` on the engine: epochs, each handed to ``emit`` when done, until
        ``TRAIN_TURN_S`` has passed (at least one epoch), the last epoch, or ``session.stop()``."""
        started = time.perf_counter()
        if session.trainer is None:
            session.trainer = self._trainer(session.prepared)
        while not (session.finished or session.stopped):
            emit(self._train_epoch(session, session.trainer))
            if time.perf_counter() - started >= TRAIN_TURN_S:
                return

    def _trainer(self, prepared: PreparedTraining) -> "Trainer":
        from app.engine.train import Trainer, next_characters, seeded_head

        request = prepared.request
        inputs, targets = next_characters(request.text, request.vocabulary)
        return Trainer(
            prepared.run.spec,
            inputs,
            targets,
            prepared.run.weights,
            seeded_head(request.hidden_size, inputs.shape[2], request.seed),
            request.learning_rate,
            device=self.device_for(prepared.run),
        )

    def _train_epoch(self, session: "TrainingSession", trainer: "Trainer") -> TrainedEpoch:
        """The current epoch's numbers (and snapshot, run as ``/api/run`` runs), then one update
        unless it is the last."""
        started = time.perf_counter()
        prepared, epoch = session.prepared, trainer.epoch
        snapshot = None
        if prepared.is_snapshot(epoch):
            at = prepared.run_at(trainer.weights()) if epoch else prepared.run
            snapshot = TrainSnapshot(trainer.head(), at, self.run(at, device=trainer.device))
        result = trainer.step(update=epoch < prepared.request.epochs)
        if not math.isfinite(result.loss):
            raise InputError(
                ("learning_rate",),
                f"the training diverged at epoch {epoch} (the loss is not finite): use a smaller "
                "learning_rate",
            )
        session.finished = epoch == prepared.request.epochs
        return TrainedEpoch(result, snapshot, round((time.perf_counter() - started) * 1000, 3))


class TrainingSession:
    """One training on the engine: what it trains, its trainer (made on its first turn, on the
    engine's thread), and whether it is finished or stopped."""

    def __init__(self, prepared: PreparedTraining) -> None:
        self.prepared = prepared
        self.trainer: Trainer | None = None
        self.finished = False
        self.stopped = False

    def stop(self) -> None:
        """No more epochs: the turn in progress ends after its current one."""
        self.stopped = True


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
