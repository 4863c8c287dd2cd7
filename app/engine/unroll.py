"""The time loop: sequence lengths, directions and layers (SPEC section 4).

One compiled function per cell variant runs a whole network in one call: a loop over layers,
both directions of a layer together, and a loop over time inside. Its signature has no fixed
sizes, so batch, steps, input size, hidden size, layer count and direction count never cause a
new trace: a cell variant is traced once per process, whatever the configuration.

The time loop itself has no masking: every example runs all ``T`` steps, and padding is applied
afterwards, once, to the whole sequence (outputs and gates ``+0.0``, states and the final state
taken from the last valid step, which a gather finds). Values at valid steps are the same as a
masked loop's, since a step only reads earlier steps; padding values are selected away, never
mixed in arithmetic.
"""

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import tensorflow as tf

from app.engine.cells import Cell, make_cell
from app.engine.config import NetworkSpec
from app.engine.weights import LayerWeights

StateArrays = dict[str, np.ndarray]


@dataclass(frozen=True)
class DirectionRun:
    """What one layer computed in one direction, at the original time positions."""

    outputs: np.ndarray  # (B, T, H); exactly 0 at padding steps
    states: StateArrays  # name -> (B, T, H), the state after each step
    gates: StateArrays  # name -> (B, T, H), after activation; 0 at padding steps
    final_state: StateArrays  # name -> (B, H), after the last valid step


@dataclass(frozen=True)
class NetworkRun:
    layers: list[dict[str, DirectionRun]]  # bottom first; "forward" and maybe "backward"
    outputs: np.ndarray  # (B, T, H * directions), the top layer's outputs


class Padding(NamedTuple):
    """Where each example's steps end, computed once per run for every layer."""

    lengths: tf.Tensor  # (B,)
    last: tf.Tensor  # (N*B,): row of each direction and example's last valid step in (T*N*B, ...)
    valid: tf.Tensor  # (T, 1, B, 1): the step is within the example's length
    started: tf.Tensor  # (B, 1): the example has at least one step


def _time_loop(
    cell: Cell,
    xw: tf.Tensor,
    initial: tuple[tf.Tensor, ...],
    recurrent_kernel: tf.Tensor,
    recurrent_bias: tf.Tensor,
) -> tf.Tensor:
    """Run ``cell`` over every step of ``xw`` (T, ..., G*H), unmasked.

    ``...`` is ``B`` (one direction) or ``N, B`` (directions batched). Returns (T, ..., K*H): at
    each step ``[h, states..., gates...]`` concatenated on the last axis (``K = 1 + S + G``).
    """
    steps = tf.shape(xw)[0]

    def step(t, packed, *states):
        h, states, gates = cell.step(xw[t], states, recurrent_kernel, recurrent_bias)
        return t + 1, packed.write(t, tf.concat([h, *states, *gates], axis=-1)), *states

    packed = tf.TensorArray(tf.float32, size=steps)
    _, packed, *_ = tf.while_loop(
        lambda t, *_: t < steps, step, (tf.constant(0), packed, *initial), parallel_iterations=1
    )
    return packed.stack()


