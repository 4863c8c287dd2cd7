"""The network configuration the engine runs (no TensorFlow here, so it is cheap to import)."""

from dataclasses import dataclass
from typing import Literal

import numpy as np

CellName = Literal["rnn", "lstm", "gru"]
DIRECTIONS = ("forward", "backward")
GATE_NAMES: dict[str, tuple[str, ...]] = {
    "rnn": (),
    "lstm": ("i", "f", "g", "o"),
    "gru": ("z", "r", "n"),
}
STATE_NAMES: dict[str, tuple[str, ...]] = {"rnn": ("h",), "lstm": ("h", "c"), "gru": ("h",)}
NUM_BLOCKS = {"rnn": 1, "lstm": 4, "gru": 3}


@dataclass(frozen=True)
class NetworkSpec:
    """Structure and options of a network: everything but weights, inputs and states."""

    cell: CellName
    hidden_size: int
    num_layers: int = 1
    bidirectional: bool = False
    reset_after: bool = True
    forget_bias: float = 0.0

    @property
    def directions(self) -> tuple[str, ...]:
        return DIRECTIONS if self.bidirectional else DIRECTIONS[:1]

    @property
    def gate_names(self) -> tuple[str, ...]:
        return GATE_NAMES[self.cell]

    @property
    def state_names(self) -> tuple[str, ...]:
        return STATE_NAMES[self.cell]

    @property
    def num_blocks(self) -> int:
        """G: how many H-wide column blocks the kernels have."""
        return NUM_BLOCKS[self.cell]

    @property
    def output_size(self) -> int:
        """Width of one layer's output: H, or 2H when bidirectional."""
        return self.hidden_size * len(self.directions)

    @property
    def bias_shape(self) -> tuple[int, ...]:
        """``[2, 3H]`` for GRU with reset_after (input and recurrent bias), else ``[G*H]``."""
        if self.cell == "gru" and self.reset_after:
            return (2, 3 * self.hidden_size)
        return (self.num_blocks * self.hidden_size,)

    def layer_input_size(self, layer: int, input_size: int) -> int:
        """D of ``layer``: the input size for layer 0, the output size below it otherwise."""
        return input_size if layer == 0 else self.output_size

    def split_bias(self, bias: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(b_in, b_rec)``: what the cell adds to ``x W`` and to ``h U``, float32.

        The LSTM ``forget_bias`` is folded into the f block of ``b_in``.
        """
        if self.cell == "gru" and self.reset_after:
            return bias[0].astype(np.float32), bias[1].astype(np.float32)
        b_in = bias.astype(np.float32)
        if self.cell == "lstm":
            hidden = self.hidden_size
            b_in[hidden : 2 * hidden] += np.float32(self.forget_bias)
        return b_in, np.zeros_like(b_in)
