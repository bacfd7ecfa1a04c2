"""`churnwatch console`: serve the console, on loopback unless a token guards it."""

from __future__ import annotations

import socket
from collections.abc import Callable

import uvicorn

from streams.console.app import create_console
from streams.console.auth import is_loopback
from streams.errors import CannotListen, OpenBindRefused
from streams.settings import Settings

BACKLOG = 2048  # uvicorn's own default


def console_url(host: str, port: int) -> str:
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    return f"http://{shown}:{port}/"


def check_bind(settings: Settings) -> None:
    if not is_loopback(settings.console_host) and settings.console_token is None:
        raise OpenBindRefused(
            f"the console would listen on {settings.console_host}, beyond this machine, "
            "without a token: set CHURNWATCH_CONSOLE_TOKEN, or bind to 127.0.0.1"
        )


def bind(settings: Settings) -> socket.socket:
    """The console's listening socket: a port in use fails here, before any URL is printed."""
    check_bind(settings)
    family = socket.AF_INET6 if ":" in settings.console_host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((settings.console_host, settings.console_port))
        sock.listen(BACKLOG)  # connections wait from now on, so the URL works once printed
    except OSError as exc:
        sock.close()
        raise CannotListen(
            f"the console cannot listen on {settings.console_host}:{settings.console_port}: "
            f"{exc.strerror} (set CHURNWATCH_CONSOLE_PORT, or --port)"
        ) from exc
    return sock


def serve_console(settings: Settings, on_ready: Callable[[str], None] | None = None) -> None:
    """Serve until interrupted (Ctrl-C or SIGTERM); ``on_ready`` gets the URL to open."""
    sock = bind(settings)
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        create_console(settings),
        log_level="warning",
        timeout_graceful_shutdown=2,  # open event streams never end by themselves
    )
    if on_ready is not None:
        on_ready(console_url(settings.console_host, port))
    uvicorn.Server(config).run(sockets=[sock])
