"""Plain Kafka clients for the CLI: create topics, replay a file into the inputs, read outputs."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

import orjson
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import NewTopic
from kafka.errors import TopicAlreadyExistsError

from streams.clients.security import kafka_client_options
from streams.errors import ReadStalled
from streams.pipeline.partitions import Partition
from streams.settings import Settings
from streams.topics import TopicNames


def bootstrap_servers(kafka_url: str) -> list[str]:
    """``kafka://h1:9092;h2:9092`` (Faust's form) to kafka-python's list of ``host:port``.

    >>> bootstrap_servers("kafka://127.0.0.1:9092")
    ['127.0.0.1:9092']
    """
    hosts = kafka_url.split("://", 1)[-1]
    return [h.strip().split("://", 1)[-1] for h in hosts.replace(";", ",").split(",") if h.strip()]


def servers(settings: Settings) -> list[str]:
    if not settings.kafka_url:
        raise RuntimeError(
            "CHURNWATCH_KAFKA_URL is not set: point it at a Kafka broker, or run "
            "`churnwatch services` to start embedded ones"
        )
    return bootstrap_servers(settings.kafka_url)


def ensure_topics(settings: Settings) -> None:
    """Create churnwatch's topics if missing, inputs co-partitioned, ``customer-risk`` compacted."""
    names = TopicNames.from_settings(settings)
    admin = KafkaAdminClient(bootstrap_servers=servers(settings), **kafka_client_options(settings))
    try:
        for name in (
            names.purchases,
            names.complaints,
            names.alerts,
            names.dead_letters,
            names.risk,
            names.model_events,
        ):
            config = {"cleanup.policy": "compact"} if name == names.risk else {}
            with contextlib.suppress(TopicAlreadyExistsError):
                admin.create_topics([NewTopic(name, settings.partitions, 1, topic_configs=config)])
    finally:
        admin.close()


@dataclass(frozen=True)
class InputLine:
    """One line of an input file, routed as a producer would route it."""

    topic: str
    key: bytes | None
    value: bytes
    event_time: str


def route_lines(lines: Iterable[bytes], names: TopicNames) -> list[InputLine]:
    """Route each line to the topic its ``type`` names, in event-time order.

    Lines that do not parse keep their place after the line before them, and still go out,
    so bad input meets the engine's own validation just as it would from a real producer.

    >>> names = TopicNames("p", "c", "a", "r", "d", "m")
    >>> [(l.topic, l.key) for l in route_lines([
    ...     b'{"type":"complaint","customer_id":"c9","timestamp":"2026-02-01T00:00:00Z"}',
    ...     b'not json',
    ...     b'{"type":"purchase","customer_id":"c1","timestamp":"2026-01-01T00:00:00Z"}'], names)]
    [('p', b'c1'), ('c', b'c9'), ('p', None)]
    """
    routed: list[InputLine] = []
    last_time = ""
    for raw in lines:
        value = raw.rstrip(b"\r\n")
        if not value.strip():
            continue
        try:
            parsed = orjson.loads(value)
        except orjson.JSONDecodeError:
            parsed = None
        fields = parsed if isinstance(parsed, dict) else {}
        customer = fields.get("customer_id")
        timestamp = fields.get("timestamp")
        last_time = timestamp if isinstance(timestamp, str) else last_time
        routed.append(
            InputLine(
                topic=names.input_for(fields.get("type")),
                key=str(customer).encode() if customer is not None else None,
                value=value,
                event_time=last_time,
            )
        )
    return sorted(routed, key=_event_time_order)


def _event_time_order(line: InputLine) -> float:
    try:
        return datetime.fromisoformat(line.event_time).timestamp()
    except ValueError:
        return float("-inf") if not line.event_time else 0.0


@dataclass(frozen=True)
class Produced:
    """Where the broker put what was sent: per partition, the first and last offset.

    >>> sent = Produced.of([("p", 0, 7), ("p", 0, 9), ("c", 1, 0)])
    >>> sent.count, sent.first_offsets[Partition("p", 0)], sent.last_offsets[Partition("p", 0)]
    (3, 7, 9)
    """

    count: int
    first_offsets: dict[Partition, int]
    last_offsets: dict[Partition, int]

    @classmethod
    def of(cls, acknowledged: Iterable[tuple[str, int, int]]) -> Produced:
        """From the (topic, partition, offset) of every acknowledged message."""
        first: dict[Partition, int] = {}
        last: dict[Partition, int] = {}
        count = 0
        for topic, number, offset in acknowledged:
            partition = Partition(topic, number)
            first[partition] = min(first.get(partition, offset), offset)
            last[partition] = max(last.get(partition, offset), offset)
            count += 1
        return cls(count, first, last)


