"""The console's web application: its shared state, the routes on it, the access rule, the
static files, and the feed that reads the output topics while it runs."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, HTTPException
from fastapi.exceptions import RequestValidationError
from fastapi.staticfiles import StaticFiles

from streams.console import routes
from streams.console.auth import TokenRequired
from streams.console.context import HERE, Console
from streams.console.feed import TopicFeed
from streams.console.index import ConsoleIndex
from streams.settings import Settings
from streams.storage.reader import StoreReader


def create_console(settings: Settings) -> FastAPI:
    """The console on ``settings``' topics and Redis."""
    store = StoreReader(settings)
    token = settings.console_token.get_secret_value() if settings.console_token else None
    console = Console(settings, ConsoleIndex(), store, token)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        feed = TopicFeed(settings, console.index)
        feed.start()
        try:
            yield
        finally:
            feed.stop()
            store.close()

    app = FastAPI(title="churnwatch console", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.state.console = console
    app.add_middleware(TokenRequired, token=token)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.include_router(routes.router)
    app.add_exception_handler(RequestValidationError, routes.bad_query)
    app.add_exception_handler(HTTPException, routes.http_error)
    return app
