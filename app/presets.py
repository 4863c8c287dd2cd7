"""The seed notebook's ten examples as run configurations (SPEC section 2), with their titles and
descriptions in English and Korean (SPEC section 10; the notebook's first readers read Korean),
then the presets made for ``/compare`` (SPEC section 7), which are not in the notebook (their
``seed_heading`` is empty)."""

from functools import lru_cache

from app.i18n import Language
from app.schemas import Preset, RunRequest

_NOTEBOOK = "RNN 기본예제"  # the seed notebook's (Korean) title: "RNN basic examples"
_WORDS = ["hello", "eolll", "lleel"]
_ARANGE = {
    "values": [[[float(3 * (5 * b + t) + d) for d in range(3)] for t in range(5)] for b in range(3)]
}

_PRESETS: list[dict] = [
    {
        "name": "one_cell",
        "title": "One RNN cell, one step",
        "seed_heading": "Basic RNN Cell · In [3]",
        "description": "A basic RNN cell (hidden size 2) reads the single one-hot letter 'h'.",
        "ko": {
            "title": "RNN 셀 하나, 한 단계",
            "description": "기본 RNN 셀(은닉 크기 2)이 원-핫 벡터로 바꾼 글자 'h' 하나를 읽습니다.",
        },
        "config": {"cell": "rnn", "hidden_size": 2, "input": {"text": ["h"], "vocabulary": "helo"}},
    },
    {
        "name": "hello_sequence",
        "title": "RNN over the sequence 'hello'",
        "seed_heading": "Basic RNN Cell · In [4]",
        "description": "The same cell unrolled over five steps: h, e, l, l, o.",
        "ko": {
            "title": "'hello'를 읽는 RNN",
            "description": "같은 셀을 시간 순으로 다섯 단계 펼쳐 h, e, l, l, o를 차례로 읽습니다.",
        },
        "config": {
            "cell": "rnn",
            "hidden_size": 2,
            "input": {"text": ["hello"], "vocabulary": "helo"},
        },
    },
    {
        "name": "lstm_batch",
        "title": "LSTM on a batch of three words",
        "seed_heading": "Basic LSTM Cell · In [5]",
        "description": "An LSTM reads 'hello', 'eolll' and 'lleel'; it keeps a cell state c and h.",
        "ko": {
            "title": "세 단어를 배치로 읽는 LSTM",
            "description": (
                "LSTM이 'hello', 'eolll', 'lleel'을 한 배치로 읽습니다. "
                "은닉 상태 h와 함께 셀 상태 c를 유지합니다."
            ),
        },
        "config": {
            "cell": "lstm",
            "hidden_size": 2,
            "input": {"text": _WORDS, "vocabulary": "helo"},
        },
    },
    {
        "name": "gru_batch",
        "title": "GRU on a batch of three words",
        "seed_heading": "GRU Cell · In [6]",
        "description": "A GRU (update, reset and candidate gates) on the same three words.",
        "ko": {
            "title": "세 단어를 배치로 읽는 GRU",
            "description": (
                "같은 세 단어를 GRU로 읽습니다. 업데이트 게이트, 리셋 게이트, "
                "후보 상태가 은닉 상태를 만듭니다."
            ),
        },
        "config": {
            "cell": "gru",
            "hidden_size": 2,
            "input": {"text": _WORDS, "vocabulary": "helo"},
        },
    },
    {
        "name": "dynamic_length",
        "title": "Dynamic length: 5, 3 and 4 steps",
        "seed_heading": "Dynamic length · In [7]",
        "description": "Per-example lengths: past its length an example outputs zeros and keeps "
        "its state.",
        "ko": {
            "title": "가변 길이: 5, 3, 4단계",
            "description": (
                "샘플마다 시퀀스 길이가 다릅니다. "
                "길이가 끝난 뒤에는 출력이 0이고 상태는 마지막 값을 그대로 유지합니다."
            ),
        },
        "config": {
            "cell": "lstm",
            "hidden_size": 2,
            "input": {"text": _WORDS, "vocabulary": "helo"},
            "sequence_length": [5, 3, 4],
        },
    },
    {
        "name": "initial_state",
        "title": "Feeding an explicit initial state",
        "seed_heading": "Feed initial state · In [8]",
        "description": "The LSTM starts from an explicit zero state (cell.zero_state) for c and h.",
        "ko": {
            "title": "초기 상태를 직접 넣기",
            "description": (
                "LSTM이 직접 넣어 준 0 초기 상태(cell.zero_state)의 c와 h에서 시작합니다."
            ),
        },
        "config": {
            "cell": "lstm",
            "hidden_size": 2,
            "input": {"text": _WORDS, "vocabulary": "helo"},
            "initial_state": {
                "layers": [{"forward": {"h": [[0.0, 0.0]] * 3, "c": [[0.0, 0.0]] * 3}}]
            },
        },
    },
    {
        "name": "bidirectional_rnn",
        "title": "Bidirectional RNN",
        "seed_heading": "Bi-directional RNN with basic RNN Cell · In [10]",
        "description": "Forward and backward RNNs (hidden size 4) over "
        "np.arange(45).reshape(3, 5, 3) "
        "with lengths 2, 3 and 1.",
        "ko": {
            "title": "양방향 RNN",
            "description": (
                "정방향 RNN과 역방향 RNN(은닉 크기 4)이 np.arange(45).reshape(3, 5, "
                "3)을 읽습니다. 시퀀스 길이는 2, 3, 1입니다."
            ),
        },
        "config": {
            "cell": "rnn",
            "hidden_size": 4,
            "bidirectional": True,
            "input": _ARANGE,
            "sequence_length": [2, 3, 1],
        },
    },
    {
        "name": "bidirectional_lstm",
        "title": "Bidirectional LSTM",
        "seed_heading": "Bi-directional RNN with basic LSTM Cell · In [11]",
        "description": "Forward and backward LSTMs on the same values; the backward one reads each "
        "example's valid steps in reverse.",
        "ko": {
            "title": "양방향 LSTM",
            "description": (
                "같은 값을 정방향 LSTM과 역방향 LSTM이 읽습니다. "
                "역방향 LSTM은 샘플마다 유효한 구간만 거꾸로 읽습니다."
            ),
        },
        "config": {
            "cell": "lstm",
            "hidden_size": 4,
            "bidirectional": True,
            "input": _ARANGE,
            "sequence_length": [2, 3, 1],
        },
    },
    {
        "name": "multilayer_rnn",
        "title": "Three stacked RNN layers",
        "seed_heading": "Multi-Layer RNN with basic RNN Cell · In [12]",
        "description": "MultiRNNCell of three RNN layers; each layer reads the one below.",
        "ko": {
            "title": "RNN 3층 쌓기",
            "description": (
                "MultiRNNCell로 RNN 층 세 개를 쌓습니다. "
                "각 층은 바로 아래 층의 출력을 입력으로 받습니다."
            ),
        },
        "config": {
            "cell": "rnn",
            "hidden_size": 4,
            "num_layers": 3,
            "input": _ARANGE,
            "sequence_length": [2, 3, 1],
        },
    },
    {
        "name": "multilayer_lstm",
        "title": "Three stacked LSTM layers",
        "seed_heading": "Multi-Layer RNN with basic LSTM Cell · In [13]",
        "description": "MultiRNNCell of three LSTM layers, one (c, h) state per layer.",
        "ko": {
            "title": "LSTM 3층 쌓기",
            "description": (
                "MultiRNNCell로 LSTM 층 세 개를 쌓습니다. 층마다 (c, h) 상태를 따로 가집니다."
            ),
        },
        "config": {
            "cell": "lstm",
            "hidden_size": 4,
            "num_layers": 3,
            "input": _ARANGE,
            "sequence_length": [2, 3, 1],
        },
    },
]


