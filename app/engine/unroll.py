"""The time loop: sequence lengths, directions and layers (SPEC section 4).

One compiled function per cell variant and direction count runs one layer: the input
projection, the time loop (both directions of a bidirectional layer batched together) and the
padding. Its signature has no fixed sizes, so batch, steps, input size and hidden size never
cause a new trace: the eight functions (four cell variants, one or two directions) are traced
once per process. A network of ``L`` layers is ``L`` calls, each layer's outputs passed to the
next as a tensor, without a copy to numpy in between.

The function holds no loop over layers and no branch on the direction count: TensorFlow's
executor costs one to two microseconds for every graph node it runs, and a loop or a branch adds
several bookkeeping nodes for every value it carries, which made up most of a small run's cost
(see docs/PERFORMANCE.md).

The time loop itself has no masking: every example runs all ``T`` steps, and padding is applied
afterwards, once, to the whole sequence (outputs and gates ``+0.0``, states and the final state
taken from the last valid step, which a gather finds). Values at valid steps are the same as a
masked loop's, since a step only reads earlier steps; padding values are selected away, never
mixed in arithmetic.
"""

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import tensorflow as tf

from app.engine.cells import VARIANTS, Cell
from app.engine.config import NetworkSpec
from app.engine.weights import LayerArrays, seeded_weights

if TYPE_CHECKING:
    from app.engine.analysis import Trajectory

StateArrays = dict[str, np.ndarray]


@dataclass(frozen=True)
class DirectionRun:
    """What one layer computed in one direction, at the original time positions."""

    outputs: np.ndarray  # (B, T, H); exactly 0 at padding steps
    states: StateArrays  # name -> (B, T, H), the state after each step
    gates: StateArrays  # name -> (B, T, H), after activation; 0 at padding steps
    final_state: StateArrays  # name -> (B, H), after the last valid step
    connectivity: np.ndarray | None = None  # (B, T, T) when asked for (analysis.py)
    trajectory: "Trajectory | None" = None  # when asked for (analysis.py)


@dataclass(frozen=True)
class NetworkRun:
    layers: list[dict[str, DirectionRun]]  # bottom first; "forward" and maybe "backward"
    outputs: np.ndarray  # (B, T, H * directions), the top layer's outputs


def _time_loop(
    cell: Cell,
    xw: tf.Tensor,
    steps: tf.Tensor,
    initial: tuple[tf.Tensor, ...],
    recurrent_kernel: tf.Tensor,
    recurrent_bias: tf.Tensor,
) -> tf.Tensor:
    """Run ``cell`` over the ``steps`` steps of ``xw`` (T, ..., G*H), unmasked.

    ``...`` is ``B`` (one direction) or ``N, B`` (directions batched). Returns (T, ..., K*H): at
    each step ``[h, states..., gates...]`` concatenated on the last axis (``K = 1 + S + G``
    parts).
    """

    def step(t, packed, *states):
        h, states, gates = cell.step(xw[t], states, recurrent_kernel, recurrent_bias)
        return t + 1, packed.write(t, tf.concat([h, *states, *gates], axis=-1)), *states

    packed = tf.TensorArray(tf.float32, size=steps)
    _, packed, *_ = tf.while_loop(
        lambda t, *_: t < steps, step, (tf.constant(0), packed, *initial), parallel_iterations=1
    )
    return packed.stack()


