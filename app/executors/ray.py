"""The Ray Serve executor: the engine on replicas, each with its own TensorFlow and device.

The web tier (this process: validation, caching, single flight, HTTP) hands each prepared run
to a Ray Serve deployment of ``ray_replicas`` engine replicas through a deployment handle, and
builds the result from the arrays that come back, exactly as with the in-process executor.

A replica (``EngineReplica``) is a Ray worker process holding the in-process executor itself:
its own ``EngineHost`` (TensorFlow, thread pools, device, warm-up) behind the same engine thread
and priority queue. Its constructor returns once the engine is warm, so Serve counts a replica
as running only when it can answer at once; ``check_health`` fails when its engine fails or
stalls, and Serve replaces it. ``ray_gpus_per_replica`` reserves GPUs for each replica.

Training streams each epoch back from one replica (``EngineReplica.train``); closing the stream
stops it there. A training is not moved when its replica is lost (its state lives there): 503.

Failure: a run whose replica dies under it (killed, crashed, its node lost) is sent once
more, and Serve's router has dropped the dead replica by then, so the retry lands on another
one; Serve starts a replacement. Both tries failing is a 503 with ``Retry-After``, never a 5xx.

Admission stays in the web tier: ``backlog_s`` is the estimated engine seconds of every run in
flight, divided by the replicas running, so a run that cannot finish by its deadline is refused
at once as with one process.

Ray itself: with ``ray_address`` empty, ``start`` starts a local Ray (one logical CPU per core,
at least one per replica) and ``stop`` shuts it down; with an address it joins that cluster,
uses the deployment already running there under ``APP_NAME`` (a KubeRay RayService deploys it
from ``build_app``) or deploys it, and leaves the cluster and the deployment running on exit.

Latency: Serve's router runs on the caller's event loop and a replica's handler on the
replica's own, instead of a thread each (``SERVE_ENV``): that roughly halved Serve's own cost
of a call on this project's 2-core machine (docs/DEPLOY.md).
"""

import asyncio
import logging
import os
import threading
from collections.abc import AsyncGenerator
from concurrent.futures import Future
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, cast

import numpy as np

from app.errors import Overloaded
from app.executors.base import CostModel, EngineRun, TrainedEpoch, TrainSnapshot
from app.executors.local import LocalExecutor
from app.settings import Settings
from app.training import PreparedTraining
from app.validation import PreparedRun

if TYPE_CHECKING:
    from app.engine.train import Epoch, Head
    from app.engine.unroll import NetworkRun

# Read by Ray Serve when it is imported, here and (through the local Ray's environment, or the
# replicas' runtime_env on a cluster) in every replica; an operator's own values win.
SERVE_ENV = {
    "RAY_SERVE_RUN_ROUTER_IN_SEPARATE_LOOP": "0",
    "RAY_SERVE_RUN_USER_CODE_IN_SEPARATE_THREAD": "0",
}
# And no Ray call may start a Ray of its own (a late one after ``stop`` would).
for _name, _value in {**SERVE_ENV, "RAY_ENABLE_AUTO_CONNECT": "0"}.items():
    os.environ.setdefault(_name, _value)

import ray  # noqa: E402  (after SERVE_ENV)
from ray import serve  # noqa: E402
from ray.exceptions import RayActorError, RayTaskError  # noqa: E402
from ray.serve.exceptions import DeploymentUnavailableError  # noqa: E402

log = logging.getLogger("rnnvis.ray")
Wire = dict[str, Any]  # a NetworkRun as plain dicts and arrays (_to_wire)

APP_NAME = "rnnvis"  # the Serve application (and its one deployment, ENGINE)
ENGINE = "engine"
STARTUP_TIMEOUT_S = 300.0  # a replica's engine load and warm-up
STOP_TIMEOUT_S = 60.0
POLL_S = 0.5  # how often the web tier reads the replicas' states
GONE = ("STOPPING", "STOPPED")  # replica states that no longer count
# A replica lost under a request: its actor died, its process or node crashed, or Serve had no
# replica left to send it to.
REPLICA_LOST = (RayActorError, DeploymentUnavailableError)


