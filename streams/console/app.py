"""The console's web application: server-rendered pages, htmx fragments, one live event stream.

Pages are Jinja templates; the queue's rows are a fragment that htmx fetches again whenever
the event stream says the queue changed, so a page never holds a stale copy of the queue's
order. Only the mark endpoint writes, and only the team's marks.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import Depends, FastAPI, Form, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from fastapi.sse import EventSourceResponse, ServerSentEvent
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from alerts.marks import Mark, MarkRefused, check_mark
from alerts.reasons import count_of, risk_text
from alerts.risk_history import TIERS
from alerts.worklist import MARK_FILTERS, QueueFilter
from streams.console import charts, pages
from streams.console.auth import (
    COOKIE,
    TokenRequired,
    basic_user,
    new_session,
    safe_next,
    token_matches,
)
from streams.console.feed import TopicFeed
from streams.console.index import ConsoleIndex
from streams.pipeline.scoring import scores_csv
from streams.settings import Settings
from streams.storage.connection import connect_sync
from streams.storage.keys import StateKeys
from streams.storage.marks import RedisMarks

HERE = Path(__file__).parent
PAGE_SIZE = 50
Choice = Annotated[str | None, Query(max_length=200)]


@dataclass
class QueueQuery:
    """The queue's filters and page, as the query string gives them."""

    tier: Choice = None
    action: Choice = None
    stage: Choice = None
    priority: Choice = None
    mark: Choice = "open"
    page: Annotated[int, Query(ge=1)] = 1
    per_page: Annotated[int, Query(ge=10, le=500)] = PAGE_SIZE

    def chosen(self) -> QueueFilter:
        if self.tier and self.tier not in TIERS:
            raise HTTPException(400, f"tier must be one of {', '.join(TIERS)}, got {self.tier!r}")
        if self.mark not in MARK_FILTERS:
            raise HTTPException(400, f"mark must be one of {', '.join(MARK_FILTERS)}")
        if self.priority and not self.priority.isdigit():
            raise HTTPException(400, f"priority must be a whole number, got {self.priority!r}")
        return QueueFilter(
            self.tier or None,
            self.action or None,
            self.stage or None,
            int(self.priority) if self.priority else None,
            self.mark,  # type: ignore[arg-type]
        )


