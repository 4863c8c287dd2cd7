"""Bad input: every kind gets a 4xx whose message names the field and states the rule."""

import json

import pytest

from tests.routes.conftest import LIMITS

TEXT = {"text": ["hello", "eolll", "lleel"]}
VALUES = {"values": [[[0.0, 1.0], [2.0, 3.0]]]}
H2 = [[0.0, 0.0]] * 3


def lstm(**fields):
    return {"cell": "lstm", "hidden_size": 2, "input": TEXT, **fields}


def values_of(batch, steps, size):
    return {"values": [[[0.5] * size for _ in range(steps)] for _ in range(batch)]}


# (name, body, expected status, expected loc after "body", words the message must contain)
BAD_INPUTS = [
    ("unknown field", lstm(colour="red"), 422, ["colour"], "not permitted"),
    (
        "unknown nested field",
        lstm(input={**TEXT, "lang": "ko"}),
        422,
        ["input", "lang"],
        "not permitted",
    ),
    ("unknown cell", lstm(cell="transformer"), 422, ["cell"], "'rnn', 'lstm' or 'gru'"),
    ("hidden size zero", lstm(hidden_size=0), 422, ["hidden_size"], "greater than or equal to 1"),
    ("hidden size above limit", lstm(hidden_size=17), 422, ["hidden_size"], "max_hidden_size"),
    ("layers above limit", lstm(num_layers=4), 422, ["num_layers"], "max_layers"),
    ("number as string", lstm(hidden_size="2"), 422, ["hidden_size"], "valid integer"),
    ("bool as number", lstm(forget_bias=True), 422, ["forget_bias"], "valid number"),
    ("seed negative", lstm(seed=-1), 422, ["seed"], "greater than or equal to 0"),
    (
        "non-number value",
        {"input": {"values": [[["a", 1.0]]]}},
        422,
        ["input", "values", 0, 0, 0],
        "valid number",
    ),
    (
        "value too large for float32",
        {"input": {"values": [[[1e39]]]}},
        422,
        ["input", "values"],
        "finite",
    ),
    (
        "ragged steps",
        {"input": {"values": [[[0.0, 1.0], [2.0]]]}},
        422,
        ["input", "values", 0, 1],
        "shape must be [B][T][D]",
    ),
    (
        "ragged examples",
        {"input": {"values": [[[0.0]], [[1.0], [2.0]]]}},
        422,
        ["input", "values", 1],
        "has 2 entries, expected 1",
    ),
    ("text and values together", {"input": {**TEXT, **VALUES}}, 422, ["input"], "exactly one"),
    ("no input at all", {"input": {}}, 422, ["input"], "exactly one"),
    ("missing input", {"cell": "rnn"}, 422, ["input"], "required"),
    ("empty text list", {"input": {"text": []}}, 422, ["input", "text"], "at least 1"),
    ("only empty lines", {"input": {"text": ["", ""]}}, 422, ["input", "text"], "character"),
    ("empty values", {"input": {"values": [[]]}}, 422, ["input", "values"], "at least one step"),
    (
        "character outside vocabulary",
        lstm(input={"text": ["hex"], "vocabulary": "helo"}),
        422,
        ["input", "text", 0],
        "'x' at position 2 is not in the vocabulary",
    ),
    (
        "repeated vocabulary",
        lstm(input={"text": ["he"], "vocabulary": "hhe"}),
        422,
        ["input", "vocabulary"],
        "repeat",
    ),
    (
        "vocabulary with values",
        {"input": {**VALUES, "vocabulary": "ab"}},
        422,
        ["input"],
        "vocabulary goes with input.text",
    ),
    (
        "lengths count",
        lstm(sequence_length=[5, 3]),
        422,
        ["sequence_length"],
        "one per example (3)",
    ),
    ("length above T", lstm(sequence_length=[5, 6, 1]), 422, ["sequence_length", 1], "[0, T=5]"),
    ("negative length", lstm(sequence_length=[5, -1, 1]), 422, ["sequence_length", 1], "[0, T=5]"),
    ("batch above limit", {"input": values_of(5, 1, 1)}, 422, ["input", "values"], "max_batch"),
    ("steps above limit", {"input": values_of(1, 51, 1)}, 422, ["input", "values"], "max_steps"),
    (
        "input size above limit",
        {"input": values_of(1, 1, 11)},
        422,
        ["input", "values"],
        "max_input_size",
    ),
    (
        "vocabulary above limit",
        {"input": {"text": ["abcdefghijk"]}},
        422,
        ["input", "vocabulary"],
        "max_input_size",
    ),
    (
        "numbers above limit",
        {"cell": "lstm", "hidden_size": 16, "num_layers": 3, "input": values_of(4, 50, 2)},
        422,
        [],
        "max_numbers",
    ),
    (
        "initial state layer count",
        lstm(initial_state={"layers": [{"forward": {"h": H2, "c": H2}}] * 2}),
        422,
        ["initial_state", "layers"],
        "expected num_layers = 1",
    ),
    (
        "initial state shape",
        lstm(initial_state={"layers": [{"forward": {"h": H2[:2], "c": H2}}]}),
        422,
        ["initial_state", "layers", 0, "forward", "h"],
        "[B][H] = [3, 2]",
    ),
    (
        "initial state without c",
        lstm(initial_state={"layers": [{"forward": {"h": H2}}]}),
        422,
        ["initial_state", "layers", 0, "forward", "c"],
        "required for lstm",
    ),
    (
        "c for a gru",
        lstm(cell="gru", initial_state={"layers": [{"forward": {"h": H2, "c": H2}}]}),
        422,
        ["initial_state", "layers", 0, "forward", "c"],
        "only for lstm",
    ),
    (
        "missing backward state",
        lstm(bidirectional=True, initial_state={"layers": [{"forward": {"h": H2, "c": H2}}]}),
        422,
        ["initial_state", "layers", 0, "backward"],
        "needs a backward entry",
    ),
    (
        "NaN in initial state",
        None,
        422,
        ["initial_state", "layers", 0, "forward", "h", 0, 0],
        "finite",
    ),
    (
        "kernel shape",
        {
            "cell": "rnn",
            "hidden_size": 2,
            "input": VALUES,
            "weights": {
                "layers": [
                    {
                        "forward": {
                            "kernel": [[0.0, 0.0]] * 3,
                            "recurrent_kernel": [[0.0, 0.0]] * 2,
                            "bias": [0.0, 0.0],
                        }
                    }
                ]
            },
        },
        422,
        ["weights", "layers", 0, "forward", "kernel"],
        "[D][H] = [2, 2]",
    ),
    (
        "gru reset_after bias shape",
        {
            "cell": "gru",
            "hidden_size": 1,
            "input": VALUES,
            "weights": {
                "layers": [
                    {
                        "forward": {
                            "kernel": [[0.0] * 3] * 2,
                            "recurrent_kernel": [[0.0] * 3],
                            "bias": [0.0] * 3,
                        }
                    }
                ]
            },
        },
        422,
        ["weights", "layers", 0, "forward", "bias"],
        "[2][3H] = [2, 3]",
    ),
    (
        "weights layer count",
        {
            "cell": "rnn",
            "hidden_size": 1,
            "num_layers": 2,
            "input": VALUES,
            "weights": {
                "layers": [
                    {"forward": {"kernel": [[0.0]] * 2, "recurrent_kernel": [[0.0]], "bias": [0.0]}}
                ]
            },
        },
        422,
        ["weights", "layers"],
        "expected num_layers = 2",
    ),
]


