"""The JSON body of a run result (SPEC section 5), serialised with orjson.

Arrays stay numpy float32 until orjson writes them, each number in its shortest float32 form.
"""

from typing import Any

import numpy as np
import orjson

from app.engine.unroll import DirectionRun, NetworkRun
from app.engine.weights import DirectionWeights
from app.validation import PreparedRun


def _direction(run: DirectionRun) -> dict[str, Any]:
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


def build_result(prepared: PreparedRun, run: NetworkRun, meta: dict[str, Any]) -> dict[str, Any]:
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


def _contiguous(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return np.ascontiguousarray(value)
    raise TypeError(f"cannot serialise {type(value).__name__}")


def to_json(result: dict[str, Any]) -> bytes:
    """UTF-8 JSON of a result; numpy arrays as nested lists of float32 numbers."""
    return orjson.dumps(result, default=_contiguous, option=orjson.OPT_SERIALIZE_NUMPY)
