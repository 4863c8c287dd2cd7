"""The executor interface, and the cost model both implementations share."""

from collections.abc import AsyncGenerator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from app.engine.config import connectivity_cost
from app.training import PreparedTraining
from app.validation import PreparedRun

if TYPE_CHECKING:
    from app.engine.train import Epoch, Head
    from app.engine.unroll import NetworkRun


@dataclass(frozen=True)
class EngineRun:
    """What the engine computed for one prepared request, and where and how fast."""

    network: "NetworkRun"
    meta: dict[str, Any] = field(default_factory=dict)  # tensorflow, device, compute_ms, executor
    # Of compute_ms, the seconds of the run alone (the rest is its analyses): what the cost
    # model learns from (CostModel.learn_from), here and in the web tier of the Ray executor.
    run_s: float = 0.0


@dataclass(frozen=True)
class TrainSnapshot:
    """The network at a snapshot epoch: the head, and the recurrent stack's run (``prepared``
    holds that epoch's weights; ``run`` is what ``Executor.run`` gives for it)."""

    head: "Head"
    prepared: PreparedRun
    run: EngineRun


@dataclass(frozen=True)
class TrainedEpoch:
    """One epoch of a training: the model's numbers at its weights, and its snapshot if due."""

    epoch: "Epoch"
    snapshot: TrainSnapshot | None
    compute_ms: float  # engine time of this epoch, its snapshot included


class Executor(Protocol):
    """Runs prepared requests on the engine; validation, caching and HTTP stay outside."""

    name: str

    def start(self) -> None:
        """Load and warm the engine (returns at once; ``ready`` says when it is done)."""

    def stop(self) -> None: ...

    @property
    def ready(self) -> bool:
        """Warm, and making progress: no job has run past its deadline."""

    def status(self) -> dict[str, Any]:
        """What ``/readyz`` reports: readiness and why."""

    def backlog_s(self) -> float:
        """Estimated seconds of engine work queued or running now."""

    def estimate_s(self, prepared: PreparedRun) -> float:
        """Estimated engine seconds of ``prepared``."""

    async def run(self, prepared: PreparedRun) -> EngineRun:
        """Run ``prepared`` on the engine (503 when its queue is full)."""

    def train(self, prepared: PreparedTraining) -> AsyncGenerator[TrainedEpoch, None]:
        """Train ``prepared``, yielding every epoch (0 to ``epochs``) as soon as it is done, in
        short turns that let runs go first. Closing the iterator stops the training."""


def run_macs(prepared: PreparedRun) -> int:
    """Multiply-adds of a run: every layer, direction, example and step, input and recurrent
    products (the cost that grows with the request; the rest is a fixed ~1 ms)."""
    spec = prepared.spec
    batch, steps, size = prepared.inputs.shape
    width = spec.num_blocks * spec.hidden_size
    per_step = sum(
        (spec.layer_input_size(layer, size) + spec.hidden_size) * width
        for layer in range(spec.num_layers)
    )
    return len(spec.directions) * batch * steps * per_step


def connectivity_macs(prepared: PreparedRun) -> int:
    """Multiply-adds of the run's connectivity analysis (0 when it asks for none)."""
    if "connectivity" not in prepared.analysis:
        return 0
    batch, steps, size = prepared.inputs.shape
    return connectivity_cost(prepared.spec, batch, steps, size)[0]


class Rates:
    """Units of work per second, by kind, each learnt as a moving average of the seconds per
    unit measured (what an estimate multiplies), the newest job weighing 0.2. The engine's
    ``CostModel`` and the preparation threads' rates (``app.service.PreparePool``) both learn
    this way."""

    def __init__(self, **start: float) -> None:
        self.rates = dict(start)

    def seconds(self, kind: str, units: float) -> float:
        """The seconds ``units`` of ``kind`` take at the rate learnt so far."""
        return units / self.rates[kind]

    def learn(self, kind: str, units: float, seconds: float) -> None:
        """``seconds`` measured for ``units`` of ``kind``."""
        self.rates[kind] = 1 / (0.8 / self.rates[kind] + 0.2 * seconds / units)


class CostModel:
    """Seconds of a run: ``fixed_s + run / run_rate + connectivity / connectivity_rate``, in
    multiply-adds, each rate learnt from the jobs that took long enough to measure it (the
    machine's speed, whatever it is). The two differ by an order of magnitude: a run is a loop
    of small steps, connectivity mostly large batched products."""

    def __init__(self, fixed_s: float = 0.002) -> None:
        self.fixed_s = fixed_s
        self.rates = Rates(run=1.5e9, connectivity=3e10)

    def estimate_s(self, prepared: PreparedRun) -> float:
        return (
            self.fixed_s
            + self.rates.seconds("run", run_macs(prepared))
            + self.rates.seconds("connectivity", connectivity_macs(prepared))
            + prepared.numbers * 5e-9
        )

    def observe(self, kind: str, macs: int, seconds: float) -> None:
        """``seconds`` measured for ``macs`` multiply-adds of ``kind`` (run, connectivity).

        Only jobs large enough that their multiply-adds, not the fixed cost of a call, take
        most of the time teach the rate (``LEARN_FROM``: about 13 ms at the starting rates); a
        preset that took 25 ms on a busy machine says nothing about its 100 multiply-adds."""
        if macs >= LEARN_FROM[kind] and seconds > self.fixed_s:
            self.rates.learn(kind, macs, seconds - self.fixed_s)

    def learn_from(self, prepared: PreparedRun, run: EngineRun) -> None:
        """What ``run`` of ``prepared`` took: the run's rate from ``run_s``, connectivity's from
        the rest of ``compute_ms`` (trajectories cost next to nothing)."""
        self.observe("run", run_macs(prepared), run.run_s)
        rest, macs = run.meta["compute_ms"] / 1000 - run.run_s, connectivity_macs(prepared)
        if macs >= LEARN_FROM["connectivity"] and rest > 0:  # the call's fixed cost is the run's
            self.rates.learn("connectivity", macs, rest)


LEARN_FROM = {"run": 2e7, "connectivity": 4e8}  # multiply-adds of a job that teaches its rate
