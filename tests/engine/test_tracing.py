"""A compiled layer is traced once per cell variant and direction count, and connectivity's
function once per cell variant, whatever the configuration."""

import numpy as np
import pytest

from app.engine import unroll
from app.engine.analysis import compiled_connectivity, connectivity
from app.engine.config import NetworkSpec
from app.engine.unroll import compiled_layer, run_network, warm_up
from app.engine.weights import seeded_weights

VARIANTS = [("rnn", True), ("lstm", True), ("gru", True), ("gru", False)]


@pytest.mark.parametrize(("cell", "reset_after"), VARIANTS)
def test_sizes_layers_and_initial_states_never_retrace(cell, reset_after):
    rng = np.random.default_rng()
    warm_up()
    compiled = [compiled_layer(NetworkSpec(cell, 2, 1, b, reset_after)) for b in (False, True)]
    traced = [layer.experimental_get_tracing_count() for layer in compiled]
    assert traced == [1, 1]
    for batch, steps, size, hidden, layers, bidirectional in [
        (3, 9, 4, 5, 2, True),
        (1, 1, 1, 1, 1, False),
        (5, 4, 7, 2, 3, True),
        (2, 30, 3, 8, 4, False),
    ]:
        spec = NetworkSpec(cell, hidden, layers, bidirectional, reset_after)
        x = rng.normal(size=(batch, steps, size)).astype(np.float32)
        lengths = rng.integers(0, steps + 1, batch).astype(np.int32)
        initial = [{"forward": {s: rng.normal(size=(batch, hidden)) for s in spec.state_names}}]
        run = run_network(spec, x, lengths, seeded_weights(spec, size, 1), initial)
        assert run.outputs.shape == (batch, steps, hidden * len(spec.directions))
    assert [layer.experimental_get_tracing_count() for layer in compiled] == traced


def test_cell_variants_and_direction_counts_have_their_own_compiled_layer():
    layers = {
        id(compiled_layer(NetworkSpec(c, 2, bidirectional=b, reset_after=r)))
        for c, r in VARIANTS
        for b in (False, True)
    }
    assert len(layers) == 2 * len(VARIANTS)


def test_explicit_cpu_device_gives_the_same_numbers():
    spec = NetworkSpec("lstm", 3, 2, True)
    rng = np.random.default_rng()
    x = rng.normal(size=(2, 4, 3)).astype(np.float32)
    lengths = np.array([4, 2], np.int32)
    weights = seeded_weights(spec, 3, 5)
    default = run_network(spec, x, lengths, weights)
    placed = run_network(spec, x, lengths, weights, device="/device:CPU:0")
    np.testing.assert_array_equal(default.outputs, placed.outputs)


def test_the_public_call_gives_the_private_calls_numbers(monkeypatch):
    """``fast_call`` keeps TensorFlow's semi-private call behind one function; the public
    ``tf.function`` it falls back to computes the same run."""
    spec = NetworkSpec("gru", 3, 2, True, reset_after=False)
    rng = np.random.default_rng()
    x = rng.normal(size=(2, 5, 3)).astype(np.float32)
    lengths = np.array([5, 3], np.int32)
    weights = seeded_weights(spec, 3, 2)
    # The pinned TensorFlow (2.21) has the private call: without it, both runs below would be
    # the public one.
    assert unroll._layer_call(spec) is not compiled_layer(spec)
    private = run_network(spec, x, lengths, weights)
    monkeypatch.setattr(unroll, "_CALLS", {(spec.variant.key, 2): compiled_layer(spec)})
    public = run_network(spec, x, lengths, weights)
    np.testing.assert_array_equal(public.outputs, private.outputs)


@pytest.mark.parametrize(("cell", "reset_after"), [("lstm", True), ("gru", False)])
def test_connectivity_traces_once_per_cell_variant(cell, reset_after):
    rng = np.random.default_rng()
    counts = []
    for batch, steps, size, hidden, layers, bidirectional in [
        (2, 3, 2, 2, 1, False),
        (3, 6, 1, 3, 3, True),
        (1, 2, 4, 1, 2, False),
    ]:
        spec = NetworkSpec(cell, hidden, layers, bidirectional, reset_after)
        x = rng.normal(size=(batch, steps, size)).astype(np.float32)
        lengths = rng.integers(0, steps + 1, batch).astype(np.int32)
        weights = seeded_weights(spec, size, 0)
        run = run_network(spec, x, lengths, weights)
        connectivity(spec, x, lengths, weights, None, run)
        counts.append(compiled_connectivity(spec.variant).function.experimental_get_tracing_count())
    assert counts == [1, 1, 1]
