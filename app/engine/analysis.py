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
   reset gate acts before ``U``) differentiate their step at every step as a batch of S·H copies,
   copy ``k`` seeded with state unit ``k`` (one gradient call): correct for any cell, and about
   H times the elementwise work (``GradientTape.batch_jacobian`` of the whole step, tried first,
   cost as much as the accumulation itself; docs/PERFORMANCE.md).
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
``config.connectivity_cost`` (refused above the setting ``max_connectivity_macs``) bounds it.

Exact zeros: ``h_t`` never reads a padding input, and where it cannot depend on ``x_s`` (forward
``s > t``, backward ``s < t``, below any bidirectional layer) its tangent columns start at 0 and
stay 0; padding rows ``t ≥ len`` carry the final state, which does depend on the inputs, and are
set to 0 by SPEC's definition. All of these are set to exactly 0 at the end as well, whatever
float32 overflow may have done.

Memory and time: sources are taken ``C`` positions at a time, the chunks outermost and the
layers inside, so that the output tangents alive at once (the layer below's and the one being
written: ``T·B·C·D·N·H`` numbers each; the top layer writes none) stay within
``config.TANGENT_NUMBERS``. They live in a TensorList with an element per position, direction
and example, which the layer above gathers from at each step, without copies in between. Each
call recomputes its layer's factors, vectorised over every step (a few times the run's own
per-step arrays). A chunk's loop starts at the first step that reads one of its sources (forward
from ``s = c0``, backward from ``len − c1``, in the layers below any bidirectional one) and ends
at the longest length.

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

import functools
from dataclasses import dataclass, replace

import numpy as np
import tensorflow as tf

from app.engine.cells import Cell, UnitwiseCell
from app.engine.config import NetworkSpec, chunk_size
from app.engine.unroll import NetworkRun, StateArrays, fast_call, initial_states, layer_weights
from app.engine.weights import LayerArrays


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


def _per_unit(matrix: tf.Tensor, blocks: int, hidden: tf.Tensor) -> tf.Tensor:
    """(N, R, G*H) -> (N, H, G, R): a weight matrix by output unit ``j``, then block ``g``."""
    directions, rows = tf.shape(matrix)[0], tf.shape(matrix)[1]
    return tf.transpose(tf.reshape(matrix, [directions, rows, blocks, hidden]), [0, 3, 2, 1])


# The integers each call of a compiled layer reads, in order (first and outputs are 0 or 1).
SCALARS = [
    "below_start",
    "below_stop",
    "input_size",
    "c0",
    "chunk",
    "start",
    "stop",
    "first",
    "outputs",
]


