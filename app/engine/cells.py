"""The cell variants (SPEC section 3): one declaration each, the one source of truth.

A variant declares what Keras' cell contract asks of a cell: the names of its states and gates,
its weight layout (``blocks``: the G column blocks, each H wide, of kernel, recurrent kernel and
bias; ``bias_rows``; the seeded bias), the request options it reads, its TensorFlow step, and its
equations as data (docs/CELLS.md). Everything else derives from the declaration: ``NetworkSpec``'s
properties, validation and its messages, result building, warm-up, ``GET /api/cells`` (the front
end's labels and math panel), the test fixtures. A fifth variant is one more class here: defining
it registers it in ``VARIANTS``.

The step is written by hand for speed (one fused matmul per step). Every step reads
``xw_t = x_t W + b_in``, the input projection with the input bias, which the time loop
(``unroll.py``) computes for all timesteps at once. It works on one direction (``h`` is
``(B, H)``, ``U`` is ``(H, G*H)``) or on both directions at once (``h`` is ``(N, B, H)``, ``U``
is ``(N, H, G*H)``, a batched matmul): blocks are split on the last axis. ``equations`` say the
same math as data; a test evaluates them with an independent float64 interpreter against the
step (``tests/engine/test_cells.py``), so the two cannot drift apart.

Most cells are *unit-wise after one recurrent projection* (``UnitwiseCell``): the step is
``update(xw_t, h_{t-1} U, states)``, where unit ``j`` of every output reads only unit ``j`` of
every input, as in Keras' fused implementations. The analyses use that structure to get a
step's Jacobians from a few gradients instead of one per state unit (``analysis.py``).

TensorFlow is imported at its first use: the web tier reads the declarations (validation,
schemas) without loading it, and the steps only run when a graph is traced.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

if TYPE_CHECKING:
    import tensorflow as tf
else:

    class _TensorFlow:
        """``tensorflow``, imported when a step first uses it."""

        def __getattr__(self, name: str) -> Any:
            import tensorflow

            return getattr(tensorflow, name)

    tf = _TensorFlow()

Tensors = tuple["tf.Tensor", ...]
Expression = str | int | float | list["Expression"]  # docs/CELLS.md, "The expression language"


def _sum(*terms: Expression) -> Expression:
    return ["+", *terms]


def _projections(k: int) -> tuple[Expression, Expression]:
    """``x W_k`` and ``h_{t-1} U_k``: block ``k`` of the input and recurrent projections."""
    return ["dot", "x", "kernel", k], ["dot", "h_prev", "recurrent_kernel", k]


def _linear(k: int, *extra: Expression) -> Expression:
    """``x W_k + h_{t-1} U_k + b_k`` (and ``extra`` terms): the sum every rnn and lstm block
    reads."""
    return _sum(*_projections(k), ["bias", 0, k], *extra)


VARIANTS: dict[str, Cell] = {}


class Cell:
    """A cell variant. ``step(xw_t, states, recurrent_kernel, recurrent_bias)`` returns
    ``(h_t, new_states, gates)``: ``states`` and ``new_states`` in the order of ``states``,
    ``gates`` in the order of ``gates``, after their activation. ``recurrent_bias`` (what
    ``split_bias`` gives for ``h U``) broadcasts against ``h_{t-1} U`` (``(1, G*H)``, or
    ``(N, 1, G*H)``).
    """

    key: ClassVar[str]  # the variant's name: /compare?cells=..., GET /api/cells
    request: ClassVar[dict[str, Any]]  # the request fields that select it (str, bool)
    title: ClassVar[str]
    states: ClassVar[tuple[str, ...]]  # the first is h, which is also the output
    gates: ClassVar[tuple[str, ...]]  # in column-block order of the weights
    blocks: ClassVar[int]  # G
    bias_rows: ClassVar[int] = 1  # 2: an input bias row and a recurrent bias row
    options: ClassVar[tuple[str, ...]] = ()  # request options the step reads
    equations: ClassVar[tuple[dict[str, Expression], ...]]  # docs/CELLS.md

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "key" in cls.__dict__:
            VARIANTS[cls.key] = cls()

    def bias_shape(self, hidden: int) -> tuple[int, ...]:
        """``[G*H]``, or ``[rows, G*H]`` with more than one bias row."""
        width = self.blocks * hidden
        return (self.bias_rows, width) if self.bias_rows > 1 else (width,)

    def seeded_bias(self, hidden: int) -> np.ndarray:
        """The bias of seeded weights, float64: zeros (Keras' default)."""
        return np.zeros(self.bias_shape(hidden))

    def split_bias(
        self, bias: np.ndarray, options: dict[str, float]
    ) -> tuple[np.ndarray, np.ndarray]:
        """``(b_in, b_rec)``, float32 ``(G*H,)`` each: what the step adds to ``x W`` (folded into
        ``xw_t``) and to ``h U``. One bias row is all input bias."""
        if self.bias_rows == 2:
            return bias[0].astype(np.float32), bias[1].astype(np.float32)
        b_in = bias.astype(np.float32)
        return b_in, np.zeros_like(b_in)

    def step(
        self,
        xw_t: tf.Tensor,
        states: Tensors,
        recurrent_kernel: tf.Tensor,
        recurrent_bias: tf.Tensor,
    ) -> tuple[tf.Tensor, Tensors, Tensors]:
        raise NotImplementedError

    def describe(self) -> dict[str, Any]:
        """The declaration as ``GET /api/cells`` serves it (docs/CELLS.md)."""
        return {
            "key": self.key,
            "request": dict(self.request),
            "title": self.title,
            "states": list(self.states),
            "gates": list(self.gates),
            "blocks": self.blocks,
            "bias_rows": self.bias_rows,
            "options": list(self.options),
            "equations": [dict(equation) for equation in self.equations],
        }


class UnitwiseCell(Cell):
    """A cell whose step is ``update(xw_t, h_{t-1} U, states, recurrent_bias)`` with ``update``
    unit-wise: unit ``j`` of each new state and gate reads only unit ``j`` of each block of
    ``xw_t`` and ``h U`` and of each state."""

    def step(self, xw_t, states, recurrent_kernel, recurrent_bias):
        return self.update(xw_t, tf.matmul(states[0], recurrent_kernel), states, recurrent_bias)

    def update(
        self, xw_t: tf.Tensor, hu_t: tf.Tensor, states: Tensors, recurrent_bias: tf.Tensor
    ) -> tuple[tf.Tensor, Tensors, Tensors]:
        raise NotImplementedError


class SimpleRNN(UnitwiseCell):
    """``h_t = tanh(x_t W + h_{t-1} U + b)`` (BasicRNNCell, keras SimpleRNN)."""

    key, title, request = "rnn", "RNN", {"cell": "rnn"}
    states, gates, blocks = ("h",), (), 1
    equations = ({"name": "h", "value": ["tanh", _linear(0)]},)

    def update(self, xw_t, hu_t, states, recurrent_bias):
        h = tf.tanh(xw_t + hu_t)  # (B, H)
        return h, (h,), ()


class LSTM(UnitwiseCell):
    """Gates in order ``i, f, g, o``, with ``· = x_t W + h_{t-1} U + b``::

        i = σ(·_i)   f = σ(·_f + forget_bias)   g = tanh(·_g)   o = σ(·_o)
        c_t = f ⊙ c_{t-1} + i ⊙ g
        h_t = o ⊙ tanh(c_t)

    ``forget_bias`` arrives folded into the f block of ``xw_t`` (``split_bias``). Seeded
    weights have the f block of the bias at 1.0 (Keras' ``unit_forget_bias``).
    """

    key, title, request = "lstm", "LSTM", {"cell": "lstm"}
    states, gates, blocks = ("h", "c"), ("i", "f", "g", "o"), 4
    options = ("forget_bias",)
    equations = (
        {"name": "i", "value": ["sigmoid", _linear(0)]},
        {"name": "f", "value": ["sigmoid", _linear(1, ["option", "forget_bias"])]},
        {"name": "g", "value": ["tanh", _linear(2)]},
        {"name": "o", "value": ["sigmoid", _linear(3)]},
        {"name": "c", "value": ["+", ["*", "f", "c_prev"], ["*", "i", "g"]]},
        {"name": "h", "value": ["*", "o", ["tanh", "c"]]},
    )

    def seeded_bias(self, hidden):
        bias = super().seeded_bias(hidden)
        bias[hidden : 2 * hidden] = 1.0
        return bias

    def split_bias(self, bias, options):
        b_in, b_rec = super().split_bias(bias, options)
        hidden = b_in.shape[0] // self.blocks
        b_in[hidden : 2 * hidden] += np.float32(options["forget_bias"])
        return b_in, b_rec

    def update(self, xw_t, hu_t, states, recurrent_bias):
        _, c_tm1 = states
        pre = xw_t + hu_t  # (B, 4H): the pre-activations, blocks i, f, g, o
        pre_i, pre_f, pre_g, pre_o = tf.split(pre, 4, axis=-1)
        i, f = tf.sigmoid(pre_i), tf.sigmoid(pre_f)
        g, o = tf.tanh(pre_g), tf.sigmoid(pre_o)
        c = f * c_tm1 + i * g  # (B, H)
        h = o * tf.tanh(c)  # (B, H)
        return h, (h, c), (i, f, g, o)


def _both_biases(k: int) -> tuple[Expression, ...]:
    """``x W_k``, ``b_k``, ``h_{t-1} U_k``, ``b'_k``: a reset_after GRU gate's terms."""
    x_k, h_k = _projections(k)
    return x_k, ["bias", 0, k], h_k, ["bias", 1, k]


_GRU_STATE: dict[str, Expression] = {
    "name": "h",
    "value": ["+", ["*", "z", "h_prev"], ["*", ["-", 1, "z"], "n"]],
}


class GRU(UnitwiseCell):
    """Gates in order ``z, r, n``, Keras' default (cuDNN-compatible); bias ``[2, 3H]`` = input
    bias ``b``, recurrent bias ``b'``::

        z = σ(x W_z + b_z + h U_z + b'_z)    r = σ(x W_r + b_r + h U_r + b'_r)
        n = tanh(x W_n + b_n + r ⊙ (h U_n + b'_n))
        h_t = z ⊙ h_{t-1} + (1 − z) ⊙ n
    """

    key, title, request = "gru", "GRU", {"cell": "gru", "reset_after": True}
    states, gates, blocks, bias_rows = ("h",), ("z", "r", "n"), 3, 2
    equations = (
        {"name": "z", "value": ["sigmoid", _sum(*_both_biases(0))]},
        {"name": "r", "value": ["sigmoid", _sum(*_both_biases(1))]},
        {
            "name": "n",
            "value": [
                "tanh",
                _sum(
                    _projections(2)[0],
                    ["bias", 0, 2],
                    ["*", "r", _sum(_projections(2)[1], ["bias", 1, 2])],
                ),
            ],
        },
        _GRU_STATE,
    )

    def update(self, xw_t, hu_t, states, recurrent_bias):
        (h_tm1,) = states
        x_z, x_r, x_n = tf.split(xw_t, 3, axis=-1)
        hu_z, hu_r, hu_n = tf.split(hu_t + recurrent_bias, 3, axis=-1)  # h U + b'
        z, r = tf.sigmoid(x_z + hu_z), tf.sigmoid(x_r + hu_r)
        n = tf.tanh(x_n + r * hu_n)
        h = z * h_tm1 + (1.0 - z) * n  # (B, H)
        return h, (h,), (z, r, n)


class GRUTF1(Cell):
    """TF1's GRUCell (``reset_after: false``): the reset gate acts before the recurrent product,
    so the step is not unit-wise after one projection. Bias ``[3H]``::

        z = σ(x W_z + h U_z + b_z)    r = σ(x W_r + h U_r + b_r)
        n = tanh(x W_n + (r ⊙ h) U_n + b_n)
        h_t = z ⊙ h_{t-1} + (1 − z) ⊙ n
    """

    key, title, request = "gru_tf1", "GRU (TF1)", {"cell": "gru", "reset_after": False}
    states, gates, blocks = ("h",), ("z", "r", "n"), 3
    equations = (
        {"name": "z", "value": ["sigmoid", _linear(0)]},
        {"name": "r", "value": ["sigmoid", _linear(1)]},
        {
            "name": "n",
            "value": [
                "tanh",
                _sum(
                    _projections(2)[0],
                    ["dot", ["*", "r", "h_prev"], "recurrent_kernel", 2],
                    ["bias", 0, 2],
                ),
            ],
        },
        _GRU_STATE,
    )

    def step(self, xw_t, states, recurrent_kernel, recurrent_bias):
        (h_tm1,) = states
        x_z, x_r, x_n = tf.split(xw_t, 3, axis=-1)
        hidden = tf.shape(h_tm1)[-1]
        hu_zr = tf.matmul(h_tm1, recurrent_kernel[..., : 2 * hidden])  # (B, 2H)
        hu_z, hu_r = tf.split(hu_zr, 2, axis=-1)
        z, r = tf.sigmoid(x_z + hu_z), tf.sigmoid(x_r + hu_r)
        n = tf.tanh(x_n + tf.matmul(r * h_tm1, recurrent_kernel[..., 2 * hidden :]))
        h = z * h_tm1 + (1.0 - z) * n  # (B, H)
        return h, (h,), (z, r, n)


def find_variant(fields: dict[str, Any]) -> Cell:
    """The variant that request ``fields`` (``cell``, ``reset_after``, ...) select."""
    for variant in VARIANTS.values():
        if all(fields.get(name) == value for name, value in variant.request.items()):
            return variant
    raise ValueError(f"no cell variant for {fields}")


def cell_names() -> tuple[str, ...]:
    """The request "cell" values the variants use, in declaration order."""
    return tuple(dict.fromkeys(str(v.request["cell"]) for v in VARIANTS.values()))


def describe_all() -> dict[str, dict[str, Any]]:
    """Every variant's declaration, by key, in declaration order (``GET /api/cells``)."""
    return {key: variant.describe() for key, variant in VARIANTS.items()}
