"""One step of each recurrent cell (SPEC section 3), in TensorFlow, float32.

Every cell reads ``xw_t = x_t W + b_in``: the input projection with the input bias, computed for
all timesteps at once by the time loop in ``unroll.py``. Column blocks of ``W``, ``U`` and ``b``
are in the gate order of ``NetworkSpec.gate_names``, each ``H`` wide (the Keras layout).

A step works on one direction (``h`` is ``(B, H)``, ``U`` is ``(H, G*H)``) or on both directions
at once (``h`` is ``(N, B, H)``, ``U`` is ``(N, H, G*H)``, a batched matmul): blocks are split on
the last axis.
"""

import tensorflow as tf

from app.engine.config import NetworkSpec

Tensors = tuple[tf.Tensor, ...]


class Cell:
    """One step: ``step(xw_t, states, recurrent_kernel, b_rec) -> (h_t, new_states, gates)``.

    ``recurrent_bias`` broadcasts against ``h_{t-1} U`` (``(1, G*H)``, or ``(N, 1, G*H)``).

    ``states`` and ``new_states`` follow ``NetworkSpec.state_names``; ``gates`` follow
    ``NetworkSpec.gate_names``, after their activation.
    """

    def step(
        self,
        xw_t: tf.Tensor,
        states: Tensors,
        recurrent_kernel: tf.Tensor,
        recurrent_bias: tf.Tensor,
    ) -> tuple[tf.Tensor, Tensors, Tensors]:
        raise NotImplementedError


class SimpleRNN(Cell):
    """``h_t = tanh(x_t W + h_{t-1} U + b)`` (BasicRNNCell, keras SimpleRNN)."""

    def step(self, xw_t, states, recurrent_kernel, recurrent_bias):
        (h_tm1,) = states
        h = tf.tanh(xw_t + tf.matmul(h_tm1, recurrent_kernel))  # (B, H)
        return h, (h,), ()


class LSTM(Cell):
    """Gates in order ``i, f, g, o``, with ``· = x_t W + h_{t-1} U + b``::

        i = σ(·_i)   f = σ(·_f + forget_bias)   g = tanh(·_g)   o = σ(·_o)
        c_t = f ⊙ c_{t-1} + i ⊙ g
        h_t = o ⊙ tanh(c_t)

    ``forget_bias`` arrives folded into the f block of ``xw_t`` (``NetworkSpec.split_bias``).
    """

    def step(self, xw_t, states, recurrent_kernel, recurrent_bias):
        h_tm1, c_tm1 = states
        z = xw_t + tf.matmul(h_tm1, recurrent_kernel)  # (B, 4H)
        z_i, z_f, z_g, z_o = tf.split(z, 4, axis=-1)
        i, f, g, o = tf.sigmoid(z_i), tf.sigmoid(z_f), tf.tanh(z_g), tf.sigmoid(z_o)
        c = f * c_tm1 + i * g  # (B, H)
        h = o * tf.tanh(c)  # (B, H)
        return h, (h, c), (i, f, g, o)


class GRU(Cell):
    """Gates in order ``z, r, n``; ``h_t = z ⊙ h_{t-1} + (1 − z) ⊙ n``.

    ``reset_after=True`` (Keras, cuDNN; bias ``[2, 3H]`` = input bias ``b``, recurrent ``b'``)::

        z = σ(x W_z + b_z + h U_z + b'_z)    r = σ(x W_r + b_r + h U_r + b'_r)
        n = tanh(x W_n + b_n + r ⊙ (h U_n + b'_n))

    ``reset_after=False`` (TF1 GRUCell; bias ``[3H]``)::

        z = σ(x W_z + h U_z + b_z)    r = σ(x W_r + h U_r + b_r)
        n = tanh(x W_n + (r ⊙ h) U_n + b_n)
    """

    def __init__(self, reset_after: bool) -> None:
        self.reset_after = reset_after

    def step(self, xw_t, states, recurrent_kernel, recurrent_bias):
        (h_tm1,) = states
        x_z, x_r, x_n = tf.split(xw_t, 3, axis=-1)
        hidden = tf.shape(h_tm1)[-1]
        if self.reset_after:
            hu = tf.matmul(h_tm1, recurrent_kernel) + recurrent_bias  # (B, 3H)
            h_z, h_r, h_n = tf.split(hu, 3, axis=-1)
            z, r = tf.sigmoid(x_z + h_z), tf.sigmoid(x_r + h_r)
            n = tf.tanh(x_n + r * h_n)
        else:
            hu_zr = tf.matmul(h_tm1, recurrent_kernel[..., : 2 * hidden])  # (B, 2H)
            h_z, h_r = tf.split(hu_zr, 2, axis=-1)
            z, r = tf.sigmoid(x_z + h_z), tf.sigmoid(x_r + h_r)
            n = tf.tanh(x_n + tf.matmul(r * h_tm1, recurrent_kernel[..., 2 * hidden :]))
        h = z * h_tm1 + (1.0 - z) * n  # (B, H)
        return h, (h,), (z, r, n)


def make_cell(spec: NetworkSpec) -> Cell:
    """The step function object for ``spec.cell`` (and its GRU variant)."""
    if spec.cell == "lstm":
        return LSTM()
    if spec.cell == "gru":
        return GRU(spec.reset_after)
    return SimpleRNN()
