"""From a validated request to what the engine runs: shapes, vocabulary, lengths and limits.

pydantic has already checked types, ranges, choices and unknown fields. Everything here depends
on several fields at once or on the settings, and fails with an ``InputError`` whose ``loc`` is
the field's path and whose message states the rule.

Every limit is checked before anything is allocated in proportion to the request: the input's
shape and the number of numbers the response would carry are known from the request's lengths
alone, so a request that breaks a limit costs no more memory than its own body.
"""

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import orjson

from app.engine.cells import VARIANTS
from app.engine.config import ANALYSES, TANGENT_NUMBERS, NetworkSpec, connectivity_cost
from app.engine.weights import LayerArrays, WeightArrays, expected_shapes, seeded_weights
from app.errors import InputError, Loc
from app.schemas import InitialState, RunRequest, Weights
from app.settings import Settings

StateArrays = dict[str, np.ndarray]
# spec, inputs (B, T, D), lengths (B,), weights, initial states: what the engine's runs read
RunArguments = tuple[
    NetworkSpec, np.ndarray, np.ndarray, list[LayerArrays], list[dict[str, StateArrays]] | None
]


@dataclass(frozen=True)
class PreparedRun:
    """A run ready for the engine, and the normalised request it came from."""

    request: RunRequest  # defaults, vocabulary and lengths filled in; arrays as float32
    spec: NetworkSpec
    inputs: np.ndarray  # (B, T, D) float32
    lengths: np.ndarray  # (B,) int32
    tokens: list[list[str]] | None
    initial_state: list[dict[str, StateArrays]] | None
    weights: list[LayerArrays]
    numbers: int  # how many numbers the response carries
    analysis: tuple[str, ...] = ()  # the analyses asked for, in ANALYSES order

    @property
    def run_arguments(self) -> "RunArguments":
        """What ``run_network`` and ``analyse`` read: spec, inputs, lengths, weights, states."""
        return self.spec, self.inputs, self.lengths, self.weights, self.initial_state

    @property
    def key(self) -> str:
        """Digest of the normalised request: equal keys give identical results."""
        return hashlib.sha256(request_json(self.request)).hexdigest()


def request_json(request: RunRequest) -> bytes:
    """The request as JSON, its arrays written from float32 (one form for lists and arrays)."""
    return orjson.dumps(request.model_dump(warnings=False), option=orjson.OPT_SERIALIZE_NUMPY)


def check_limit(value: int, limit: int, loc: Loc, what: str, setting: str) -> None:
    if value > limit:
        raise InputError(loc, f"{what} is {value}, above the limit of {limit} (setting {setting})")


def vocabulary_of(lines: Sequence[str], given: str | None, loc: Loc) -> str:
    """The vocabulary of ``lines``: ``given``, or their characters in order of first appearance;
    a character given twice is refused at ``loc``. (Runs and trainings both read text this way;
    ``check_known`` then checks every character against it.)"""
    vocabulary = "".join(dict.fromkeys("".join(lines))) if given is None else given
    if len(set(vocabulary)) != len(vocabulary):
        raise InputError(loc, "must not repeat a character")
    return vocabulary


def check_known(lines: Sequence[str], vocabulary: str, loc_of: Callable[[int], Loc]) -> None:
    """Every character of ``lines`` is in ``vocabulary``; else refused at ``loc_of(line)``."""
    known = set(vocabulary)
    for b, line in enumerate(lines):
        for t, char in enumerate(line):
            if char not in known:
                raise InputError(
                    loc_of(b),
                    f"character {char!r} at position {t} is not in the vocabulary {vocabulary!r}",
                )


def _shape_of(data: Any, depth: int) -> list[int]:
    """The shape implied by the first element at each level of a nested list (or an array)."""
    if isinstance(data, np.ndarray):
        return list(data.shape) if data.ndim == depth else [0] * depth
    shape = []
    for _ in range(depth):
        shape.append(len(data))
        data = data[0] if len(data) else []
    return shape


