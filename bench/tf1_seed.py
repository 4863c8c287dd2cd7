"""The seed notebook's own way to run an example, timed: TF 1.x graph mode, in its own process.

Each run builds a new graph with the notebook's cells (``BasicRNNCell``, ``BasicLSTMCell``,
``GRUCell``, ``MultiRNNCell`` from tf_keras' legacy cells), ``dynamic_rnn`` or
``bidirectional_dynamic_rnn``, opens a session, initialises the variables and runs: what every
cell of the notebook does. Graph mode is switched on for the whole process, so this runs as a
child of the benches (``bench/engine.py``, ``bench/http.py``), never inside them.

Usage: ``python -m bench.tf1_seed --repeats 5 lstm_batch gru_batch`` prints JSON
``{"preset": [seconds, ...]}``. Needs the optional ``tf-keras`` package (``.[bench]``).
"""

import argparse
import json
import time

import numpy as np
import tensorflow as tf
from tf_keras.src.layers.rnn import legacy_cells

from app.engine.config import NetworkSpec
from app.engine.weights import LayerArrays, WeightArrays
from app.presets import presets
from app.settings import Settings
from app.validation import PreparedRun, prepare_run

v1 = tf.compat.v1


def _cell(spec: NetworkSpec):
    if spec.cell == "rnn":
        return legacy_cells.BasicRNNCell(spec.hidden_size)
    if spec.cell == "lstm":
        return legacy_cells.BasicLSTMCell(spec.hidden_size, forget_bias=spec.forget_bias)
    return legacy_cells.GRUCell(spec.hidden_size)


def _state(spec: NetworkSpec, prepared: PreparedRun, layer: int, direction: str):
    if prepared.initial_state is None:
        return None
    given = prepared.initial_state[layer][direction]
    if spec.cell == "lstm":
        return legacy_cells.LSTMStateTuple(given["c"], given["h"])
    return tf.constant(given["h"])


def _blocks(matrix: np.ndarray, hidden: int) -> list[np.ndarray]:
    return [matrix[..., k * hidden : (k + 1) * hidden] for k in range(matrix.shape[-1] // hidden)]


def tf1_layout(spec: NetworkSpec, weights: WeightArrays) -> list[np.ndarray]:
    """Keras-layout weights in the variable order and layout of the notebook's TF1 cell."""
    h = spec.hidden_size
    stacked = np.vstack([weights.kernel, weights.recurrent_kernel])  # [x, h] @ kernel
    if spec.cell == "rnn":
        return [stacked, weights.bias]
    if spec.cell == "lstm":  # TF1 order i, j (= g), f, o
        i, f, g, o = _blocks(stacked, h)
        bi, bf, bg, bo = _blocks(weights.bias, h)
        return [np.hstack([i, g, f, o]), np.concatenate([bi, bg, bf, bo])]
    z, r, n = _blocks(stacked, h)  # TF1 GRUCell: gates (r, u = z), then the candidate
    bz, br, bn = _blocks(weights.bias, h)
    return [np.hstack([r, z]), np.concatenate([br, bz]), n, bn]


def _seed_graph(prepared: PreparedRun):
    """The notebook's graph: top outputs and final states per direction, and the cells."""
    spec = prepared.spec
    x, lengths = prepared.inputs, prepared.lengths
    if spec.bidirectional:
        cells = {"forward": [_cell(spec)], "backward": [_cell(spec)]}
        outputs, finals = v1.nn.bidirectional_dynamic_rnn(
            cells["forward"][0],
            cells["backward"][0],
            x,
            sequence_length=lengths,
            dtype=tf.float32,
            initial_state_fw=_state(spec, prepared, 0, "forward"),
            initial_state_bw=_state(spec, prepared, 0, "backward"),
        )
        return (
            {"forward": outputs[0], "backward": outputs[1]},
            {"forward": [finals[0]], "backward": [finals[1]]},
            cells,
        )
    layers = [_cell(spec) for _ in range(spec.num_layers)]
    cell = layers[0] if spec.num_layers == 1 else legacy_cells.MultiRNNCell(layers)
    start = None
    if prepared.initial_state is not None:
        states = [_state(spec, prepared, layer, "forward") for layer in range(len(layers))]
        start = states[0] if len(layers) == 1 else tuple(states)
    top, final = v1.nn.dynamic_rnn(
        cell, x, sequence_length=lengths, dtype=tf.float32, initial_state=start
    )
    finals = [final] if spec.num_layers == 1 else list(final)
    return {"forward": top}, {"forward": finals}, {"forward": layers}


def run_the_seed_way(prepared: PreparedRun, weights: list[LayerArrays] | None = None) -> object:
    """One example, start to finish, as the notebook runs it: a new graph and session.

    With ``weights`` (the engine's, Keras layout) the variables are loaded with them after the
    notebook's initialiser, so the result can be compared with the engine's. Returns
    ``(outputs, finals)``: the top outputs per direction, and per direction the final state of
    each layer (an ``LSTMStateTuple`` for LSTM).
    """
    with tf.Graph().as_default(), v1.Session() as session:
        outputs, finals, cells = _seed_graph(prepared)
        session.run(v1.global_variables_initializer())
        for direction, per_layer in cells.items() if weights is not None else ():
            for layer, cell in enumerate(per_layer):
                arrays = tf1_layout(prepared.spec, weights[layer][direction])
                for variable, value in zip(cell.weights, arrays, strict=True):
                    variable.load(value, session)
        return session.run((outputs, finals))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("names", nargs="*", default=list(presets()))
    args = parser.parse_args()
    v1.disable_eager_execution()
    v1.logging.set_verbosity(v1.logging.ERROR)
    settings = Settings()
    times: dict[str, list[float]] = {}
    for name in args.names:
        prepared = prepare_run(presets()[name].config, settings)
        run_the_seed_way(prepared)  # the first run also loads kernels: not counted
        times[name] = []
        for _ in range(args.repeats):
            started = time.perf_counter()
            run_the_seed_way(prepared)
            times[name].append(time.perf_counter() - started)
    print(json.dumps(times))


if __name__ == "__main__":
    main()
