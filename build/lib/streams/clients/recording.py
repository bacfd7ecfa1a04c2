"""Recording input topics into a JSONL file that `demo` and `replay` take back.

Every message is kept, valid or not, as the bytes it was, one per line; partitions are merged
in event-time order, each partition's messages staying in offset order (a message with no
readable time stays right after the one before it in its partition). A recording of what
`replay` produced therefore replays to the same scores and alerts.

A message that cannot be one line is kept as one line all the same, and counted:

- one holding line breaks: if it is JSON, compacted (``orjson``), which is the same event;
  otherwise its CR and LF bytes written as the two characters ``\\r`` and ``\\n``, so it is
  still a dead letter on replay, with those bytes as its original;
- one with no value, or an empty one: written as ``null``, a dead letter on replay
  (``not_an_object`` rather than ``malformed_json``).
"""

from __future__ import annotations

import heapq
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import orjson
from kafka import KafkaConsumer, TopicPartition

from streams.clients.kafka_io import servers
from streams.clients.security import kafka_client_options
from streams.settings import Settings


@dataclass
class Recording:
    """What a recording wrote: how many messages, from which partitions, and what it rewrote."""

    messages: int = 0
    partitions: dict[str, int] = field(default_factory=dict)  # "topic:partition" -> messages
    compacted: int = 0  # JSON with line breaks, written compact
    escaped: int = 0  # not JSON, line breaks escaped
    empty: int = 0  # no value, written as null


def as_line(value: bytes | None, recording: Recording) -> bytes:
    r"""``value`` as one line of the recording (see the module docstring).

    >>> r = Recording()
    >>> as_line(b'{"a":\n 1}', r), as_line(b"oops\r\nx", r), as_line(None, r), r.escaped
    (b'{"a":1}', b'oops\\r\\nx', b'null', 1)
    """
    if not value:
        recording.empty += 1
        return b"null"
    if b"\n" not in value and b"\r" not in value:
        return value
    try:
        compact = orjson.dumps(orjson.loads(value))
    except orjson.JSONDecodeError:
        recording.escaped += 1
        return value.replace(b"\r", b"\\r").replace(b"\n", b"\\n")
    recording.compacted += 1
    return compact


def event_time_of(value: bytes | None) -> float | None:
    """The ``timestamp`` of a message, as epoch seconds, if it has a readable one."""
    try:
        fields = orjson.loads(value or b"")
        return datetime.fromisoformat(fields["timestamp"]).timestamp()
    except (orjson.JSONDecodeError, TypeError, KeyError, ValueError):
        return None


def in_event_time_order(
    partitions: dict[str, list[bytes | None]],
) -> Iterator[tuple[str, bytes | None]]:
    """Merge partitions by event time, each in its own (offset) order.

    >>> day = b'{"timestamp":"2026-01-0%dT00:00:00Z"}'
    >>> merged = in_event_time_order({"p:0": [day % 2, b"junk"], "p:1": [day % 1]})
    >>> [(name, value[:5]) for name, value in merged]
    [('p:1', b'{"tim'), ('p:0', b'{"tim'), ('p:0', b'junk')]
    """

    def keyed(
        name: str, values: list[bytes | None]
    ) -> Iterable[tuple[float, str, int, bytes | None]]:
        latest = float("-inf")
        for offset, value in enumerate(values):
            at = event_time_of(value)
            latest = latest if at is None else max(latest, at)
            yield latest, name, offset, value

    merged = heapq.merge(*(keyed(name, values) for name, values in sorted(partitions.items())))
    return ((name, value) for _, name, _, value in merged)


def read_partitions(
    settings: Settings,
    topics: list[str],
    from_beginning: bool,
    until_idle_s: float,
    on_progress: Callable[[int], None] | None = None,
) -> dict[str, list[bytes | None]]:
    """Every message value of ``topics``, per partition in offset order, read until nothing
    new has arrived for ``until_idle_s`` seconds."""
    consumer = KafkaConsumer(
        bootstrap_servers=servers(settings),
        enable_auto_commit=False,
        max_poll_records=10_000,
        **kafka_client_options(settings),
    )
    try:
        assigned = [
            TopicPartition(topic, p)
            for topic in topics
            for p in sorted(consumer.partitions_for_topic(topic) or ())
        ]
        missing = [t for t in topics if not any(tp.topic == t for tp in assigned)]
        if missing:
            raise RuntimeError(f"no such topic on {settings.kafka_url}: {', '.join(missing)}")
        consumer.assign(assigned)
        if from_beginning:
            consumer.seek_to_beginning(*assigned)
        else:
            consumer.seek_to_end(*assigned)
        values: dict[str, list[bytes | None]] = {
            f"{tp.topic}:{tp.partition}": [] for tp in assigned
        }
        polled = consumer.poll(timeout_ms=200)  # the first connects: the idle clock starts after
        idle_since = time.monotonic()
        while True:
            for tp, records in polled.items():
                values[f"{tp.topic}:{tp.partition}"].extend(r.value for r in records)
            if polled:
                idle_since = time.monotonic()
                if on_progress:
                    on_progress(sum(len(r) for r in polled.values()))
            if time.monotonic() - idle_since >= until_idle_s:
                break
            polled = consumer.poll(timeout_ms=200)
        return values
    finally:
        consumer.close()


def record(
    settings: Settings,
    topics: list[str],
    out: Path,
    from_beginning: bool = True,
    until_idle_s: float = 5.0,
    on_progress: Callable[[int], None] | None = None,
) -> Recording:
    """Record ``topics`` into ``out``; see the module docstring."""
    partitions = read_partitions(settings, topics, from_beginning, until_idle_s, on_progress)
    recording = Recording(partitions={name: len(v) for name, v in partitions.items() if v})
    with out.open("wb") as file:
        for _, value in in_event_time_order(partitions):
            file.write(as_line(value, recording) + b"\n")
            recording.messages += 1
    return recording