def _find_mismatch(data: Any, shape: tuple[int, ...], loc: Loc) -> tuple[Loc, str] | None:
    """The first place where nested lists (or an array) ``data`` depart from ``shape``, and how."""
    if isinstance(data, np.ndarray):
        if data.ndim != len(shape):
            return loc, f"has {data.ndim} dimensions, expected {len(shape)}"
        for axis, (have, want) in enumerate(zip(data.shape, shape, strict=True)):
            if have != want:
                return (*loc, *[0] * axis), f"has {have} entries, expected {want}"
        return None
    if len(data) != shape[0]:
        return loc, f"has {len(data)} entries, expected {shape[0]}"
    if len(shape) > 1:
        for index, item in enumerate(data):
            found = _find_mismatch(item, shape[1:], (*loc, index))
            if found:
                return found
    return None


def to_array(data: Any, shape: tuple[int, ...], loc: Loc, names: str) -> np.ndarray:
    """Nested lists (or an array) as a float32 array of exactly ``shape``; ``names`` reads like
    "[B][H]"."""
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


@dataclass(frozen=True)
class _Input:
    """The input's shape and vocabulary, known before anything is allocated."""

    batch: int
    steps: int
    size: int
    vocabulary: str | None


def _input_shape(request: RunRequest, settings: Settings) -> _Input:
    spec_input = request.input
    if spec_input.text is not None:
        text, field = spec_input.text, ("input", "text")
        check_limit(len(text), settings.max_batch, field, "batch size", "max_batch")
        steps = max(len(line) for line in text)
        check_limit(steps, settings.max_steps, field, "the longest line", "max_steps")
        if steps == 0:
            raise InputError(field, "at least one line must have a character")
        vocabulary = vocabulary_of(text, spec_input.vocabulary, ("input", "vocabulary"))
        check_limit(
            len(vocabulary),
            settings.max_input_size,
            ("input", "vocabulary"),
            "vocabulary size",
            "max_input_size",
        )
        check_known(text, vocabulary, lambda b: (*field, b))
        return _Input(len(text), steps, len(vocabulary), vocabulary)
    field = ("input", "values")
    batch, steps, size = _shape_of(spec_input.values, 3)
    check_limit(batch, settings.max_batch, field, "batch size", "max_batch")
    check_limit(steps, settings.max_steps, field, "the number of steps (T)", "max_steps")
    check_limit(size, settings.max_input_size, field, "the input size (D)", "max_input_size")
    if steps == 0 or size == 0:
        raise InputError(field, "must have at least one step of at least one number")
    return _Input(batch, steps, size, None)


def _build_input(request: RunRequest, shape: _Input) -> tuple[np.ndarray, list[list[str]] | None]:
    """The (B, T, D) float32 inputs (one-hot for text, zero past each line) and the tokens."""
    if request.input.text is None:
        values = to_array(
            request.input.values, (shape.batch, shape.steps, shape.size), ("input", "values"),
            "[B][T][D]",
        )  # fmt: skip
        return values, None
    assert shape.vocabulary is not None
    index = {char: i for i, char in enumerate(shape.vocabulary)}
    inputs = np.zeros((shape.batch, shape.steps, shape.size), np.float32)  # (B, T, V)
    for b, line in enumerate(request.input.text):
        inputs[b, np.arange(len(line)), [index[c] for c in line]] = 1.0
    return inputs, [list(line) for line in request.input.text]


def _lengths(request: RunRequest, shape: _Input) -> np.ndarray:
    batch, steps = shape.batch, shape.steps
    if request.sequence_length is None:
        if request.input.text is not None:
            return np.asarray([len(line) for line in request.input.text], np.int32)
        return np.full(batch, steps, np.int32)
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
    layers = cast(list[Any], given.layers)  # LayerState or LayerWeights models (pydantic)
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
            if (state.c is not None) != ("c" in spec.state_names):
                rule = "is required for" if "c" in spec.state_names else "is only for"
                raise InputError((*loc, "c"), f"{rule} {_cells_with_state('c')}")
            per_direction[direction] = {
                name: to_array(getattr(state, name), shape, (*loc, name), "[B][H]")
                for name in spec.state_names
            }
        layers.append(per_direction)
    return layers


