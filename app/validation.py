"""From a validated request to what the engine runs: shapes, vocabulary, lengths and limits.

pydantic has already checked types, ranges, choices and unknown fields. Everything here depends
on several fields at once or on the settings, and fails with an ``InputError`` whose ``loc`` is
the field's path and whose message states the rule.
"""

import hashlib
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import orjson

from app.engine.config import NetworkSpec
from app.engine.weights import DirectionWeights, LayerWeights, expected_shapes, seeded_weights
from app.errors import InputError, Loc
from app.schemas import InitialState, RunRequest, Weights
from app.settings import Settings

StateArrays = dict[str, np.ndarray]


@dataclass(frozen=True)
class PreparedRun:
    """A run ready for the engine, and the normalised request it came from."""

    request: RunRequest  # defaults, vocabulary and lengths filled in
    spec: NetworkSpec
    inputs: np.ndarray  # (B, T, D) float32
    lengths: np.ndarray  # (B,) int32
    tokens: list[list[str]] | None
    initial_state: list[dict[str, StateArrays]] | None
    weights: list[LayerWeights]

    @property
    def key(self) -> str:
        """Digest of the normalised request: equal keys give identical results."""
        return hashlib.sha256(orjson.dumps(self.request.model_dump(mode="json"))).hexdigest()


def _limit(value: int, limit: int, loc: Loc, what: str, setting: str) -> None:
    if value > limit:
        raise InputError(loc, f"{what} is {value}, above the limit of {limit} (setting {setting})")


def _shape_of(data: Any, depth: int) -> list[int]:
    """The shape implied by the first element at each level of a nested list."""
    shape = []
    for _ in range(depth):
        shape.append(len(data))
        data = data[0] if len(data) else []
    return shape


def _find_mismatch(data: Any, shape: tuple[int, ...], loc: Loc) -> tuple[Loc, str] | None:
    """The first place where nested lists ``data`` depart from ``shape``, and how."""
    if len(data) != shape[0]:
        return loc, f"has {len(data)} entries, expected {shape[0]}"
    if len(shape) > 1:
        for index, item in enumerate(data):
            found = _find_mismatch(item, shape[1:], (*loc, index))
            if found:
                return found
    return None


def to_array(data: Any, shape: tuple[int, ...], loc: Loc, names: str) -> np.ndarray:
    """Nested lists as a float32 array of exactly ``shape``; ``names`` reads like "[B][H]"."""
    try:
        with np.errstate(over="ignore"):  # overflow to inf is reported below
            array = np.asarray(data, dtype=np.float32)
    except ValueError:
        array = None
    if array is None or array.shape != shape:
        where, msg = _find_mismatch(data, shape, loc) or (loc, "has the wrong shape")
        raise InputError(where, f"{msg}: the shape must be {names} = {list(shape)}")
    if not np.isfinite(array).all():
        raise InputError(loc, "every number must be finite in float32 (too large a magnitude)")
    return array


def _encode_text(
    text: list[str], vocabulary: str | None, settings: Settings
) -> tuple[np.ndarray, list[list[str]], str]:
    """One-hot (B, T, V) inputs, the tokens, and the vocabulary (first appearance by default)."""
    if vocabulary is None:
        vocabulary = "".join(dict.fromkeys("".join(text)))
    elif len(set(vocabulary)) != len(vocabulary):
        raise InputError(("input", "vocabulary"), "must not repeat a character")
    index = {char: i for i, char in enumerate(vocabulary)}
    for b, line in enumerate(text):
        for t, char in enumerate(line):
            if char not in index:
                raise InputError(
                    ("input", "text", b),
                    f"character {char!r} at position {t} is not in the vocabulary {vocabulary!r}",
                )
    _limit(
        len(vocabulary),
        settings.max_input_size,
        ("input", "vocabulary"),
        "vocabulary size",
        "max_input_size",
    )
    steps = max(len(line) for line in text)
    inputs = np.zeros((len(text), steps, len(vocabulary)), np.float32)  # (B, T, V)
    for b, line in enumerate(text):
        inputs[b, np.arange(len(line)), [index[c] for c in line]] = 1.0
    return inputs, [list(line) for line in text], vocabulary


def _read_input(
    request: RunRequest, settings: Settings
) -> tuple[np.ndarray, list[list[str]] | None, str | None]:
    spec_input = request.input
    if spec_input.text is not None:
        field: Loc = ("input", "text")
        _limit(len(spec_input.text), settings.max_batch, field, "batch size", "max_batch")
        inputs, tokens, vocabulary = _encode_text(spec_input.text, spec_input.vocabulary, settings)
        if inputs.shape[1] == 0:
            raise InputError(field, "at least one line must have a character")
        _limit(inputs.shape[1], settings.max_steps, field, "the longest line", "max_steps")
        return inputs, tokens, vocabulary
    assert spec_input.values is not None
    field = ("input", "values")
    batch, steps, size = _shape_of(spec_input.values, 3)
    _limit(batch, settings.max_batch, field, "batch size", "max_batch")
    _limit(steps, settings.max_steps, field, "the number of steps (T)", "max_steps")
    _limit(size, settings.max_input_size, field, "the input size (D)", "max_input_size")
    if steps == 0 or size == 0:
        raise InputError(field, "must have at least one step of at least one number")
    return to_array(spec_input.values, (batch, steps, size), field, "[B][T][D]"), None, None


