"""Seeded Keras-default weights and checks of user weights, in the Keras layout.

Seeded weights are drawn with numpy's PCG64 generator, which gives the same stream on every
machine, from a seed sequence ``(seed, layer, direction)``: a layer's weights do not depend on how
many layers sit above it. The kernel is Glorot-uniform, the recurrent kernel orthogonal (QR in
float64, signs fixed as Keras does), the bias the cell's seeded bias (zeros, the LSTM forget block
at 1.0). Values are computed in float64 and rounded once to float32.
"""

import hashlib
from dataclasses import dataclass

import numpy as np

from app.engine.config import DIRECTIONS, NetworkSpec


@dataclass(frozen=True)
class WeightArrays:
    """One layer and direction: kernel (D, G*H), recurrent_kernel (H, G*H), bias (G*H | 2, 3H)."""

    kernel: np.ndarray
    recurrent_kernel: np.ndarray
    bias: np.ndarray

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return self.kernel, self.recurrent_kernel, self.bias


LayerArrays = dict[str, WeightArrays]


def glorot_uniform(rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
    """Uniform in ``±sqrt(6 / (fan_in + fan_out))`` (keras.initializers.GlorotUniform)."""
    limit = np.sqrt(6.0 / (shape[0] + shape[1]))
    return rng.uniform(-limit, limit, size=shape)


def orthogonal(rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
    """Orthogonal rows or columns (keras.initializers.Orthogonal with gain 1)."""
    rows, cols = shape
    a = rng.standard_normal((max(rows, cols), min(rows, cols)))
    q, r = np.linalg.qr(a)
    q *= np.sign(np.diag(r))
    return q.T if rows < cols else q


def seeded_weights(spec: NetworkSpec, input_size: int, seed: int) -> list[LayerArrays]:
    """Keras-default weights for every layer and direction, reproducible from ``seed``."""
    hidden, blocks = spec.hidden_size, spec.num_blocks
    layers = []
    for layer in range(spec.num_layers):
        size_in = spec.layer_input_size(layer, input_size)
        per_direction = {}
        for index, direction in enumerate(spec.directions):
            rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, layer, index])))
            kernel = glorot_uniform(rng, (size_in, blocks * hidden))
            recurrent_kernel = orthogonal(rng, (hidden, blocks * hidden))
            bias = spec.variant.seeded_bias(hidden)
            per_direction[direction] = WeightArrays(
                *(a.astype(np.float32) for a in (kernel, recurrent_kernel, bias))
            )
        layers.append(per_direction)
    return layers


def expected_shapes(spec: NetworkSpec, input_size: int, layer: int) -> dict[str, tuple[int, ...]]:
    """The shape each weight array of ``layer`` must have."""
    hidden, blocks = spec.hidden_size, spec.num_blocks
    return {
        "kernel": (spec.layer_input_size(layer, input_size), blocks * hidden),
        "recurrent_kernel": (hidden, blocks * hidden),
        "bias": spec.bias_shape,
    }


def weights_sha256(weights: list[LayerArrays]) -> str:
    """Digest of every float32 weight, in layer, direction, (kernel, recurrent, bias) order."""
    digest = hashlib.sha256()
    for layer in weights:
        for direction in DIRECTIONS:
            if direction in layer:
                for array in layer[direction].arrays():
                    digest.update(np.ascontiguousarray(array, dtype="<f4").tobytes())
    return digest.hexdigest()