def _weights(request: RunRequest, spec: NetworkSpec, input_size: int) -> list[LayerArrays]:
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
            per_direction[direction] = WeightArrays(**arrays)
        layers.append(per_direction)
    return layers


def _cells_with_state(name: str) -> str:
    """The request cells whose states include ``name``, as a message says them."""
    cells = dict.fromkeys(str(v.request["cell"]) for v in VARIANTS.values() if name in v.states)
    return " and ".join(cells)


def name_of_shape(name: str, spec: NetworkSpec) -> str:
    """How a weight's shape reads in messages, e.g. ``[D][4H]`` or ``[2][3H]``."""
    g = f"{spec.num_blocks}H" if spec.num_blocks > 1 else "H"
    if name == "kernel":
        return f"[D][{g}]"
    if name == "recurrent_kernel":
        return f"[H][{g}]"
    rows = spec.variant.bias_rows
    return f"[{rows}][{g}]" if rows > 1 else f"[{g}]"


def weight_count(spec: NetworkSpec, input_size: int) -> int:
    """How many numbers every layer's and direction's weights hold together."""
    per_direction = sum(
        int(np.prod(shape))
        for layer in range(spec.num_layers)
        for shape in expected_shapes(spec, input_size, layer).values()
    )
    return len(spec.directions) * per_direction


def analysis_numbers(spec: NetworkSpec, batch: int, steps: int, analysis: tuple[str, ...]) -> int:
    """How many numbers the analyses add to one layer-direction: connectivity (B, T, T);
    trajectory axes (K, H), mean (H), ratios (K) and components (B, T, K), ``K = min(2, H)``."""
    k = min(2, spec.hidden_size)
    sizes = {
        "connectivity": batch * steps * steps,
        "trajectory": k * spec.hidden_size + spec.hidden_size + k + batch * steps * k,
    }
    return sum(sizes[name] for name in analysis)


def count_numbers(
    spec: NetworkSpec,
    batch: int,
    steps: int,
    input_size: int,
    echoed: int = 0,
    analysis: tuple[str, ...] = (),
) -> int:
    """How many numbers a run's response carries: inputs, every array, weights, the
    ``echoed`` numbers of the request's own arrays repeated in ``config``, and the analyses."""
    per_step = batch * steps * spec.hidden_size
    per_direction = per_step * (1 + len(spec.state_names) + len(spec.gate_names))
    per_direction += batch * spec.hidden_size * len(spec.state_names)
    per_direction += analysis_numbers(spec, batch, steps, analysis)
    top = batch * steps * spec.output_size
    return (
        batch * steps * input_size
        + spec.num_layers * len(spec.directions) * per_direction
        + weight_count(spec, input_size)
        + top
        + echoed
    )


def _echoed(request: RunRequest, spec: NetworkSpec, shape: _Input) -> int:
    """Numbers of the request's own arrays, which ``config`` repeats (as they must be shaped)."""
    values = shape.batch * shape.steps * shape.size if request.input.values is not None else 0
    states = (
        spec.num_layers * len(spec.directions) * len(spec.state_names)
        * shape.batch * spec.hidden_size
        if request.initial_state is not None else 0
    )  # fmt: skip
    weights = weight_count(spec, shape.size) if request.weights is not None else 0
    return values + states + weights


def network_spec(request: RunRequest, settings: Settings) -> NetworkSpec:
    """The request's network, its hidden size and layer count checked against the limits."""
    check_limit(
        request.hidden_size,
        settings.max_hidden_size,
        ("hidden_size",),
        "hidden_size",
        "max_hidden_size",
    )
    check_limit(
        request.num_layers, settings.max_layers, ("num_layers",), "num_layers", "max_layers"
    )
    return NetworkSpec(
        cell=request.cell,
        hidden_size=request.hidden_size,
        num_layers=request.num_layers,
        bidirectional=request.bidirectional,
        reset_after=request.reset_after,
        forget_bias=request.forget_bias,
    )


