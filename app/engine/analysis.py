"""The analyses of SPEC section 6: connectivity (how far back a state reads its inputs) and
state trajectories (principal components of h).

Connectivity
------------

Entry ``[b][t][s]`` of a layer-direction is ``‖∂h_t/∂x_s‖_F``, ``x_s`` the *network* input. It is
computed in float32, on the run's device, after the plain run and from its states, in two parts:

1. **Local Jacobians, by TensorFlow's autodiff.** For every step ``r`` of a layer-direction, in
   its reading order: ``A_r = ∂s_r/∂s_{r-1}`` (``(S·H)²``, ``s`` the states side by side) and
   ``B_r = ∂s_r/∂x_r`` (``S·H × D_l``, ``x_r`` the layer's input read at step ``r``). For a
   unit-wise cell (``cells.UnitwiseCell``: rnn, lstm, gru) the step is a unit-wise ``update`` of
   ``x W`` and ``h U``, so S gradients of ``update`` (one per state, summed over units, which
   never mix) give every partial, for all steps, examples and directions at once; ``A_r`` and
   ``B_r`` are expanded from them with ``U`` and ``W`` at each step. Other cells (gru_tf1, whose
   reset gate acts before ``U``) use ``GradientTape.batch_jacobian`` of the step, S·H gradients
   at every step: correct for any cell, about 20× the work for an H = 64 LSTM.
2. **Forward accumulation.** The tangent ``Z_r = ∂s_r/∂(x_sources)`` has one column per source
   position and input unit, and ``Z_r = A_r Z_{r-1} + B_r Y_r``: ``Y_r`` is the tangent of what
   step ``r`` reads, the identity at ``x_s`` in layer 0 (so ``B_r`` lands in source column block
   ``s``), and above it the layer below's output tangents (forward | backward, in time order,
   exactly 0 at padding positions, whose outputs are constant 0). A backward direction
   accumulates in its reading order (``x[len−1], …, x[0]``, ``tf.reverse_sequence`` semantics)
   and its tangents are put back at their time positions. The cost grows with D (input units),
   not with H.

Forward, not reverse: reverse accumulation (an adjoint per output unit and step) grows with H
instead of D, and needs a sweep down the stack for every layer whose connectivity is wanted, where
forward mode gets every layer in one sweep up. Inputs here are one-hot characters or small vectors
and D > H only for tiny hidden sizes, where either is cheap; only forward is implemented, and
``connectivity_macs`` (refused above the setting ``max_connectivity_macs``) bounds its cost.

Exact zeros: ``h_t`` never reads a padding input, and where it cannot depend on ``x_s`` (forward
``s > t``, backward ``s < t``, below any bidirectional layer) its tangent columns start at 0 and
stay 0; padding rows ``t ≥ len`` carry the final state, which does depend on the inputs, and are
set to 0 by SPEC's definition. All of these are set to exactly 0 at the end as well, whatever
float32 overflow may have done.

Memory and time: sources are taken ``C`` positions at a time, the chunks outermost and the
layers inside, so that one layer's output tangents (``T·B·C·D·N·H`` numbers) stay within
``CHUNK_NUMBERS``. Each layer's local factors (or, for other cells, its inputs and previous
states in reading order) are kept for all chunks: a few times the run's own per-step arrays.
A chunk's loop starts at the first step that reads one of its sources (``s = c0`` forward, for
the layers that see only the past) and ends at the longest length.

Trajectory
----------

The principal components of a layer-direction's ``states.h``, in float64: the mean and the
covariance of the valid positions of all examples, its eigenvectors by ``numpy.linalg.eigh``,
the ``K = min(2, H)`` of largest variance. Each axis is oriented so that its entry of largest
absolute value is positive. An axis along which the valid states do not vary (variance at
float64 round-off of the largest) is all zeros, as are its ratio and components, rather than an
arbitrary direction; with fewer than two valid positions every number is 0. Every position,
padding included, is projected; the results are float32, as every array of a result.
"""

from dataclasses import dataclass, replace

