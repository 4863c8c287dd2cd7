"""The notebook export: a Jupyter notebook (nbformat 4.5) that rebuilds a run and checks it.

It holds the configuration, the inputs, the weights, the initial state and the expected outputs,
states (after every step) and final states of every layer and direction. Its code rebuilds the
run with Keras' own cells (``SimpleRNNCell``, ``LSTMCell``, ``GRUCell``: TensorFlow's public API,
nothing of this app) stepped through SPEC section 4's rules, and asserts with
``numpy.testing.assert_allclose(atol=1e-5)`` that every expected array is reproduced. A fresh
kernel with only ``tensorflow`` and ``numpy`` runs it top to bottom.

Arrays are stored as base64 of their little-endian float32 bytes (``np.frombuffer``): 5.3 bytes a
number, so the largest run the limits allow (``max_numbers``) makes a notebook of about 32 MB.
Gates are not stored: Keras' cells do not return them (the CSV and HTML exports carry them).
"""

import base64
import pprint
from typing import Any

import numpy as np
import orjson

from app.i18n import DEFAULT_LANGUAGE, Language

CHECK_ATOL = 1e-5

TEXT = {
    "en": {
        "title": "# {title}\n\n"
        "This notebook holds one run of [RNN Visualizer]({app_url}): its configuration, "
        "the weights, and every number the server returned. It rebuilds the run with "
        "TensorFlow's public API only (Keras' `{keras_cell}`, stepped by hand) and checks that "
        "it gets the same outputs, states and final states.\n\n"
        "- cell: **{cell}**, hidden size {H}, {L} layer(s), {directions}\n"
        "- {B} example(s) of {T} steps, input size {D}, lengths {lengths}\n"
        "- computed on the server by TensorFlow {tf_version} on `{device}`; weights SHA-256 "
        "`{weights_sha256}`\n\n"
        "Run every cell from the top (Kernel → Restart & Run All). It needs `tensorflow` and "
        "`numpy`, nothing else.",
        "data": "## The run\n\n"
        "`CONFIG` is the configuration as the server normalised it (the arrays in it are in "
        "`DATA`). `DATA` holds every array as base64 of its little-endian float32 bytes, "
        "decoded by `array`: the inputs `[B, T, D]`, the lengths, and for each layer and "
        "direction the weights (Keras layout: `kernel [D, G·H]`, `recurrent_kernel [H, G·H]`, "
        "`bias`), the initial state, and what the server computed: `outputs [B, T, H]`, "
        "`states` (the state after each step) and `final_state`.",
        "rules": "## Rebuilding it\n\n"
        "Each layer and direction is one Keras cell given the exported weights, stepped over "
        "time by `run_direction`:\n\n"
        "- **Padding.** At steps `t ≥ sequence_length[b]` the output is 0 and the state is "
        "carried unchanged (TF1 `dynamic_rnn`); the final state is the state after the last "
        "valid step. (Keras' masked layers carry the previous *output* instead, which is why "
        "the loop is written out.)\n"
        "- **Backward direction.** It reads each example's valid prefix in reverse "
        "(`tf.reverse_sequence`), and its results are put back at their original positions.\n"
        "- **Layers.** Layer `l + 1` reads layer `l`'s outputs, forward and backward "
        "concatenated.\n"
        "- **LSTM `forget_bias`** is added to the forget gate's pre-activation: the same as "
        "adding it to the forget block of the bias, which is what `make_cell` does.\n"
        "- **GRU `reset_after`**: `true` is Keras' default (the reset gate multiplies "
        "`h U + b'`, bias `[2, 3H]`); `false` is TF1's `GRUCell` (it multiplies `h` before `U`, "
        "bias `[3H]`). Keras' `GRUCell(reset_after=...)` has both.",
        "both": "forward and backward",
        "one": "forward only",
        "check": "## The check\n\n"
        "Every array the server returned, reproduced to `atol = {atol}` (float32 sums in "
        "another order differ by a few units in the last place).",
    },
    "ko": {
        "title": "# {title}\n\n"
        "이 노트북에는 [RNN Visualizer]({app_url})에서 실행한 결과 하나가 들어 있습니다. 설정, "
        "가중치, 그리고 서버가 돌려준 모든 숫자가 담겨 있습니다. 노트북은 TensorFlow의 공개 "
        "API만으로(Keras의 `{keras_cell}`를 한 스텝씩 직접 호출해서) 같은 계산을 다시 하고, "
        "출력과 상태, 마지막 상태가 서버의 값과 같은지 확인합니다.\n\n"
        "- 셀: **{cell}**, 은닉 크기 {H}, 층 {L}개, {directions}\n"
        "- 예제 {B}개, 각 {T} 스텝, 입력 크기 {D}, 길이 {lengths}\n"
        "- 서버에서 TensorFlow {tf_version}로 `{device}`에서 계산; 가중치 SHA-256 "
        "`{weights_sha256}`\n\n"
        "맨 위부터 모든 셀을 실행하세요 (Kernel → Restart & Run All). `tensorflow`와 `numpy`만 "
        "있으면 됩니다.",
        "data": "## 실행 데이터\n\n"
        "`CONFIG`는 서버가 정리한 설정입니다(그 안의 배열은 `DATA`에 있습니다). `DATA`의 "
        "배열은 모두 리틀 엔디언 float32 바이트를 base64로 적은 것이고, `array`가 되돌립니다: "
        "입력 `[B, T, D]`, 길이, 그리고 층과 방향마다 가중치(Keras 배치: `kernel [D, G·H]`, "
        "`recurrent_kernel [H, G·H]`, `bias`), 초기 상태, 서버가 계산한 `outputs [B, T, H]`, "
        "`states`(각 스텝 뒤의 상태), `final_state`.",
        "rules": "## 다시 계산하기\n\n"
        "층과 방향마다 내보낸 가중치를 넣은 Keras 셀 하나를 `run_direction`이 시간 순서대로 "
        "한 스텝씩 실행합니다.\n\n"
        "- **패딩.** `t ≥ sequence_length[b]`인 스텝에서는 출력이 0이고 상태는 그대로 "
        "이어집니다(TF1 `dynamic_rnn`과 같음). 마지막 상태는 마지막 유효 스텝 뒤의 "
        "상태입니다. (Keras의 마스킹은 0 대신 이전 *출력*을 이어 붙이기 때문에 반복문을 직접 "
        "씁니다.)\n"
        "- **역방향.** 예제마다 유효한 부분만 거꾸로 읽고(`tf.reverse_sequence`), 결과는 "
        "원래 위치에 되돌려 놓습니다.\n"
        "- **층.** `l + 1`번째 층은 `l`번째 층의 출력(양방향이면 순방향과 역방향을 이어 "
        "붙인 것)을 읽습니다.\n"
        "- **LSTM `forget_bias`** 는 망각 게이트의 활성화 전 값에 더해집니다. 편향의 망각 "
        "블록에 더하는 것과 같아서 `make_cell`이 그렇게 합니다.\n"
        "- **GRU `reset_after`**: `true`는 Keras 기본값(리셋 게이트가 `h U + b'`에 곱해지고, "
        "편향은 `[2, 3H]`), `false`는 TF1의 `GRUCell`(`U`를 곱하기 전에 `h`에 곱해지고, 편향은 "
        "`[3H]`)입니다. Keras의 `GRUCell(reset_after=...)`이 둘 다 지원합니다.",
        "both": "양방향",
        "one": "순방향만",
        "check": "## 확인\n\n"
        "서버가 돌려준 배열을 모두 `atol = {atol}` 안에서 재현합니다(float32 덧셈 순서가 "
        "다르면 마지막 자리 몇 단위가 다를 수 있습니다).",
    },
}

