"""The analyses of SPEC section 6 against independent float64 references on fresh random
configurations: connectivity by central finite differences of tests/engine/reference.py, the
trajectory by numpy's SVD."""

import secrets

import numpy as np
import pytest

from app.engine import analysis, config
from app.engine.cells import VARIANTS, UnitwiseCell
from app.engine.config import NetworkSpec
from app.engine.unroll import run_network
from app.engine.weights import seeded_weights
from tests.conftest import record_difference
from tests.engine import equations, reference
from tests.engine.cases import random_case

VARIANTS_4 = [("rnn", True), ("lstm", True), ("gru", True), ("gru", False)]
WEIGHT_NAMES = ("kernel", "recurrent_kernel", "bias")
EPS = 1e-6


def small_case(rng, cell, reset_after, bidirectional, num_layers, scale=1.0):
    """A random case small enough for finite differences, with random weights."""
    return random_case(
        rng, cell, reset_after, bidirectional, num_layers, (3, 5, 3), scale, keras_defaults=0.0
    )


def finite_differences(states_h, x, lengths):
    """Per layer and direction (B, T, T): ||d h_t / d x_s||_F by central differences of
    ``states_h(inputs)`` (float64: per layer, direction -> states.h (B, T, H)), 0 at padding
    states (SPEC's definition; they carry the final state)."""
    batch, steps, size = x.shape
    squares = None
    for s in range(steps):
        for k in range(size):  # examples are independent: perturb x[b, s, k] for every b at once
            plus, minus = x.astype(np.float64), x.astype(np.float64)
            plus[:, s, k] += EPS
            minus[:, s, k] -= EPS
            up, down = states_h(plus), states_h(minus)
            if squares is None:
                squares = [{d: np.zeros((batch, steps, steps)) for d in layer} for layer in up]
            for layer, u, w in zip(squares, up, down, strict=True):
                for d in layer:
                    layer[d][:, :, s] += (((u[d] - w[d]) / (2 * EPS)) ** 2).sum(axis=-1)
    padding = (np.arange(steps)[None, :] >= lengths[:, None])[..., None]  # (B, T, 1)
    return [{d: np.where(padding, 0.0, np.sqrt(v)) for d, v in layer.items()} for layer in squares]


def reference_states_h(spec, lengths, weights, initial):
    """``states_h`` of tests/engine/reference.py for this network."""
    arrays = [{d: w.arrays() for d, w in layer.items()} for layer in weights]

    def states_h(inputs):
        layers, _ = reference.run_network(
            spec.cell,
            inputs,
            lengths,
            arrays,
            initial,
            spec.bidirectional,
            spec.reset_after,
            spec.forget_bias,
        )
        return [{d: run["states"]["h"] for d, run in layer.items()} for layer in layers]

    return states_h


def assert_matches_finite_differences(got, want, seed):
    for index, (layer, ref) in enumerate(zip(got, want, strict=True)):
        for d, value in layer.items():
            assert value.dtype == np.float32 and value.shape == ref[d].shape
            relative = np.abs(value - ref[d]) / np.maximum(np.abs(ref[d]), 1e-3)
            record_difference(
                "connectivity vs float64 finite differences (relative)", relative.max()
            )
            np.testing.assert_allclose(
                value, ref[d], rtol=1e-3, atol=1e-6, err_msg=f"layer {index} {d} (seed {seed})"
            )


def connectivity_of(case):
    spec, x, lengths, weights, initial = case
    run = run_network(spec, x, lengths, weights, initial)
    return analysis.connectivity(spec, x, lengths, weights, initial, run)