def _compile_network(
    cell: Cell, num_states: int, num_gates: int
) -> tf.types.experimental.GenericFunction:
    """A shape-polymorphic compiled network for one cell variant (see the module docstring)."""
    blocks = 1 + num_states + num_gates  # K: the output, the states, the gates

    def pad(seq: tf.Tensor, start: tf.Tensor, padding: Padding) -> tuple[tf.Tensor, tf.Tensor]:
        """Padding on ``seq`` (T, N, B, K*H) in reading order, from the initial state ``start``
        (N, B, S*H); also the final state (N, B, S*H).

        Past an example's length: output and gates ``+0.0``, states the last valid step's.
        """
        steps, directions, batch = tf.unstack(tf.shape(seq)[:3])
        hidden = tf.shape(start)[-1] // num_states
        at_last = tf.gather(tf.reshape(seq, [steps * directions * batch, -1]), padding.last)
        at_last = tf.reshape(at_last[:, hidden : (1 + num_states) * hidden], tf.shape(start))
        final = tf.where(padding.started, at_last, start)  # (N, B, S*H)
        fill = tf.pad(final, [[0, 0], [0, 0], [hidden, num_gates * hidden]])  # output, gates 0
        return tf.where(padding.valid, seq, fill), final

    def one_direction(x, initial, kernel, recurrent_kernel, biases, padding):
        """Forward only, with 2-D matmuls: (T, 1, B, K*H) and the final state (1, B, S*H)."""
        xw = tf.einsum("tbd,dg->tbg", x, kernel[0]) + biases[0, 0]  # (T, B, G*H)
        start = tuple(tf.split(initial[0], num_states, axis=-1))  # S x (B, H)
        seq = _time_loop(cell, xw, start, recurrent_kernel[0], biases[0, 1])  # (T, B, K*H)
        return pad(seq[:, None], initial, padding)

    def two_directions(x, initial, kernel, recurrent_kernel, biases, padding):
        """Both directions batched: (T, 2, B, K*H) in time order and the final (2, B, S*H)."""
        backward = tf.reverse_sequence(x, padding.lengths, seq_axis=0, batch_axis=1)
        xw = tf.einsum("tnbd,ndg->tnbg", tf.stack([x, backward], axis=1), kernel)
        xw += biases[:, 0, None]  # (T, N, B, G*H)
        start = tuple(tf.split(initial, num_states, axis=-1))  # S x (N, B, H)
        seq = _time_loop(cell, xw, start, recurrent_kernel, biases[:, 1, None])
        seq, final = pad(seq, initial, padding)  # (T, N, B, K*H), reading order
        backward = tf.reverse_sequence(seq[:, 1], padding.lengths, seq_axis=0, batch_axis=1)
        return tf.stack([seq[:, 0], backward], axis=1), final

    @tf.function(
        autograph=False,  # the loops and branches are written with tf.while_loop and tf.cond
        input_signature=(
            tf.TensorSpec([None, None, None], tf.float32, name="inputs"),  # (B, T, D)
            tf.TensorSpec([None], tf.int32, name="lengths"),  # (B,)
            tf.TensorSpec([None, None, None, None], tf.float32, name="initial"),
            # (L, N, B, S*H): the states side by side
            tf.TensorSpec([None, None, None], tf.float32, name="first_kernel"),  # (N, D, G*H)
            tf.TensorSpec([None, None, None, None], tf.float32, name="upper_kernels"),
            # (L-1, N, N*H, G*H)
            tf.TensorSpec([None, None, None, None], tf.float32, name="recurrent_kernels"),
            # (L, N, H, G*H)
            tf.TensorSpec([None, None, 2, None], tf.float32, name="biases"),
            # (L, N, 2, G*H): the input bias and the recurrent bias
        ),
    )
    def network(inputs, lengths, initial, first_kernel, upper_kernels, recurrent_kernels, biases):
        num_layers, directions = tf.unstack(tf.shape(initial)[:2])
        batch, steps = tf.unstack(tf.shape(inputs)[:2])
        hidden = tf.shape(recurrent_kernels)[2]
        rows = tf.range(directions * batch)  # row n * B + b of (N * B, ...)
        padding = Padding(
            lengths=lengths,
            last=tf.tile(tf.maximum(lengths - 1, 0), [directions]) * directions * batch + rows,
            valid=(tf.range(steps)[:, None] < lengths[None, :])[:, None, :, None],
            started=(lengths > 0)[:, None],
        )
        x = tf.transpose(inputs, [1, 0, 2])  # (T, B, D), then (T, B, N*H)

        def one_layer(layer, x, per_layer, finals):
            kernel = tf.cond(
                layer == 0, lambda: first_kernel, lambda: upper_kernels[layer - 1]
            )  # (N, D, G*H)
            args = (x, initial[layer], kernel, recurrent_kernels[layer], biases[layer], padding)
            seq, final = tf.cond(
                directions == 1, lambda: one_direction(*args), lambda: two_directions(*args)
            )  # (T, N, B, K*H), (N, B, S*H)
            x = tf.reshape(
                tf.transpose(seq[..., :hidden], [0, 2, 1, 3]), [steps, batch, directions * hidden]
            )  # (T, B, N*H): the layer's outputs, forward | backward
            seq = tf.reshape(seq, [steps, directions, batch, blocks, hidden])
            per_layer = per_layer.write(
                layer, tf.transpose(seq, [3, 1, 2, 0, 4])
            )  # (K, N, B, T, H)
            return layer + 1, x, per_layer, finals.write(layer, final)

        _, x, per_layer, finals = tf.while_loop(
            lambda layer, *_: layer < num_layers,
            one_layer,
            (
                tf.constant(0),
                x,
                tf.TensorArray(tf.float32, size=num_layers),  # L x (K, N, B, T, H)
                tf.TensorArray(tf.float32, size=num_layers),  # L x (N, B, S*H)
            ),
            shape_invariants=(
                tf.TensorShape([]),
                tf.TensorShape([None, None, None]),
                tf.TensorShape(None),
                tf.TensorShape(None),
            ),
            parallel_iterations=1,
        )
        return per_layer.stack(), finals.stack(), tf.transpose(x, [1, 0, 2])

    return network