def post(client, name, body):
    if name == "NaN in initial state":  # JSON has no NaN; Python's parser reads the literal
        text = json.dumps(lstm(initial_state={"layers": [{"forward": {"h": H2, "c": H2}}]}))
        text = text.replace("[[0.0, 0.0]", "[[NaN, 0.0]", 1)
        return client.post("/api/run", content=text, headers={"content-type": "application/json"})
    return client.post("/api/run", json=body)


@pytest.mark.parametrize(
    ("name", "body", "status", "loc", "words"), BAD_INPUTS, ids=[case[0] for case in BAD_INPUTS]
)
def test_bad_input_gets_4xx_naming_field_and_rule(client, name, body, status, loc, words):
    response = post(client, name, body)
    assert response.status_code == status, response.text
    detail = response.json()["detail"]
    assert any(d["loc"][: len(loc) + 1] == ["body", *loc] and words in d["msg"] for d in detail), (
        detail
    )


def test_there_are_at_least_twenty_kinds_of_bad_input():
    assert len({case[0] for case in BAD_INPUTS}) >= 20


def test_malformed_json_is_422(client):
    response = client.post(
        "/api/run", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["type"] == "json_invalid"


def test_body_that_is_not_utf8_is_422(client):
    response = client.post(
        "/api/run", content=b"\xff\xfeO", headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
    assert response.json()["detail"] == [
        {"loc": ["body"], "msg": "could not be read as UTF-8 JSON", "type": "json_invalid"}
    ]


def test_body_above_size_limit_is_413_before_parsing(client):
    big = json.dumps({"input": values_of(1, 1, 1), "pad": "x" * LIMITS["max_body_bytes"]})
    response = client.post("/api/run", content=big, headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert "max_body_bytes" in response.json()["detail"][0]["msg"]


def test_streamed_body_above_size_limit_is_413(client):
    def chunks():
        for _ in range(20):
            yield b" " * 10_000

    response = client.post(
        "/api/run", content=chunks(), headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
