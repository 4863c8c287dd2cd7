"""The cells' one source of truth: every variant's equations (data) against its TensorFlow step,
and everything else derived from the declarations."""

import secrets

import numpy as np
import pytest

from app.engine.cells import VARIANTS, find_variant
from app.engine.config import NetworkSpec
from app.engine.unroll import compiled_layer, run_network
from app.engine.weights import WeightArrays, expected_shapes, seeded_weights
from tests.conftest import record_difference
from tests.engine import equations

KEYS = list(VARIANTS)


def random_weights(rng, variant, size, hidden):
    width = variant.blocks * hidden
    return WeightArrays(
        *(
            rng.normal(0, 0.6, shape).astype(np.float32)
            for shape in ((size, width), (hidden, width), variant.bias_shape(hidden))
        )
    )


def test_the_four_variants_in_order():
    assert KEYS == ["rnn", "lstm", "gru", "gru_tf1"]


@pytest.mark.parametrize("key", KEYS)
def test_every_gate_and_state_is_defined_once_from_known_names(key):
    variant = VARIANTS[key]
    defined = [e["name"] for e in variant.equations]
    for name in (*variant.states, *variant.gates):
        assert defined.count(name) == 1, name
    known = {"x", *(f"{s}_prev" for s in variant.states)}

    def names(expression):
        if isinstance(expression, str):
            yield expression
        elif isinstance(expression, list):
            op, *args = expression
            if op == "dot":
                yield from names(args[0])
            elif op not in ("bias", "option"):
                for a in args:
                    yield from names(a)

    for equation in variant.equations:
        assert set(names(equation["value"])) <= known, equation["name"]
        known.add(equation["name"])


@pytest.mark.parametrize("key", KEYS)
def test_equations_as_data_match_the_tensorflow_step(key):
    """An independent float64 interpreter of ``equations`` against one engine step, on fresh
    random inputs, states, weights and options."""
    seed = secrets.randbits(32)
    rng = np.random.default_rng(seed)
    variant = VARIANTS[key]
    batch, size, hidden = 5, int(rng.integers(1, 5)), int(rng.integers(1, 6))
    spec = NetworkSpec(
        **variant.request, hidden_size=hidden, forget_bias=float(rng.uniform(-1, 1.5))
    )
    assert spec.variant is variant
    w = random_weights(rng, variant, size, hidden)
    x = rng.normal(0, 1.5, (batch, 1, size)).astype(np.float32)
    previous = {n: rng.normal(0, 0.6, (batch, hidden)).astype(np.float32) for n in variant.states}
    got = run_network(
        spec, x, np.ones(batch, np.int32), [{"forward": w}], [{"forward": previous}]
    ).layers[0]["forward"]
    f64 = {
        name: a.astype(np.float64)
        for name, a in zip(("kernel", "recurrent_kernel", "bias"), w.arrays(), strict=True)
    }
    want = equations.step(
        variant.equations, x[:, 0].astype(np.float64), previous, f64, spec.options
    )
    engine = {
        **{g: got.gates[g][:, 0] for g in variant.gates},
        **{s: got.states[s][:, 0] for s in variant.states},
    }
    assert set(got.gates) == set(variant.gates) and set(got.states) == set(variant.states)
    for name, value in engine.items():
        record_difference("engine step vs equations (float64)", np.abs(value - want[name]).max())
        np.testing.assert_allclose(
            value, want[name], rtol=1e-5, atol=2e-6, err_msg=f"{name} {seed}"
        )


@pytest.mark.parametrize("key", KEYS)
def test_spec_weights_and_compiled_layers_follow_the_declaration(key):
    variant = VARIANTS[key]
    spec = NetworkSpec(**variant.request, hidden_size=3, num_layers=2)
    assert find_variant(variant.request) is variant
    assert (spec.state_names, spec.gate_names, spec.num_blocks) == (
        variant.states,
        variant.gates,
        variant.blocks,
    )
    shapes = expected_shapes(spec, 4, 1)
    assert shapes["kernel"] == (6 if spec.bidirectional else 3, variant.blocks * 3)
    width = variant.blocks * 3
    assert shapes["bias"] == ((variant.bias_rows, width) if variant.bias_rows > 1 else (width,))
    np.testing.assert_array_equal(
        seeded_weights(spec, 4, 0)[0]["forward"].bias, variant.seeded_bias(3).astype(np.float32)
    )
    assert compiled_layer(spec) is compiled_layer(NetworkSpec(**variant.request, hidden_size=7))
