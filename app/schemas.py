"""Request and response models: the JSON contract of SPEC.md section 5.

Structural rules (types, ranges, choices, unknown fields, NaN) live here as pydantic
declarations. Rules that depend on the settings or on several fields at once (shapes, limits,
vocabulary) are checked in ``app.validation`` and reported in the same error format.
"""

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

CellType = Literal["rnn", "lstm", "gru"]
Matrix = list[list[float]]
Tensor3 = list[list[list[float]]]


class Strict(BaseModel):
    """Base of every request model: unknown fields, coercions and NaN/inf are rejected."""

    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)


class InputSpec(Strict):
    """What the network reads: text lines one-hot encoded over a vocabulary, or raw values."""

    text: list[str] | None = Field(
        None, min_length=1, description="One string per example; each character is one step."
    )
    vocabulary: str | None = Field(
        None,
        min_length=1,
        description="Characters of the one-hot code, in order. Default: order of first "
        "appearance in `text` (so 'hello' gives the seed's h, e, l, o).",
    )
    values: Tensor3 | None = Field(
        None, min_length=1, description="Input vectors, shape [B][T][D]."
    )

    @model_validator(mode="after")
    def _one_kind(self) -> "InputSpec":
        if (self.text is None) == (self.values is None):
            raise ValueError("give exactly one of input.text or input.values")
        if self.values is not None and self.vocabulary is not None:
            raise ValueError("input.vocabulary goes with input.text, not input.values")
        return self


class DirectionState(Strict):
    """Initial state of one layer and direction: `h` (and `c` for LSTM), each [B][H]."""

    h: Matrix
    c: Matrix | None = None


class LayerState(Strict):
    forward: DirectionState
    backward: DirectionState | None = None


class InitialState(Strict):
    layers: list[LayerState] = Field(min_length=1)


class DirectionWeights(Strict):
    """Weights of one layer and direction in the Keras layout (SPEC section 3)."""

    kernel: Matrix = Field(description="[D, G*H], gate blocks in the cell's gate order.")
    recurrent_kernel: Matrix = Field(description="[H, G*H].")
    bias: list[float] | Matrix = Field(description="[G*H], or [2, 3H] for GRU reset_after.")


class LayerWeights(Strict):
    forward: DirectionWeights
    backward: DirectionWeights | None = None


class Weights(Strict):
    layers: list[LayerWeights] = Field(min_length=1)


class RunRequest(Strict):
    """A run configuration. Every field but `input` has a default."""

    cell: CellType = "lstm"
    hidden_size: int = Field(2, ge=1, description="Units per layer and direction (H).")
    num_layers: int = Field(1, ge=1, description="Stacked layers.")
    bidirectional: bool = False
    reset_after: bool = Field(True, description="GRU only: Keras/cuDNN (true) or TF1 (false).")
    forget_bias: float = Field(0.0, description="LSTM only: added to the forget gate.")
    input: InputSpec
    sequence_length: list[int] | None = Field(
        None, description="Valid steps per example, each in [0, T]."
    )
    initial_state: InitialState | None = None
    seed: int = Field(0, ge=0, le=2**32 - 1, description="Seed of the default weights.")
    weights: Weights | None = None


class DirectionResult(BaseModel):
    outputs: Tensor3
    states: dict[str, Tensor3]
    gates: dict[str, Tensor3]
    final_state: dict[str, Matrix]


class LayerResult(BaseModel):
    forward: DirectionResult
    backward: DirectionResult | None = None


class Meta(BaseModel):
    tensorflow: str
    device: str
    compute_ms: float
    weights_sha256: str


class RunResult(BaseModel):
    """Everything one run computed, per layer, direction and timestep."""

    config: RunRequest
    tokens: list[list[str]] | None
    inputs: Tensor3
    sequence_length: list[int]
    layers: list[LayerResult]
    outputs: Tensor3
    weights: Weights
    meta: Meta


class Preset(BaseModel):
    """One of the seed notebook's examples."""

    name: str
    title: str
    seed_heading: str = Field(description="Where it stands in the seed notebook (RNN 기본예제).")
    description: str
    config: RunRequest
