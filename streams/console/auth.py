"""The console's access rule: with a token configured, every page and the event stream need it.

A browser's ``EventSource`` cannot send an ``Authorization`` header, so a browser signs in
once at ``/login``, which sets a session cookie that every request, the stream's too, carries;
a browser asking for a page first is sent there, and back to the page once signed in. The
cookie holds a random nonce signed with the token (HMAC-SHA256), never the token itself: it
says nothing to whoever reads it, and changing the token revokes every session. Other clients
send the token as a Bearer token, or as the HTTP Basic password with any user name.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import ipaddress
import secrets
from urllib.parse import quote, urlsplit

from starlette.requests import HTTPConnection
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

COOKIE = "churnwatch_console"
NEEDS_TOKEN = (
    "401: this console needs its token (CHURNWATCH_CONSOLE_TOKEN): sign in at /login, "
    "or send it as a Bearer token or as the HTTP Basic password"
)
OPEN_PATHS = ("/login", "/static/", "/favicon.ico")


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
    """The token a script's request carries: Bearer, or the HTTP Basic password."""
    scheme, _, credentials = connection.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer":
        return credentials.strip()
    basic = _basic(connection)
    return basic[1] if basic is not None else None


def token_matches(presented: str | None, token: str) -> bool:
    return presented is not None and secrets.compare_digest(presented.encode(), token.encode())


def _signature(nonce: str, token: str) -> str:
    return hmac.new(token.encode(), f"session|{nonce}".encode(), hashlib.sha256).hexdigest()


def new_session(token: str) -> str:
    """A session cookie's value: a fresh nonce and its signature with the token."""
    nonce = secrets.token_urlsafe(18)
    return f"{nonce}.{_signature(nonce, token)}"


def session_valid(value: str | None, token: str) -> bool:
    """Whether a cookie was signed with this token (a changed token revokes it).

    >>> session = new_session("s3cret")
    >>> session_valid(session, "s3cret"), session_valid(session, "other"), "s3cret" in session
    (True, False, False)
    """
    nonce, _, signature = (value or "").partition(".")
    return bool(nonce) and secrets.compare_digest(signature, _signature(nonce, token))


def allowed(connection: HTTPConnection, token: str) -> bool:
    presented = presented_token(connection)
    if presented is not None:
        return token_matches(presented, token)
    return session_valid(connection.cookies.get(COOKIE), token)


def safe_next(target: str | None) -> str:
    """Where to go after signing in: a path of this console, never another site.

    >>> safe_next("/kpis?since=2025-01-01"), safe_next("//evil.example/"), safe_next(None)
    ('/kpis?since=2025-01-01', '/', '/')
    """
    if not target or not target.startswith("/") or target.startswith("//"):
        return "/"
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else "/"


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
        if path.startswith(OPEN_PATHS) or allowed(connection, self.token):
            await self.app(scope, receive, send)
            return
        response: Response
        if "text/html" in connection.headers.get("accept", ""):
            asked = path + (f"?{connection.url.query}" if connection.url.query else "")
            response = RedirectResponse(f"/login?next={quote(asked, safe='')}", status_code=303)
        else:
            # a Bearer challenge: a Basic one would make browsers pop up their own password box
            headers = {"WWW-Authenticate": 'Bearer realm="churnwatch console"'}
            response = PlainTextResponse(NEEDS_TOKEN, status_code=401, headers=headers)
        await response(scope, receive, send)
