"""The console's access rule: with a token configured, every page and the event stream need it.

A browser's ``EventSource`` cannot send an ``Authorization`` header, so a browser signs in
once at ``/login``, which sets a cookie that every request, the stream's too, carries. Other
clients send the token as a Bearer token, or as the HTTP Basic password with any user name.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import secrets

from starlette.requests import HTTPConnection
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

COOKIE = "churnwatch_console"
NEEDS_TOKEN = (
    "401: this console needs its token (CHURNWATCH_CONSOLE_TOKEN): sign in at /login, "
    "or send it as a Bearer token or as the HTTP Basic password"
)
SIGN_IN_FIRST = (
    '<!doctype html><meta charset="utf-8"><title>churnwatch console: sign in</title>'
    f"<p>{NEEDS_TOKEN.replace('/login', '<a href=/login>/login</a>')}</p>"
)
OPEN_PATHS = ("/login", "/static/")


def is_loopback(host: str) -> bool:
    """Whether binding to ``host`` keeps the console on this machine.

    >>> is_loopback("127.0.0.1"), is_loopback("localhost"), is_loopback("0.0.0.0")
    (True, True, False)
    """
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _basic(connection: HTTPConnection) -> tuple[str, str] | None:
    scheme, _, credentials = connection.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        user, _, password = base64.b64decode(credentials, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return user, password


def basic_user(connection: HTTPConnection) -> str | None:
    """The HTTP Basic user name, which the console records as who made a mark."""
    basic = _basic(connection)
    return basic[0] or None if basic else None


def presented_token(connection: HTTPConnection) -> str | None:
    """The token a request carries: Bearer, HTTP Basic password, or the sign-in cookie."""
    scheme, _, credentials = connection.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer":
        return credentials.strip()
    basic = _basic(connection)
    if basic is not None:
        return basic[1]
    return connection.cookies.get(COOKIE)


def token_matches(presented: str | None, token: str) -> bool:
    return presented is not None and secrets.compare_digest(presented.encode(), token.encode())


class TokenRequired:
    """ASGI middleware: 401 for any request without the token, but the sign-in page."""

    def __init__(self, app: ASGIApp, token: str | None) -> None:
        self.app = app
        self.token = token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.token is None or scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        connection = HTTPConnection(scope)
        path = connection.url.path
        if path.startswith(OPEN_PATHS) or token_matches(presented_token(connection), self.token):
            await self.app(scope, receive, send)
            return
        # a Bearer challenge: a Basic one would make browsers pop up their own password box
        # instead of showing the way to the sign-in page
        headers = {"WWW-Authenticate": 'Bearer realm="churnwatch console"'}
        response: Response
        if "text/html" in connection.headers.get("accept", ""):
            response = HTMLResponse(SIGN_IN_FIRST, status_code=401, headers=headers)
        else:
            response = PlainTextResponse(NEEDS_TOKEN, status_code=401, headers=headers)
        await response(scope, receive, send)
