"""The console's access rule, on a bare ASGI app: the token, however a client presents it."""

from __future__ import annotations

import base64

import pytest
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from streams.console.auth import COOKIE, TokenRequired, is_loopback, new_session
from streams.console.server import OpenBindRefused, check_bind
from streams.settings import Settings


def client(token: str | None) -> TestClient:
    async def page(request: object) -> PlainTextResponse:
        return PlainTextResponse("the queue")

    app = Starlette(routes=[Route("/", page), Route("/login", page)])
    return TestClient(TokenRequired(app, token))


def basic(user: str, password: str) -> dict[str, str]:
    encoded = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {encoded}"}


def test_without_a_token_configured_every_page_is_open():
    assert client(None).get("/").status_code == 200


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong"}, basic("ann", "wrong"), {"Authorization": "Basic %%"}],
)
def test_a_missing_or_wrong_token_is_401_for_scripts_and_a_sign_in_for_browsers(headers):
    answer = client("s3cret").get("/", headers=headers)
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"].startswith("Bearer")
    assert "CHURNWATCH_CONSOLE_TOKEN" in answer.text
    page = client("s3cret").get(
        "/?tier=high", headers={**headers, "Accept": "text/html"}, follow_redirects=False
    )
    assert page.status_code == 303 and page.headers["location"] == "/login?next=%2F%3Ftier%3Dhigh"


def test_the_token_is_taken_as_bearer_basic_password_or_a_signed_session():
    guarded = client("s3cret")
    assert guarded.get("/", headers={"Authorization": "Bearer s3cret"}).status_code == 200
    assert guarded.get("/", headers=basic("ann", "s3cret")).status_code == 200
    guarded.cookies.set(COOKIE, "s3cret")  # the raw token is not a session
    assert guarded.get("/").status_code == 401
    guarded.cookies.set(COOKIE, new_session("s3cret"))
    assert guarded.get("/").status_code == 200


def test_a_new_token_revokes_every_session():
    session = new_session("old")
    guarded = client("new")
    guarded.cookies.set(COOKIE, session)
    assert guarded.get("/").status_code == 401


def test_the_sign_in_page_needs_no_token():
    assert client("s3cret").get("/login").status_code == 200


def test_binding_beyond_loopback_needs_a_token():
    assert is_loopback("127.0.0.5") and is_loopback("::1") and not is_loopback("10.0.0.2")
    with pytest.raises(OpenBindRefused, match="CHURNWATCH_CONSOLE_TOKEN"):
        check_bind(Settings(console_host="0.0.0.0"))
    check_bind(Settings(console_host="0.0.0.0", console_token="s3cret"))
    check_bind(Settings())
