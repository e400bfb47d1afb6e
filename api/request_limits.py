"""Limits on what comes before the body: the request target (URL) and the header block.

Past them a request is answered the product's way, as problem+json: 414 for a URL over
`MAX_URL_BYTES`, 431 for a header block over `MAX_HEADER_BYTES` or `MAX_HEADER_COUNT` fields.
Two layers hold them:

- `SaksiHttpProtocol`, the HTTP protocol `saksi serve` runs uvicorn with: uvicorn's httptools
  protocol, counting the URL and the header fields as they are parsed, so that a request over a
  limit is answered and its connection closed before more of it is held (plain httptools takes a
  header block of any size, and answers a parse error with a bare text 400, which is now a problem).
- `RequestLimits`, ASGI middleware with the same limits, for the app under any other server.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from api.problems import MEDIA_TYPE, PROBLEM_BASE, TITLES

MAX_URL_BYTES = 8 * 1024  # path and query, as sent
MAX_HEADER_BYTES = 16 * 1024  # names and values, plus 4 bytes a field for ": " and CRLF
MAX_HEADER_COUNT = 100

_REFUSALS = {
    414: ("uri-too-long", f"the request target is longer than {MAX_URL_BYTES} bytes"),
    431: (
        "headers-too-large",
        f"the header block is over {MAX_HEADER_BYTES} bytes or {MAX_HEADER_COUNT} fields",
    ),
    400: ("bad-request", "the request is not valid HTTP/1.1"),
}


def problem_json(status: int) -> bytes:
    kind, detail = _REFUSALS[status]
    body = {"type": PROBLEM_BASE + kind, "title": TITLES.get(status, "Error"), "status": status, "detail": detail}
    return orjson.dumps(body)


def header_block_size(headers: list[tuple[bytes, bytes]]) -> int:
    return sum(len(name) + len(value) + 4 for name, value in headers)


def refusal(url_bytes: int, headers: list[tuple[bytes, bytes]]) -> int | None:
    """The status a request with this URL length and these headers is refused with, if any."""
    if url_bytes > MAX_URL_BYTES:
        return 414
    if len(headers) > MAX_HEADER_COUNT or header_block_size(headers) > MAX_HEADER_BYTES:
        return 431
    return None


class RequestLimits:
    """ASGI middleware: 414/431 problem+json before the app sees a request over the limits."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Callable, send: Callable) -> None:
        if scope["type"] == "http":
            url_bytes = len(scope.get("raw_path") or scope["path"].encode()) + len(scope.get("query_string", b""))
            status = refusal(url_bytes + (1 if scope.get("query_string") else 0), scope["headers"])
            if status is not None:
                body = problem_json(status)
                await send(
                    {
                        "type": "http.response.start",
                        "status": status,
                        "headers": [(b"content-type", MEDIA_TYPE.encode()), (b"content-length", b"%d" % len(body))],
                    }
                )
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)


class SaksiHttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, refusing an oversized URL or header block as it is parsed."""

    _refused: int | None = None
    _header_bytes = 0
    _head_bytes = 0  # received since the request began, while its head is incomplete
    _head_done = False
    _ended_here = False  # a request ended within the chunk being parsed

    def data_received(self, data: bytes) -> None:
        self._ended_here = False
        super().data_received(data)
        if self._ended_here:  # what of this chunk is the next request's head is not known: count from here
            self._head_bytes = 0
        elif not self._head_done and not self.transport.is_closing():
            # httptools keeps a header field until it ends: one endless field would never reach on_header
            self._head_bytes += len(data)
            if self._head_bytes > MAX_URL_BYTES + MAX_HEADER_BYTES + 1024:
                self._refused = self._refused or 431
                self.send_400_response("")

    def shutdown(self) -> None:
        # the graceful shutdown waits for every response to end; a live case stream never does by itself
        from api.live import server_stopping

        server_stopping()
        super().shutdown()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._refused = None
        self._header_bytes = 0

    def on_headers_complete(self) -> None:
        self._head_done = True
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._head_done = False
        self._head_bytes = 0
        self._ended_here = True

    def on_url(self, url: bytes) -> None:
        super().on_url(url)
        if len(self.url) > MAX_URL_BYTES:
            self._refuse(414)

    def on_header(self, name: bytes, value: bytes) -> None:
        super().on_header(name, value)
        self._header_bytes += len(name) + len(value) + 4
        if len(self.headers) > MAX_HEADER_COUNT or self._header_bytes > MAX_HEADER_BYTES:
            self._refuse(431)

    def _refuse(self, status: int) -> None:
        self._refused = status
        raise ValueError(status)  # the parser stops; data_received sees an error and calls send_400_response

    def send_400_response(self, msg: str) -> None:
        status = self._refused or 400
        body = problem_json(status)
        content = [STATUS_LINE[status]]
        for name, value in self.server_state.default_headers:
            content.extend([name, b": ", value, b"\r\n"])
        content.extend(
            [
                b"content-type: " + MEDIA_TYPE.encode() + b"\r\n",
                b"content-length: " + str(len(body)).encode("ascii") + b"\r\n",
                b"connection: close\r\n",
                b"\r\n",
                body,
            ]
        )
        self.transport.write(b"".join(content))
        self.transport.close()


def uvicorn_options() -> dict[str, Any]:
    """How `saksi serve` (and the tests' live servers) run uvicorn."""
    return {"http": SaksiHttpProtocol}
