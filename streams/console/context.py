"""What every console route reads: the settings, the index of the output topics, Redis and
the marks, and how a page is rendered (the routes: :mod:`streams.console.routes`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

from fastapi import HTTPException, Query, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from alerts.reasons import count_of, risk_text
from alerts.risk_history import TIERS
from alerts.worklist import MARK_FILTERS, QueueFilter
from streams.console import charts, formatting, pages
from streams.console.index import ConsoleIndex
from streams.settings import Settings
from streams.storage.reader import StoreReader

HERE = Path(__file__).parent
PAGE_SIZE = 50
Choice = Annotated[str | None, Query(max_length=200)]


@dataclass
class Console:
    """One console's state, shared by its routes (``app.state.console``)."""

    settings: Settings
    index: ConsoleIndex
    store: StoreReader
    token: str | None
    summaries: pages.SnapshotSummaries = field(default_factory=pages.SnapshotSummaries)
    templates: Jinja2Templates = field(init=False)

    def __post_init__(self) -> None:
        self.templates = Jinja2Templates(directory=HERE / "templates")
        self.templates.env.globals.update(
            day=formatting.day,
            tiers=TIERS,
            charts=charts,
            value_meaning=pages.value_meaning(self.settings),
        )
        self.templates.env.filters.update(
            percent=formatting.percent,
            count_of=count_of,
            risk=risk_text,
            money=lambda amount: formatting.money(amount, self.settings.currency),
            path_part=formatting.path_part,
        )

    def render(
        self, request: Request, name: str, status: int = 200, **context: Any
    ) -> HTMLResponse:
        with self.index.reading():
            context.setdefault("now", self.index.history.now)
            context.setdefault("caught_up", self.index.caught_up)
        return self.templates.TemplateResponse(request, name, context, status_code=status)

    def queue_context(self, request: Request, asked: QueueQuery) -> dict[str, Any]:
        chosen = asked.chosen()
        found, rows = pages.queue_rows(
            self.index,
            self.settings.horizon_days,
            chosen,
            self.store.marks.all(),
            asked.page,
            asked.per_page,
        )
        query = {k: v for k, v in request.query_params.items() if k != "page" and v}
        return {"found": found, "rows": rows, "chosen": chosen, "query": query}


def console_of(request: Request) -> Console:
    console: Console = request.app.state.console
    return console


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