class ReplicaExecutor(LocalExecutor):
    """The in-process executor as a replica runs it: results say ``executor: ray``."""

    name = "ray"


@serve.deployment(
    name=ENGINE,
    max_constructor_retry_count=3,  # a replica that cannot load (device=gpu, no GPU) fails fast
    logging_config={"enable_access_log": False},  # the web tier logs every request already
)
class EngineReplica:
    """One engine replica: a warm in-process executor in its own Ray worker process.

    ``train`` is an async generator that yields each epoch as the replica's engine thread
    produces it (called with ``handle.options(stream=True)``); the replica's priority queue
    puts its runs before its training turns, as in one process.
    """

    def __init__(self, settings: dict[str, Any]) -> None:
        self.executor = ReplicaExecutor(Settings(**settings))
        self.executor.start()
        self.executor.wait_ready(STARTUP_TIMEOUT_S)

    async def run(self, prepared: PreparedRun) -> tuple[Wire, dict[str, Any], float]:
        run = await self.executor.run(prepared)
        return _to_wire(run.network), run.meta, run.run_s

    async def train(self, prepared: PreparedTraining) -> AsyncGenerator[Wire, None]:
        trained = self.executor.train(prepared)
        try:
            async for epoch in trained:
                yield _epoch_to_wire(epoch)
        finally:  # the web tier cancelled the stream (its client went away): stop training
            await trained.aclose()

    def check_health(self) -> None:
        """Serve calls this periodically: a failed or stalled engine gets the replica replaced."""
        status = self.executor.status()
        if status["status"] != "ready":
            raise RuntimeError(f"engine {status['status']}: {status.get('detail', '')}")


def build_app(args: dict[str, Any]) -> serve.Application:
    """The engine deployment as a Serve application, for ``serve run`` / a RayService's
    ``import_path: app.executors.ray:build_app``. ``args`` are settings (``ray_replicas``,
    ``device``, ...) over the ``RNNVIS_`` environment of the replicas."""
    return engine_app(Settings(**args))


def engine_app(settings: Settings) -> serve.Application:
    """``settings.ray_replicas`` engine replicas, each reserving ``ray_gpus_per_replica`` GPUs."""
    options: dict[str, Any] = {
        "num_cpus": 1,  # one engine thread (intra_op_threads=1)
        "num_gpus": settings.ray_gpus_per_replica,
        "runtime_env": {"env_vars": SERVE_ENV},
    }
    return EngineReplica.options(  # type: ignore[attr-defined]
        num_replicas=settings.ray_replicas,
        ray_actor_options=options,
        # Runs queue on the replica's own engine queue, which takes the next one the moment the
        # last is done; a full replica makes Serve's router wait and probe again, with backoff.
        max_ongoing_requests=settings.queue_size,
    ).bind(settings.model_dump())