def prepare_run(request: RunRequest, settings: Settings) -> PreparedRun:
    """Check ``request`` against every cross-field rule and limit; build the engine's inputs."""
    spec = network_spec(request, settings)
    shape = _input_shape(request, settings)
    analysis = tuple(name for name in ANALYSES if name in request.analysis)
    if "connectivity" in analysis:
        _connectivity_limits(spec, shape, settings)
    numbers = count_numbers(
        spec, shape.batch, shape.steps, shape.size, _echoed(request, spec, shape), analysis
    )
    if numbers > settings.max_numbers:
        raise InputError(
            (),
            f"the result would carry {numbers} numbers, above the limit of {settings.max_numbers} "
            "(setting max_numbers): use fewer examples, steps, hidden units or layers",
        )
    lengths = _lengths(request, shape)
    inputs, tokens = _build_input(request, shape)
    initial_state = _initial_state(request, spec, shape.batch)
    weights = _weights(request, spec, shape.size)
    return PreparedRun(
        request=_normalised(request, shape, lengths, inputs, initial_state, weights, analysis),
        spec=spec,
        inputs=inputs,
        lengths=lengths,
        tokens=tokens,
        initial_state=initial_state,
        weights=weights,
        numbers=numbers,
        analysis=analysis,
    )


def _connectivity_limits(spec: NetworkSpec, shape: _Input, settings: Settings) -> None:
    """Connectivity's own limits: T (``max_analysis_steps``), and its cost, estimated from the
    sizes (multiply-adds, ``max_connectivity_macs``; working memory for one source position)."""
    loc: Loc = ("analysis",)
    if shape.steps > settings.max_analysis_steps:
        raise InputError(
            loc,
            f"connectivity needs T <= {settings.max_analysis_steps} (setting "
            f"max_analysis_steps); T is {shape.steps}: use fewer steps or drop connectivity",
        )
    macs, per_source = connectivity_cost(spec, shape.batch, shape.steps, shape.size)
    smaller = "use fewer steps, examples, inputs, hidden units or layers, or drop connectivity"
    if macs > settings.max_connectivity_macs:
        raise InputError(
            loc,
            f"connectivity would cost about {macs:.3g} multiply-adds, above the limit of "
            f"{settings.max_connectivity_macs:.3g} (setting max_connectivity_macs): {smaller}",
        )
    if per_source > TANGENT_NUMBERS:
        raise InputError(
            loc,
            f"connectivity would need {per_source} working numbers for one source position, "
            f"above the engine's {TANGENT_NUMBERS}: {smaller}",
        )


def _normalised(
    request: RunRequest,
    shape: _Input,
    lengths: np.ndarray,
    inputs: np.ndarray,
    initial_state: list[dict[str, StateArrays]] | None,
    weights: list[LayerArrays],
    analysis: tuple[str, ...],
) -> RunRequest:
    """The request with defaults, vocabulary and lengths filled in, the analyses each once in
    ``ANALYSES`` order, its arrays the float32 arrays the engine reads (so equal runs have equal
    keys, however their numbers or analyses were written)."""
    given = request.input
    update = {"vocabulary": shape.vocabulary} if given.text is not None else {"values": inputs}
    fields: dict[str, Any] = {
        "input": given.model_copy(update=update),
        "sequence_length": lengths.tolist(),
        "analysis": list(analysis),
    }
    if request.initial_state is not None and initial_state is not None:
        fields["initial_state"] = _with_arrays(request.initial_state, initial_state)
    if request.weights is not None:
        arrays = [{d: vars(w) for d, w in layer.items()} for layer in weights]
        fields["weights"] = _with_arrays(request.weights, arrays)
    return request.model_copy(update=fields)


def _with_arrays(given: Any, arrays: list[dict[str, dict[str, np.ndarray]]]) -> Any:
    """A copy of ``given`` (initial state or weights) holding, per layer and direction, the
    named ``arrays``."""
    layers = [
        layer.model_copy(
            update={d: getattr(layer, d).model_copy(update=named) for d, named in per.items()}
        )
        for layer, per in zip(given.layers, arrays, strict=True)
    ]
    return given.model_copy(update={"layers": layers})
