"""Every seed example, run the seed's own TF 1.x way, agrees with the engine.

The notebook's cells (BasicRNNCell, BasicLSTMCell with forget_bias 1.0, TF1 GRUCell) are
rebuilt in a v1 graph with `dynamic_rnn` / `bidirectional_dynamic_rnn` / `MultiRNNCell`, given the
engine's weights rearranged into TF1's layout, and compared output for output and state for state.
"""

import numpy as np
import pytest
import tensorflow as tf
from tf_keras.src.layers.rnn import legacy_cells

from app.engine.config import NetworkSpec
from app.engine.unroll import run_network
from app.presets import presets
from app.settings import Settings
from app.validation import prepare_run
from tests.conftest import record_difference

v1 = tf.compat.v1


def blocks(matrix: np.ndarray, hidden: int) -> list[np.ndarray]:
    return [matrix[..., k * hidden : (k + 1) * hidden] for k in range(matrix.shape[-1] // hidden)]


def tf1_arrays(spec: NetworkSpec, weights) -> list[np.ndarray]:
    """Keras-layout weights in the variable order and layout of the TF1 cell."""
    h = spec.hidden_size
    stacked = np.vstack([weights.kernel, weights.recurrent_kernel])  # [x, h] @ kernel
    if spec.cell == "rnn":
        return [stacked, weights.bias]
    if spec.cell == "lstm":  # TF1 order i, j (= g), f, o
        i, f, g, o = blocks(stacked, h)
        bi, bf, bg, bo = blocks(weights.bias, h)
        return [np.hstack([i, g, f, o]), np.concatenate([bi, bg, bf, bo])]
    z, r, n = blocks(stacked, h)  # TF1 GRUCell: gates (r, u = z), then the candidate
    bz, br, bn = blocks(weights.bias, h)
    return [np.hstack([r, z]), np.concatenate([br, bz]), n, bn]


def tf1_cell(spec: NetworkSpec):
    if spec.cell == "rnn":
        return legacy_cells.BasicRNNCell(spec.hidden_size)
    if spec.cell == "lstm":
        return legacy_cells.BasicLSTMCell(spec.hidden_size, forget_bias=spec.forget_bias)
    return legacy_cells.GRUCell(spec.hidden_size)


def seed_variant(name: str):
    """The preset with the notebook's own cell variants (TF1 GRU, LSTM forget bias 1.0)."""
    config = presets()[name].config
    return config.model_copy(update={"reset_after": False, "forget_bias": 1.0})


def run_tf1(spec, x, lengths, weights, initial):
    """The notebook's way: a graph, cells, dynamic_rnn, a session. Returns numpy results."""
    with tf.Graph().as_default(), v1.Session() as sess:

        def state_of(layer, direction):
            if initial is None:
                return None
            s = initial[layer][direction]
            if spec.cell == "lstm":
                return legacy_cells.LSTMStateTuple(s["c"], s["h"])
            return tf.constant(s["h"])

        if spec.bidirectional:
            fw, bw = tf1_cell(spec), tf1_cell(spec)
            cells = {"forward": [fw], "backward": [bw]}
            outputs, finals = v1.nn.bidirectional_dynamic_rnn(
                fw,
                bw,
                x,
                sequence_length=lengths,
                dtype=tf.float32,
                initial_state_fw=state_of(0, "forward"),
                initial_state_bw=state_of(0, "backward"),
            )
            finals = {"forward": [finals[0]], "backward": [finals[1]]}
            outputs = {"forward": outputs[0], "backward": outputs[1]}
        else:
            layer_cells = [tf1_cell(spec) for _ in range(spec.num_layers)]
            cell = (
                layer_cells[0] if spec.num_layers == 1 else legacy_cells.MultiRNNCell(layer_cells)
            )
            start = None
            if initial is not None:
                states = [state_of(layer, "forward") for layer in range(spec.num_layers)]
                start = states[0] if spec.num_layers == 1 else tuple(states)
            top, final = v1.nn.dynamic_rnn(
                cell, x, sequence_length=lengths, dtype=tf.float32, initial_state=start
            )
            cells = {"forward": layer_cells}
            outputs = {"forward": top}
            finals = {"forward": [final] if spec.num_layers == 1 else list(final)}
        sess.run(v1.global_variables_initializer())
        for direction, per_layer in cells.items():
            for layer, cell in enumerate(per_layer):
                for variable, value in zip(
                    cell.weights, tf1_arrays(spec, weights[layer][direction]), strict=True
                ):
                    variable.load(value, sess)
        return sess.run((outputs, finals))


@pytest.mark.parametrize("name", list(presets()))
def test_seed_example_run_the_tf1_way_matches_the_engine(name):
    prepared = prepare_run(seed_variant(name), Settings())
    spec = prepared.spec
    ours = run_network(
        spec, prepared.inputs, prepared.lengths, prepared.weights, prepared.initial_state
    )
    outputs, finals = run_tf1(
        spec, prepared.inputs, prepared.lengths, prepared.weights, prepared.initial_state
    )
    top = ours.layers[-1]
    for direction, expected in outputs.items():
        difference = np.max(np.abs(top[direction].outputs - expected))
        record_difference("engine vs TF1 dynamic_rnn (seed examples)", difference)
        np.testing.assert_allclose(top[direction].outputs, expected, atol=1e-5)
        for layer, final in enumerate(finals[direction]):
            got = ours.layers[layer][direction].final_state
            if spec.cell == "lstm":
                np.testing.assert_allclose(got["c"], final.c, atol=1e-5)
                np.testing.assert_allclose(got["h"], final.h, atol=1e-5)
            else:
                np.testing.assert_allclose(got["h"], final, atol=1e-5)