# ---- presets made for /compare (SPEC section 7) ------------------------------------------------
# memory_reach: one example of T = 40 steps of D = 2 numbers, where only the first input carries a
# signal (1 on channel 0) and the 39 after it a loud constant distractor (8 on channel 1), H = 8,
# seed 1. The distractor drives the basic RNN's tanh into saturation, so its derivative, and with it
# the product of step Jacobians, shrinks at every step: the last state's dependence on x_0 is about
# 12 powers of ten below its dependence on x_39. The same inputs push some LSTM forget gates (forget
# bias 1.0, on top of the seeded 1.0) and GRU update gates towards 1, units that carry their state
# almost unchanged: well under one power of ten from s = 39 to s = 0. Measured with the engine's
# connectivity (docs/FRONTEND.md, "Compare cells"); tests/routes/test_compare.py checks it.
_STEPS = 40
_COMPARISONS: list[dict] = [
    {
        "name": "memory_reach",
        "title": "Why LSTM: remembering the first of 40 inputs",
        "description": "Only the first input carries a signal; the 39 after it are a loud constant "
        "distractor. Compare how much the last state still depends on the first input: the basic "
        "RNN's saturated tanh loses it by about 12 powers of ten, while LSTM (forget bias 1.0) and "
        "GRU keep it within one.",
        "ko": {
            "title": "LSTM이 필요한 이유: 40개 입력 중 첫 번째 기억하기",
            "description": (
                "첫 번째 입력에만 신호가 있고, 그 뒤 39개는 큰 값이 계속되는 방해 입력입니다. "
                "마지막 상태가 첫 번째 입력에 아직 얼마나 의존하는지 비교해 보세요. 기본 RNN은 "
                "포화된 tanh 때문에 의존도가 10의 12제곱 배쯤 줄어들지만, LSTM(망각 편향 1.0)과 "
                "GRU는 10배 안쪽으로 유지합니다."
            ),
        },
        "config": {
            "cell": "lstm",
            "hidden_size": 8,
            "forget_bias": 1.0,
            "seed": 1,
            "input": {"values": [[[1.0, 0.0]] + [[0.0, 8.0]] * (_STEPS - 1)]},
        },
    },
]

COMPARE_DEFAULT = "memory_reach"  # the preset /compare opens with


@lru_cache
def presets(lang: Language = "en") -> dict[str, Preset]:
    """The presets by name, the notebook's in its order then the comparisons', titled and
    described in `lang` (the seed heading cites the notebook as it is written, in both
    languages)."""
    return {
        p["name"]: Preset(
            name=p["name"],
            title=p.get(lang, p)["title"],
            seed_heading=f"{_NOTEBOOK} › {p['seed_heading']}" if "seed_heading" in p else "",
            description=p.get(lang, p)["description"],
            config=RunRequest.model_validate(p["config"]),
        )
        for p in _PRESETS + _COMPARISONS
    }
