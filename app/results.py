"""The JSON body of a run result (SPEC section 5), serialised with orjson.

Arrays stay numpy float32 until orjson writes them. Two encodings of the same result:

- ``json`` (the default): every array as nested lists, each number in its shortest float32
  form (about 10 bytes a number);
- ``b64``: every float array as a typed-array object that Plotly.js reads natively,
  ``{"dtype": "float32", "shape": "B,T,H", "bdata": "<base64 of the little-endian float32
  values, C order>"}`` (5.33 bytes a number), the analyses' arrays (connectivity, every
  trajectory array) included. ``shape`` is a comma-separated string, as
  Plotly.js requires. Everything else (tokens, sequence_length, meta) is plain JSON, and so is
  ``config``, the request as it came, so that it can be sent back as it is.

A large array is written a piece of at most ``PIECE_NUMBERS`` numbers at a time and the pieces
joined: the bytes are the same, but no single call holds the interpreter for more than a few
milliseconds, so the event loop keeps answering while a large result is written on another
thread.
"""

import base64
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import orjson

from app.engine.weights import WeightArrays
from app.validation import PreparedRun

if TYPE_CHECKING:  # the engine imports TensorFlow, which the worker thread loads
    from app.engine.unroll import DirectionRun, NetworkRun

Encoding = Literal["json", "b64"]
PIECE_NUMBERS = 65_536  # numbers written by one call


def _direction(run: "DirectionRun") -> dict[str, Any]:
    """One layer-direction, with the analyses it carries (SPEC section 6) after its arrays."""
    result: dict[str, Any] = {
        "outputs": run.outputs,
        "states": run.states,
        "gates": run.gates,
        "final_state": run.final_state,
    }
    if run.connectivity is not None:
        result["connectivity"] = run.connectivity
    if run.trajectory is not None:
        result["trajectory"] = vars(run.trajectory)  # axes, mean, explained_variance_ratio, ...
    return result


def _weights(weights: WeightArrays) -> dict[str, np.ndarray]:
    return {
        "kernel": weights.kernel,
        "recurrent_kernel": weights.recurrent_kernel,
        "bias": weights.bias,
    }


def _per_layer(layers: list, convert: Any) -> list[dict[str, Any]]:
    return [{direction: convert(item) for direction, item in layer.items()} for layer in layers]


def build_result(prepared: PreparedRun, run: "NetworkRun", meta: dict[str, Any]) -> dict[str, Any]:
    """The run result as a dict of lists and float32 arrays."""
    return {
        "config": prepared.request.model_dump(warnings=False),  # arrays stay float32
        "tokens": prepared.tokens,
        "inputs": prepared.inputs,
        "sequence_length": prepared.lengths.tolist(),
        "layers": _per_layer(run.layers, _direction),
        "outputs": run.outputs,
        "weights": {"layers": _per_layer(prepared.weights, _weights)},
        "meta": meta,
    }


def _json_array(array: np.ndarray) -> bytes:
    """Nested lists of shortest float32 numbers, a piece at a time."""
    if array.size <= PIECE_NUMBERS:
        return orjson.dumps(np.ascontiguousarray(array), option=orjson.OPT_SERIALIZE_NUMPY)
    if array.ndim > 1:
        return b"[" + b",".join(_json_array(row) for row in array) + b"]"
    pieces = (array[k : k + PIECE_NUMBERS] for k in range(0, array.size, PIECE_NUMBERS))
    return b"[" + b",".join(_json_array(piece)[1:-1] for piece in pieces) + b"]"


def _base64(data: bytes | memoryview) -> bytes:
    """Base64 of ``data``, a piece (a multiple of 3 bytes) at a time."""
    step = 3 * PIECE_NUMBERS
    return b"".join(base64.b64encode(data[k : k + step]) for k in range(0, len(data), step))


def typed_array(value: np.ndarray) -> dict[str, Any]:
    """A float array as ``{"dtype": "float32", "shape": "2,3", "bdata": base64}``."""
    data = np.ascontiguousarray(value, dtype="<f4")
    return {
        "dtype": "float32",
        "shape": ",".join(map(str, data.shape)),
        "bdata": _base64(data.reshape(-1).view(np.uint8).data).decode("ascii"),
    }


def _encode(value: Any, encoding: Encoding) -> Any:
    """``value`` with every array replaced by its encoded JSON."""
    if isinstance(value, np.ndarray):
        return typed_array(value) if encoding == "b64" else orjson.Fragment(_json_array(value))
    if isinstance(value, dict):
        return {key: _encode(item, encoding) for key, item in value.items()}
    if isinstance(value, list):
        return [_encode(item, encoding) for item in value]
    return value


def to_json(result: dict[str, Any], encoding: Encoding = "json") -> bytes:
    """UTF-8 JSON of a result, its float arrays in ``encoding`` (see the module docstring)."""
    return orjson.dumps(
        {
            key: _encode(value, "json" if key == "config" else encoding)
            for key, value in result.items()
        }
    )