@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize(("cell", "reset_after"), VARIANTS_4)
def test_connectivity_matches_float64_finite_differences(cell, reset_after, bidirectional):
    """1-3 layers one way, 2-3 both ways; every example's length in [0, T], 0 and T among them."""
    seed = secrets.randbits(32)
    rng = np.random.default_rng(seed)
    layers = int(rng.integers(2, 4)) if bidirectional else int(rng.integers(1, 4))
    case = small_case(rng, cell, reset_after, bidirectional, layers)
    spec, x, lengths, weights, initial = case
    want = finite_differences(reference_states_h(spec, lengths, weights, initial), x, lengths)
    assert_matches_finite_differences(connectivity_of(case), want, seed)


@pytest.mark.parametrize(("cell", "reset_after"), VARIANTS_4)
def test_connectivity_is_exactly_zero_where_spec_says_and_positive_elsewhere(cell, reset_after):
    rng = np.random.default_rng(secrets.randbits(32))
    case = small_case(rng, cell, reset_after, True, 2, scale=0.5)  # no float32 saturation
    spec, x, lengths, *_ = case
    got = connectivity_of(case)
    steps = x.shape[1]
    t, s = np.arange(steps)[:, None], np.arange(steps)[None, :]
    for index, layer in enumerate(got):
        for direction, value in layer.items():
            for b, length in enumerate(lengths):
                valid = (t < length) & (s < length)
                if index == 0:  # forward reads the past, backward the future
                    valid &= (s <= t) if direction == "forward" else (s >= t)
                assert np.all(value[b][~valid] == 0.0) and not np.signbit(value[b]).any()
                assert np.all(value[b][valid] > 0.0), "a dependency that autodiff missed"


def test_chunks_of_sources_give_the_same_numbers(monkeypatch):
    """With room for one source position at a time, every chunk boundary and skipped step is
    exercised; the numbers stay those of one chunk."""
    rng = np.random.default_rng(secrets.randbits(32))
    for cell, bidirectional, layers in [("lstm", True, 3), ("rnn", False, 2)]:
        case = small_case(rng, cell, True, bidirectional, layers)
        whole = connectivity_of(case)
        spec, x, *_ = case
        monkeypatch.setattr(config, "TANGENT_NUMBERS", 1)
        assert analysis.chunk_size(spec, x.shape[0], x.shape[1], x.shape[2]) == 1
        chunked = connectivity_of(case)
        monkeypatch.undo()
        for a, b in zip(whole, chunked, strict=True):
            for d in a:
                np.testing.assert_allclose(b[d], a[d], rtol=1e-6, atol=1e-7)


def reference_trajectory(h, lengths):
    """SPEC section 6 by numpy's SVD of the centred valid states."""
    batch, steps, hidden = h.shape
    k = min(2, hidden)
    points = h[np.arange(steps)[None, :] < lengths[:, None]].astype(np.float64)
    mean = points.mean(axis=0)
    _, singular, vt = np.linalg.svd(points - mean, full_matrices=False)
    axes = vt[:k] * np.sign(vt[:k][np.arange(k), np.argmax(np.abs(vt[:k]), axis=1)])[:, None]
    ratio = singular[:k] ** 2 / (singular**2).sum()
    return axes, mean, ratio, (h - mean) @ axes.T


@pytest.mark.parametrize("hidden", [1, 2, 5])
def test_trajectory_matches_numpy_svd(hidden):
    rng = np.random.default_rng(secrets.randbits(32))
    batch, steps = 3, 7
    h = np.tanh(rng.normal(size=(batch, steps, hidden)) * rng.uniform(0.2, 2, hidden))
    lengths = np.array([0, steps, 4])
    got = analysis.trajectory(h.astype(np.float32), lengths)
    for g, w in zip(
        (got.axes, got.mean, got.explained_variance_ratio, got.components),
        reference_trajectory(h.astype(np.float32), lengths),
        strict=True,
    ):
        assert g.dtype == np.float32 and g.shape == w.shape
        record_difference("trajectory vs numpy SVD", np.abs(g - w).max())
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6)


