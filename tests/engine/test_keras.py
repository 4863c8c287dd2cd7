"""The engine against Keras' own layers given the same weights, and where SPEC differs."""

import secrets

import keras
import numpy as np
import pytest

from app.engine.config import NetworkSpec
from app.engine.unroll import run_network
from app.engine.weights import seeded_weights
from tests.conftest import record_difference

LAYERS = {"rnn": keras.layers.SimpleRNN, "lstm": keras.layers.LSTM, "gru": keras.layers.GRU}


def keras_layer(spec: NetworkSpec, weights, **options):
    kwargs = {"reset_after": spec.reset_after} if spec.cell == "gru" else {}
    layer = LAYERS[spec.cell](
        spec.hidden_size, return_sequences=True, return_state=True, **kwargs, **options
    )
    return layer, list(weights.arrays())


def run_keras(spec, weights, x, initial=None, mask=None, **options):
    layer, arrays = keras_layer(spec, weights, **options)
    layer.build(x.shape)
    layer.set_weights(arrays)
    result = layer(x, initial_state=initial, mask=mask)
    return [np.asarray(r) for r in result]


def random_inputs(cell, reset_after=True):
    rng = np.random.default_rng(secrets.randbits(32))
    spec = NetworkSpec(cell, int(rng.integers(1, 6)), reset_after=reset_after)
    batch, steps, size = 3, int(rng.integers(2, 9)), int(rng.integers(1, 5))
    x = rng.normal(0, 1.5, (batch, steps, size)).astype(np.float32)
    weights = seeded_weights(spec, size, int(rng.integers(2**32)))[0]["forward"]
    initial = [
        rng.normal(0, 0.5, (batch, spec.hidden_size)).astype(np.float32) for _ in spec.state_names
    ]
    return rng, spec, x, weights, initial


@pytest.mark.parametrize(
    ("cell", "reset_after"), [("rnn", True), ("lstm", True), ("gru", True), ("gru", False)]
)
def test_valid_steps_match_keras_layer_with_same_weights(cell, reset_after):
    rng, spec, x, weights, initial = random_inputs(cell, reset_after)
    steps = x.shape[1]
    lengths = rng.integers(1, steps + 1, x.shape[0]).astype(np.int32)
    ours = run_network(
        spec,
        x,
        lengths,
        [{"forward": weights}],
        [{"forward": dict(zip(spec.state_names, initial, strict=True))}],
    )
    got = ours.layers[0]["forward"]
    keras_out, *keras_states = run_keras(spec, weights, x, initial)
    for b, length in enumerate(
        lengths
    ):  # Keras without a mask reads every step; compare valid ones
        difference = np.max(np.abs(got.outputs[b, :length] - keras_out[b, :length]))
        record_difference("engine vs keras layers (valid steps)", difference)
        np.testing.assert_allclose(got.outputs[b, :length], keras_out[b, :length], atol=1e-5)
    full = lengths == steps
    for name, keras_state in zip(spec.state_names, keras_states, strict=True):
        np.testing.assert_allclose(got.final_state[name][full], keras_state[full], atol=1e-5)


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_padding_outputs_are_zero_where_masked_keras_carries_previous_output(cell):
    rng, spec, x, weights, _ = random_inputs(cell)
    steps = x.shape[1]
    lengths = np.array([steps, 1, steps - 1], np.int32)
    mask = np.arange(steps)[None, :] < lengths[:, None]
    got = run_network(spec, x, lengths, [{"forward": weights}]).layers[0]["forward"]
    keras_out, *keras_states = run_keras(spec, weights, x, mask=mask)
    for b, length in enumerate(lengths):
        np.testing.assert_allclose(got.outputs[b, :length], keras_out[b, :length], atol=1e-5)
        # Keras repeats the last valid output at padding steps; SPEC (TF1 dynamic_rnn) gives 0.
        np.testing.assert_allclose(
            keras_out[b, length:],
            np.broadcast_to(keras_out[b, length - 1], keras_out[b, length:].shape),
            atol=1e-6,
        )
        assert np.all(got.outputs[b, length:] == 0.0)
    for name, keras_state in zip(spec.state_names, keras_states, strict=True):
        np.testing.assert_allclose(
            got.final_state[name], keras_state, atol=1e-5
        )  # both carry state


def test_backward_direction_differs_from_keras_go_backwards_on_padded_examples():
    """Keras' go_backwards reverses the padded array; SPEC reverses each valid prefix."""
    rng, spec, x, _, _ = random_inputs("lstm")
    steps = x.shape[1]
    spec = NetworkSpec("lstm", spec.hidden_size, bidirectional=True)
    weights = seeded_weights(spec, x.shape[2], int(rng.integers(2**32)))[0]
    lengths = np.array([steps, steps - 1, 1], np.int32)
    got = run_network(spec, x, lengths, [weights]).layers[0]["backward"]
    keras_out, *_ = run_keras(spec, weights["backward"], x, go_backwards=True)
    # A full-length example: Keras' reversed output, flipped back to original positions, agrees.
    np.testing.assert_allclose(got.outputs[0], keras_out[0, ::-1], atol=1e-5)
    # A padded example: Keras starts at padding; ours starts at the last valid step.
    for b in (1, 2):
        length = int(lengths[b])
        prefix_out, *_ = run_keras(
            spec, weights["backward"], x[b : b + 1, :length], go_backwards=True
        )
        np.testing.assert_allclose(got.outputs[b, :length], prefix_out[0, ::-1], atol=1e-5)
        assert not np.allclose(got.outputs[b, :length], keras_out[b, ::-1][:length], atol=1e-4)
