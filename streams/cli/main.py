"""`churnwatch`: run the engine, replay and generate input, and look at what it knows."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click
import orjson
from pydantic import ValidationError
from pydantic_settings import SettingsError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from streams.settings import Settings

if TYPE_CHECKING:
    from alerts.assessment import CustomerScore

console = Console(stderr=True)
COUNT = click.IntRange(min=1)  # customers, days: zero or fewer is a mistake, not an empty run


def load_settings() -> Settings:
    try:
        return Settings()
    except (ValidationError, SettingsError) as exc:
        raise click.ClickException(f"invalid CHURNWATCH_* settings:\n{exc}") from exc


def parse_time(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter(f"{value!r} is not an ISO-8601 time") from exc
    if moment.tzinfo is None:
        raise click.BadParameter(f"{value!r} has no zone; add one, e.g. {value}+00:00")
    return moment


def progress_bar() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """churnwatch: a streaming churn early-warning engine.

    Purchases and complaints come in from Kafka; customer state lives in Redis; risk updates
    go to `customer-risk` and actionable warnings to `churn-alerts`. Configure with
    CHURNWATCH_* environment variables (see README); `demo` needs none.
    """


@main.command()
@click.option(
    "--input",
    "input_path",
    type=click.Path(exists=True, dir_okay=False),
    help="JSONL events to replay (default: a generated population).",
)
@click.option(
    "--customers", default=500, show_default=True, type=COUNT, help="Generated customers."
)
@click.option(
    "--days", default=365, show_default=True, type=COUNT, help="Generated days of history."
)
@click.option("--seed", default=7, show_default=True, help="Generator seed.")
@click.option("--as-of", "as_of", help="Score everyone as of this ISO time (default: last event).")
@click.option("--scores-out", type=click.Path(dir_okay=False), help="Write scores CSV here.")
@click.option("--alerts-out", type=click.Path(dir_okay=False), help="Write alerts JSONL here.")
@click.option("--risk-out", type=click.Path(dir_okay=False), help="Write risk updates JSONL here.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON summary instead of tables.")
def demo(
    input_path: str | None,
    customers: int,
    days: int,
    seed: int,
    as_of: str | None,
    scores_out: str | None,
    alerts_out: str | None,
    risk_out: str | None,
    as_json: bool,
) -> None:
    """Run the whole pipeline on embedded (or configured) services and summarise it."""
    from streams.dev.demo import DemoRequest, run_demo

    request = DemoRequest(
        input_path, customers, days, seed, parse_time(as_of), scores_out, alerts_out, risk_out
    )
    with _service_errors():
        summary = run_demo(load_settings(), request, console=None if as_json else console)
    if as_json:
        click.echo(orjson.dumps(summary, option=orjson.OPT_INDENT_2).decode())


@main.command()
@click.option("--customers", default=500, show_default=True, type=COUNT, help="Customers.")
@click.option("--days", default=365, show_default=True, type=COUNT, help="Days of history.")
@click.option("--seed", default=7, show_default=True, help="Generator seed.")
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="JSONL to write.")
def generate(customers: int, days: int, seed: int, out: str) -> None:
    """Generate a synthetic population's purchases and complaints, in event-time order."""
    from streams.dev.synthetic import generate_events, write_jsonl

    count = write_jsonl(generate_events(customers, days, seed), out)
    console.print(f"wrote {count} events for {customers} customers to {out}")


@main.command()
def worker() -> None:
    """Run a worker: consume the input topics until stopped (Ctrl-C or SIGTERM)."""
    import mode.loop

    from streams.clients.kafka_io import ensure_topics
    from streams.worker.app import create_app, run_worker

    settings = load_settings()
    try:
        mode.loop.use(settings.event_loop)  # before anything creates a loop
    except ImportError as exc:
        raise click.ClickException(
            f"{exc}: install uvloop, or set CHURNWATCH_EVENT_LOOP=aio (uvloop has no Windows build)"
        ) from exc
    try:
        ensure_topics(settings)
        app = create_app(settings)
    except RuntimeError as exc:
        raise click.ClickException(str(exc)) from exc
    run_worker(app, settings.log_level)


