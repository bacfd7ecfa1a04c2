"""The console's routes: each page, fragment and form, on the console's shared state.

Pages are Jinja templates; the queue's rows are a fragment that htmx fetches again whenever the
event stream says the queue changed. Only the mark endpoint writes, and only the team's marks.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from fastapi.sse import EventSourceResponse, ServerSentEvent

from alerts.marks import Mark, MarkRefused, check_mark
from alerts.worklist import QueueFilter
from streams.console import formatting, pages
from streams.console.auth import COOKIE, basic_user, new_session, safe_next, token_matches
from streams.console.context import HERE, Choice, Console, QueueQuery, console_of
from streams.pipeline.scoring import scores_csv

router = APIRouter()
Shared = Annotated[Console, Depends(console_of)]
Asked = Annotated[QueueQuery, Depends()]


@router.get("/", response_class=HTMLResponse)
def queue(request: Request, asked: Asked, console: Shared) -> HTMLResponse:
    context = console.queue_context(request, asked)
    with console.index.reading():
        choices = console.index.book.choices()
    return console.render(request, "queue.html", choices=choices, **context)


@router.get("/queue/rows", response_class=HTMLResponse)
def queue_fragment(request: Request, asked: Asked, console: Shared) -> HTMLResponse:
    return console.render(request, "_rows.html", **console.queue_context(request, asked))


@router.get("/events", response_class=EventSourceResponse)
async def events(console: Shared) -> AsyncIterator[ServerSentEvent]:
    changes = console.index.subscribe()
    try:
        while True:
            change = await changes.get()
            yield ServerSentEvent(raw_data=change.data(), event="changed", id=str(change.sequence))
    finally:
        console.index.unsubscribe(changes)


@router.post("/alerts/{alert_id}/mark", response_class=HTMLResponse)
def mark_alert(
    request: Request,
    alert_id: str,
    status: Annotated[str, Form()],
    console: Shared,
    note: Annotated[str, Form()] = "",
) -> Response:
    if not _same_origin(request):
        return PlainTextResponse("403: a mark must come from this console's own pages", 403)
    index = console.index
    with index.reading():
        entry = index.book.entries.get(alert_id)
    try:
        checked = check_mark(alert_id, entry.holdout if entry else None, status, note)
    except MarkRefused as refused:
        code = 404 if entry is None else 400
        return PlainTextResponse(f"{code}: {refused}", status_code=code)
    assert entry is not None
    console.store.marks.put(alert_id, Mark(checked, note.strip(), time.time(), basic_user(request)))
    index.marked(alert_id, entry.customer_id)
    if request.headers.get("hx-request"):
        with index.reading():
            (row,) = pages.rows_of(index, [entry], console.store.marks.all())
        return console.render(request, "_row.html", row=row)
    return RedirectResponse(request.headers.get("referer") or "/", status_code=303)


@router.get("/customers", response_class=HTMLResponse)
def find_customer(
    request: Request, console: Shared, q: Annotated[str, Query(max_length=200)] = ""
) -> Response:
    wanted = q.strip()
    if not wanted:
        return RedirectResponse("/", status_code=303)
    with console.index.reading():
        found = pages.find_customers(console.index, wanted)
    if len(found) == 1:
        return RedirectResponse(f"/customers/{formatting.path_part(found[0])}", status_code=303)
    return console.render(request, "search.html", wanted=wanted, found=found)


@router.get("/customers/{customer_id:path}", response_class=HTMLResponse)
def customer(request: Request, customer_id: str, console: Shared) -> HTMLResponse:
    shown = pages.customer_page(
        console.index, console.store, console.settings, customer_id, console.store.marks.all()
    )
    if shown is None:
        return console.render(request, "missing.html", status=404, customer_id=customer_id)
    return console.render(request, "customer.html", customer=shown)


@router.get("/kpis", response_class=HTMLResponse)
def kpis(
    request: Request, console: Shared, since: Choice = None, until: Choice = None
) -> HTMLResponse:
    settings = console.settings
    report = pages.kpis(console.index, settings, _day(since, "since"), _day(until, "until"))
    return console.render(
        request,
        "kpis.html",
        report=report,
        since=since or "",
        until=until or "",
        horizon_days=settings.horizon_days,
    )


@router.get("/model", response_class=HTMLResponse)
def model(request: Request, console: Shared) -> HTMLResponse:
    health = pages.model_health(console.index, console.store, console.settings, console.summaries)
    return console.render(request, "model.html", health=health)


@router.get("/winback", response_class=HTMLResponse)
def winback(request: Request, console: Shared) -> HTMLResponse:
    cut, rows = console.store.win_back()
    return console.render(request, "winback.html", cut=cut, rows=rows[:500], total=len(rows))


@router.get("/winback.csv")
def winback_csv(console: Shared) -> Response:
    _, rows = console.store.win_back()
    safe = [replace(r, customer_id=formatting.spreadsheet_safe(r.customer_id)) for r in rows]
    return Response(
        scores_csv(safe),
        media_type="text/csv",
        headers={"Content-Disposition": 'attachment; filename="win-back.csv"'},
    )


@router.get("/favicon.ico", include_in_schema=False)
def favicon() -> Response:
    return Response((HERE / "static" / "favicon.svg").read_bytes(), media_type="image/svg+xml")


@router.get("/health")
def health(console: Shared) -> dict[str, Any]:
    index = console.index
    with index.reading():
        late = pages.too_late(index, console.settings.horizon_days)
        return {
            "caught_up": index.caught_up,
            "alerts": len(index.book.entries),
            "open_alerts": index.book.page(QueueFilter(mark="all"), {}, 1, 1, late).total,
            "customers_with_risk": len(index.history.trails),
            "unreadable_messages": index.unreadable,
            "event_time": formatting.day(index.history.now),
        }


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, console: Shared, next: Choice = None) -> HTMLResponse:
    return console.render(request, "login.html", failed=False, next=safe_next(next))


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    token_given: Annotated[str, Form(alias="token")],
    console: Shared,
    next: Annotated[str, Form()] = "/",
) -> Response:
    token = console.token
    if token is None or not token_matches(token_given, token):
        return console.render(request, "login.html", status=401, failed=True, next=safe_next(next))
    response = RedirectResponse(safe_next(next), status_code=303)
    response.set_cookie(COOKIE, new_session(token), httponly=True, samesite="strict")
    return response


async def bad_query(request: Request, error: Exception) -> Response:
    """A query the routes refuse: a page saying why for a browser, a line for a script."""
    assert isinstance(error, RequestValidationError)
    problems = "; ".join(
        f"{'.'.join(str(p) for p in e['loc'][1:])}: {e['msg']}" for e in error.errors()
    )
    return refused(request, 400, f"this page cannot be shown for that address ({problems})")


async def http_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, HTTPException)
    return refused(request, error.status_code, str(error.detail))


def refused(request: Request, status: int, why: str) -> Response:
    """A browser gets a page saying why, a script one line."""
    if "text/html" in request.headers.get("accept", ""):
        return console_of(request).render(
            request, "refused.html", status=status, code=status, why=why
        )
    return PlainTextResponse(f"{status}: {why}", status_code=status)


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
