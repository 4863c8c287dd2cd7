"""The network configuration the engine runs (no TensorFlow here, so it is cheap to import).

Everything that depends on the cell comes from its variant's declaration in ``cells.py``.
"""

from dataclasses import asdict, dataclass
from functools import cached_property

import numpy as np

from app.engine.cells import Cell, find_variant

DIRECTIONS = ("forward", "backward")


@dataclass(frozen=True)
class NetworkSpec:
    """Structure and options of a network: everything but weights, inputs and states."""

    cell: str  # a request's "cell": one of cells.CELL_NAMES
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