import numpy as np
import tensorflow as tf

from app.engine.cells import Cell, UnitwiseCell
from app.engine.config import NetworkSpec
from app.engine.unroll import NetworkRun, StateArrays, fast_call, initial_states, layer_weights
from app.engine.weights import LayerWeights

ANALYSES = ("connectivity", "trajectory")
CHUNK_NUMBERS = 1 << 24  # most numbers of one layer's output tangents for one source chunk


@dataclass(frozen=True)
class Trajectory:
    """SPEC section 6's trajectory of one layer-direction, ``K = min(2, H)``."""

    axes: np.ndarray  # (K, H)
    mean: np.ndarray  # (H,)
    explained_variance_ratio: np.ndarray  # (K,)
    components: np.ndarray  # (B, T, K)


def trajectory(h: np.ndarray, lengths: np.ndarray) -> Trajectory:
    """PCA of ``h`` (B, T, H) over its valid positions (module docstring)."""
    batch, steps, hidden = h.shape
    k = min(2, hidden)
    points = h[np.arange(steps)[None, :] < lengths[:, None]].astype(np.float64)  # (M, H)
    if len(points) < 2:
        zeros = np.zeros
        return Trajectory(zeros((k, hidden)), zeros(hidden), zeros(k), zeros((batch, steps, k)))
    mean = points.mean(axis=0)
    centred = points - mean
    values, vectors = np.linalg.eigh(centred.T @ centred)  # ascending
    values, vectors = np.clip(values[::-1], 0.0, None), vectors[:, ::-1]
    kept = values[:k] > values[0] * max(points.shape) * np.finfo(np.float64).eps
    axes = vectors[:, :k].T * kept[:, None]  # (K, H)
    largest = axes[np.arange(k), np.argmax(np.abs(axes), axis=1)]
    axes *= np.where(largest < 0, -1.0, 1.0)[:, None]
    total = values.sum()
    ratio = np.where(kept, values[:k] / total if total > 0 else 0.0, 0.0)
    components = (h.astype(np.float64) - mean) @ axes.T  # (B, T, K)
    return Trajectory(*(a.astype(np.float32) for a in (axes, mean, ratio, components)))


# ---- connectivity: the compiled parts -----------------------------------------------------------


def _reading_order(lengths: tf.Tensor, backward: tf.Tensor, steps: tf.Tensor) -> tf.Tensor:
    """(N, T, B): the time position each direction reads at each step, per example. Backward:
    ``len−1−r`` for ``r < len``, else ``r`` (``tf.reverse_sequence``); it is its own inverse."""
    r = tf.range(steps)[None, :, None]  # (1, T, 1)
    reverse = backward[:, None, None] & (r < lengths[None, None, :])
    return tf.where(reverse, lengths[None, None, :] - 1 - r, r)


def _split_weights(weights: tf.Tensor, size: tf.Tensor, hidden: tf.Tensor) -> list[tf.Tensor]:
    """Kernel (N, D, G*H), recurrent kernel (N, H, G*H), input and recurrent bias (N, 1, G*H)."""
    return tf.split(weights, tf.stack([size, hidden, 1, 1]), axis=1)


