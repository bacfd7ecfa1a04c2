"""`churnwatch demo`: the whole pipeline on one input, from events in to scores and alerts out."""

from __future__ import annotations

import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from alerts.assessment import CustomerScore
from alerts.events import as_utc
from alerts.reasons import risk_text
from alerts.worklist import AlertBook, QueueFilter
from streams.clients.kafka_io import InputLine, read_topic, route_lines
from streams.dev.embedded import embedded_services
from streams.dev.inprocess import replay_lines
from streams.dev.runner import PipelineRun, run_pipeline
from streams.dev.synthetic import generate_events
from streams.pipeline.scoring import scores_csv
from streams.settings import Settings
from streams.storage.scores import collect_scores
from streams.topics import TopicNames


@contextmanager
def demo_settings(settings: Settings) -> Iterator[Settings]:
    """Settings for one demo run: embedded services where none are configured, fresh names always.

    Fresh topic names, key namespace and consumer group keep a demo on shared services from
    reading an earlier run's events.
    """
    run = uuid.uuid4().hex[:8]
    fresh = settings.model_copy(
        update={
            "topic_prefix": f"{settings.topic_prefix}demo-{run}.",
            "redis_namespace": f"{settings.redis_namespace}:demo-{run}",
            "app_id": f"{settings.app_id}-demo-{run}",
        }
    )
    needs = (not settings.kafka_url, not settings.redis_url)
    with embedded_services(*needs, broker=settings.embedded_broker) as (kafka, redis):
        yield fresh.with_services(
            kafka.url if kafka else str(settings.kafka_url),
            redis.url if redis else str(settings.redis_url),
        )


@dataclass(frozen=True)
class DemoRequest:
    """What `churnwatch demo` was asked for."""

    input_path: str | None = None
    customers: int = 500
    days: int = 365
    seed: int = 7
    as_of: datetime | None = None
    scores_out: str | None = None
    alerts_out: str | None = None
    risk_out: str | None = None
    in_process: bool = False


def demo_input(settings: Settings, request: DemoRequest) -> list[InputLine]:
    names = TopicNames.from_settings(settings)
    if request.input_path:
        with open(request.input_path, "rb") as lines:
            return route_lines(lines, names)
    events = generate_events(request.customers, request.days, request.seed)
    return route_lines((orjson.dumps(e) for e in events), names)


def run_demo(
    settings: Settings,
    request: DemoRequest,
    console: Console | None,
    after: Callable[[Settings], None] | None = None,
) -> dict[str, Any]:
    """Run the demo and return its summary; with a console, show progress and tables too.

    ``after`` runs with the run's settings once the summary is shown, while the services are
    still up (``demo --console`` serves the console there until Ctrl-C).
    """
    risk: list[bytes] = []
    if request.in_process:
        run, cut, scores, risk = _in_process(settings, request, console)
    else:
        with demo_settings(settings) as run_settings:
            lines = demo_input(run_settings, request)
            if console:
                console.print(
                    f"replaying {len(lines)} events through a worker "
                    f"(broker {run_settings.kafka_url}, redis {run_settings.redis_url})"
                )
            run = _run_with_progress(run_settings, lines, console)
            cut, scores = collect_scores(run_settings, request.as_of)
            if request.risk_out:
                risk = read_topic(run_settings, TopicNames.from_settings(run_settings).risk)
            summary = _report(run, cut, scores, risk, request, console)
            if after is not None:
                after(run_settings)
            return summary
    return _report(run, cut, scores, risk, request, console)


def _report(
    run: PipelineRun,
    cut: float | None,
    scores: list[CustomerScore],
    risk: list[bytes],
    request: DemoRequest,
    console: Console | None,
) -> dict[str, Any]:
    if request.risk_out:
        Path(request.risk_out).write_bytes(b"".join(v + b"\n" for v in risk))
    if request.scores_out:
        Path(request.scores_out).write_text(scores_csv(scores))
    if request.alerts_out:
        Path(request.alerts_out).write_bytes(b"".join(orjson.dumps(a) + b"\n" for a in run.alerts))
    summary = summarise(run, len(scores), cut) | {"blank_lines": _blank_lines(request)}
    if console:
        console.print(summary_table(summary))
        if summary["events_processed"]:
            console.print(queue_table(run.alerts, scores, cut))
    return summary


