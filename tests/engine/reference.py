"""An independent float64 numpy implementation of SPEC sections 3 and 4, for the tests only.

Written straight from the SPEC, one example and one step at a time, sharing no code with the
engine: per-example loops, explicit reversal of each valid prefix, explicit padding rules.
"""

import numpy as np


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def cell_step(cell, x, states, kernel, recurrent_kernel, bias, reset_after, forget_bias):
    """One step for one example: x (D,), states dict of (H,) -> (new states, gates dict)."""
    h = states["h"]
    hidden = h.shape[0]

    def block(matrix, k):
        return matrix[..., k * hidden : (k + 1) * hidden]

    if cell == "rnn":
        new_h = np.tanh(x @ kernel + h @ recurrent_kernel + bias)
        return {"h": new_h}, {}
    if cell == "lstm":
        pre = x @ kernel + h @ recurrent_kernel + bias
        i = sigmoid(block(pre, 0))
        f = sigmoid(block(pre, 1) + forget_bias)
        g = np.tanh(block(pre, 2))
        o = sigmoid(block(pre, 3))
        c = f * states["c"] + i * g
        return {"h": o * np.tanh(c), "c": c}, {"i": i, "f": f, "g": g, "o": o}
    if reset_after:
        b_in, b_rec = bias[0], bias[1]
        z = sigmoid(
            block(x @ kernel, 0) + block(b_in, 0) + block(h @ recurrent_kernel, 0) + block(b_rec, 0)
        )
        r = sigmoid(
            block(x @ kernel, 1) + block(b_in, 1) + block(h @ recurrent_kernel, 1) + block(b_rec, 1)
        )
        n = np.tanh(
            block(x @ kernel, 2)
            + block(b_in, 2)
            + r * (block(h @ recurrent_kernel, 2) + block(b_rec, 2))
        )
    else:
        z = sigmoid(block(x @ kernel, 0) + block(h @ recurrent_kernel, 0) + block(bias, 0))
        r = sigmoid(block(x @ kernel, 1) + block(h @ recurrent_kernel, 1) + block(bias, 1))
        n = np.tanh(block(x @ kernel, 2) + (r * h) @ block(recurrent_kernel, 2) + block(bias, 2))
    return {"h": z * h + (1 - z) * n}, {"z": z, "r": r, "n": n}


def run_direction(cell, x, lengths, weights, initial, reset_after, forget_bias, backward):
    """One layer, one direction. x (B, T, D); initial: dict name -> (B, H). All float64."""
    batch, steps, _ = x.shape
    kernel, recurrent_kernel, bias = (np.asarray(a, np.float64) for a in weights)
    hidden = recurrent_kernel.shape[0]
    zero = np.zeros(hidden)  # a probe step: the names are those this module's math computes
    probe_states, probe_gates = cell_step(
        cell, x[0, 0], {"h": zero, "c": zero}, kernel, recurrent_kernel, bias, reset_after,
        forget_bias,
    )  # fmt: skip
    names, gate_names = tuple(probe_states), tuple(probe_gates)
    outputs = np.zeros((batch, steps, hidden))
    states = {n: np.zeros((batch, steps, hidden)) for n in names}
    gates = {g: np.zeros((batch, steps, hidden)) for g in gate_names}
    final = {}
    for b in range(batch):
        length = int(lengths[b])
        state = {n: np.asarray(initial[n][b], np.float64) for n in names}
        order = range(length - 1, -1, -1) if backward else range(length)
        for t in order:
            state, gate = cell_step(
                cell, x[b, t], state, kernel, recurrent_kernel, bias, reset_after, forget_bias
            )
            outputs[b, t] = state["h"]
            for n in names:
                states[n][b, t] = state[n]
            for g in gate_names:
                gates[g][b, t] = gate[g]
        for t in range(length, steps):  # padding: output and gates 0, state carried
            for n in names:
                states[n][b, t] = state[n]
        final.update({n: final.get(n, []) + [state[n]] for n in names})
    return {
        "outputs": outputs,
        "states": states,
        "gates": gates,
        "final_state": {n: np.stack(v) for n, v in final.items()},
    }


def run_network(
    cell, x, lengths, weights, initial, bidirectional, reset_after=True, forget_bias=0.0
):
    """All layers; weights[l][direction] = (kernel, recurrent_kernel, bias);
    initial[l][direction] = {name: (B, H)}. Returns (layers, top outputs)."""
    directions = ("forward", "backward") if bidirectional else ("forward",)
    layer_input = np.asarray(x, np.float64)
    layers = []
    for layer_weights, layer_initial in zip(weights, initial, strict=True):
        runs = {
            d: run_direction(
                cell,
                layer_input,
                lengths,
                layer_weights[d],
                layer_initial[d],
                reset_after,
                forget_bias,
                backward=(d == "backward"),
            )
            for d in directions
        }
        layers.append(runs)
        layer_input = np.concatenate([runs[d]["outputs"] for d in directions], axis=-1)
    return layers, layer_input
