"""The seed notebook's ten examples as run configurations (SPEC section 2)."""

from functools import lru_cache

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
        "config": {"cell": "rnn", "hidden_size": 2, "input": {"text": ["h"], "vocabulary": "helo"}},
    },
    {
        "name": "hello_sequence",
        "title": "RNN over the sequence 'hello'",
        "seed_heading": "Basic RNN Cell · In [4]",
        "description": "The same cell unrolled over five steps: h, e, l, l, o.",
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
        "config": {
            "cell": "lstm",
            "hidden_size": 4,
            "num_layers": 3,
            "input": _ARANGE,
            "sequence_length": [2, 3, 1],
        },
    },
]


@lru_cache
def presets() -> dict[str, Preset]:
    """The presets by name, in the notebook's order."""
    return {
        p["name"]: Preset(
            **{
                **p,
                "seed_heading": f"{_NOTEBOOK} › {p['seed_heading']}",
                "config": RunRequest.model_validate(p["config"]),
            }
        )
        for p in _PRESETS
    }
