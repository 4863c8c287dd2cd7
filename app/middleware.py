"""ASGI middleware: limits every request meets before a route sees it, and the headers every
response carries.

``RequestLimits`` stamps each request's arrival (its deadline counts from there), refuses a query
string longer than ``max_query_bytes`` with 414 and a body larger than ``max_body_bytes`` with
413 (declared or streamed), both in the API's JSON error form, before anything is parsed.

``SecurityHeaders`` adds what a public deployment expects on every response: ``nosniff``, a
referrer policy, and a Content-Security-Policy for anything that did not set its own (API
answers: nothing may run or be framed). Pages set their own policy (``app.routes.pages``).
"""

import json
import time

from fastapi import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.errors import error_body
from app.service import Deadline
from app.settings import Settings

SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"strict-origin-when-cross-origin"),
    (b"cross-origin-opener-policy", b"same-origin"),
]
DEFAULT_CSP = (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'")


def deadline_of(request: Request, seconds: float | None = None) -> Deadline:
    """The request's deadline: ``seconds`` (default ``request_timeout_s``) from its arrival."""
    settings: Settings = request.app.state.settings
    timeout = settings.request_timeout_s if seconds is None else seconds
    return Deadline(timeout, request.scope.get("state", {}).get("arrived"))


async def _reject(send: Send, status: int, msg: str, kind: str, root: str) -> None:
    body = json.dumps(error_body((), msg, kind, root=root)).encode()
    headers = [(b"content-type", b"application/json"), (b"connection", b"close")]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class RequestLimits:
    """Arrival stamp, query-string and body size limits (module docstring)."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app, self.settings = app, settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        scope.setdefault("state", {})["arrived"] = time.monotonic()
        limit = self.settings.max_query_bytes
        if len(scope["query_string"]) > limit:
            msg = (
                f"the query string is longer than {limit} bytes (setting max_query_bytes): "
                "POST the configuration instead"
            )
            await _reject(send, 414, msg, "too_long", "query")
            return
        limit = self.settings.max_body_bytes
        too_large = f"request body is larger than {limit} bytes (setting max_body_bytes)"
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > limit:
            await _reject(send, 413, too_large, "too_large", "body")
            return
        messages: list[Message] = []
        size = 0
        while True:
            message = await receive()
            messages.append(message)
            size += len(message.get("body", b""))
            if size > limit:
                await _reject(send, 413, too_large, "too_large", "body")
                return
            if message["type"] != "http.request" or not message.get("more_body", False):
                break

        async def replay() -> Message:
            return messages.pop(0) if messages else await receive()

        await self.app(scope, replay, send)


class SecurityHeaders:
    """The headers every response carries (module docstring)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {name.lower() for name, _ in headers}
                headers += [h for h in SECURITY_HEADERS if h[0] not in names]
                if DEFAULT_CSP[0] not in names:
                    headers.append(DEFAULT_CSP)
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