class _Compiled:
    """The compiled function of one cell variant, for one or two directions alike:
    ``layer(x, lengths, backward, initial, states, weights, below, scalars)`` is one layer's
    accumulation for the sources ``c0 .. c0+chunk−1`` over steps ``start .. stop−1``
    (``scalars`` holds the ``SCALARS`` in order; ``first`` and ``outputs`` are 0 or 1).

    It first finds what the accumulation reads at each step, for all steps at once
    (``_local``), then runs the steps. Layer 0 (``first``) reads the network input; a layer
    above reads ``below``, the output tangents of the layer below. It gives the norms
    (N, B, T, chunk) and, with ``outputs``, this layer's output tangents for the layer above: a
    TensorList whose element ``u*N*B + n*B + b`` is ``∂h_u/∂x`` of direction ``n`` and example
    ``b`` at time position ``u``, (H, chunk*D), and whose element ``T*N*B`` is zeros, where
    every position the loop did not write points (skipped steps, padding). One function serves
    every layer and chunk: a variant costs one trace, and a small run one call per layer.
    """

    def __init__(self, cell: Cell) -> None:
        self.cell = cell
        self.num_states = len(cell.states)
        self.unitwise = isinstance(cell, UnitwiseCell)
        self.function = tf.function(
            self._layer,
            autograph=False,
            input_signature=(
                tf.TensorSpec([None, None, None], tf.float32, name="x"),  # (T, B, D)
                tf.TensorSpec([None], tf.int32, name="lengths"),  # (B,)
                tf.TensorSpec([None], tf.bool, name="backward"),  # (N,)
                tf.TensorSpec(None, tf.float32, name="initial"),  # ([N,] B, S*H)
                tf.TensorSpec([None, None, None, None], tf.float32, name="states"),
                tf.TensorSpec(None, tf.float32, name="weights"),  # ([N,] D + H + 2, G*H)
                tf.TensorSpec([], tf.variant, name="below"),
                tf.TensorSpec([len(SCALARS)], tf.int32, name="scalars"),
            ),
        )
        self.layer = fast_call(self.function)

    def _layer(self, x, lengths, backward, initial, states, weights, below, scalars):
        steps, batch, size = tf.unstack(tf.shape(x))
        directions = tf.shape(backward)[0]
        hidden = tf.shape(weights)[-1] // self.cell.blocks
        weights = tf.reshape(weights, [directions, -1, self.cell.blocks * hidden])
        initial = tf.reshape(initial, [directions, batch, -1])  # (N, B, S*H)
        order = _reading_order(lengths, backward, steps)  # (N, T, B)
        n_index, _, b_index = tf.meshgrid(
            tf.range(directions), tf.range(steps), tf.range(batch), indexing="ij"
        )
        # what each direction reads and the states before each step, in its reading order
        x_read = tf.gather_nd(x, tf.stack([order, b_index], -1))  # (N, T, B, D)
        after = tf.gather_nd(states, tf.stack([n_index, b_index, order], -1))  # (N, T, B, S*H)
        before = tf.concat([initial[:, None], after[:, :-1]], axis=1)  # (N, T, B, S*H)
        parts = _split_weights(weights, size, hidden)
        local = self._local(x_read, before, parts, hidden)
        read_back = tf.stack([order, n_index, b_index], -1)  # gathers reading order into time
        return self._chunk(local, parts, hidden, order, read_back, below, lengths, scalars)

    def _local(self, x_read, before, parts, hidden):
        """What the accumulation reads at each step, for all steps at once: for a unit-wise
        cell the factors ``∂s/∂(x W)`` and ``∂s/∂(h U)`` (each (N, T, H, B*S, G): unit ``j``,
        then example and state, then block) and ``∂s/∂s_{t-1}`` (N, T, B, S, S', H); for other
        cells ``x W + b`` (N, T, B, G*H) and the previous states (N, T, B, S*H)."""
        kernel, recurrent_kernel, input_bias, recurrent_bias = parts
        directions, steps, batch, size = tf.unstack(tf.shape(x_read))
        rows = [directions, steps * batch]
        xw = tf.matmul(tf.reshape(x_read, [*rows, size]), kernel) + input_bias  # (N, T*B, G*H)
        xw = tf.reshape(xw, [directions, steps, batch, -1])  # (N, T, B, G*H)
        if not self.unitwise:
            return xw, before
        hu = tf.matmul(tf.reshape(before[..., :hidden], [*rows, hidden]), recurrent_kernel)
        hu = tf.reshape(hu, [directions, steps, batch, -1])  # (N, T, B, G*H): h_{t-1} U
        with tf.GradientTape(persistent=True) as tape:
            tape.watch([xw, hu, before])
            states = tuple(tf.split(before, self.num_states, axis=-1))
            _, new_states, _ = self.cell.update(xw, hu, states, recurrent_bias[:, None])
        # One gradient per new state, of its sum over units: since unit j reads only unit j,
        # entry j of each gradient is d state_j / d (that input)_j.
        gradients = [
            tape.gradient(s, [xw, hu, before], unconnected_gradients=tf.UnconnectedGradients.ZERO)
            for s in new_states
        ]
        d_xw, d_hu, d_before = (tf.stack(g, axis=3) for g in zip(*gradients, strict=True))
        # (N, T, B, S, G*H) twice and (N, T, B, S, S*H)
        num, blocks = self.num_states, self.cell.blocks
        by_unit = [directions, steps, batch * num, blocks, hidden]
        return (
            tf.transpose(tf.reshape(d_xw, by_unit), [0, 1, 4, 2, 3]),  # (N, T, H, B*S, G)
            tf.transpose(tf.reshape(d_hu, by_unit), [0, 1, 4, 2, 3]),  # (N, T, H, B*S, G)
            tf.reshape(d_before, [directions, steps, batch, num, num, hidden]),
        )

    def _transitions(self, local, parts, hidden, batch):
        """``at(r)``: ``A_r`` (N*B, S*H, S*H) and ``B_r`` (N*B, S*H, D) at reading step ``r``."""
        kernel, recurrent_kernel, _, recurrent_bias = parts
        directions, size = tf.shape(kernel)[0], tf.shape(kernel)[1]
        states = self.num_states
        rows = [directions * batch, states * hidden]
        if self.unitwise:
            by_unit = [_per_unit(m, self.cell.blocks, hidden) for m in (recurrent_kernel, kernel)]

            def expand(d, by_unit):  # (N, H, B*S, G) x (N, H, G, R) -> (N*B, S, H, R)
                product = tf.reshape(tf.matmul(d, by_unit), [directions, hidden, batch, states, -1])
                return tf.reshape(
                    tf.transpose(product, [0, 2, 3, 1, 4]), [rows[0], states, hidden, -1]
                )

            def at(r):
                d_xw, d_hu, d_before = (part[:, r] for part in local)
                # d state (s, j) / d previous state (s', k): through h U into the h columns,
                # and unit j's own previous states directly (a diagonal for each s, s').
                direct = tf.linalg.diag(tf.reshape(d_before, [rows[0], states, states, hidden]))
                columns = tf.unstack(direct, num=states, axis=2)  # s' of (N*B, S, H, H)
                columns[0] += expand(d_hu, by_unit[0])
                a = tf.reshape(tf.concat(columns, axis=-1), [*rows, -1])
                return a, tf.reshape(expand(d_xw, by_unit[1]), [*rows, size])

            return at

        # Every other cell: one gradient per state unit, from a batch of copies of the step
        # (copy k of an example seeded with unit k of its new states).
        seeds = states * hidden
        unit = tf.tile(tf.eye(seeds), [batch, 1])[None] * tf.ones([directions, 1, 1])
        seeded = tf.split(unit, states, axis=-1)  # copy k seeds unit k

        def at(r):
            xw, before = local[0][:, r], local[1][:, r]  # (N, B, G*H), (N, B, S*H)
            xw_c, before_c = (tf.repeat(part, seeds, axis=1) for part in (xw, before))
            with tf.GradientTape() as tape:
                tape.watch([xw_c, before_c])
                previous = tuple(tf.split(before_c, states, axis=-1))
                _, new, _ = self.cell.step(xw_c, previous, recurrent_kernel, recurrent_bias)
            d_xw, a = tape.gradient(list(new), [xw_c, before_c], output_gradients=seeded)
            width = tf.shape(xw)[-1]
            b = tf.matmul(tf.reshape(d_xw, [directions, -1, width]), kernel, transpose_b=True)
            return tf.reshape(a, [*rows, seeds]), tf.reshape(b, [*rows, size])

        return at

    def _chunk(self, local, parts, hidden, order, read_back, below, lengths, scalars):
        below_start, below_stop, inputs, c0, chunk, start, stop, first, outputs = tf.unstack(
            scalars
        )
        first, outputs = first > 0, outputs > 0
        directions, steps, batch = tf.unstack(tf.shape(order))
        columns = chunk * inputs  # the tangent's columns: C sources of the network's D inputs
        rows = directions * batch
        example = tf.tile(tf.range(batch), [directions])  # (N*B,)
        row_lengths = tf.tile(lengths, [directions])
        element = tf.stack([hidden, columns])  # (H, C*D)
        zero_element = steps * rows
        identity = tf.eye(inputs)[None, :, None, :]  # (1, D, 1, D)
        both = tf.range(directions)[None, :]  # (1, N)
        upward = both * batch + example[:, None]  # (N*B, N): the rows of the same example
        transition = self._transitions(local, parts, hidden, batch)

        def network_input(read, r):  # one-hot in the source's column block
            column = read - c0
            hit = (column >= 0) & (column < chunk) & (r < row_lengths)
            at = tf.one_hot(column, chunk) * tf.cast(hit, tf.float32)[:, None]  # (N*B, C)
            return tf.reshape(identity * at[:, None, :, None], [rows, inputs, columns])

        def layer_below(read, r):  # both directions' output tangents at the position read
            pairs = [rows, directions]  # (row, direction below)
            at = [tf.broadcast_to(i, pairs) for i in (both, read[:, None], example[:, None])]
            step_below = tf.gather_nd(order, tf.stack(at, -1))  # (N*B, N): when it was read
            zero = (step_below < below_start) | (step_below >= below_stop)
            zero |= (read >= row_lengths)[:, None]  # padding outputs are constant 0
            index = tf.where(zero, zero_element, read[:, None] * rows + upward)
            taken = tf.raw_ops.TensorListGather(
                input_handle=below,
                indices=tf.reshape(index, [-1]),
                element_shape=element,
                element_dtype=tf.float32,
            )  # (N*B*N, H, C*D)
            return tf.reshape(taken, [rows, -1, columns])  # (N*B, N*H, C*D)

        def step(r, tangent, norms, written):
            a, b = transition(r)
            read = tf.reshape(order[:, r], [rows])  # (N*B,) time position read at step r
            source = tf.cond(
                first, lambda: network_input(read, r), lambda: layer_below(read, r)
            )  # (N*B, D, C*D): what step r reads, as a tangent
            tangent = tf.matmul(a, tangent) + tf.matmul(b, source)  # (N*B, S*H, C*D)
            h = tangent[:, :hidden]  # (N*B, H, C*D)
            per_source = tf.reshape(h, [rows, hidden, chunk, inputs])
            norms = norms.write(r - start, tf.sqrt(tf.reduce_sum(per_source**2, axis=[1, 3])))
            written = tf.cond(
                outputs,
                lambda: tf.raw_ops.TensorListScatterIntoExistingList(
                    input_handle=written, tensor=h, indices=read * rows + tf.range(rows)
                ),
                lambda: written,
            )
            return r + 1, tangent, norms, written

        written = tf.raw_ops.TensorListReserve(
            element_shape=element, num_elements=zero_element + 1, element_dtype=tf.float32
        )
        written = tf.raw_ops.TensorListSetItem(
            input_handle=written, index=zero_element, item=tf.zeros(element)
        )
        _, _, norms, written = tf.while_loop(
            lambda r, *_: r < stop,
            step,
            (
                start,
                tf.zeros([rows, self.num_states * hidden, columns]),
                tf.TensorArray(tf.float32, stop - start),
                written,
            ),
            parallel_iterations=1,
        )
        norms = tf.pad(norms.stack(), [[start, steps - stop], [0, 0], [0, 0]])  # (T, N*B, C)
        norms = tf.reshape(norms, [steps, directions, batch, chunk])  # reading order
        in_time = tf.gather_nd(norms, read_back)  # (N, T, B, C)
        in_time = tf.transpose(in_time, [0, 2, 1, 3])  # (N, B, T, C)
        return in_time, written


