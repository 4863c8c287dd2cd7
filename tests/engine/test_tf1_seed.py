"""Every seed example, run the seed's own TF 1.x way, agrees with the engine.

``bench/tf1_seed.py`` rebuilds the notebook's cells (BasicRNNCell, BasicLSTMCell with forget_bias
1.0, TF1 GRUCell) in a v1 graph with ``dynamic_rnn`` / ``bidirectional_dynamic_rnn`` /
``MultiRNNCell``; here it is given the engine's weights, rearranged into TF1's layout, and
compared output for output and state for state.
"""

import numpy as np
import pytest

from app.engine.unroll import run_network
from app.presets import presets
from app.settings import Settings
from app.validation import prepare_run
from bench.tf1_seed import run_the_seed_way
from tests.conftest import record_difference


def seed_variant(name: str):
    """The preset with the notebook's own cell variants (TF1 GRU, LSTM forget bias 1.0)."""
    config = presets()[name].config
    return config.model_copy(update={"reset_after": False, "forget_bias": 1.0})


@pytest.mark.parametrize("name", list(presets()))
def test_seed_example_run_the_tf1_way_matches_the_engine(name):
    prepared = prepare_run(seed_variant(name), Settings())
    spec = prepared.spec
    ours = run_network(
        spec, prepared.inputs, prepared.lengths, prepared.weights, prepared.initial_state
    )
    outputs, finals = run_the_seed_way(prepared, prepared.weights)
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