@main.command()
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--rate",
    type=click.FloatRange(min=0, min_open=True),
    help="Events per second (default: as fast as possible).",
)
def replay(path: str, rate: float | None) -> None:
    """Produce a JSONL file into the input topics in event-time order."""
    from streams.clients.kafka_io import ensure_topics, produce_lines, route_lines
    from streams.topics import TopicNames

    settings = load_settings()
    with open(path, "rb") as lines:
        routed = route_lines(lines, TopicNames.from_settings(settings))
    with _service_errors():
        ensure_topics(settings)
        with progress_bar() as bar:
            task = bar.add_task("replaying", total=len(routed))
            produce_lines(settings, routed, rate, on_progress=lambda n: bar.advance(task, n))
    console.print(f"replayed {len(routed)} events from {path}")


@main.command()
@click.option("--as-of", "as_of", help="ISO time to score at (default: the last event time).")
@click.option("--out", type=click.Path(dir_okay=False), help="CSV file (default: stdout).")
@click.option(
    "--stage",
    type=click.Choice(["new", "active", "at_risk", "lapsed", "reactivated"]),
    help="Only customers in this lifecycle stage; 'lapsed' is the win-back list: customers "
    "silent longer than the horizon, whom real-time alerts no longer cover.",
)
@click.option(
    "--deferred",
    is_flag=True,
    help="List the alert candidates a daily capacity (CHURNWATCH_ALERT_DAILY_CAPACITY) has "
    "deferred, in the order they would be chosen, instead of scores.",
)
def scores(as_of: str | None, out: str | None, stage: str | None, deferred: bool) -> None:
    """Score every customer as of a moment, as CSV (riskiest value first with --stage)."""
    from streams.cli.scores import collect_scores, deferred_csv, scores_csv

    if deferred:
        with _service_errors():
            text = deferred_csv(load_settings())
        _write_or_echo(text, out)
        return
    with _service_errors():
        _, rows = collect_scores(load_settings(), parse_time(as_of))
    if stage:
        rows = sorted((r for r in rows if r.lifecycle_stage == stage), key=_most_value_first)
    _write_or_echo(scores_csv(rows), out)


def _write_or_echo(text: str, out: str | None) -> None:
    if out:
        Path(out).write_text(text)
        console.print(f"wrote {text.count(chr(10)) - 1} rows to {out}")
    else:
        click.echo(text, nl=False)


def _most_value_first(row: CustomerScore) -> tuple[float, str]:
    return (-row.value_at_risk, row.customer_id)