_COMPILED: dict[str, _Compiled] = {}


def compiled_connectivity(cell: Cell) -> _Compiled:
    """The compiled connectivity of ``cell``'s variant, built (and traced) on first use."""
    if cell.key not in _COMPILED:
        _COMPILED[cell.key] = _Compiled(cell)
    return _COMPILED[cell.key]


# ---- connectivity: the driver -------------------------------------------------------------------


@functools.lru_cache(maxsize=8)
def _no_layer_below(device: str | None) -> tf.Tensor:
    """An empty TensorList, what layer 0 is given for ``below`` (made once per device: making
    one costs milliseconds)."""
    with tf.device(device):
        return tf.raw_ops.EmptyTensorList(
            element_shape=tf.constant([-1, -1]), max_num_elements=0, element_dtype=tf.float32
        )


def _first_step(spec: NetworkSpec, layer: int, lengths: np.ndarray, c0: int, c1: int) -> int:
    """The first step at which a layer's tangents for sources ``c0 .. c1−1`` can be nonzero."""
    if layer > 0 and spec.bidirectional:
        return 0  # the layer below read the sources backward too
    reach = lengths[lengths > c0]
    firsts = [c0] + ([int(np.maximum(reach - c1, 0).min())] if spec.bidirectional else [])
    return min(firsts)


