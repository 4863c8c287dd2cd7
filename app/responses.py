"""Large bodies sent a piece at a time, so that many of them never hold the event loop.

A response's body goes to the connection's transport in one write, which copies what the socket
does not take at once into the transport's buffer. When one flight answers 200 waiting clients
(a class on one link: ``bench/overload.py`` phase 2), their 200 writes of 5.6 MB each ran in one
turn of the event loop, about 0.6 s in which ``/healthz`` waited. Sent in pieces, a response
waits for its connection to drain before its next piece (uvicorn's flow control), and the loop
serves everything else in between (each piece also yields once, for when the socket took the
last one whole).
"""

import asyncio

from fastapi import Response
from starlette.types import Receive, Scope, Send

PIECE_BYTES = 256 * 1024  # a quarter of a megabyte: a few hundred microseconds of copying


class PacedResponse(Response):
    """A ``Response`` whose body, past ``PIECE_BYTES``, is sent in pieces of that size (its
    ``Content-Length`` as always: the pieces are one body on the wire)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if len(self.body) <= PIECE_BYTES:
            await super().__call__(scope, receive, send)
            return
        await send(
            {"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers}
        )
        # Views of the one body, never copies (uvicorn writes any bytes-like object): the server
        # holds a large result once, as it did sent whole.
        body = memoryview(self.body)
        for start in range(0, len(body), PIECE_BYTES):
            end = start + PIECE_BYTES
            piece = body[start:end]
            await send({"type": "http.response.body", "body": piece, "more_body": end < len(body)})
            await asyncio.sleep(0)
        if self.background is not None:
            await self.background()