def create_console(settings: Settings) -> FastAPI:
    """The console on ``settings``' topics and Redis."""
    index = ConsoleIndex()
    client = connect_sync(settings)
    keys = StateKeys(settings.redis_namespace)
    marks = RedisMarks(client, keys)
    summaries = pages.SnapshotSummaries()
    token = settings.console_token.get_secret_value() if settings.console_token else None

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        feed = TopicFeed(settings, index)
        feed.start()
        try:
            yield
        finally:
            feed.stop()
            client.close()

    app = FastAPI(title="churnwatch console", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.add_middleware(TokenRequired, token=token)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    templates = Jinja2Templates(directory=HERE / "templates")
    templates.env.globals.update(
        day=pages.day, tiers=TIERS, charts=charts, value_meaning=pages.value_meaning(settings)
    )
    templates.env.filters.update(
        percent=pages.percent,
        count_of=count_of,
        risk=risk_text,
        money=lambda amount: pages.money(amount, settings.currency),
        path_part=pages.path_part,
    )

    def render(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
        with index.reading():
            context.setdefault("now", index.history.now)
            context.setdefault("caught_up", index.caught_up)
        return templates.TemplateResponse(request, name, context, status_code=status)

    def queue_context(request: Request, asked: QueueQuery) -> dict[str, Any]:
        chosen = asked.chosen()
        found, rows = pages.queue_rows(
            index, settings.horizon_days, chosen, marks.all(), asked.page, asked.per_page
        )
        query = {k: v for k, v in request.query_params.items() if k != "page" and v}
        return {"found": found, "rows": rows, "chosen": chosen, "query": query}

    @app.get("/", response_class=HTMLResponse)
    def queue(request: Request, asked: Annotated[QueueQuery, Depends()]) -> HTMLResponse:
        context = queue_context(request, asked)
        with index.reading():
            choices = index.book.choices()
        return render(request, "queue.html", choices=choices, **context)

    @app.get("/queue/rows", response_class=HTMLResponse)
    def queue_fragment(request: Request, asked: Annotated[QueueQuery, Depends()]) -> HTMLResponse:
        return render(request, "_rows.html", **queue_context(request, asked))

    @app.get("/events", response_class=EventSourceResponse)
    async def events() -> AsyncIterator[ServerSentEvent]:
        changes = index.subscribe()
        try:
            while True:
                change = await changes.get()
                yield ServerSentEvent(
                    raw_data=change.data(), event="changed", id=str(change.sequence)
                )
        finally:
            index.unsubscribe(changes)

    @app.post("/alerts/{alert_id}/mark", response_class=HTMLResponse)
    def mark_alert(
        request: Request,
        alert_id: str,
        status: Annotated[str, Form()],
        note: Annotated[str, Form()] = "",
    ) -> Response:
        if not _same_origin(request):
            return PlainTextResponse("403: a mark must come from this console's own pages", 403)
        with index.reading():
            entry = index.book.entries.get(alert_id)
        try:
            checked = check_mark(alert_id, entry.holdout if entry else None, status, note)
        except MarkRefused as refused:
            code = 404 if entry is None else 400
            return PlainTextResponse(f"{code}: {refused}", status_code=code)
        assert entry is not None
        marks.put(alert_id, Mark(checked, note.strip(), time.time(), basic_user(request)))
        index.marked(alert_id, entry.customer_id)
        if request.headers.get("hx-request"):
            with index.reading():
                (row,) = pages.rows_of(index, [entry], marks.all())
            return render(request, "_row.html", row=row)
        return RedirectResponse(request.headers.get("referer") or "/", status_code=303)

    @app.get("/customers", response_class=HTMLResponse)
    def find_customer(request: Request, q: Annotated[str, Query(max_length=200)] = "") -> Response:
        wanted = q.strip()
        if not wanted:
            return RedirectResponse("/", status_code=303)
        with index.reading():
            found = pages.find_customers(index, wanted)
        if len(found) == 1:
            return RedirectResponse(f"/customers/{pages.path_part(found[0])}", status_code=303)
        return render(request, "search.html", wanted=wanted, found=found)

    @app.get("/customers/{customer_id:path}", response_class=HTMLResponse)
    def customer(request: Request, customer_id: str) -> HTMLResponse:
        shown = pages.customer_page(index, client, settings, customer_id, marks.all())
        if shown is None:
            return render(request, "missing.html", status=404, customer_id=customer_id)
        return render(request, "customer.html", customer=shown)

    @app.get("/kpis", response_class=HTMLResponse)
    def kpis(request: Request, since: Choice = None, until: Choice = None) -> HTMLResponse:
        report = pages.kpis(index, settings, _day(since, "since"), _day(until, "until"))
        return render(
            request,
            "kpis.html",
            report=report,
            since=since or "",
            until=until or "",
            horizon_days=settings.horizon_days,
        )

    @app.get("/model", response_class=HTMLResponse)
    def model(request: Request) -> HTMLResponse:
        health = pages.model_health(index, client, settings, summaries)
        return render(request, "model.html", health=health)

    @app.get("/winback", response_class=HTMLResponse)
    def winback(request: Request) -> HTMLResponse:
        cut, rows = pages.win_back(settings)
        return render(request, "winback.html", cut=cut, rows=rows[:500], total=len(rows))

    @app.get("/winback.csv")
    def winback_csv() -> Response:
        _, rows = pages.win_back(settings)
        safe = [replace(r, customer_id=pages.spreadsheet_safe(r.customer_id)) for r in rows]
        return Response(
            scores_csv(safe),
            media_type="text/csv",
            headers={"Content-Disposition": 'attachment; filename="win-back.csv"'},
        )

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> Response:
        return Response((HERE / "static" / "favicon.svg").read_bytes(), media_type="image/svg+xml")

    @app.exception_handler(RequestValidationError)
    async def bad_query(request: Request, error: RequestValidationError) -> Response:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'][1:])}: {e['msg']}" for e in error.errors()
        )
        return refused(request, 400, f"this page cannot be shown for that address ({problems})")

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, error: HTTPException) -> Response:
        return refused(request, error.status_code, str(error.detail))

    def refused(request: Request, status: int, why: str) -> Response:
        """A browser gets a page saying why, a script one line."""
        if "text/html" in request.headers.get("accept", ""):
            return render(request, "refused.html", status=status, code=status, why=why)
        return PlainTextResponse(f"{status}: {why}", status_code=status)

    @app.get("/health")
    def health() -> dict[str, Any]:
        with index.reading():
            late = pages.too_late(index, settings.horizon_days)
            return {
                "caught_up": index.caught_up,
                "alerts": len(index.book.entries),
                "open_alerts": index.book.page(QueueFilter(mark="all"), {}, 1, 1, late).total,
                "customers_with_risk": len(index.history.trails),
                "unreadable_messages": index.unreadable,
                "event_time": pages.day(index.history.now),
            }

    @app.get("/login", response_class=HTMLResponse)
    def login_form(request: Request, next: Choice = None) -> HTMLResponse:
        return render(request, "login.html", failed=False, next=safe_next(next))

    @app.post("/login", response_class=HTMLResponse)
    def login(
        request: Request,
        token_given: Annotated[str, Form(alias="token")],
        next: Annotated[str, Form()] = "/",
    ) -> Response:
        if token is None or not token_matches(token_given, token):
            return render(request, "login.html", status=401, failed=True, next=safe_next(next))
        response = RedirectResponse(safe_next(next), status_code=303)
        response.set_cookie(COOKIE, new_session(token), httponly=True, samesite="strict")
        return response

    return app


def _day(value: str | None, name: str) -> float | None:
    """A date (as a date field sends it, UTC) or an ISO time, as event-time epoch seconds."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise HTTPException(400, f"{name} must be a date like 2025-03-01, got {value!r}") from exc
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


def _same_origin(request: Request) -> bool:
    """A browser names the page a POST comes from: another site must not mark alerts through
    a team member's browser (a console on loopback has no token to stop it)."""
    origin = request.headers.get("origin")
    return origin is None or urlsplit(origin).netloc == request.headers.get("host")
