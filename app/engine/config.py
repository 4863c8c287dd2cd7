"""The network configuration the engine runs, and the size of its analyses (no TensorFlow here,
so the web tier imports it cheaply).

Everything that depends on the cell comes from its variant's declaration in ``cells.py``.
"""

from dataclasses import asdict, dataclass
from functools import cached_property

import numpy as np

from app.engine.cells import Cell, find_variant

DIRECTIONS = ("forward", "backward")
ANALYSES = ("connectivity", "trajectory")  # SPEC section 6, in the order results list them
TANGENT_NUMBERS = 1 << 25  # most working numbers of connectivity's tangents (128 MB, float32)


@dataclass(frozen=True)
class NetworkSpec:
    """Structure and options of a network: everything but weights, inputs and states."""

    cell: str  # a request's "cell": one of cells.cell_names()
    hidden_size: int
    num_layers: int = 1
    bidirectional: bool = False
    reset_after: bool = True
    forget_bias: float = 0.0

    @cached_property
    def variant(self) -> Cell:
        """The cell variant these fields select (``cell``, and ``reset_after`` for gru)."""
        return find_variant(asdict(self))

    @property
    def directions(self) -> tuple[str, ...]:
        return DIRECTIONS if self.bidirectional else DIRECTIONS[:1]

    @property
    def gate_names(self) -> tuple[str, ...]:
        return self.variant.gates

    @property
    def state_names(self) -> tuple[str, ...]:
        return self.variant.states

    @property
    def num_blocks(self) -> int:
        """G: how many H-wide column blocks the kernels have."""
        return self.variant.blocks

    @property
    def output_size(self) -> int:
        """Width of one layer's output: H, or 2H when bidirectional."""
        return self.hidden_size * len(self.directions)

    @property
    def bias_shape(self) -> tuple[int, ...]:
        """``[2, 3H]`` for GRU with reset_after (input and recurrent bias), else ``[G*H]``."""
        return self.variant.bias_shape(self.hidden_size)

    @property
    def options(self) -> dict[str, float]:
        """The values of the request options the cell reads (``forget_bias`` for lstm)."""
        return {name: getattr(self, name) for name in self.variant.options}

    def layer_input_size(self, layer: int, input_size: int) -> int:
        """D of ``layer``: the input size for layer 0, the output size below it otherwise."""
        return input_size if layer == 0 else self.output_size

    def split_bias(self, bias: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(b_in, b_rec)``: what the cell adds to ``x W`` and to ``h U``, float32 copies
        (the LSTM ``forget_bias`` folded into the f block of ``b_in``)."""
        return self.variant.split_bias(bias, self.options)


# ---- the size of connectivity (analysis.py), from the configuration alone --------------------


def _numbers_per_source(spec: NetworkSpec, batch: int, steps: int, input_size: int) -> int:
    """Working numbers per source position: the output tangents of the layers alive at once
    (the one below and the one being written: one with two layers, none with one) and the
    running tangent with its temporaries."""
    rows = len(spec.directions) * batch
    alive = min(spec.num_layers - 1, 2)
    running = 4 * rows * len(spec.state_names) * spec.hidden_size
    return (alive * steps * rows * spec.hidden_size + running) * input_size


def chunk_size(spec: NetworkSpec, batch: int, steps: int, input_size: int) -> int:
    """Source positions per chunk: as many as keep the working tangents within
    ``TANGENT_NUMBERS`` (at least one; validation refuses a run where one is too many)."""
    per_source = _numbers_per_source(spec, batch, steps, input_size)
    return max(1, min(steps, TANGENT_NUMBERS // per_source))


def connectivity_cost(
    spec: NetworkSpec, batch: int, steps: int, input_size: int
) -> tuple[int, int]:
    """``(multiply-adds, working numbers)`` of connectivity, about: per layer, step, direction
    and example, ``(S·H) × (S·H + D_l)`` for each of the ``T·D`` tangent columns (no saving
    for skipped steps counted); and the numbers of one source position's tangents."""
    width = len(spec.state_names) * spec.hidden_size
    per_column = sum(
        width * (width + spec.layer_input_size(layer, input_size))
        for layer in range(spec.num_layers)
    )
    macs = steps * steps * input_size * len(spec.directions) * batch * per_column
    return macs, _numbers_per_source(spec, batch, steps, input_size)
