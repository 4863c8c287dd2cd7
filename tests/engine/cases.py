"""Fresh random configurations for the engine tests."""

import numpy as np

from app.engine.config import NetworkSpec
from app.engine.weights import WeightArrays, seeded_weights


def random_case(
    rng: np.random.Generator,
    cell: str,
    reset_after: bool,
    bidirectional: bool,
    num_layers: int,
    largest: tuple[int, int, int] = (4, 7, 5),
    scale: float = 1.0,
    keras_defaults: float = 0.5,
):
    """A random network, inputs, lengths (always including 0 and T), weights and initial
    states: ``largest`` bounds the batch, the steps and the input and hidden sizes; inputs are
    N(0, 1.5 scale); the weights are Keras' defaults with probability ``keras_defaults``, else
    N(0, 0.7 scale), random biases included."""
    most_batch, most_steps, most_size = largest
    batch, steps = int(rng.integers(2, most_batch + 1)), int(rng.integers(1, most_steps + 1))
    input_size, hidden = (int(n) for n in rng.integers(1, most_size + 1, 2))
    spec = NetworkSpec(
        cell,
        hidden,
        num_layers,
        bidirectional,
        reset_after,
        forget_bias=float(rng.uniform(-1, 1.5)) if cell == "lstm" else 0.0,
    )
    x = rng.normal(0, 1.5 * scale, (batch, steps, input_size)).astype(np.float32)
    lengths = rng.integers(0, steps + 1, batch).astype(np.int32)
    lengths[0], lengths[1] = 0, steps
    weights = seeded_weights(spec, input_size, int(rng.integers(2**32)))
    if rng.random() >= keras_defaults:  # not only Keras' defaults: random biases, larger weights
        weights = [
            {
                d: WeightArrays(
                    *(rng.normal(0, 0.7 * scale, a.shape).astype(np.float32) for a in w.arrays())
                )
                for d, w in layer.items()
            }
            for layer in weights
        ]
    initial = [
        {
            d: {n: rng.normal(0, 0.5, (batch, hidden)).astype(np.float32) for n in spec.state_names}
            for d in spec.directions
        }
        for _ in range(num_layers)
    ]
    return spec, x, lengths, weights, initial
