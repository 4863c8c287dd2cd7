"""An independent float64 interpreter of the cells' equations as data (docs/CELLS.md), for the
tests only: it reads a variant's ``equations`` and nothing else of the engine."""

import numpy as np


def evaluate(expression, env, weights, options, hidden):
    """The value of one expression, vectorised over a leading batch axis of ``env``'s arrays.

    ``weights`` are float64 ``kernel`` (D, G*H), ``recurrent_kernel`` (H, G*H) and ``bias``
    ((G*H,) or (rows, G*H)); ``options`` the request options by name.
    """

    def value(e):
        return evaluate(e, env, weights, options, hidden)

    if isinstance(expression, str):
        return env[expression]
    if isinstance(expression, int | float):
        return float(expression)
    op, *args = expression
    if op == "+":
        return sum(value(a) for a in args)
    if op == "-":
        left, right = args
        return value(left) - value(right)
    if op == "*":
        left, right = args
        return value(left) * value(right)
    if op == "sigmoid":
        return 1.0 / (1.0 + np.exp(-value(args[0])))
    if op == "tanh":
        return np.tanh(value(args[0]))
    if op == "dot":
        vector, matrix, block = args
        return value(vector) @ weights[matrix][:, block * hidden : (block + 1) * hidden]
    if op == "bias":
        row, block = args
        bias = np.atleast_2d(weights["bias"])  # (rows, G*H)
        return bias[row, block * hidden : (block + 1) * hidden]
    if op == "option":
        return float(options[args[0]])
    raise ValueError(f"unknown operation {op!r}")


def step(equations, x, previous, weights, options):
    """One step for a batch: ``x`` (B, D), ``previous`` state name -> (B, H). Every name the
    equations define, (B, H) each."""
    hidden = weights["recurrent_kernel"].shape[0]
    env = {"x": x, **{f"{name}_prev": v for name, v in previous.items()}}
    defined = {}
    for equation in equations:
        result = evaluate(equation["value"], env, weights, options, hidden)
        defined[equation["name"]] = env[equation["name"]] = np.broadcast_to(
            result, (x.shape[0], hidden)
        )
    return defined


def run(variant, x, lengths, weights, initial, options, backward=False):
    """One layer and direction over ``x`` (B, T, D) by the equations, SPEC section 4's padding
    and reading order: states name -> (B, T, H) and the h outputs (B, T, H), 0 at padding."""
    batch, steps, _ = x.shape
    hidden = weights["recurrent_kernel"].shape[0]
    states = {n: np.zeros((batch, steps, hidden)) for n in variant.states}
    outputs = np.zeros((batch, steps, hidden))
    for b in range(batch):
        state = {n: initial[n][b : b + 1].astype(np.float64) for n in variant.states}
        order = range(lengths[b] - 1, -1, -1) if backward else range(lengths[b])
        for t in order:
            new = step(variant.equations, x[b : b + 1, t], state, weights, options)
            state = {n: new[n] for n in variant.states}
            outputs[b, t] = state["h"][0]
            for n in variant.states:
                states[n][b, t] = state[n][0]
        for t in range(lengths[b], steps):
            for n in variant.states:
                states[n][b, t] = state[n][0]
    return states, outputs