class RayExecutor:
    """Runs prepared requests on the replicas of a Ray Serve deployment (module docstring)."""

    name = "ray"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.cost = CostModel()  # learnt from the replicas' compute_ms
        self.retries = 0  # runs sent a second time because their replica was lost
        self._handle: Any = None
        self._connected: Future[None] = Future()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._own_ray, name="ray", daemon=True)
        self._owns_ray = False  # this process started Ray (or connected to a cluster)
        self._replicas: dict[str, int] = {}  # replica state -> count, from Serve
        # Replicas this process deploys; 0 until known when joining a cluster's own deployment.
        self._target = 0 if settings.ray_address else settings.ray_replicas
        self._in_flight = 0
        self._backlog_s = 0.0

    # ---- life cycle ---------------------------------------------------------------------------

    def start(self) -> None:
        """Start or join Ray and deploy the replicas, on a thread (returns at once)."""
        self._thread.start()

    def wait_ready(self, timeout_s: float) -> None:
        """Block until every replica is warm; re-raise what went wrong during start-up."""
        self._connected.result(timeout=timeout_s)

    def stop(self) -> None:
        """Shut down a local Ray started here; leave a joined cluster (and its replicas) up."""
        self._stopping.set()
        self._thread.join(timeout=STOP_TIMEOUT_S)

    def _own_ray(self) -> None:
        """The thread that holds Ray for this process, from start to stop: the processes of a
        local Ray die with the thread that started them (Linux' parent-death signal)."""
        try:
            self._connect()
            self._connected.set_result(None)
            while not self._stopping.wait(POLL_S):
                try:
                    self._poll()
                except Exception as error:  # Ray going away under us: say so, keep trying
                    log.warning("could not read the replicas' states: %s", error)
                    self._replicas = {}
        except BaseException as error:  # reported by status() and wait_ready()
            self._connected.set_exception(error)
        finally:
            if self._owns_ray:
                ray.shutdown()  # a local Ray's processes end with it; a cluster goes on

    def _connect(self) -> None:
        address = self.settings.ray_address
        if not ray.is_initialized():
            self._owns_ray = True
            if address:
                ray.init(address=address)
            else:
                cores = max(os.cpu_count() or 1, self.settings.ray_replicas)
                ray.init(num_cpus=cores, include_dashboard=False)
        serve.start(proxy_location="Disabled")  # HTTP is this app's, not Serve's
        self._poll()
        if address and self._replicas:
            self._handle = serve.get_app_handle(APP_NAME)  # deployed by the cluster
        else:
            self._target = self.settings.ray_replicas
            self._handle = serve.run(engine_app(self.settings), name=APP_NAME, route_prefix=None)
        self._poll()

    def _poll(self) -> None:
        app = serve.status().applications.get(APP_NAME)
        deployment = app.deployments.get(ENGINE) if app else None
        states = deployment.replica_states if deployment else {}
        self._replicas = {str(getattr(state, "value", state)): n for state, n in states.items()}

    # ---- readiness ----------------------------------------------------------------------------

    @property
    def ready(self) -> bool:
        return self.status()["status"] == "ready"

    def status(self) -> dict[str, Any]:
        """``starting`` until every replica is warm; then ``ready`` while one is running (a
        lost replica is being replaced meanwhile), ``unavailable`` when none is."""
        running = self._replicas.get("RUNNING", 0)
        live = sum(n for state, n in self._replicas.items() if state not in GONE)
        total = max(self._target, live)
        replicas = {"ready": running, "total": total}
        detail = {"executor": self.name, "replicas": replicas}
        if not self._connected.done():
            return {"status": "starting", **detail}
        if self._connected.exception():
            return {"status": "failed", "detail": str(self._connected.exception()), **detail}
        if running == 0:
            return {"status": "unavailable", "detail": "no engine replica is running", **detail}
        return {"status": "ready", **detail}

    # ---- jobs ---------------------------------------------------------------------------------

    def backlog_s(self) -> float:
        return self._backlog_s / max(1, self._replicas.get("RUNNING", 0))

    def estimate_s(self, prepared: PreparedRun) -> float:
        return self.cost.estimate_s(prepared)

    @property
    def in_flight(self) -> int:
        """Runs sent to the replicas and not answered yet."""
        return self._in_flight

    async def run(self, prepared: PreparedRun) -> EngineRun:
        """Run ``prepared`` on a replica, once more on another if that one is lost under it.
        A run that arrives while Ray starts waits for it (within the request's deadline)."""
        await self._wait_connected()
        limit = self.settings.queue_size * max(1, self._replicas.get("RUNNING", 0))
        if self._in_flight >= limit:
            raise Overloaded(
                f"the engine replicas have {self._in_flight} runs in flight (setting queue_size, "
                "per running replica)",
                retry_after_s=max(1.0, self.backlog_s()),
            )
        estimate = self.estimate_s(prepared)
        self._in_flight += 1
        self._backlog_s += estimate
        try:
            wire, meta, run_s = await self._call(prepared)
        finally:
            self._in_flight -= 1
            self._backlog_s = max(0.0, self._backlog_s - estimate)
        run = EngineRun(_from_wire(wire), meta, run_s)
        self.cost.learn_from(prepared, run)  # the run's rate and connectivity's, as a replica's own
        return run

    async def train(self, prepared: PreparedTraining) -> AsyncGenerator[TrainedEpoch, None]:
        """Train ``prepared`` on one replica, each epoch streamed back as it is done. Closing
        the iterator cancels the stream, which stops the training on the replica. A training
        is not moved when its replica is lost (its state lives there): that is a 503."""
        await self._wait_connected()
        stream = self._handle.options(stream=True).train.remote(prepared)
        try:
            async for wire in stream:
                yield _epoch_from_wire(wire)
        except REPLICA_LOST as error:
            raise Overloaded(
                f"the engine replica training this was lost ({type(error).__name__}); "
                "Serve is replacing it: train again",
                retry_after_s=2,
            ) from error
        except RayTaskError as error:  # what the replica raised
            raise error.cause from None
        finally:
            stream.cancel()

    async def _wait_connected(self) -> None:
        """Wait while Ray starts; 503 when it failed to."""
        while not self._connected.done():
            await asyncio.sleep(POLL_S)
        if self._connected.exception():
            error = self._connected.exception()
            raise Overloaded(f"the engine replicas failed to start: {error}", retry_after_s=5)

    async def _call(self, prepared: PreparedRun) -> tuple[Wire, dict[str, Any], float]:
        for attempt in (1, 2):
            try:
                return await self._handle.run.remote(prepared)
            except REPLICA_LOST as error:
                if attempt == 2:
                    raise Overloaded(
                        f"two engine replicas were lost under this run ({type(error).__name__}); "
                        "Serve is replacing them",
                        retry_after_s=2,
                    ) from error
                self.retries += 1
                log.warning("engine replica lost (%s): the run is sent again", error)
            except RayTaskError as error:  # what the replica raised (queue full, overflow, ...)
                raise error.cause from None
        raise AssertionError("unreachable")