class _Compiled:
    """The compiled functions of one cell variant (any direction count):

    - ``prepare(x, lengths, backward, initial, states, weights)``: what the chunk loop reads at
      each step, for all steps (unit-wise cells: the factors ``∂s/∂(x W)``, ``∂s/∂(h U)``,
      ``∂s/∂s_{t-1}``, unit by unit; others: ``x W + b`` and the previous states);
    - ``first(*prepared, weights, lengths, backward, c0, chunk, start, stop)`` and
      ``above(*prepared, weights, inputs, lengths, backward, c0, chunk, start, stop)``: one
      layer's tangents for sources ``c0 .. c0+chunk−1``, in layer 0 and above it. Both return
      the norms (N, B, T, chunk) and the layer's output tangents (T, B, chunk*D, N*H).
    """

    def __init__(self, cell: Cell) -> None:
        self.cell = cell
        self.num_states = len(cell.states)
        self.unitwise = isinstance(cell, UnitwiseCell)
        count = 3 if self.unitwise else 2
        local = [tf.TensorSpec(None, tf.float32)] * count
        common = [
            tf.TensorSpec([None], tf.int32, name="lengths"),  # (B,)
            tf.TensorSpec([None], tf.bool, name="backward"),  # (N,)
            *(tf.TensorSpec([], tf.int32, name=n) for n in ("c0", "chunk", "start", "stop")),
        ]
        weights = tf.TensorSpec([None, None, None], tf.float32, name="weights")
        inputs = tf.TensorSpec([None, None, None, None], tf.float32, name="inputs")
        self.prepare = fast_call(
            tf.function(
                self._prepare,
                autograph=False,
                input_signature=(
                    tf.TensorSpec([None, None, None], tf.float32, name="x"),  # (T, B, D)
                    common[0],
                    common[1],
                    tf.TensorSpec([None, None, None], tf.float32, name="initial"),  # (N, B, S*H)
                    tf.TensorSpec([None, None, None, None], tf.float32, name="states"),
                    weights,  # (N, D + H + 2, G*H)
                ),
            )
        )
        self.first = fast_call(
            tf.function(
                lambda *a: self._chunk(a[:count], a[count], None, *a[count + 1 :]),
                autograph=False,
                input_signature=(*local, weights, *common),
            )
        )
        self.above = fast_call(
            tf.function(
                lambda *a: self._chunk(a[:count], a[count], a[count + 1], *a[count + 2 :]),
                autograph=False,
                input_signature=(*local, weights, inputs, *common),
            )
        )

    def _prepare(self, x, lengths, backward, initial, states, weights):
        steps, batch, size = tf.unstack(tf.shape(x))
        directions = tf.shape(backward)[0]
        hidden = tf.shape(initial)[-1] // self.num_states
        order = _reading_order(lengths, backward, steps)  # (N, T, B)
        n_index, _, b_index = tf.meshgrid(
            tf.range(directions), tf.range(steps), tf.range(batch), indexing="ij"
        )
        x_read = tf.gather_nd(x, tf.stack([order, b_index], -1))  # (N, T, B, D)
        after = tf.gather_nd(states, tf.stack([n_index, b_index, order], -1))  # (N, T, B, S*H)
        before = tf.concat([initial[:, None], after[:, :-1]], axis=1)  # (N, T, B, S*H)
        kernel, recurrent_kernel, input_bias, recurrent_bias = _split_weights(
            weights, size, hidden
        )
        rows = [directions, steps * batch]
        xw = tf.matmul(tf.reshape(x_read, [*rows, size]), kernel) + input_bias  # (N, T*B, G*H)
        xw = tf.reshape(xw, [directions, steps, batch, -1])  # (N, T, B, G*H)
        if not self.unitwise:
            return xw, before
        hu = tf.matmul(tf.reshape(before[..., :hidden], [*rows, hidden]), recurrent_kernel)
        hu = tf.reshape(hu, [directions, steps, batch, -1])  # (N, T, B, G*H): h_{t-1} U
        with tf.GradientTape(persistent=True) as tape:
            tape.watch([xw, hu, before])
            _, new_states, _ = self.cell.update(
                xw, hu, tuple(tf.split(before, self.num_states, axis=-1)),
                recurrent_bias[:, None],
            )  # fmt: skip
        zero = tf.UnconnectedGradients.ZERO
        per_state = [tape.gradient(s, [xw, hu, before], unconnected_gradients=zero)
                     for s in new_states]  # fmt: skip
        # d state s / d (xw, hu, previous states), each unit j from unit j only: (N, T, B, S, ·)
        return tuple(tf.stack(parts, axis=3) for parts in zip(*per_state, strict=True))

    def _jacobians(self, local, r, weights, size, hidden):
        """``A_r`` (N*B, S*H, S*H) and ``B_r`` (N*B, S*H, D) at reading step ``r``."""
        kernel, recurrent_kernel, _, recurrent_bias = _split_weights(weights, size, hidden)
        directions, states = tf.shape(weights)[0], self.num_states
        blocks = self.cell.blocks
        if self.unitwise:
            d_xw, d_hu, d_before = (part[:, r] for part in local)  # (N, B, S, ·)
            batch = tf.shape(d_xw)[1]
            unit = [directions, batch, states, blocks, hidden]
            recurrent = tf.reshape(recurrent_kernel, [directions, hidden, blocks, hidden])
            through_h = tf.einsum(
                "nbsgj,nkgj->nbsjk", tf.reshape(d_hu, unit), recurrent
            )  # (N, B, S, H, H): via h U, into the h columns
            direct = tf.linalg.diag(
                tf.reshape(d_before, [directions, batch, states, states, hidden])
            )  # (N, B, S, S', H, H)
            a = tf.transpose(direct, [0, 1, 2, 4, 3, 5]) + tf.pad(
                through_h[:, :, :, :, None], [[0, 0]] * 4 + [[0, states - 1], [0, 0]]
            )  # (N, B, S, H, S', H)
            kernel4 = tf.reshape(kernel, [directions, size, blocks, hidden])
            b = tf.einsum("nbsgj,ndgj->nbsjd", tf.reshape(d_xw, unit), kernel4)
            rows = [directions * batch, states * hidden]
            return tf.reshape(a, [*rows, -1]), tf.reshape(b, [*rows, size])
        # Every other cell: one gradient per state unit, as a batch of copies of the step (a
        # copy per unit of each example's new state, seeded with that unit).
        xw, before = local[0][:, r], local[1][:, r]  # (N, B, G*H), (N, B, S*H)
        batch, width = tf.shape(xw)[1], tf.shape(xw)[-1]
        seeds = states * hidden
        xw_c, before_c = (tf.repeat(part, seeds, axis=1) for part in (xw, before))
        with tf.GradientTape() as tape:
            tape.watch([xw_c, before_c])
            _, new_states, _ = self.cell.step(
                xw_c, tuple(tf.split(before_c, states, axis=-1)), recurrent_kernel,
                recurrent_bias,
            )  # fmt: skip  # (N, B*S*H, H) each
        unit = tf.tile(tf.eye(seeds), [batch, 1])[None]  # (1, B*S*H, S*H): copy k seeds unit k
        seeded = tf.split(unit * tf.ones([directions, 1, 1]), states, axis=-1)
        d_xw, a = tape.gradient(list(new_states), [xw_c, before_c], output_gradients=seeded)
        rows = [directions * batch, seeds]
        b = tf.matmul(tf.reshape(d_xw, [directions, -1, width]), kernel, transpose_b=True)
        return tf.reshape(a, [*rows, seeds]), tf.reshape(b, [*rows, size])

    def _chunk(self, local, weights, inputs, lengths, backward, c0, chunk, start, stop):
        steps = tf.shape(local[0])[1]
        batch = tf.shape(lengths)[0]
        directions = tf.shape(backward)[0]
        hidden = (tf.shape(weights)[-1]) // self.cell.blocks
        size = tf.shape(weights)[1] - hidden - 2  # D of this layer
        state_width = self.num_states * hidden
        rows = directions * batch
        columns = chunk * size if inputs is None else tf.shape(inputs)[2]  # chunk * D
        order = _reading_order(lengths, backward, steps)  # (N, T, B)
        row_order = tf.reshape(order, [directions, steps, batch])
        example = tf.tile(tf.range(batch), [directions])  # (N*B,)
        row_lengths = tf.tile(lengths, [directions])

        def step(r, tangent, written):
            a, b = self._jacobians(local, r, weights, size, hidden)
            tangent = tf.matmul(tangent, a, transpose_b=True)  # (N*B, C*D, S*H)
            read = tf.reshape(row_order[:, r], [rows])  # (N*B,) time position read
            if inputs is None:  # x_read itself: B_r goes to its source's column block
                column = read - c0
                hit = (column >= 0) & (column < chunk) & (r < row_lengths)
                update = tf.where(hit[:, None, None], tf.transpose(b, [0, 2, 1]), 0.0)
                blocks = tf.reshape(tangent, [rows, chunk, size, state_width])
                index = tf.stack([tf.range(rows), tf.clip_by_value(column, 0, chunk - 1)], 1)
                tangent = tf.reshape(
                    tf.tensor_scatter_nd_add(blocks, index, update), [rows, columns, -1]
                )
            else:  # the layer below's output tangents at the position read
                below = tf.gather_nd(inputs, tf.stack([read, example], 1))  # (N*B, C*D, D)
                tangent += tf.matmul(below, b, transpose_b=True)
            return r + 1, tangent, written.write(r - start, tangent[..., :hidden])

        _, _, written = tf.while_loop(
            lambda r, *_: r < stop,
            step,
            (start, tf.zeros([rows, columns, state_width]), tf.TensorArray(tf.float32, stop - start)),
            parallel_iterations=1,
        )
        h_read = tf.reshape(written.stack(), [stop - start, directions, batch, columns, hidden])
        h_read = tf.pad(h_read, [[start, steps - stop], [0, 0], [0, 0], [0, 0], [0, 0]])
        n_index, _, b_index = tf.meshgrid(
            tf.range(directions), tf.range(steps), tf.range(batch), indexing="ij"
        )
        h_time = tf.gather_nd(h_read, tf.stack([order, n_index, b_index], -1))  # (N, T, B, C*D, H)
        valid = tf.range(steps)[None, :, None] < lengths[None, None, :]  # (1, T, B)
        h_time = tf.where(valid[..., None, None], h_time, 0.0)
        outputs = tf.reshape(
            tf.transpose(h_time, [1, 2, 3, 0, 4]), [steps, batch, columns, -1]
        )  # (T, B, C*D, N*H): forward | backward, the next layer's input tangents
        per_source = tf.reshape(h_time, [directions, steps, batch, chunk, -1])
        norms = tf.transpose(tf.norm(per_source, axis=-1), [0, 2, 1, 3])  # (N, B, T, C)
        return norms, outputs


