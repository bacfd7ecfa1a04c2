"""Commands that read churnwatch's topics: record input topics to a file, tail an output."""

from __future__ import annotations

import contextlib

import click

from streams.cli.common import console, load_settings, progress_bar, service_errors


@click.command()
@click.option(
    "--topics",
    default="purchases,complaints",
    show_default=True,
    help="Comma-separated topics to record (short names get CHURNWATCH_TOPIC_PREFIX).",
)
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="JSONL to write.")
@click.option(
    "--from-beginning", is_flag=True, help="Record from the oldest message (default: new ones)."
)
@click.option(
    "--until-idle",
    "until_idle",
    default=5.0,
    show_default=True,
    type=click.FloatRange(min=0, min_open=True),
    help="Stop once no message has arrived for this many seconds.",
)
def record(topics: str, out: str, from_beginning: bool, until_idle: float) -> None:
    """Record input topics into a JSONL file that `demo` and `replay` take back.

    Every message is kept, valid or not, as its bytes, in event-time order; one that cannot
    be one line is kept as one line (see the README, "Testing with churnwatch").
    """
    from pathlib import Path

    from streams.clients.recording import record as record_topics

    settings = load_settings()
    names = [settings.topic(t.strip()) for t in topics.split(",") if t.strip()]
    if not names:
        raise click.BadParameter("name at least one topic", param_hint="--topics")
    with service_errors(), progress_bar() as bar:
        task = bar.add_task("recording", total=None)
        done = record_topics(
            settings, names, Path(out), from_beginning, until_idle, lambda n: bar.advance(task, n)
        )
    rewritten = done.compacted + done.escaped + done.empty
    console.print(
        f"recorded {done.messages} messages from {len(done.partitions)} partitions of "
        f"{', '.join(names)} to {out}"
        + (f" ({rewritten} rewritten to fit one line)" if rewritten else "")
    )


@click.command()
@click.argument("stream", type=click.Choice(["alerts", "risk", "dead-letters", "model-events"]))
@click.option("--from-beginning", is_flag=True, help="Start at the oldest message.")
def tail(stream: str, from_beginning: bool) -> None:
    """Print an output topic's messages as they arrive, one JSON per line."""
    from streams.clients.kafka_io import follow_topic
    from streams.topics import TopicNames

    settings = load_settings()
    topic = TopicNames.from_settings(settings).by_short_name(stream)
    with service_errors(), contextlib.suppress(KeyboardInterrupt):
        for value in follow_topic(settings, topic, from_beginning):
            click.echo(value.decode("utf-8", errors="replace"))


TOPIC_COMMANDS = [record, tail]
