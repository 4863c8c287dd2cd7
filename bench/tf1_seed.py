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

import tensorflow as tf
from tf_keras.src.layers.rnn import legacy_cells

from app.engine.config import NetworkSpec
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


def run_the_seed_way(prepared: PreparedRun) -> object:
    """One example, start to finish, as the notebook runs it."""
    spec = prepared.spec
    with tf.Graph().as_default(), v1.Session() as session:
        x, lengths = prepared.inputs, prepared.lengths
        if spec.bidirectional:
            outputs, finals = v1.nn.bidirectional_dynamic_rnn(
                _cell(spec),
                _cell(spec),
                x,
                sequence_length=lengths,
                dtype=tf.float32,
                initial_state_fw=_state(spec, prepared, 0, "forward"),
                initial_state_bw=_state(spec, prepared, 0, "backward"),
            )
        else:
            cells = [_cell(spec) for _ in range(spec.num_layers)]
            cell = cells[0] if spec.num_layers == 1 else legacy_cells.MultiRNNCell(cells)
            start = None
            if prepared.initial_state is not None:
                states = [_state(spec, prepared, layer, "forward") for layer in range(len(cells))]
                start = states[0] if len(cells) == 1 else tuple(states)
            outputs, finals = v1.nn.dynamic_rnn(
                cell, x, sequence_length=lengths, dtype=tf.float32, initial_state=start
            )
        session.run(v1.global_variables_initializer())
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
