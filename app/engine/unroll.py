"""The time loop: sequence lengths, directions and layers (SPEC section 4).

One compiled loop per cell variant runs one layer in one direction. Its signature has no fixed
sizes, so batch, steps, input and hidden size never cause a new trace: a cell variant is traced
once per process, whatever the configuration.
"""

from dataclasses import dataclass

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


def _compile_loop(
    cell: Cell, num_states: int, num_gates: int
) -> tf.types.experimental.GenericFunction:
    """A shape-polymorphic compiled loop over time for one layer and direction."""

    @tf.function(
        input_signature=(
            tf.TensorSpec([None, None, None], tf.float32, name="inputs"),  # (B, T, D)
            tf.TensorSpec([None], tf.int32, name="lengths"),  # (B,)
            tf.TensorSpec([num_states, None, None], tf.float32, name="initial"),  # (S, B, H)
            tf.TensorSpec([None, None], tf.float32, name="kernel"),  # (D, G*H)
            tf.TensorSpec([None, None], tf.float32, name="recurrent_kernel"),  # (H, G*H)
            tf.TensorSpec([None], tf.float32, name="input_bias"),  # (G*H,)
            tf.TensorSpec([None], tf.float32, name="recurrent_bias"),  # (G*H,)
            tf.TensorSpec([], tf.bool, name="reverse"),
        )
    )
    def loop(
        inputs, lengths, initial, kernel, recurrent_kernel, input_bias, recurrent_bias, reverse
    ):
        def time_flip(x: tf.Tensor, batch_axis: int) -> tf.Tensor:
            """Reverse each example's valid prefix (tf.reverse_sequence) when ``reverse``."""
            return tf.cond(
                reverse,
                lambda: tf.reverse_sequence(
                    x, lengths, seq_axis=batch_axis + 1, batch_axis=batch_axis
                ),
                lambda: x,
            )

        x = time_flip(inputs, 0)  # (B, T, D)
        steps, batch = tf.shape(x)[1], tf.shape(x)[0]
        xw = tf.einsum("btd,dg->tbg", x, kernel) + input_bias  # (T, B, G*H)
        valid = tf.range(steps)[:, None] < lengths[None, :]  # (T, B)
        states = tuple(tf.unstack(initial, num=num_states))  # S x (B, H)
        state_seq = tf.TensorArray(tf.float32, size=steps)  # T x (S, B, H)
        gate_seq = tf.TensorArray(tf.float32, size=steps)  # T x (G, B, H)
        for t in tf.range(steps):
            _, new_states, gates = cell.step(xw[t], states, recurrent_kernel, recurrent_bias)
            keep = valid[t][:, None]  # (B, 1)
            states = tuple(
                tf.where(keep, new, old) for new, old in zip(new_states, states, strict=True)
            )
            state_seq = state_seq.write(t, tf.stack(states))
            if num_gates:
                gate_seq = gate_seq.write(t, tf.stack(gates))
        mask = tf.transpose(valid)[None, :, :, None]  # (1, B, T, 1)
        state_all = tf.transpose(state_seq.stack(), [1, 2, 0, 3])  # (S, B, T, H)
        outputs = tf.where(mask[0], state_all[0], 0.0)  # (B, T, H); +0.0 at padding
        if num_gates:
            gate_all = tf.where(
                mask, tf.transpose(gate_seq.stack(), [1, 2, 0, 3]), 0.0
            )  # (G, B, T, H)
        else:
            gate_all = tf.zeros([0, batch, steps, tf.shape(initial)[2]])
        return (
            time_flip(outputs, 0),
            time_flip(state_all, 1),
            time_flip(gate_all, 1),
            tf.stack(states),  # (S, B, H)
        )

    return loop


_LOOPS: dict[tuple[str, bool], tf.types.experimental.GenericFunction] = {}


def direction_loop(spec: NetworkSpec) -> tf.types.experimental.GenericFunction:
    """The compiled loop for ``spec``'s cell variant, built once per process."""
    key = (spec.cell, spec.cell == "gru" and spec.reset_after)
    if key not in _LOOPS:
        _LOOPS[key] = _compile_loop(make_cell(spec), len(spec.state_names), len(spec.gate_names))
    return _LOOPS[key]


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
    batch = inputs.shape[0]
    loop = direction_loop(spec)
    lengths_t = tf.constant(lengths, tf.int32)
    zeros = np.zeros((batch, spec.hidden_size), np.float32)
    layers: list[dict[str, DirectionRun]] = []
    layer_input = inputs.astype(np.float32, copy=False)  # (B, T, D)
    with tf.device(device):
        for layer in range(spec.num_layers):
            runs = {}
            for direction in spec.directions:
                given = (initial_state or [{}] * spec.num_layers)[layer].get(direction) or {}
                initial = np.stack([given.get(name, zeros) for name in spec.state_names])
                w = weights[layer][direction]
                input_bias, recurrent_bias = spec.split_bias(w.bias)
                outputs, states, gates, final = loop(
                    layer_input,
                    lengths_t,
                    initial.astype(np.float32, copy=False),
                    w.kernel,
                    w.recurrent_kernel,
                    input_bias,
                    recurrent_bias,
                    tf.constant(direction == "backward"),
                )
                states, gates, final = states.numpy(), gates.numpy(), final.numpy()
                runs[direction] = DirectionRun(
                    outputs=outputs.numpy(),
                    states=dict(zip(spec.state_names, states, strict=True)),
                    gates=dict(zip(spec.gate_names, gates, strict=True)),
                    final_state=dict(zip(spec.state_names, final, strict=True)),
                )
            layers.append(runs)
            layer_input = np.concatenate([r.outputs for r in runs.values()], axis=-1)
    return NetworkRun(layers=layers, outputs=layer_input)