IMPORTS = """\
import base64
import json

import numpy as np
import tensorflow as tf
"""

DECODE = '''\
def array(stored):
    """A float32 array stored as {"shape": [...], "b64": base64 of its little-endian bytes}."""
    return np.frombuffer(base64.b64decode(stored["b64"]), dtype="<f4").reshape(stored["shape"])


def arrays(value):
    """`value` with every stored array decoded (nested dicts and lists)."""
    if isinstance(value, dict) and set(value) == {"shape", "b64"}:
        return array(value)
    if isinstance(value, dict):
        return {key: arrays(item) for key, item in value.items()}
    if isinstance(value, list):
        return [arrays(item) for item in value]
    return value


RUN = arrays(DATA)
inputs = RUN["inputs"]  # (B, T, D)
lengths = np.array(RUN["sequence_length"], dtype=np.int32)  # (B,)
print("inputs", inputs.shape, "lengths", lengths.tolist())
'''

REBUILD = '''\
def make_cell(config, weights):
    """A Keras cell holding one layer-direction's weights (Keras layout)."""
    H = config["hidden_size"]
    kernel, recurrent_kernel, bias = weights["kernel"], weights["recurrent_kernel"], weights["bias"]
    if config["cell"] == "rnn":
        cell = tf.keras.layers.SimpleRNNCell(H)
    elif config["cell"] == "lstm":
        cell = tf.keras.layers.LSTMCell(H)
        bias = bias.copy()
        bias[H : 2 * H] += config["forget_bias"]  # f = sigmoid(x W_f + h U_f + b_f + forget_bias)
    else:
        cell = tf.keras.layers.GRUCell(H, reset_after=config["reset_after"])
    cell.build((None, kernel.shape[0]))
    cell.set_weights([kernel, recurrent_kernel, bias])
    return cell


def run_direction(cell, x, lengths, state):
    """Step `cell` over x (B, T, D) from `state` ([h] or [h, c], each (B, H)). Padding steps
    (t >= length) output 0 and carry the state. Returns the outputs (B, T, H), the state after
    each step ([B, T, H] per state) and the final state."""
    outputs, states = [], []
    for t in range(x.shape[1]):
        valid = (t < lengths)[:, None]  # (B, 1): a real step of that example
        output, new_state = cell(x[:, t], state)
        state = [tf.where(valid, new, old) for new, old in zip(new_state, state)]
        outputs.append(tf.where(valid, output, 0.0))
        states.append(state)
    stacked = [tf.stack([s[k] for s in states], axis=1) for k in range(len(state))]
    return tf.stack(outputs, axis=1), stacked, state


def reverse(a, lengths):
    """Each example's valid prefix in reverse order; padding stays where it is."""
    return tf.reverse_sequence(a, lengths, seq_axis=1, batch_axis=0)


def rebuild(config, run):
    """Every layer and direction of the run, recomputed: [{direction: {outputs, states,
    final_state}}] and the top layer's outputs."""
    names = list(run["expected"][0]["forward"]["states"])  # ["h"], or ["h", "c"] for an LSTM
    B, H = run["inputs"].shape[0], config["hidden_size"]
    x = tf.constant(run["inputs"])
    layers = []
    for index, weights in enumerate(run["weights"]):
        layer = {}
        for direction in weights:
            given = run["initial_state"][index][direction] if run["initial_state"] else None
            zeros = np.zeros((B, H), np.float32)
            state = [tf.constant(given[n] if given else zeros) for n in names]
            cell = make_cell(config, weights[direction])
            seen = x if direction == "forward" else reverse(x, lengths)
            outputs, states, final = run_direction(cell, seen, lengths, state)
            if direction == "backward":  # back to the positions they were read from
                outputs, states = reverse(outputs, lengths), [reverse(s, lengths) for s in states]
            layer[direction] = {
                "outputs": outputs.numpy(),
                "states": {n: s.numpy() for n, s in zip(names, states)},
                "final_state": {n: s.numpy() for n, s in zip(names, final)},
            }
        layers.append(layer)
        x = tf.concat([layer[d]["outputs"] for d in layer], axis=-1)
    return layers, x.numpy()


rebuilt, top_outputs = rebuild(CONFIG, RUN)
'''