_NETWORKS: dict[tuple[str, bool], tf.types.experimental.GenericFunction] = {}
_GRAPHS: dict[tuple[str, bool], tf.types.experimental.AtomicFunction] = {}


def _variant(spec: NetworkSpec) -> tuple[str, bool]:
    return spec.cell, spec.cell == "gru" and spec.reset_after


def compiled_network(spec: NetworkSpec) -> tf.types.experimental.GenericFunction:
    """The compiled network for ``spec``'s cell variant, built once per process."""
    key = _variant(spec)
    if key not in _NETWORKS:
        _NETWORKS[key] = _compile_network(
            make_cell(spec), len(spec.state_names), len(spec.gate_names)
        )
    return _NETWORKS[key]


def _graph(spec: NetworkSpec) -> tf.types.experimental.AtomicFunction:
    """The traced graph of ``compiled_network(spec)``, called with flat tensors.

    Calling it directly skips ``tf.function``'s argument binding and type checks (a few hundred
    microseconds a call): the inputs are built here, always in the signature's order and types.
    """
    key = _variant(spec)
    if key not in _GRAPHS:
        concrete = compiled_network(spec).get_concrete_function()
        assert not concrete.captured_inputs, "the network captures no tensors"
        _GRAPHS[key] = concrete.inference_fn
    return _GRAPHS[key]


def _pack_weights(spec: NetworkSpec, weights: list[LayerWeights]) -> tuple[np.ndarray, ...]:
    """The weights stacked as the compiled network reads them (see its input signature)."""
    width = spec.num_blocks * spec.hidden_size
    per_layer = [[layer[d] for d in spec.directions] for layer in weights]
    first_kernel = np.stack([w.kernel for w in per_layer[0]])  # (N, D, G*H)
    upper = np.zeros(
        (spec.num_layers - 1, len(spec.directions), spec.output_size, width), np.float32
    )
    for layer, directions in enumerate(per_layer[1:]):
        upper[layer] = [w.kernel for w in directions]
    recurrent = np.stack([[w.recurrent_kernel for w in d] for d in per_layer])  # (L, N, H, G*H)
    biases = np.stack([[np.stack(spec.split_bias(w.bias)) for w in d] for d in per_layer])
    return first_kernel, upper, recurrent, biases


def run_network(
    spec: NetworkSpec,
    inputs: np.ndarray,
    lengths: np.ndarray,
    weights: list[LayerWeights],
    initial_state: list[dict[str, StateArrays]] | None = None,
    device: str | None = None,
) -> NetworkRun:
    """Run every layer and direction over ``inputs`` (B, T, D) with per-example ``lengths``.

    ``initial_state[l][direction][name]`` is (B, H); missing means zeros.
    """
    batch, hidden = inputs.shape[0], spec.hidden_size
    num_states = len(spec.state_names)
    shape = (spec.num_layers, len(spec.directions), batch, num_states, hidden)
    initial = np.zeros(shape, np.float32)  # (L, N, B, S, H)
    for layer, given in enumerate(initial_state or []):
        for n, direction in enumerate(spec.directions):
            for s, name in enumerate(spec.state_names):
                if name in given.get(direction, {}):
                    initial[layer, n, :, s] = given[direction][name]
    with tf.device(device):
        arrays = (
            inputs.astype(np.float32, copy=False),
            lengths.astype(np.int32, copy=False),
            initial.reshape(shape[:3] + (num_states * hidden,)),
            *_pack_weights(spec, weights),
        )
        per_layer, finals, top = _graph(spec).call_flat(*map(tf.constant, arrays))
    per_layer = per_layer.numpy()  # (L, K, N, B, T, H)
    finals = finals.numpy().reshape(shape)  # (L, N, B, S, H)
    layers = [
        {
            direction: DirectionRun(
                outputs=per_layer[layer, 0, n],
                states={s: per_layer[layer, 1 + k, n] for k, s in enumerate(spec.state_names)},
                gates={
                    g: per_layer[layer, 1 + num_states + k, n]
                    for k, g in enumerate(spec.gate_names)
                },
                final_state={s: finals[layer, n, :, k] for k, s in enumerate(spec.state_names)},
            )
            for n, direction in enumerate(spec.directions)
        }
        for layer in range(spec.num_layers)
    ]
    return NetworkRun(layers=layers, outputs=top.numpy())