def publish_tombstone(settings: Settings, topic: str, key: bytes) -> None:
    """A null value for ``key`` on a compacted topic: its earlier values go at compaction."""
    producer = KafkaProducer(
        bootstrap_servers=servers(settings), acks="all", **kafka_client_options(settings)
    )
    try:
        producer.send(topic, key=key, value=None)
        producer.flush()
    finally:
        producer.close()


def produce_lines(
    settings: Settings,
    lines: Sequence[InputLine],
    rate: float | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> Produced:
    """Send ``lines`` in order, at most ``rate`` per second, and wait for every acknowledgement."""
    producer = KafkaProducer(
        **kafka_client_options(settings),
        bootstrap_servers=servers(settings),
        acks="all",
        linger_ms=5,
        retries=5,
        max_request_size=max(1_048_576, 2 * settings.max_message_bytes),
    )
    started = time.monotonic()
    try:
        futures = []
        for index, line in enumerate(lines, start=1):
            futures.append(producer.send(line.topic, key=line.key, value=line.value))
            if rate:
                ahead = index / rate - (time.monotonic() - started)
                if ahead > 0:
                    time.sleep(ahead)
            if on_progress and index % 500 == 0:
                on_progress(500)
        producer.flush()
        # get() raises what the broker refused, instead of losing it quietly
        acknowledged = [future.get() for future in futures]
        if on_progress:
            on_progress(len(lines) % 500)
    finally:
        producer.close()
    return Produced.of((m.topic, m.partition, m.offset) for m in acknowledged)


# Generous: a healthy read delivers something every poll; only a broker that stopped answering
# goes this long without a record.
READ_STALL_SECONDS = 30.0


def read_records(
    settings: Settings, topic: str, stall_s: float = READ_STALL_SECONDS
) -> list[tuple[bytes | None, bytes | None]]:
    """Every (key, value) now in ``topic``, beginning to end; a tombstone has value None.

    The end is each partition's high watermark as the fetch responses report it (some brokers
    answer ListOffsets with a stale offset). However large the topic, the read fails only when
    ``stall_s`` pass without a new record while the end is still ahead.
    """
    consumer = KafkaConsumer(
        bootstrap_servers=servers(settings),
        enable_auto_commit=False,
        max_poll_records=10_000,
        **kafka_client_options(settings),
    )
    try:
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        if not partitions:
            return []
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        records: list[tuple[bytes | None, bytes | None]] = []
        last_progress = time.monotonic()
        while not read_to_end(consumer, partitions):
            if time.monotonic() - last_progress > stall_s:
                raise ReadStalled(
                    f"reading {topic} back made no progress for {stall_s:g} s "
                    f"after {len(records)} records"
                )
            for batch in consumer.poll(timeout_ms=200).values():
                records.extend((r.key, r.value) for r in batch)
                last_progress = time.monotonic()
        return records
    finally:
        consumer.close()


def read_to_end(consumer: KafkaConsumer, partitions: Sequence[TopicPartition]) -> bool:
    """Every partition read up to the high watermark its last fetch response reported."""
    for tp in partitions:
        high = consumer.highwater(tp)
        if high is None or consumer.position(tp) < high:
            return False
    return True


def read_topic(settings: Settings, topic: str, stall_s: float = READ_STALL_SECONDS) -> list[bytes]:
    """Every message value now in ``topic`` (tombstones left out)."""
    return [value for _, value in read_records(settings, topic, stall_s) if value is not None]


def follow_topic(settings: Settings, topic: str, from_beginning: bool) -> Iterator[bytes]:
    """Message values of ``topic`` as they arrive, until interrupted."""
    consumer = KafkaConsumer(
        topic,
        **kafka_client_options(settings),
        bootstrap_servers=servers(settings),
        enable_auto_commit=False,
        auto_offset_reset="earliest" if from_beginning else "latest",
    )
    try:
        for record in consumer:
            yield record.value if record.value is not None else b"null"
    finally:
        consumer.close()