_COMPILED: dict[str, _Compiled] = {}


def _compiled(cell: Cell) -> _Compiled:
    if cell.key not in _COMPILED:
        _COMPILED[cell.key] = _Compiled(cell)
    return _COMPILED[cell.key]


# ---- connectivity: the driver -------------------------------------------------------------------


def chunk_size(spec: NetworkSpec, batch: int, steps: int, input_size: int) -> int:
    """Source positions per chunk: as many as keep a layer's output tangents within
    ``CHUNK_NUMBERS`` (at least one)."""
    per_source = steps * batch * input_size * len(spec.directions) * spec.hidden_size
    return max(1, min(steps, CHUNK_NUMBERS // max(1, per_source)))


def connectivity_macs(spec: NetworkSpec, batch: int, steps: int, input_size: int) -> int:
    """Multiply-adds of the accumulation, about (no causal saving counted): per layer, step,
    direction and example, ``(S·H) × (S·H + D_l)`` for each of the ``T·D`` tangent columns."""
    width = len(spec.state_names) * spec.hidden_size
    per_column = sum(
        width * (width + spec.layer_input_size(layer, input_size))
        for layer in range(spec.num_layers)
    )
    return steps * steps * input_size * len(spec.directions) * batch * per_column


def _first_step(spec: NetworkSpec, layer: int, lengths: np.ndarray, c0: int, c1: int) -> int:
    """The first step at which a layer's tangents for sources ``c0 .. c1−1`` can be nonzero."""
    if layer > 0 and spec.bidirectional:
        return 0  # the layer below read the sources backward too
    reach = lengths[lengths > c0]
    firsts = [c0] + ([int(np.maximum(reach - c1, 0).min())] if spec.bidirectional else [])
    return min(firsts)


def structural_zeros(spec: NetworkSpec, layer: int, direction: str, lengths: np.ndarray, steps: int):
    """(B, T, T) bool: where SPEC section 6 says ``[b][t][s]`` is exactly 0."""
    t = np.arange(steps)[None, :, None]
    s = np.arange(steps)[None, None, :]
    padding = (t >= lengths[:, None, None]) | (s >= lengths[:, None, None])
    if layer > 0 and spec.bidirectional:
        return padding
    return padding | ((s > t) if direction == "forward" else (s < t))


def connectivity(
    spec: NetworkSpec,
    inputs: np.ndarray,
    lengths: np.ndarray,
    weights: list[LayerWeights],
    initial_state: list[dict[str, StateArrays]] | None,
    run: NetworkRun,
    device: str | None = None,
) -> list[dict[str, np.ndarray]]:
    """Per layer and direction, (B, T, T): ``‖∂h_t/∂x_s‖_F`` (module docstring)."""
    batch, steps, size = inputs.shape
    directions, hidden = len(spec.directions), spec.hidden_size
    norms = np.zeros((spec.num_layers, directions, batch, steps, steps), np.float32)
    longest = int(lengths.max(initial=0))
    given = list(initial_state or [])
    compiled = _compiled(spec.variant)
    chunk = chunk_size(spec, batch, steps, size)
    with tf.device(device):
        lengths_t = tf.constant(lengths, tf.int32)
        backward = tf.constant([d == "backward" for d in spec.directions])
        x = tf.constant(inputs.transpose(1, 0, 2), tf.float32)  # (T, B, D)
        layers = []
        for index, layer in enumerate(run.layers):
            runs = [layer[d] for d in spec.directions]
            states = np.stack(
                [np.concatenate([r.states[n] for n in spec.state_names], -1) for r in runs]
            )  # (N, B, T, S*H)
            start = initial_states(spec, batch, given[index] if index < len(given) else None, device)
            initial = tf.reshape(start, [directions, batch, -1])
            w = tf.reshape(layer_weights(spec, weights[index]), [directions, -1, hidden * spec.num_blocks])
            layers.append((compiled.prepare(x, lengths_t, backward, initial, tf.constant(states), w), w))
            x = tf.constant(np.concatenate([r.outputs for r in runs], -1).transpose(1, 0, 2))
        for c0 in range(0, longest, chunk):
            c1 = min(c0 + chunk, longest)
            scalars = [tf.constant(v, tf.int32) for v in (c0, c1 - c0)]
            below = None
            for index, (local, w) in enumerate(layers):
                span = [tf.constant(_first_step(spec, index, lengths, c0, c1)), tf.constant(longest)]
                if below is None:
                    result, below = compiled.first(*local, w, lengths_t, backward, *scalars, *span)
                else:
                    result, below = compiled.above(*local, w, below, lengths_t, backward, *scalars, *span)
                norms[index, :, :, :, c0:c1] = result.numpy()
    return [
        {
            direction: np.where(
                structural_zeros(spec, index, direction, lengths, steps), 0.0, norms[index, n]
            ).astype(np.float32)
            for n, direction in enumerate(spec.directions)
        }
        for index in range(spec.num_layers)
    ]


def analyse(
    spec: NetworkSpec,
    inputs: np.ndarray,
    lengths: np.ndarray,
    weights: list[LayerWeights],
    initial_state: list[dict[str, StateArrays]] | None,
    run: NetworkRun,
    names: tuple[str, ...],
    device: str | None = None,
) -> NetworkRun:
    """``run`` with the analyses ``names`` (of ``ANALYSES``) in every layer and direction."""
    linked = (
        connectivity(spec, inputs, lengths, weights, initial_state, run, device)
        if "connectivity" in names
        else None
    )
    layers = [
        {
            direction: replace(
                result,
                connectivity=linked[index][direction] if linked else None,
                trajectory=trajectory(result.states["h"], lengths) if "trajectory" in names else None,
            )
            for direction, result in layer.items()
        }
        for index, layer in enumerate(run.layers)
    ]
    return replace(run, layers=layers)
