"""Serialisation of run results: plain JSON and the compact b64 typed arrays."""

import base64
import secrets

import numpy as np
import orjson
import pytest

from app.results import to_json, typed_array


@pytest.mark.parametrize("shape", [(7,), (2, 12), (3, 5, 4), (1, 1, 1)])
def test_typed_array_round_trips_float32_exactly(shape):
    rng = np.random.default_rng(secrets.randbits(32))
    values = rng.normal(0, 10, shape).astype(np.float32)
    values.flat[0] = -0.0
    encoded = typed_array(values)
    assert encoded["dtype"] == "float32"
    assert encoded["shape"] == ",".join(map(str, shape))  # a string: what Plotly.js accepts
    decoded = np.frombuffer(base64.b64decode(encoded["bdata"]), "<f4").reshape(shape)
    np.testing.assert_array_equal(decoded, values)
    assert np.signbit(decoded.flat[0])


def test_typed_array_reads_non_contiguous_arrays_in_c_order():
    values = np.arange(24, dtype=np.float32).reshape(2, 3, 4).transpose(2, 0, 1)
    decoded = np.frombuffer(base64.b64decode(typed_array(values)["bdata"]), "<f4")
    np.testing.assert_array_equal(decoded, values.ravel(order="C"))


def test_both_encodings_carry_the_same_numbers_and_plain_fields():
    rng = np.random.default_rng(secrets.randbits(32))
    result = {
        "tokens": [["h", "i"]],
        "sequence_length": [2],
        "inputs": rng.normal(size=(1, 2, 3)).astype(np.float32),
        "layers": [{"forward": {"states": {"h": rng.normal(size=(1, 2, 4)).astype(np.float32)}}}],
        "meta": {"device": "/device:CPU:0"},
    }
    plain = orjson.loads(to_json(result))
    compact = orjson.loads(to_json(result, "b64"))
    assert compact["tokens"] == plain["tokens"] and compact["meta"] == plain["meta"]
    assert compact["sequence_length"] == [2]
    for path in (("inputs",), ("layers", 0, "forward", "states", "h")):
        a, b = plain, compact
        for key in path:
            a, b = a[key], b[key]
        shape = tuple(int(n) for n in b["shape"].split(","))
        decoded = np.frombuffer(base64.b64decode(b["bdata"]), "<f4").reshape(shape)
        np.testing.assert_array_equal(np.asarray(a, np.float32), decoded)


def test_plain_json_writes_shortest_float32_numbers():
    body = to_json({"x": np.array([0.1, 1.0, -0.0], np.float32)})
    assert body == b'{"x":[0.1,1.0,-0.0]}'


@pytest.mark.parametrize("encoding", ["json", "b64"])
def test_large_arrays_are_written_in_pieces_with_the_same_bytes(monkeypatch, encoding):
    rng = np.random.default_rng(secrets.randbits(32))
    result = {
        "a": rng.normal(size=(3, 50, 7)).astype(np.float32),
        "b": rng.normal(size=(1000,)).astype(np.float32),
        "config": {"input": {"values": rng.normal(size=(2, 9, 3)).astype(np.float32)}},
    }
    whole = to_json(result, encoding)
    monkeypatch.setattr("app.results.PIECE_NUMBERS", 6)  # every array in many pieces
    assert to_json(result, encoding) == whole
    decoded = orjson.loads(whole)
    np.testing.assert_array_equal(  # config stays plain JSON in both encodings
        np.asarray(decoded["config"]["input"]["values"], np.float32),
        result["config"]["input"]["values"],
    )
