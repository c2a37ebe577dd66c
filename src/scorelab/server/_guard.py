"""Who may ask the server, and how much: the token, the Host header, the size of a body.

Three ASGI middlewares, outermost first, each a few lines over the raw scope:

* :class:`LocalHostOnly`: a server without a token answers only requests addressed
  to a loopback name, so a web page that rebinds its own domain to 127.0.0.1
  (DNS rebinding) cannot drive it from a browser;
* :class:`TokenGate`: with a token, every request (API, pages, ``/docs``, static
  files) carries it: ``Authorization: Bearer TOKEN``, ``?token=TOKEN`` (which also
  sets an HttpOnly, SameSite=Strict cookie, so the pages' own requests carry it),
  or that cookie. Tokens are compared in constant time;
* :class:`BodyLimit`: a request body past the server's limit is refused with 413
  before it is read whole (by its Content-Length, or as it streams).
"""

from __future__ import annotations

import http.cookies
import json
import secrets
import urllib.parse
from typing import Any

Scope = dict[str, Any]


async def _refuse(send: Any, status: int, message: str, *,
                  headers: list[tuple[bytes, bytes]] | None = None) -> None:
    """Answer with the API's error shape, ``{"errors": [{"message": ...}]}``."""
    body = json.dumps({"errors": [{"message": message, "line": None, "key": None}]}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode()), *(headers or [])]})
    await send({"type": "http.response.body", "body": body})


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return value.decode("latin-1")
    return None


class LocalHostOnly:
    """Refuse (403) requests whose Host is not a loopback name: the server has no token."""

    NAMES = ("127.0.0.1", "localhost", "[::1]")

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            host = (_header(scope, b"host") or "").lower()
            name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
            if name not in self.NAMES:
                await _refuse(send, 403, f"this server answers requests to localhost only, not "
                                         f"{host[:80]!r}: to serve other names, start it with "
                                         "--host and a token")
                return
        await self.app(scope, receive, send)


class TokenGate:
    """Refuse (401) every request that does not carry the server's token."""

    def __init__(self, app: Any, token: str, cookie: str) -> None:
        self.app, self.token, self.cookie = app, token.encode(), cookie

    def _given(self, scope: Scope) -> tuple[str | None, bool]:
        """The token the request carries, and whether it came in the query."""
        authorization = _header(scope, b"authorization") or ""
        if authorization.lower().startswith("bearer "):
            return authorization[7:].strip(), False
        query = urllib.parse.parse_qs(scope.get("query_string", b"").decode("latin-1"))
        if query.get("token"):
            return query["token"][0], True
        cookies = http.cookies.SimpleCookie()
        try:
            cookies.load(_header(scope, b"cookie") or "")
        except http.cookies.CookieError:
            return None, False
        morsel = cookies.get(self.cookie)
        return (morsel.value if morsel is not None else None), False

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given, in_query = self._given(scope)
        if given is None or not secrets.compare_digest(given.encode(), self.token):
            await _refuse(send, 401, "this server needs its token: open the URL scorelab serve "
                                     "printed (?token=...), or send Authorization: Bearer TOKEN",
                          headers=[(b"www-authenticate", b"Bearer")])
            return
        if not in_query:
            await self.app(scope, receive, send)
            return
        cookie = (f"{self.cookie}={given}; HttpOnly; SameSite=Strict; Path=/").encode()

        async def send_with_cookie(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", ()),
                                                  (b"set-cookie", cookie)]}
            await send(message)

        await self.app(scope, receive, send_with_cookie)


class BodyLimit:
    """Refuse (413) a request body over ``limit`` bytes, naming the limit."""

    def __init__(self, app: Any, limit: int) -> None:
        self.app, self.limit = app, limit

    def _message(self, size: str) -> str:
        return (f"the request body is {size}: over this server's limit of {self.limit:,} bytes "
                "(4 x max_policy_bytes and 64 KiB; scorelab serve --max-policy-bytes)")

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = _header(scope, b"content-length")
        if length is not None and length.isdigit() and int(length) > self.limit:
            await _refuse(send, 413, self._message(f"{int(length):,} bytes"))
            return
        if length is not None:
            await self.app(scope, receive, send)
            return
        # no Content-Length (a chunked body): read it up to the limit, then hand it on
        chunks, size, more = [], 0, True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            more = message.get("more_body", False)
            if size > self.limit:
                await _refuse(send, 413, self._message("larger"))
                return
        body, replayed = b"".join(chunks), False

        async def replay() -> dict[str, Any]:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)
