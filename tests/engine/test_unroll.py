"""The engine against the independent float64 reference, on fresh random configurations."""

import secrets

import numpy as np
import pytest

from app.engine.config import NetworkSpec
from app.engine.unroll import run_network
from app.engine.weights import seeded_weights
from tests.conftest import record_difference
from tests.engine import reference
from tests.engine.cases import random_case

VARIANTS = [("rnn", True), ("lstm", True), ("gru", True), ("gru", False)]


def assert_close(name: str, actual: np.ndarray, expected: np.ndarray, seed: int) -> None:
    assert actual.shape == expected.shape, f"{name}: shape {actual.shape} != {expected.shape}"
    difference = float(np.max(np.abs(actual - expected))) if actual.size else 0.0
    record_difference("engine vs float64 reference", difference)
    np.testing.assert_allclose(
        actual, expected, rtol=1e-5, atol=2e-5, err_msg=f"{name} (rng seed {seed})"
    )


@pytest.mark.parametrize("num_layers", [1, 2, 3])
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize(("cell", "reset_after"), VARIANTS)
@pytest.mark.parametrize("explicit_initial_state", [False, True])
def test_every_output_state_and_gate_matches_float64_reference(
    cell, reset_after, bidirectional, num_layers, explicit_initial_state
):
    seed = secrets.randbits(32)
    rng = np.random.default_rng(seed)
    spec, x, lengths, weights, initial = random_case(
        rng, cell, reset_after, bidirectional, num_layers
    )
    if not explicit_initial_state:
        initial = [
            {d: {n: np.zeros_like(a) for n, a in s.items()} for d, s in layer.items()}
            for layer in initial
        ]
    run = run_network(spec, x, lengths, weights, initial if explicit_initial_state else None)
    ref_layers, ref_outputs = reference.run_network(
        cell,
        x,
        lengths,
        [{d: w.arrays() for d, w in layer.items()} for layer in weights],
        initial,
        bidirectional,
        reset_after,
        spec.forget_bias,
    )
    for index, (layer, ref_layer) in enumerate(zip(run.layers, ref_layers, strict=True)):
        assert set(layer) == set(spec.directions)
        for direction, got in layer.items():
            want = ref_layer[direction]
            where = f"layer {index} {direction}"
            assert_close(f"{where} outputs", got.outputs, want["outputs"], seed)
            assert set(got.states) == set(spec.state_names)
            assert set(got.gates) == set(spec.gate_names)
            for name in spec.state_names:
                assert_close(f"{where} states.{name}", got.states[name], want["states"][name], seed)
                assert_close(
                    f"{where} final_state.{name}",
                    got.final_state[name],
                    want["final_state"][name],
                    seed,
                )
            for name in spec.gate_names:
                assert_close(f"{where} gates.{name}", got.gates[name], want["gates"][name], seed)
    assert_close("top outputs", run.outputs, ref_outputs, seed)


@pytest.mark.parametrize(("cell", "reset_after"), VARIANTS)
def test_padding_steps_output_exactly_positive_zero_and_carry_state(cell, reset_after):
    rng = np.random.default_rng(secrets.randbits(32))
    spec, x, lengths, weights, initial = random_case(rng, cell, reset_after, True, 2)
    x = np.concatenate([x, rng.normal(size=x.shape).astype(np.float32)], axis=1)  # longer T
    run = run_network(spec, x, lengths, weights, initial)
    steps = x.shape[1]
    for layer_index, layer in enumerate(run.layers):
        for direction, got in layer.items():
            for b, length in enumerate(lengths):
                pad = slice(int(length), steps)
                assert np.all(got.outputs[b, pad] == 0.0)
                assert not np.any(np.signbit(got.outputs[b, pad])), "padding must be +0.0"
                for gate in got.gates.values():
                    assert np.all(gate[b, pad] == 0.0) and not np.any(np.signbit(gate[b, pad]))
                for name, states in got.states.items():
                    final = got.final_state[name][b]
                    np.testing.assert_array_equal(
                        states[b, pad], np.broadcast_to(final, states[b, pad].shape)
                    )
                    if length == 0:
                        np.testing.assert_array_equal(
                            final, initial[layer_index][direction][name][b]
                        )
                    elif direction == "forward":
                        np.testing.assert_array_equal(final, states[b, length - 1])
                    else:  # backward ends after reading x[b, 0]
                        np.testing.assert_array_equal(final, states[b, 0])


def test_backward_direction_reverses_each_valid_prefix_not_the_padded_array():
    """Example b's backward outputs equal a forward run over x[b, :len][::-1], flipped back."""
    rng = np.random.default_rng(secrets.randbits(32))
    spec = NetworkSpec("lstm", 3, 1, True)
    x = rng.normal(size=(3, 6, 2)).astype(np.float32)
    lengths = np.array([2, 6, 4], np.int32)
    weights = seeded_weights(spec, 2, 7)
    backward = run_network(spec, x, lengths, weights).layers[0]["backward"]
    forward_only = NetworkSpec("lstm", 3)
    for b, length in enumerate(lengths):
        flipped = x[b : b + 1, :length][:, ::-1]
        single = run_network(
            forward_only,
            np.ascontiguousarray(flipped),
            np.array([length], np.int32),
            [{"forward": weights[0]["backward"]}],
        ).layers[0]["forward"]
        np.testing.assert_allclose(backward.outputs[b, :length], single.outputs[0, ::-1], atol=1e-6)
        np.testing.assert_allclose(
            backward.final_state["h"][b], single.final_state["h"][0], atol=1e-6
        )