def _to_wire(network: "NetworkRun") -> Wire:
    """The engine's arrays in plain dicts: unpickling ``NetworkRun`` itself would import
    TensorFlow (``app.engine.unroll``) into the web tier, which otherwise never loads it."""
    return {
        "layers": [{d: vars(run) for d, run in layer.items()} for layer in network.layers],
        "outputs": network.outputs,
    }


def _from_wire(wire: Wire) -> "NetworkRun":
    """``NetworkRun``'s shape (what ``app.results`` reads) from ``_to_wire``'s dicts, every array
    copied into this process: a large one arrives as a read-only view of Ray's object store,
    which the result cache would keep pinned there."""
    layers = [
        {d: SimpleNamespace(**_owned(fields)) for d, fields in layer.items()}
        for layer in wire["layers"]
    ]
    return cast("NetworkRun", SimpleNamespace(layers=layers, outputs=_owned(wire["outputs"])))


def _epoch_to_wire(trained: TrainedEpoch) -> Wire:
    """A trained epoch as plain dicts and arrays (``app.engine.train``'s classes, like
    ``NetworkRun``, would import TensorFlow into the web tier when unpickled)."""
    snapshot = trained.snapshot
    return {
        "epoch": vars(trained.epoch),
        "compute_ms": trained.compute_ms,
        "snapshot": None
        if snapshot is None
        else {
            "head": vars(snapshot.head),
            "prepared": snapshot.prepared,
            "network": _to_wire(snapshot.run.network),
            "meta": snapshot.run.meta,
        },
    }


def _epoch_from_wire(wire: Wire) -> TrainedEpoch:
    """``TrainedEpoch``'s shape (what ``app.training`` reads) from ``_epoch_to_wire``'s dicts."""
    snapshot = wire["snapshot"]
    return TrainedEpoch(
        epoch=cast("Epoch", SimpleNamespace(**_owned(wire["epoch"]))),
        compute_ms=wire["compute_ms"],
        snapshot=None
        if snapshot is None
        else TrainSnapshot(
            head=cast("Head", SimpleNamespace(**_owned(snapshot["head"]))),
            prepared=snapshot["prepared"],
            run=EngineRun(_from_wire(snapshot["network"]), snapshot["meta"]),
        ),
    )


def _owned(value: Any) -> Any:
    """``value`` (arrays in dicts) with every read-only array copied."""
    if isinstance(value, np.ndarray):
        return value if value.flags.writeable else value.copy()
    if isinstance(value, dict):
        return {name: _owned(item) for name, item in value.items()}
    return value