CHECK = (
    f"ATOL = {CHECK_ATOL}\n\n\n"
    + """\
def check(got, want, what):
    \"\"\"Assert that `got` is `want` to ATOL; return the largest difference.\"\"\"
    np.testing.assert_allclose(got, want, rtol=0, atol=ATOL, err_msg=what)
    return float(np.max(np.abs(got - want), initial=0.0))


largest = 0.0
for index, layer in enumerate(rebuilt):
    for direction, got in layer.items():
        want = RUN["expected"][index][direction]
        where = f"layer {index} {direction}"
        largest = max(largest, check(got["outputs"], want["outputs"], f"{where} outputs"))
        for kind in ("states", "final_state"):
            for name, value in got[kind].items():
                what = f"{where} {kind} {name}"
                largest = max(largest, check(value, want[kind][name], what))
largest = max(largest, check(top_outputs, RUN["outputs"], "outputs (top layer)"))
print("Every output, state and final state matches the exported run;")
print(f"the largest difference is {largest:.2e}.")
"""
)


def _stored(value: Any) -> Any:
    """``value`` with every array as ``{"shape", "b64"}`` (float32 little-endian, C order)."""
    if isinstance(value, np.ndarray):
        data = np.ascontiguousarray(value, dtype="<f4")
        return {"shape": list(data.shape), "b64": base64.b64encode(data.tobytes()).decode()}
    if isinstance(value, dict):
        return {key: _stored(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_stored(item) for item in value]
    return value


def _plain(value: Any) -> Any:
    """A configuration with its arrays left out (they are in ``DATA``)."""
    if isinstance(value, np.ndarray):
        return "<in DATA>"
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def _cell(kind: str, source: str, index: int, hidden: bool = False) -> dict[str, Any]:
    cell: dict[str, Any] = {
        "id": f"cell-{index}",
        "cell_type": kind,
        "metadata": {"jupyter": {"source_hidden": True}} if hidden else {},
        "source": source.splitlines(keepends=True),
    }
    if kind == "code":
        cell.update(execution_count=None, outputs=[])
    return cell


def notebook(
    result: dict[str, Any], title: str, app_url: str, lang: Language = DEFAULT_LANGUAGE
) -> bytes:
    """The notebook of a run result (module docstring), as UTF-8 JSON."""
    text = TEXT[lang]
    config = result["config"]
    inputs = result["inputs"]
    B, T, D = inputs.shape
    layers = result["layers"]
    expected = [
        {
            direction: {
                "outputs": run["outputs"],
                "states": run["states"],
                "final_state": run["final_state"],
            }
            for direction, run in layer.items()
        }
        for layer in layers
    ]
    initial = config.get("initial_state")
    data = {
        "inputs": inputs,
        "sequence_length": result["sequence_length"],
        "weights": [
            {direction: weights for direction, weights in layer.items()}
            for layer in result["weights"]["layers"]
        ],
        "initial_state": initial["layers"] if initial else None,
        "expected": expected,
        "outputs": result["outputs"],
    }
    keras_cell = {"rnn": "SimpleRNNCell", "lstm": "LSTMCell", "gru": "GRUCell"}[config["cell"]]
    meta = result["meta"]
    intro = text["title"].format(
        title=title,
        app_url=app_url,
        keras_cell=keras_cell,
        cell=config["cell"].upper(),
        H=config["hidden_size"],
        L=len(layers),
        directions=text["both" if config["bidirectional"] else "one"],
        B=B,
        T=T,
        D=D,
        lengths=result["sequence_length"],
        tf_version=meta.get("tensorflow", "?"),
        device=meta.get("device", "?"),
        weights_sha256=meta.get("weights_sha256", "?"),
    )
    stored = orjson.dumps(_stored(data)).decode()
    sources = [
        ("markdown", intro, False),
        ("code", IMPORTS, False),
        ("markdown", text["data"], False),
        ("code", f"CONFIG = {pprint.pformat(_plain(config), width=96, sort_dicts=False)}\n", False),
        ("code", f"DATA = json.loads({stored!r})\n", True),
        ("code", DECODE, False),
        ("markdown", text["rules"], False),
        ("code", REBUILD, False),
        ("markdown", text["check"].format(atol=CHECK_ATOL), False),
        ("code", CHECK, False),
    ]
    cells = [_cell(kind, source, k, hidden) for k, (kind, source, hidden) in enumerate(sources)]
    document = {
        "cells": cells,
        "metadata": {
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
            "language_info": {"name": "python"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    return orjson.dumps(document, option=orjson.OPT_INDENT_2)
