"""The JSON body of a run result (SPEC section 5), serialised with orjson.

Arrays stay numpy float32 until orjson writes them. Two encodings of the same result:

- ``json`` (the default): every array as nested lists, each number in its shortest float32
  form (about 10 bytes a number);
- ``b64``: every float array as a typed-array object that Plotly.js reads natively,
  ``{"dtype": "float32", "shape": "B,T,H", "bdata": "<base64 of the little-endian float32
  values, C order>"}`` (5.33 bytes a number). ``shape`` is a comma-separated string, as
  Plotly.js requires. Everything else (config, tokens, sequence_length, meta) is plain JSON.
"""

import base64
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import orjson

from app.engine.weights import DirectionWeights
from app.validation import PreparedRun

if TYPE_CHECKING:  # the engine imports TensorFlow, which the worker thread loads
    from app.engine.unroll import DirectionRun, NetworkRun


def _direction(run: "DirectionRun") -> dict[str, Any]:
    return {
        "outputs": run.outputs,
        "states": run.states,
        "gates": run.gates,
        "final_state": run.final_state,
    }


def _weights(weights: DirectionWeights) -> dict[str, np.ndarray]:
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
        "config": prepared.request.model_dump(mode="json"),
        "tokens": prepared.tokens,
        "inputs": prepared.inputs,
        "sequence_length": prepared.lengths.tolist(),
        "layers": _per_layer(run.layers, _direction),
        "outputs": run.outputs,
        "weights": {"layers": _per_layer(prepared.weights, _weights)},
        "meta": meta,
    }


Encoding = Literal["json", "b64"]


def _contiguous(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return np.ascontiguousarray(value)
    raise TypeError(f"cannot serialise {type(value).__name__}")


def typed_array(value: Any) -> dict[str, str]:
    """A float array as ``{"dtype": "float32", "shape": "2,3", "bdata": base64}``."""
    if not isinstance(value, np.ndarray):
        raise TypeError(f"cannot serialise {type(value).__name__}")
    data = np.ascontiguousarray(value, dtype="<f4")
    return {
        "dtype": "float32",
        "shape": ",".join(map(str, data.shape)),
        "bdata": base64.b64encode(data.data).decode("ascii"),
    }


def to_json(result: dict[str, Any], encoding: Encoding = "json") -> bytes:
    """UTF-8 JSON of a result, its float arrays in ``encoding`` (see the module docstring)."""
    if encoding == "b64":
        return orjson.dumps(result, default=typed_array)
    return orjson.dumps(result, default=_contiguous, option=orjson.OPT_SERIALIZE_NUMPY)
