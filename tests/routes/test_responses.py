"""Large bodies sent a piece at a time (app/responses.py): whole on the wire, and many of them
take turns on the event loop instead of holding it."""

import asyncio
import json
import threading
import time

import httpx
from uvicorn.config import Config
from uvicorn.server import Server

from app.main import create_app
from app.responses import PIECE_BYTES, PacedResponse
from app.settings import Settings

SCOPE = {"type": "http", "method": "GET", "path": "/", "headers": []}


def test_a_large_body_goes_in_pieces_that_other_responses_take_turns_with():
    bodies = [bytes([k]) * (3 * PIECE_BYTES + 5) for k in (1, 2)]
    sent = []

    async def scenario():
        async def receive():
            return {"type": "http.request"}

        def sender(k):
            async def send(message):
                sent.append((k, message))

            return send

        responses = [PacedResponse(body, media_type="text/plain") for body in bodies]
        await asyncio.gather(*(r(SCOPE, receive, sender(k)) for k, r in enumerate(responses)))

    asyncio.run(scenario())
    for k, body in enumerate(bodies):
        messages = [m for j, m in sent if j == k]
        start, *pieces = messages
        assert start["type"] == "http.response.start"
        assert (b"content-length", str(len(body)).encode()) in start["headers"]
        assert [len(m["body"]) for m in pieces] == [PIECE_BYTES] * 3 + [5]
        assert [m["more_body"] for m in pieces] == [True, True, True, False]
        assert b"".join(m["body"] for m in pieces) == body
    order = [k for k, m in sent if m["type"] == "http.response.body"]
    assert order[:4] == [0, 1, 0, 1]  # each piece yields: the two responses take turns
    small = []

    async def one_send():
        async def send(message):
            small.append(message)

        await PacedResponse(b"{}", media_type="application/json")(SCOPE, None, send)

    asyncio.run(one_send())
    assert [m["type"] for m in small] == ["http.response.start", "http.response.body"]
    empty = []

    async def no_body():
        async def send(message):
            empty.append(message)

        await PacedResponse([b"", b""], media_type="application/json")(SCOPE, None, send)

    asyncio.run(no_body())  # one final message, never two
    assert [(m["type"], m.get("more_body")) for m in empty][1:] == [("http.response.body", False)]
    assert (b"content-length", b"0") in empty[0]["headers"]


def test_a_body_given_as_pieces_is_sent_without_joining_them():
    """Pieces (a cached training's JSON: views of its event stream) go as they are: a large one
    in slices that are views of it, small ones gathered up to a slice's size."""
    stream = bytes(range(256)) * (PIECE_BYTES // 64)  # four slices' worth
    pieces = [b'{"a":[', *([b"1,"] * 1000), memoryview(stream), b"2]}"]
    sent = []

    async def send(message):
        sent.append(message)

    response = PacedResponse(pieces, media_type="application/json")
    asyncio.run(response(SCOPE, None, send))
    start, *messages = sent
    whole = b"".join(bytes(p) for p in pieces)
    assert (b"content-length", str(len(whole)).encode()) in start["headers"]
    assert b"".join(bytes(m["body"]) for m in messages) == whole
    assert all(len(m["body"]) <= PIECE_BYTES for m in messages)
    views = [m["body"] for m in messages if isinstance(m["body"], memoryview)]
    assert len(views) == 4 and all(v.obj is stream for v in views)  # never copied
    assert [m["more_body"] for m in messages] == [True] * (len(messages) - 1) + [False]


def test_a_large_result_arrives_whole_through_uvicorn():
    """A run result of several megabytes, as a real server sends it: every byte, its length
    as declared, the same bytes as the cache holds."""
    app = create_app(Settings(warm_presets=False))
    uvicorn = Server(Config(app, host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=uvicorn.run, daemon=True)
    thread.start()
    try:
        while not uvicorn.started:
            time.sleep(0.01)
        app.state.service.executor.wait_ready(timeout_s=120)
        port = uvicorn.servers[0].sockets[0].getsockname()[1]
        text = "the quick brown fox jumps over the lazy dog " * 5
        lines = [text[b : b + 200] for b in range(4)]
        config = {"cell": "lstm", "hidden_size": 64, "input": {"text": lines}}
        url = f"http://127.0.0.1:{port}/api/run"
        response = httpx.get(url, params={"config": json.dumps(config)}, timeout=60)
        assert response.status_code == 200
        assert len(response.content) > 4 * PIECE_BYTES
        assert int(response.headers["content-length"]) == len(response.content)
        key = response.headers["etag"].strip('"')
        assert response.content == app.state.service.cache.get_bytes(key, "json")
        assert json.loads(response.content)["config"]["hidden_size"] == 64
    finally:
        uvicorn.should_exit = True
        thread.join(10)
