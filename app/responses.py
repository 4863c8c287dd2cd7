"""Large bodies sent a piece at a time, so that many of them never hold the event loop.

A response's body goes to the connection's transport in one write, which copies what the socket
does not take at once into the transport's buffer. When one flight answers 200 waiting clients
(a class on one link: ``bench/overload.py`` phase 2, ``bench/classroom.py``), their 200 writes
of 5.6 MB each ran in one turn of the event loop, about 0.6 s in which ``/healthz`` waited. Sent
in pieces, a response waits for its connection to drain before its next piece (uvicorn's flow
control), and the loop serves everything else in between (each piece also yields once, for
when the socket took the last one whole).

A body may also be given as its pieces (views of cached bytes: a finished training's JSON is
views of its cached event stream, ``app.training.stream_response``): they are sent as they are,
small ones gathered up to a piece's size, and never joined into one copy.
"""

import asyncio
from collections.abc import Iterator, Sequence

from fastapi import Response
from starlette.types import Receive, Scope, Send

PIECE_BYTES = 256 * 1024  # a quarter of a megabyte: a few hundred microseconds of copying
Piece = bytes | bytearray | memoryview


def _sends(pieces: Sequence[Piece]) -> Iterator[Piece]:
    """What each body message carries: a large piece in slices of ``PIECE_BYTES`` (views, not
    copies), small ones gathered (joined) until they make a slice's size."""
    gathered: list[Piece] = []
    size = 0
    for piece in pieces:
        if not len(piece):
            continue
        if len(piece) >= PIECE_BYTES:
            if gathered:
                yield b"".join(gathered)
                gathered, size = [], 0
            view = memoryview(piece)
            yield from (view[k : k + PIECE_BYTES] for k in range(0, len(view), PIECE_BYTES))
            continue
        gathered.append(piece)
        size += len(piece)
        if size >= PIECE_BYTES:
            yield b"".join(gathered)
            gathered, size = [], 0
    if gathered:
        yield b"".join(gathered)


class PacedResponse(Response):
    """A ``Response`` whose body (``bytes``, or its pieces in order), past ``PIECE_BYTES``, is
    sent in messages of about that size; its ``Content-Length`` as always (the messages are one
    body on the wire)."""

    def __init__(
        self,
        content: Piece | Sequence[Piece],
        *,
        media_type: str,
        headers: dict[str, str] | None = None,
        status_code: int = 200,
    ) -> None:
        self.pieces: list[Piece] = (
            [content] if isinstance(content, bytes | bytearray | memoryview) else list(content)
        )
        self.length = sum(len(piece) for piece in self.pieces)
        headers = {**(headers or {}), "content-length": str(self.length)}
        super().__init__(None, status_code, headers, media_type)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send(
            {"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers}
        )
        sent = 0
        for body in _sends(self.pieces):
            sent += len(body)
            more = sent < self.length
            await send({"type": "http.response.body", "body": body, "more_body": more})
            if more:
                await asyncio.sleep(0)
        if not self.length:
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        if self.background is not None:
            await self.background()