def structural_zeros(
    spec: NetworkSpec, layer: int, direction: str, lengths: np.ndarray, steps: int
) -> np.ndarray:
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
    weights: list[LayerArrays],
    initial_state: list[dict[str, StateArrays]] | None,
    run: NetworkRun,
    device: str | None = None,
) -> list[dict[str, np.ndarray]]:
    """Per layer and direction, (B, T, T): ``‖∂h_t/∂x_s‖_F`` (module docstring)."""
    batch, steps, size = inputs.shape
    directions = len(spec.directions)
    norms = np.zeros((spec.num_layers, directions, batch, steps, steps), np.float32)
    longest = int(lengths.max(initial=0))
    given = list(initial_state or [])
    compiled = compiled_connectivity(spec.variant)
    chunk = chunk_size(spec, batch, steps, size)
    top = spec.num_layers - 1
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
            initial = initial_states(
                spec, batch, given[index] if index < len(given) else None, device
            )
            w = tf.constant(layer_weights(spec, weights[index]))
            layers.append((x, initial, tf.constant(states), w))
            x = tf.constant(np.concatenate([r.outputs for r in runs], -1).transpose(1, 0, 2))
        nothing = _no_layer_below(device)
        for c0 in range(0, longest, chunk):
            c1 = min(c0 + chunk, longest)
            below, below_span = nothing, [0, 0]
            for index, (x_l, initial, states, w) in enumerate(layers):
                span = [_first_step(spec, index, lengths, c0, c1), longest]
                scalars = tf.constant(
                    (*below_span, size, c0, c1 - c0, *span, index == 0, index < top), tf.int32
                )  # SCALARS
                result, below = compiled.layer(
                    x_l, lengths_t, backward, initial, states, w, below, scalars
                )
                norms[index, :, :, :, c0:c1] = result.numpy()
                below_span = span
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
    weights: list[LayerArrays],
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
                trajectory=trajectory(result.states["h"], lengths)
                if "trajectory" in names
                else None,
            )
            for direction, result in layer.items()
        }
        for index, layer in enumerate(run.layers)
    ]
    return replace(run, layers=layers)