def _compile_layer(
    cell: Cell, num_states: int, num_gates: int, directions: int
) -> tf.types.experimental.GenericFunction:
    """A shape-polymorphic compiled layer for one cell variant and direction count.

    With one direction the weights and states have no direction axis and the matmuls are 2-D;
    with two, the directions are stacked on a leading axis and batched.
    """
    parts = 1 + num_states + num_gates  # K: the output, the states, the gates
    lead = [None] * (directions - 1)  # the direction axis, if any

    @tf.function(
        autograph=False,  # the loop is written with tf.while_loop
        input_signature=(
            tf.TensorSpec([None, None, None], tf.float32, name="inputs"),  # (T, B, D)
            tf.TensorSpec([None], tf.int32, name="lengths"),  # (B,)
            tf.TensorSpec([*lead, None, None], tf.float32, name="initial"),
            # ([N,] B, S*H): the states side by side
            tf.TensorSpec([*lead, None, None], tf.float32, name="weights"),
            # ([N,] D + H + 2, G*H): kernel, recurrent kernel, input bias, recurrent bias
        ),
    )
    def layer(x, lengths, initial, weights):
        """(K, N, B, T, H) every output, state and gate; the final states (N*B, S*H); the
        layer's outputs (T, B, N*H), forward | backward: the next layer's inputs."""
        steps, batch, size = tf.unstack(tf.shape(x))
        hidden = tf.shape(initial)[-1] // num_states
        kernel, recurrent_kernel, input_bias, recurrent_bias = tf.split(
            weights, tf.stack([size, hidden, 1, 1]), axis=-2
        )
        rows = directions * batch  # a row per direction and example: n * B + b
        if directions == 1:
            xw = tf.matmul(tf.reshape(x, [steps * batch, size]), kernel) + input_bias
            xw = tf.reshape(xw, [steps, batch, -1])  # (T, B, G*H)
        else:
            backward = tf.reverse_sequence(x, lengths, seq_axis=0, batch_axis=1)
            xs = tf.reshape(tf.stack([x, backward]), [directions, steps * batch, size])
            xw = tf.matmul(xs, kernel) + input_bias  # (N, T*B, G*H)
            xw = tf.transpose(tf.reshape(xw, [directions, steps, batch, -1]), [1, 0, 2, 3])
        start = tuple(tf.split(initial, num_states, axis=-1))  # S x ([N,] B, H)
        seq = _time_loop(cell, xw, steps, start, recurrent_kernel, recurrent_bias)
        # seq: (T, [N,] B, K*H)

        # Padding. Past an example's length: output and gates +0.0, states the last valid
        # step's; the final state is the last valid step's (the initial state if none).
        if directions == 1:
            lengths_per_row = lengths  # seq is (T, B, K*H), initial (B, S*H) already
        else:
            lengths_per_row = tf.tile(lengths, [directions])
            seq = tf.reshape(seq, [steps, rows, -1])  # (T, N*B, K*H)
            initial = tf.reshape(initial, [rows, -1])  # (N*B, S*H)
        last = tf.stack([tf.maximum(lengths_per_row - 1, 0), tf.range(rows)], axis=1)
        at_last = tf.gather_nd(seq, last)[:, hidden : (1 + num_states) * hidden]
        final = tf.where((lengths_per_row > 0)[:, None], at_last, initial)  # (N*B, S*H)
        fill = tf.pad(final, [[0, 0], [hidden, num_gates * hidden]])  # output 0, gates 0
        valid = tf.range(steps)[:, None, None] < lengths_per_row[:, None]  # (T, N*B, 1)
        seq = tf.where(valid, seq, fill)  # reading order
        seq = tf.reshape(seq, [steps, directions, batch, parts, hidden])
        if directions == 2:
            backward = tf.reverse_sequence(seq[:, 1], lengths, seq_axis=0, batch_axis=1)
            seq = tf.stack([seq[:, 0], backward], axis=1)  # time order
        if directions == 1:
            outputs = seq[:, 0, :, 0]  # (T, B, H)
        else:
            outputs = tf.transpose(seq[:, :, :, 0], [0, 2, 1, 3])  # (T, B, N, H)
            outputs = tf.reshape(outputs, [steps, batch, directions * hidden])
        return (
            tf.transpose(seq, [3, 1, 2, 0, 4]),  # (K, N, B, T, H)
            final,  # (N*B, S*H)
            outputs,
        )

    return layer


_LAYERS: dict[tuple[str, int], tf.types.experimental.GenericFunction] = {}
_CALLS: dict[tuple[str, int], Callable[..., tuple]] = {}


def compiled_layer(spec: NetworkSpec) -> tf.types.experimental.GenericFunction:
    """The compiled layer for ``spec``'s cell variant and direction count, built once per
    process: a public, differentiable ``tf.function``."""
    key = spec.variant.key, len(spec.directions)
    if key not in _LAYERS:
        _LAYERS[key] = _compile_layer(
            spec.variant, len(spec.state_names), len(spec.gate_names), key[1]
        )
    return _LAYERS[key]


def fast_call(function: tf.types.experimental.GenericFunction) -> Callable[..., tuple]:
    """A call of ``function`` (a ``tf.function`` with an input signature) with flat tensors.

    The traced graph's ``inference_fn.call_flat`` skips ``tf.function``'s argument binding and
    type checks, about 0.1-0.2 ms a call, most of a small run's margin (docs/PERFORMANCE.md,
    "The private call"). It is TensorFlow's semi-private API and carries no gradients, so it is
    kept behind this one function: where it is missing (another TensorFlow version), the public
    ``tf.function`` is the call. Callers pass tensors in the signature's order and types.
    """
    concrete = function.get_concrete_function()
    graph = getattr(concrete, "inference_fn", None)
    if graph is None or not hasattr(graph, "call_flat") or concrete.captured_inputs:
        return function
    return graph.call_flat


