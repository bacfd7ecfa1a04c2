"""`churnwatch`: run the engine, replay and generate input, and look at what it knows."""

from __future__ import annotations

import contextlib
import signal
import sys

import click
import orjson

from streams.cli.common import (
    COUNT,
    console,
    load_settings,
    parse_time,
    progress_bar,
    service_errors,
)
from streams.cli.queries import QUERIES
from streams.cli.serving import HOST, PORT, console_command, serve_demo, with_bind
from streams.cli.topics import TOPIC_COMMANDS


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="churnwatch", message="%(prog)s %(version)s")
def main() -> None:
    """churnwatch: a streaming churn early-warning engine.

    Purchases and complaints come in from Kafka; customer state lives in Redis; risk updates
    go to `customer-risk` and actionable warnings to `churn-alerts`. Configure with
    CHURNWATCH_* environment variables (see README); `demo` needs none.
    """
    # SIGTERM (a supervisor's or `kill`'s stop) as Ctrl-C: every `with` unwinds, so `services`,
    # `demo` and `console` stop the brokers and Valkey they started (Faust's worker installs
    # its own handlers over this one)
    signal.signal(signal.SIGTERM, _interrupt)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


BROKER = click.option(
    "--broker",
    type=click.Choice(["tansu", "apache-kafka"]),
    help="Embedded broker to start [default: CHURNWATCH_EMBEDDED_BROKER, else tansu].",
)


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
@click.option(
    "--in-process",
    "in_process",
    is_flag=True,
    help="Run the engine in this process on in-memory stores: no broker, Redis or worker to "
    "start. The same scores and alerts as the broker run, in about half the time.",
)
@BROKER
@click.option(
    "--console",
    "with_console",
    is_flag=True,
    help="After the replay, keep the services up and serve the retention console on them "
    "until Ctrl-C, printing its URL.",
)
@HOST
@PORT
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
    in_process: bool,
    broker: str | None,
    with_console: bool,
    host: str | None,
    port: int | None,
    as_json: bool,
) -> None:
    """Run the whole pipeline on embedded (or configured) services and summarise it."""
    from streams.dev.demo import DemoRequest, run_demo

    if with_console and in_process:
        raise click.UsageError(
            "--console reads the topics and Redis of a broker run: drop --in-process"
        )

    request = DemoRequest(
        input_path,
        customers,
        days,
        seed,
        parse_time(as_of),
        scores_out,
        alerts_out,
        risk_out,
        in_process,
    )
    with service_errors():
        settings = load_settings()
        if broker:
            settings = settings.model_copy(update={"embedded_broker": broker})
        settings = with_bind(settings, host, port)
        if with_console:
            from streams.console.server import check_bind

            check_bind(settings)  # refused before the replay, not after it
        summary = run_demo(
            settings,
            request,
            console=None if as_json else console,
            after=serve_demo if with_console else None,
        )
    if as_json:
        click.echo(orjson.dumps(summary, option=orjson.OPT_INDENT_2).decode())
    if not summary["events_processed"]:
        reasons = ", ".join(f"{n} {r}" for r, n in summary["dead_letters_by_reason"].items())
        raise click.ClickException(
            f"no valid event was read from {input_path or 'the input'}: "
            f"{summary['events_in']} lines, all dead letters ({reasons or 'none'})"
        )


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
    from streams.storage.layout import claim_layout
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
        claim_layout(settings)
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
    with service_errors():
        ensure_topics(settings)
        with progress_bar() as bar:
            task = bar.add_task("replaying", total=len(routed))
            produce_lines(settings, routed, rate, on_progress=lambda n: bar.advance(task, n))
    console.print(f"replayed {len(routed)} events from {path}")


@main.command()
@BROKER
@click.option(
    "--redis-cluster",
    "masters",
    type=click.IntRange(min=1),
    help="Start a Valkey cluster of this many masters (no replicas) instead of one Valkey; "
    "slots are cut so each master holds a fair share of CHURNWATCH_PARTITIONS.",
)
def services(broker: str | None, masters: int | None) -> None:
    """Start an embedded broker and Valkey, print their URLs, and keep them up until Ctrl-C
    or SIGTERM (which stop everything started)."""
    import time

    from streams.dev.embedded import ClusterShape, embedded_services

    settings = load_settings()
    chosen = broker or settings.embedded_broker
    shape = (
        None
        if masters is None
        else ClusterShape(masters, settings.redis_namespace, settings.partitions)
    )
    with (
        service_errors(),
        embedded_services(broker=chosen, redis_cluster=shape) as (kafka, redis_server),
    ):
        assert kafka and redis_server
        click.echo(f"export CHURNWATCH_KAFKA_URL={kafka.url}")
        click.echo(f"export CHURNWATCH_REDIS_URL={redis_server.url}")
        if shape is not None:
            click.echo("export CHURNWATCH_REDIS_CLUSTER=true")
        console.print("embedded services are up; Ctrl-C stops them")
        with contextlib.suppress(KeyboardInterrupt):
            while True:
                time.sleep(1)


for command in [*QUERIES, *TOPIC_COMMANDS, console_command]:
    main.add_command(command)


if __name__ == "__main__":
    sys.exit(main())