def _in_process(
    settings: Settings, request: DemoRequest, console: Console | None
) -> tuple[PipelineRun, float | None, list[CustomerScore], list[bytes]]:
    """The same run on the in-process driver: no broker, Redis or worker."""
    started = time.monotonic()
    if request.input_path:
        with open(request.input_path, "rb") as file:
            lines = list(file)  # split as the broker run splits it: at newlines only
    else:
        events = generate_events(request.customers, request.days, request.seed)
        lines = [orjson.dumps(e) for e in events]
    if console:
        console.print(f"replaying {len(lines)} lines through the engine in this process")
    replay = replay_lines(lines, settings)
    as_of = request.as_of.timestamp() if request.as_of else None
    cut, scores = replay.scores(as_of)
    risk = replay.published.get(replay.topics.risk, [])
    elapsed = round(time.monotonic() - started, 2)
    return PipelineRun(replay.lines_in, replay.stats, replay.alerts, elapsed), cut, scores, risk


def _run_with_progress(
    settings: Settings, lines: list[InputLine], console: Console | None
) -> PipelineRun:
    if console is None:
        return run_pipeline(settings, lines)
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=True) as bar:
        sent = bar.add_task("sent to Kafka", total=len(lines))
        done = bar.add_task("processed", total=len(lines))
        return run_pipeline(
            settings,
            lines,
            on_sent=lambda n: bar.advance(sent, n),
            on_processed=lambda n: bar.update(done, completed=n),
        )


def summarise(run: PipelineRun, customers: int, cut: float | None) -> dict[str, Any]:
    kinds = Counter(str(a.get("type")) for a in run.alerts)
    tiers = Counter(str(a.get("tier")) for a in run.alerts if a.get("type") == "churn_alert")
    return {
        "events_in": run.events_in,
        "events_processed": run.stats.get("processed", 0) - run.stats.get("duplicates", 0),
        "dead_letters": run.stats.get("dead_letters", 0),
        "dead_letters_by_reason": {
            k.split(":", 1)[1]: v
            for k, v in sorted(run.stats.items())
            if k.startswith("dead_letters:")
        },
        "duplicates": run.stats.get("duplicates", 0),
        "customers": customers,
        "alerts": kinds.get("churn_alert", 0),
        "alerts_by_tier": dict(sorted(tiers.items())),
        "recovered": kinds.get("customer_recovered", 0),
        "as_of": as_utc(cut).isoformat() if cut is not None else None,
        "elapsed_s": run.elapsed_s,
        "alerts_read_back_s": run.read_back_s,
    }


def figure(value: Any) -> str:
    """A figure as people read it: thousands separated, cents for fractions.

    >>> figure(15798.861), figure(25682), figure("2025-05-01")
    ('15,798.86', '25,682', '2025-05-01')
    """
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    return f"{value:,}" if isinstance(value, int) else f"{value:,.2f}"


def _blank_lines(request: DemoRequest) -> int:
    """Blank lines of the input file: skipped, as a producer would never send them, but counted."""
    if not request.input_path:
        return 0
    with open(request.input_path, "rb") as lines:
        return sum(not line.strip() for line in lines)


def summary_table(summary: dict[str, Any]) -> Table:
    table = Table(title="churnwatch demo", show_header=False)
    for key in (
        "events_in",
        "blank_lines",
        "events_processed",
        "duplicates",
        "dead_letters",
        "customers",
        "alerts",
        "recovered",
        "as_of",
        "elapsed_s",
    ):
        table.add_row(key, figure(summary[key]))
    for tier, count in summary["alerts_by_tier"].items():
        table.add_row(f"  alerts: {tier}", figure(count))
    for reason, count in summary["dead_letters_by_reason"].items():
        table.add_row(f"  dead letters: {reason}", figure(count))
    return table


def queue_table(
    alerts: list[dict[str, Any]], scores: list[CustomerScore], cut: float | None, limit: int = 8
) -> Table:
    """The first ``limit`` open alerts in the console's work order: those no purchase answered
    and whose customer has not lapsed by the end of the run."""
    book = AlertBook()
    for alert in alerts:
        book.add(alert, orjson.dumps(alert), datetime.fromisoformat(alert["timestamp"]).timestamp())
    if cut is not None:
        for score in scores:
            if score.lifecycle_stage == "lapsed":
                book.lapse(score.customer_id, cut)
    page = book.page(QueueFilter(), {}, 1, limit)
    table = Table(
        title=f"the open queue: {page.total:,} alerts, the first {len(page.entries)} "
        "(priority, then value at risk)"
    )
    for column in ("priority", "customer", "tier", "risk", "value at risk", "clv", "action"):
        table.add_column(column)
    table.add_column("first reason")
    for entry in page.entries:
        alert = entry.alert()
        reasons = alert.get("reasons") or [{"text": "-"}]
        table.add_row(
            str(entry.priority),
            entry.customer_id,
            entry.tier,
            risk_text(alert["risk"]),
            f"{entry.value_at_risk:,.2f}",
            f"{alert['clv']:,.2f}",
            entry.recommended_action,
            reasons[0]["text"],
        )
    return table
