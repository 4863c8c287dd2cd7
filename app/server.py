"""The HTTP server's protocol: uvicorn's httptools protocol, its own errors in the API's form.

A request the HTTP parser itself refuses never reaches the app, so uvicorn answers it in plain
text. The one a user can cause by accident is a URL past 65,535 bytes (the parser's URL offsets
are 16-bit): a long ``?config=`` link. This protocol answers it 414 in the API's JSON error form
(and any other unparsable request 400, in JSON too). ``make run``, the ``rnn-visualizer``
command and the Dockerfile serve with it: ``uvicorn app.main:app --http app.server:HttpProtocol``.
"""

import json

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

LONGEST_URL = 65_535


class HttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with JSON errors (module docstring)."""

    def send_400_response(self, msg: str) -> None:
        if len(getattr(self, "url", b"")) > LONGEST_URL:
            status, reason = 414, "URI Too Long"
            detail = {
                "loc": ["query"],
                "msg": f"the URL is longer than {LONGEST_URL} bytes: POST the configuration",
                "type": "too_long",
            }
        else:
            status, reason = 400, "Bad Request"
            detail = {"loc": [], "msg": msg, "type": "invalid_request"}
        body = json.dumps({"detail": [detail]}).encode()
        content = [f"HTTP/1.1 {status} {reason}\r\n".encode()]
        for name, value in self.server_state.default_headers:
            content += [name, b": ", value, b"\r\n"]
        content += [
            b"content-type: application/json\r\n",
            b"content-length: %d\r\n" % len(body),
            b"x-content-type-options: nosniff\r\n",
            b"connection: close\r\n\r\n",
            body,
        ]
        self.transport.write(b"".join(content))
        self.transport.close()
