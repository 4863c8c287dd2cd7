"""Request and response models: the JSON contract of SPEC.md section 5.

Structural rules (types, ranges, choices, unknown fields, NaN) live here as pydantic
declarations. Rules that depend on the settings or on several fields at once (shapes, limits,
vocabulary) are checked in ``app.validation`` and reported in the same error format.
"""

from typing import TYPE_CHECKING, Annotated, Any, Literal

import numpy as np
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidatorFunctionWrapHandler,
    WrapValidator,
    model_validator,
)
from typing_extensions import TypeAliasType

from app.engine.cells import cell_names
from app.engine.config import ANALYSES

if TYPE_CHECKING:  # the choices come from the engine's declarations (app/engine/cells.py)
    CellType = str
    AnalysisName = str
else:
    CellType = Literal[cell_names()]
    AnalysisName = Literal[ANALYSES]


def _keep_arrays(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
    """A long array of numbers arrives already read into numpy (``app.bodies``): keep it as it
    is. ``app.validation`` turns lists and arrays alike into float32 of the exact shape needed."""
    return value if isinstance(value, np.ndarray) else handler(value)


Vector = Annotated[list[float], WrapValidator(_keep_arrays)]
Matrix = Annotated[list[list[float]], WrapValidator(_keep_arrays)]
Tensor3 = Annotated[list[list[list[float]]], WrapValidator(_keep_arrays)]


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
    bias: Vector | Matrix = Field(description="[G*H], or [2, 3H] for GRU reset_after.")


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
    analysis: list[AnalysisName] = Field(
        default_factory=list,
        description="Analyses to add to every layer and direction (SPEC section 6): "
        "`connectivity` (T at most `max_analysis_steps`) and `trajectory`. Order and repeats do "
        "not matter: the normalised `config` lists each once, in that order.",
    )


class TypedArray(BaseModel):
    """A float array under `?encoding=b64`: little-endian float32 values in C order, base64."""

    dtype: Literal["float32"]
    shape: str = Field(description="Comma-separated dimensions, e.g. `3,5,4` (empty: a scalar).")
    bdata: str = Field(description="Base64 of the float32 values.")


# Response arrays: nested lists of numbers, or typed arrays with ?encoding=b64.
VectorOut = list[float] | TypedArray
MatrixOut = list[list[float]] | TypedArray
Tensor3Out = list[list[list[float]]] | TypedArray


class TrajectoryResult(BaseModel):
    """Principal components of this layer-direction's `states.h` (SPEC section 6), `K = min(2,
    H)`: fitted in float64 on the valid positions, every position projected."""

    axes: MatrixOut = Field(description="[K][H], each oriented with its largest entry positive.")
    mean: VectorOut = Field(description="[H], the mean of the valid states.")
    explained_variance_ratio: VectorOut = Field(description="[K].")
    components: Tensor3Out = Field(description="[B][T][K], padding positions included.")


class DirectionResult(BaseModel):
    outputs: Tensor3Out
    states: dict[str, Tensor3Out]
    gates: dict[str, Tensor3Out]
    final_state: dict[str, MatrixOut]
    connectivity: Tensor3Out | None = Field(
        None,
        description="[B][T][T], with `analysis` connectivity only: `[b][t][s]` is the Frobenius "
        "norm of the Jacobian of `states.h[b][t]` with respect to the network input "
        "`inputs[b][s]`, exactly 0 where it cannot depend on it and at padding positions.",
    )
    trajectory: TrajectoryResult | None = Field(
        None, description="With `analysis` trajectory only."
    )


class LayerResult(BaseModel):
    forward: DirectionResult
    backward: DirectionResult | None = None


class DirectionWeightsResult(BaseModel):
    kernel: MatrixOut
    recurrent_kernel: MatrixOut
    bias: VectorOut | MatrixOut


class LayerWeightsResult(BaseModel):
    forward: DirectionWeightsResult
    backward: DirectionWeightsResult | None = None


class WeightsResult(BaseModel):
    layers: list[LayerWeightsResult]


class Meta(BaseModel):
    tensorflow: str
    device: str
    compute_ms: float
    weights_sha256: str


class RunResult(BaseModel):
    """Everything one run computed, per layer, direction and timestep. `config` is the request
    normalised (its arrays always plain JSON); every other float array is a typed array under
    `?encoding=b64`."""

    config: RunRequest
    tokens: list[list[str]] | None
    inputs: Tensor3Out
    sequence_length: list[int]
    layers: list[LayerResult]
    outputs: Tensor3Out
    weights: WeightsResult
    meta: Meta


Expression = TypeAliasType("Expression", "str | int | float | list[Expression]")


class Equation(BaseModel):
    name: str = Field(description="The gate, state or helper this equation defines.")
    value: Expression = Field(description="An expression (docs/CELLS.md).")


class CellDescription(BaseModel):
    """One cell variant as the engine declares it (docs/CELLS.md): its names, weight layout,
    options and equations as data."""

    key: str = Field(description="The variant's name, as `/compare?cells=` takes it.")
    request: dict[str, str | bool] = Field(description="The request fields that select it.")
    title: str
    states: list[str] = Field(description="State names, in the order of results' `states`.")
    gates: list[str] = Field(description="Gate names, in column-block order of the weights.")
    blocks: int = Field(description="G: H-wide column blocks of kernel, recurrent kernel, bias.")
    bias_rows: int = Field(description="2: an input bias row and a recurrent bias row.")
    options: list[str] = Field(description="Request options this variant reads.")
    equations: list[Equation] = Field(description="Evaluated in order; each defines `name`.")


class Preset(BaseModel):
    """One of the seed notebook's examples."""

    name: str
    title: str
    seed_heading: str = Field(description="Where it stands in the seed notebook (RNN 기본예제).")
    description: str
    config: RunRequest


# ---- Training (SPEC section 8) -----------------------------------------------------------------


class TrainRequest(Strict):
    """A next-character training on one text. Every field has a default: `{}` trains an LSTM to
    say "hihello". Limits that are settings (`max_train_epochs`, `max_train_text`,
    `max_train_vocabulary`, `max_hidden_size`, `max_layers`, `max_numbers`) are checked after
    these rules, with the same error form."""

    cell: CellType = "lstm"
    hidden_size: int = Field(5, ge=1, description="Units per layer (H).")
    num_layers: int = Field(1, ge=1, description="Stacked layers (one direction).")
    reset_after: bool = Field(True, description="GRU only: Keras/cuDNN (true) or TF1 (false).")
    forget_bias: float = Field(0.0, description="LSTM only: added to the forget gate.")
    text: str = Field(
        "hihello",
        min_length=2,
        description="The network reads text[:-1] one-hot and learns to predict text[1:].",
    )
    vocabulary: str | None = Field(
        None,
        min_length=1,
        description="The one-hot code and the head's classes, in order. Default: the text's "
        "characters in order of first appearance ('hihello' gives 'hielo').",
    )
    epochs: int = Field(50, ge=1, description="Adam updates, one per epoch (whole text a batch).")
    learning_rate: float = Field(0.1, gt=0, le=10, description="Adam's learning rate.")
    seed: int = Field(0, ge=0, le=2**32 - 1, description="Seed of the initial weights.")
    snapshot_every: int = Field(
        1, ge=1, description="A snapshot every k epochs, and always at epoch 0 and the last."
    )


class HistoryEntry(BaseModel):
    """The model at one epoch's weights (epoch 0: before any update)."""

    epoch: int
    loss: float = Field(description="Mean softmax cross-entropy over the steps.")
    accuracy: float = Field(description="Fraction of steps whose most likely character is right.")
    predicted: str = Field(description="The most likely next character at each step.")


class TrainHead(BaseModel):
    kernel: list[list[float]] = Field(description="V, [H][C].")
    bias: list[float] = Field(description="v, [C].")


class TrainSnapshot(BaseModel):
    epoch: int
    probabilities: list[list[float]] = Field(description="[T][C], softmax of the head's logits.")
    head: TrainHead
    run: RunResult = Field(
        description="The recurrent stack's run on text[:-1] at this epoch's weights, exactly as "
        "`POST /api/run` with `run.config` returns it."
    )


class TrainMeta(BaseModel):
    tensorflow: str
    device: str
    executor: str
    compute_ms: float = Field(description="Engine time of the whole training, snapshots included.")


class TrainResult(BaseModel):
    """A whole training: the loss and predictions at every epoch, snapshots of the network."""

    config: TrainRequest
    vocabulary: str
    history: list[HistoryEntry]
    snapshots: list[TrainSnapshot]
    meta: TrainMeta


class TrainEpochEvent(HistoryEntry):
    """The data of a stream's `event: epoch`: one history entry, with its snapshot if any."""

    snapshot: TrainSnapshot | None = None


class TrainDoneEvent(BaseModel):
    """The data of a stream's last event, `event: done`: the response without its history and
    snapshots, which the epoch events carried."""

    config: TrainRequest
    vocabulary: str
    meta: TrainMeta


class TrainErrorEvent(BaseModel):
    """The data of `event: error`: what stopped a training once its stream had started."""

    status: int = Field(description="The status a JSON request would have got (422, 503).")
    detail: list[dict[str, Any]] | str