def test_trajectory_is_zero_without_two_valid_positions_or_variation():
    rng = np.random.default_rng(secrets.randbits(32))
    h = rng.normal(size=(2, 4, 3)).astype(np.float32)
    for lengths in ([0, 0], [1, 0]):
        got = analysis.trajectory(h, np.array(lengths))
        assert all(not a.any() for a in vars(got).values())
    same = np.broadcast_to(h[0, 0], h.shape).copy()  # every state the same: no axis at all
    got = analysis.trajectory(same, np.array([4, 2]))
    np.testing.assert_array_equal(got.mean, h[0, 0])
    assert not got.axes.any() and not got.explained_variance_ratio.any()
    two = analysis.trajectory(h, np.array([2, 0]))  # two points: one axis, the second is 0
    assert np.abs(two.axes[0]).max() > 0 and not two.axes[1].any()
    np.testing.assert_allclose(two.explained_variance_ratio, [1.0, 0.0], atol=1e-6)


@pytest.fixture
def fifth_variant():
    """A fifth cell, declared as one class: a coupled-gate RNN (a GRU without reset)."""

    class CoupledGate(UnitwiseCell):
        key, title, request = "coupled", "Coupled gate", {"cell": "coupled"}
        states, gates, blocks = ("h",), ("z", "n"), 2
        equations = (
            {
                "name": "z",
                "value": [
                    "sigmoid",
                    [
                        "+",
                        ["dot", "x", "kernel", 0],
                        ["dot", "h_prev", "recurrent_kernel", 0],
                        ["bias", 0, 0],
                    ],
                ],
            },
            {
                "name": "n",
                "value": [
                    "tanh",
                    [
                        "+",
                        ["dot", "x", "kernel", 1],
                        ["dot", "h_prev", "recurrent_kernel", 1],
                        ["bias", 0, 1],
                    ],
                ],
            },
            {"name": "h", "value": ["+", ["*", "z", "h_prev"], ["*", ["-", 1, "z"], "n"]]},
        )

        def update(self, xw_t, hu_t, states, recurrent_bias):
            import tensorflow as tf

            (h_tm1,) = states
            pre_z, pre_n = tf.split(xw_t + hu_t, 2, axis=-1)
            z, n = tf.sigmoid(pre_z), tf.tanh(pre_n)
            h = z * h_tm1 + (1.0 - z) * n
            return h, (h,), (z, n)

    yield VARIANTS["coupled"]
    del VARIANTS["coupled"]


def test_a_fifth_variant_is_one_class(fifth_variant):
    """Declared once, it runs, describes itself, and its connectivity matches finite
    differences of its own equations (the float64 interpreter)."""
    seed = secrets.randbits(32)
    rng = np.random.default_rng(seed)
    spec = NetworkSpec("coupled", 3, 2, True)
    assert spec.variant is fifth_variant and "coupled" in [v.key for v in VARIANTS.values()]
    x = rng.normal(size=(2, 4, 2)).astype(np.float32)
    lengths = np.array([4, 2], np.int32)
    weights = seeded_weights(spec, 2, 1)
    run = run_network(spec, x, lengths, weights)
    assert set(run.layers[0]["forward"].gates) == {"z", "n"}
    got = analysis.connectivity(spec, x, lengths, weights, None, run)
    zeros = {n: np.zeros((2, 3)) for n in spec.state_names}

    def states_h(inputs):  # by the variant's own equations, layer by layer
        below, per_layer = inputs, []
        for layer in weights:
            runs = {
                d: equations.run(
                    spec.variant,
                    below,
                    lengths,
                    dict(
                        zip(WEIGHT_NAMES, (a.astype(np.float64) for a in w.arrays()), strict=True)
                    ),
                    zeros,
                    {},
                    backward=d == "backward",
                )
                for d, w in layer.items()
            }
            per_layer.append({d: states["h"] for d, (states, _) in runs.items()})
            below = np.concatenate([runs[d][1] for d in spec.directions], axis=-1)
        return per_layer

    assert_matches_finite_differences(got, finite_differences(states_h, x, lengths), seed)