@main.command()
@click.option("--since", help="Only alerts raised at or after this ISO time (event time).")
@click.option(
    "--from",
    "alerts_file",
    type=click.Path(exists=True, dir_okay=False),
    help="Alerts JSONL (as `demo --alerts-out` writes) instead of the alerts topic.",
)
@click.option(
    "--risk-from",
    "risk_file",
    type=click.Path(exists=True, dir_okay=False),
    help="Risk updates JSONL (`demo --risk-out`), for churn of alerted vs not.",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def report(
    since: str | None, alerts_file: str | None, risk_file: str | None, as_json: bool
) -> None:
    """Retention KPIs: alerts by tier, recapture rate, days to recovery, value recovered."""
    from streams.cli.presentation import report_table
    from streams.cli.reporting import build_report

    start = parse_time(since)
    with _service_errors():
        kpis = build_report(
            load_settings, alerts_file, risk_file, start.timestamp() if start else None
        )
    if as_json:
        click.echo(orjson.dumps(kpis, option=orjson.OPT_INDENT_2).decode())
    else:
        console.print(report_table(kpis))


@main.command()
@click.option(
    "--out",
    default="schemas",
    show_default=True,
    type=click.Path(file_okay=False),
    help="Folder to write <type>.schema.json files into.",
)
def schema(out: str) -> None:
    """Export the JSON Schemas of every event churnwatch publishes."""
    from alerts.schemas import json_schemas, write_schemas
    from streams.pipeline.dead_letters import DeadLetter

    for path in write_schemas(Path(out), json_schemas({"dead_letter": DeadLetter})):
        console.print(f"wrote {path}")


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def model(as_json: bool) -> None:
    """Show the online model: version, labels seen per class, progressive metrics."""
    from streams.storage.model_store import snapshot_at_most

    settings = load_settings()
    with _service_errors():
        snapshot = snapshot_at_most(settings, period=2**62)
    if snapshot is None:
        raise click.ClickException("no model snapshot yet: run a worker on some events first")
    summary = snapshot.summary()
    if as_json:
        click.echo(orjson.dumps(summary, option=orjson.OPT_INDENT_2).decode())
        return
    from streams.cli.presentation import model_table
    from streams.pipeline.periods import ModelPeriods

    console.print(model_table(summary, ModelPeriods(settings.model_update_days)))


@main.command()
@click.argument("customer_id")
def inspect(customer_id: str) -> None:
    """Show what the engine knows about one customer."""
    from streams.cli.inspection import describe_customer

    with _service_errors():
        description = describe_customer(load_settings(), customer_id)
    if description is None:
        raise click.ClickException(f"no customer {customer_id!r} in the store")
    click.echo(orjson.dumps(description, option=orjson.OPT_INDENT_2).decode())


@main.command()
@click.argument("customer_id")
def erase(customer_id: str) -> None:
    """Forget a customer: state, schedule, unlearned examples; tombstone on customer-risk."""
    from streams.storage.erasure import erase_customer

    with _service_errors():
        erasure = erase_customer(load_settings(), customer_id)
    if not erasure.state_deleted:
        console.print(f"no state was stored for {customer_id!r}; a tombstone was published anyway")
    console.print(
        f"erased {customer_id}: state {'deleted' if erasure.state_deleted else 'absent'}"
        f", {erasure.schedule_entries} schedule entries, "
        f"{erasure.labels_removed} unlearned examples; tombstone published"
    )


@main.command()
@click.argument("stream", type=click.Choice(["alerts", "risk", "dead-letters"]))
@click.option("--from-beginning", is_flag=True, help="Start at the oldest message.")
def tail(stream: str, from_beginning: bool) -> None:
    """Print an output topic's messages as they arrive, one JSON per line."""
    from streams.clients.kafka_io import follow_topic
    from streams.topics import TopicNames

    settings = load_settings()
    topic = TopicNames.from_settings(settings).by_short_name(stream)
    with _service_errors(), contextlib.suppress(KeyboardInterrupt):
        for value in follow_topic(settings, topic, from_beginning):
            click.echo(value.decode("utf-8", errors="replace"))


@main.command()
def services() -> None:
    """Start an embedded broker and Valkey, print their URLs, and keep them up until Ctrl-C."""
    import time

    from streams.dev.embedded import embedded_services

    with embedded_services() as (kafka, redis_server):
        assert kafka and redis_server
        click.echo(f"export CHURNWATCH_KAFKA_URL={kafka.url}")
        click.echo(f"export CHURNWATCH_REDIS_URL={redis_server.url}")
        console.print("embedded services are up; Ctrl-C stops them")
        with contextlib.suppress(KeyboardInterrupt):
            while True:
                time.sleep(1)


@contextlib.contextmanager
def _service_errors() -> Iterator[None]:
    """Turn unreachable or unconfigured services into one clear line instead of a traceback."""
    from kafka.errors import KafkaError

    from streams.clients.kafka_io import ReadStalled

    try:
        yield
    except ReadStalled as exc:
        raise click.ClickException(str(exc)) from exc
    except KafkaError as exc:
        raise click.ClickException(f"the Kafka broker refused or failed: {exc}") from exc
    except RuntimeError as exc:
        raise click.ClickException(str(exc)) from exc
    except (OSError, TimeoutError) as exc:
        raise click.ClickException(f"could not reach a service: {exc}") from exc


if __name__ == "__main__":
    sys.exit(main())
