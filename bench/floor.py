"""The numpy floor: the engine's math in float32 numpy, as fast as plain numpy goes.

Same inputs and outputs as ``app.engine.unroll.run_network`` (every output, state, gate and
final state of every layer and direction), same algorithm (input projection for all steps at
once, both directions batched through one matmul per step, padding applied after the loop), but
no TensorFlow. It is what the engine's latency is compared with.
"""

import numpy as np

from app.engine.config import NetworkSpec
from app.engine.weights import LayerArrays

StateArrays = dict[str, np.ndarray]


def _sigmoid(x: np.ndarray) -> np.ndarray:
    out = np.negative(x)
    np.exp(out, out=out)
    out += 1.0
    return np.reciprocal(out, out=out)


def _matmul(h: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """(N, B, H) @ (N, H, G*H) as one BLAS call per direction (numpy's stacked matmul is slower)."""
    return np.stack([h[n] @ kernel[n] for n in range(h.shape[0])])


def _step(cell: str, reset_after: bool, xw_t, states, recurrent_kernel, recurrent_bias):
    """One step for (N, B, ...) arrays: (h, new states, gates); the SPEC's equations."""
    h_tm1 = states[0]
    hidden = h_tm1.shape[-1]
    if cell == "rnn":
        h = np.tanh(xw_t + _matmul(h_tm1, recurrent_kernel))
        return h, (h,), ()
    if cell == "lstm":
        z = xw_t + _matmul(h_tm1, recurrent_kernel)  # (N, B, 4H)
        s = _sigmoid(z)
        i, f, o = s[..., :hidden], s[..., hidden : 2 * hidden], s[..., 3 * hidden :]
        g = np.tanh(z[..., 2 * hidden : 3 * hidden])
        c = f * states[1] + i * g
        h = o * np.tanh(c)
        return h, (h, c), (i, f, g, o)
    x_zr, x_n = xw_t[..., : 2 * hidden], xw_t[..., 2 * hidden :]
    if reset_after:
        hu = _matmul(h_tm1, recurrent_kernel) + recurrent_bias  # (N, B, 3H)
        zr = _sigmoid(x_zr + hu[..., : 2 * hidden])
        z, r = zr[..., :hidden], zr[..., hidden:]
        n = np.tanh(x_n + r * hu[..., 2 * hidden :])
    else:
        zr = _sigmoid(x_zr + _matmul(h_tm1, recurrent_kernel[..., : 2 * hidden]))
        z, r = zr[..., :hidden], zr[..., hidden:]
        n = np.tanh(x_n + _matmul(r * h_tm1, recurrent_kernel[..., 2 * hidden :]))
    h = z * h_tm1 + (1.0 - z) * n
    return h, (h,), (z, r, n)


def _reverse_valid(x: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Each example's valid prefix of ``x`` (B, T, ...) reversed (tf.reverse_sequence)."""
    out = x.copy()
    for b, length in enumerate(lengths):
        out[b, :length] = x[b, :length][::-1]
    return out


def run_network(
    spec: NetworkSpec,
    inputs: np.ndarray,
    lengths: np.ndarray,
    weights: list[LayerArrays],
    initial_state: list[dict[str, StateArrays]] | None = None,
) -> list[dict[str, dict[str, np.ndarray]]]:
    """Every layer and direction: outputs, states, gates (B, T, H) and final states (B, H)."""
    batch, steps, _ = inputs.shape
    hidden, names, gate_names = spec.hidden_size, spec.state_names, spec.gate_names
    valid = np.arange(steps)[None, :] < lengths[:, None]  # (B, T)
    last = np.maximum(lengths - 1, 0)
    x = inputs
    layers = []
    for layer in range(spec.num_layers):
        given = (initial_state or [{}] * spec.num_layers)[layer]
        dirs = spec.directions
        w = [weights[layer][d] for d in dirs]
        biases = [spec.split_bias(d.bias) for d in w]
        x_dirs = np.stack([x if d == "forward" else _reverse_valid(x, lengths) for d in dirs])
        kernel = np.ascontiguousarray(np.stack([d.kernel for d in w]))  # (N, D, G*H)
        xw = np.einsum("nbtd,ndg->tnbg", x_dirs, kernel, optimize=True)
        xw += np.stack([b[0] for b in biases])[None, :, None]  # (T, N, B, G*H)
        recurrent_kernel = np.ascontiguousarray(np.stack([d.recurrent_kernel for d in w]))
        recurrent_bias = np.stack([b[1] for b in biases])[:, None]  # (N, 1, G*H)
        zeros = np.zeros((batch, hidden), np.float32)
        states = tuple(np.stack([(given.get(d) or {}).get(n, zeros) for d in dirs]) for n in names)
        initial = states
        seq = np.empty((len(names) + len(gate_names), steps, len(dirs), batch, hidden), np.float32)
        for t in range(steps):
            _, states, gates = _step(
                spec.cell, spec.reset_after, xw[t], states, recurrent_kernel, recurrent_bias
            )
            for k, value in enumerate((*states, *gates)):
                seq[k, t] = value
        seq = seq.transpose(0, 2, 3, 1, 4)  # (K, N, B, T, H), the loop's time order
        runs = {}
        for n, direction in enumerate(dirs):
            at_last = seq[: len(names), n, np.arange(batch), last]  # (S, B, H)
            final = np.where(lengths[None, :, None] > 0, at_last, np.stack(initial)[:, n])
            padded = {}
            for k, name in enumerate((*names, *gate_names)):
                fill = final[k] if k < len(names) else np.zeros_like(zeros)
                values = np.where(valid[..., None], seq[k, n], fill[:, None])  # (B, T, H)
                padded[name] = (
                    _reverse_valid(values, lengths) if direction == "backward" else values
                )
            outputs = np.where(valid[..., None], padded["h"], np.float32(0.0))
            runs[direction] = {
                "outputs": outputs,
                "states": {name: padded[name] for name in names},
                "gates": {name: padded[name] for name in gate_names},
                "final_state": dict(zip(names, final, strict=True)),
            }
        layers.append(runs)
        x = np.concatenate([runs[d]["outputs"] for d in dirs], axis=-1)
    return layers