def _lengths(request: RunRequest, inputs: np.ndarray, tokens: list[list[str]] | None) -> np.ndarray:
    batch, steps = inputs.shape[:2]
    if request.sequence_length is None:
        given = [len(t) for t in tokens] if tokens is not None else [steps] * batch
        return np.asarray(given, np.int32)
    if len(request.sequence_length) != batch:
        raise InputError(
            ("sequence_length",),
            f"has {len(request.sequence_length)} entries, expected one per example ({batch})",
        )
    for b, length in enumerate(request.sequence_length):
        if not 0 <= length <= steps:
            raise InputError(("sequence_length", b), f"is {length}, must be in [0, T={steps}]")
    return np.asarray(request.sequence_length, np.int32)


def _per_layer(
    given: InitialState | Weights, spec: NetworkSpec, field: str
) -> list[dict[str, tuple[Any, Loc]]]:
    """Per layer, each direction's entry and its loc; checks the layer and direction count."""
    layers = cast(list[Any], given.layers)  # LayerState or LayerWeights models
    if len(layers) != spec.num_layers:
        raise InputError(
            (field, "layers"),
            f"has {len(given.layers)} layers, expected num_layers = {spec.num_layers}",
        )
    result = []
    for index, layer in enumerate(layers):
        loc: Loc = (field, "layers", index)
        if (layer.backward is not None) != spec.bidirectional:
            need = "needs" if spec.bidirectional else "must not have"
            raise InputError(
                (*loc, "backward"),
                f"{need} a backward entry when bidirectional is {str(spec.bidirectional).lower()}",
            )
        result.append({d: (getattr(layer, d), (*loc, d)) for d in spec.directions})
    return result


def _initial_state(
    request: RunRequest, spec: NetworkSpec, batch: int
) -> list[dict[str, StateArrays]] | None:
    if request.initial_state is None:
        return None
    shape = (batch, spec.hidden_size)
    layers = []
    for layer in _per_layer(request.initial_state, spec, "initial_state"):
        per_direction = {}
        for direction, (state, loc) in layer.items():
            if (state.c is not None) != (spec.cell == "lstm"):
                rule = "is required for lstm" if spec.cell == "lstm" else "is only for lstm"
                raise InputError((*loc, "c"), rule)
            per_direction[direction] = {
                name: to_array(getattr(state, name), shape, (*loc, name), "[B][H]")
                for name in spec.state_names
            }
        layers.append(per_direction)
    return layers


def _weights(request: RunRequest, spec: NetworkSpec, input_size: int) -> list[LayerWeights]:
    if request.weights is None:
        return seeded_weights(spec, input_size, request.seed)
    layers = []
    for index, layer in enumerate(_per_layer(request.weights, spec, "weights")):
        shapes = expected_shapes(spec, input_size, index)
        per_direction = {}
        for direction, (given, loc) in layer.items():
            arrays = {
                name: to_array(getattr(given, name), shape, (*loc, name), name_of_shape(name, spec))
                for name, shape in shapes.items()
            }
            per_direction[direction] = DirectionWeights(**arrays)
        layers.append(per_direction)
    return layers


def name_of_shape(name: str, spec: NetworkSpec) -> str:
    """How a weight's shape reads in messages, e.g. ``[D][4H]``."""
    g = f"{spec.num_blocks}H" if spec.num_blocks > 1 else "H"
    if name == "kernel":
        return f"[D][{g}]"
    if name == "recurrent_kernel":
        return f"[H][{g}]"
    return "[2][3H]" if len(spec.bias_shape) == 2 else f"[{g}]"


def count_numbers(spec: NetworkSpec, batch: int, steps: int, input_size: int) -> int:
    """How many numbers a run's response carries (inputs, every array, weights)."""
    per_step = batch * steps * spec.hidden_size
    per_direction = per_step * (1 + len(spec.state_names) + len(spec.gate_names))
    per_direction += batch * spec.hidden_size * len(spec.state_names)
    weights = sum(
        int(np.prod(shape))
        for layer in range(spec.num_layers)
        for shape in expected_shapes(spec, input_size, layer).values()
    )
    directions = len(spec.directions)
    top = batch * steps * spec.output_size
    return (
        batch * steps * input_size
        + spec.num_layers * directions * per_direction
        + (directions * weights)
        + top
    )


def prepare_run(request: RunRequest, settings: Settings) -> PreparedRun:
    """Check ``request`` against every cross-field rule and limit; build the engine's inputs."""
    _limit(
        request.hidden_size,
        settings.max_hidden_size,
        ("hidden_size",),
        "hidden_size",
        "max_hidden_size",
    )
    _limit(request.num_layers, settings.max_layers, ("num_layers",), "num_layers", "max_layers")
    spec = NetworkSpec(
        cell=request.cell,
        hidden_size=request.hidden_size,
        num_layers=request.num_layers,
        bidirectional=request.bidirectional,
        reset_after=request.reset_after,
        forget_bias=request.forget_bias,
    )
    inputs, tokens, vocabulary = _read_input(request, settings)
    batch, steps, input_size = inputs.shape
    numbers = count_numbers(spec, batch, steps, input_size)
    if numbers > settings.max_numbers:
        raise InputError(
            (),
            f"the result would carry {numbers} numbers, above the limit of {settings.max_numbers} "
            "(setting max_numbers): use fewer examples, steps, hidden units or layers",
        )
    lengths = _lengths(request, inputs, tokens)
    normalised = request.model_copy(
        update={
            "input": request.input.model_copy(update={"vocabulary": vocabulary})
            if vocabulary is not None
            else request.input,
            "sequence_length": lengths.tolist(),
        }
    )
    return PreparedRun(
        request=normalised,
        spec=spec,
        inputs=inputs,
        lengths=lengths,
        tokens=tokens,
        initial_state=_initial_state(request, spec, batch),
        weights=_weights(request, spec, input_size),
    )