def _layer_call(spec: NetworkSpec) -> Callable[..., tuple]:
    """``fast_call(compiled_layer(spec))``, made once per cell variant and direction count."""
    key = spec.variant.key, len(spec.directions)
    if key not in _CALLS:
        _CALLS[key] = fast_call(compiled_layer(spec))
    return _CALLS[key]


def warm_up(device: str | None = None) -> None:
    """Trace every compiled layer and run it once on ``device`` (TensorFlow optimises a graph
    on its first run), so that no request pays for it."""
    for variant in VARIANTS.values():
        for bidirectional in (False, True):
            spec = NetworkSpec(**variant.request, hidden_size=1, bidirectional=bidirectional)
            inputs, lengths = np.zeros((1, 1, 1), np.float32), np.ones(1, np.int32)
            run_network(spec, inputs, lengths, seeded_weights(spec, 1, 0), device=device)


def layer_weights(spec: NetworkSpec, weights: LayerArrays) -> np.ndarray:
    """One layer's weights as its compiled function reads them: per direction, the rows of the
    kernel (D), the recurrent kernel (H), the input bias and the recurrent bias, (D + H + 2, G*H);
    directions stacked on a leading axis when there are two."""
    per_direction = [
        np.vstack([w.kernel, w.recurrent_kernel, *spec.split_bias(w.bias)])
        for w in (weights[d] for d in spec.directions)
    ]
    return per_direction[0] if len(per_direction) == 1 else np.stack(per_direction)


@functools.lru_cache(maxsize=64)
def _zeros(device: str | None, shape: tuple[int, ...]) -> tf.Tensor:
    """Zero initial states, made once per shape and device and shared (tensors are immutable):
    most runs give no initial state."""
    with tf.device(device):
        return tf.zeros(shape)


def initial_states(
    spec: NetworkSpec, batch: int, given: dict[str, StateArrays] | None, device: str | None
) -> tf.Tensor:
    """One layer's initial states ([N,] B, S*H), the states side by side; missing ones are 0."""
    hidden, names = spec.hidden_size, spec.state_names
    shape = (len(spec.directions), batch, len(names) * hidden)
    if not given:
        return _zeros(device, shape[1:] if shape[0] == 1 else shape)
    initial = np.zeros(shape, np.float32)
    for n, direction in enumerate(spec.directions):
        for s, name in enumerate(names):
            if name in given.get(direction, {}):
                initial[n, :, s * hidden : (s + 1) * hidden] = given[direction][name]
    return tf.constant(initial[0] if shape[0] == 1 else initial)


def run_network(
    spec: NetworkSpec,
    inputs: np.ndarray,
    lengths: np.ndarray,
    weights: list[LayerArrays],
    initial_state: list[dict[str, StateArrays]] | None = None,
    device: str | None = None,
) -> NetworkRun:
    """Run every layer and direction over ``inputs`` (B, T, D) with per-example ``lengths``.

    ``initial_state[l][direction][name]`` is (B, H); missing means zeros.
    """
    batch, hidden = inputs.shape[0], spec.hidden_size
    num_states = len(spec.state_names)
    given = list(initial_state or [])
    call = _layer_call(spec)
    layers = []
    with tf.device(device):
        x = tf.constant(inputs.transpose(1, 0, 2), tf.float32)  # (T, B, D)
        lengths_tensor = tf.constant(lengths, tf.int32)
        for layer in range(spec.num_layers):
            initial = initial_states(
                spec, batch, given[layer] if layer < len(given) else None, device
            )
            per_step, finals, x = call(
                x, lengths_tensor, initial, tf.constant(layer_weights(spec, weights[layer]))
            )
            per_step = per_step.numpy()  # (K, N, B, T, H)
            finals = finals.numpy().reshape(-1, batch, num_states, hidden)  # (N, B, S, H)
            layers.append(
                {
                    direction: DirectionRun(
                        outputs=per_step[0, n],
                        states={s: per_step[1 + k, n] for k, s in enumerate(spec.state_names)},
                        gates={
                            g: per_step[1 + num_states + k, n]
                            for k, g in enumerate(spec.gate_names)
                        },
                        final_state={s: finals[n, :, k] for k, s in enumerate(spec.state_names)},
                    )
                    for n, direction in enumerate(spec.directions)
                }
            )
    return NetworkRun(layers=layers, outputs=x.numpy().transpose(1, 0, 2))
