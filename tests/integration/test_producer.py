"""The worker's producer on a real broker: outputs sent as record batches land where Faust's
one-by-one sends put them (each key on its partition by murmur2), every one, in order."""

from __future__ import annotations

import asyncio
import time

import faust
from aiokafka.partitioner import murmur2
from kafka import KafkaConsumer, TopicPartition

from streams.clients.kafka_io import ensure_topics, servers
from streams.clients.security import kafka_client_options
from streams.pipeline.ports import Outgoing
from streams.topics import TopicNames
from streams.worker.credentials import faust_credentials
from streams.worker.producer import batching_producer
from streams.worker.publishing import publish
from streams.worker.transport import use_bounded_fetch_wait
from tests.integration.conftest import unique_settings


def _sent(settings, messages: list[Outgoing]) -> None:
    async def run() -> None:
        app = faust.App(
            f"producer-test-{settings.app_id}",
            broker=settings.kafka_url,
            broker_credentials=faust_credentials(settings),
        )
        use_bounded_fetch_wait(app, 100)
        producer = batching_producer(app)
        await producer.start()
        try:
            await publish(producer, messages)
        finally:
            await producer.stop()

    asyncio.run(run())


def _by_partition(settings, topic: str, expected: int) -> dict[int, list[tuple[bytes, bytes]]]:
    consumer = KafkaConsumer(bootstrap_servers=servers(settings), **kafka_client_options(settings))
    partitions = [TopicPartition(topic, p) for p in range(settings.partitions)]
    consumer.assign(partitions)
    consumer.seek_to_beginning(*partitions)
    found: dict[int, list[tuple[bytes, bytes]]] = {}
    deadline = time.monotonic() + 60
    while sum(map(len, found.values())) < expected and time.monotonic() < deadline:
        for tp, records in consumer.poll(timeout_ms=500).items():
            found.setdefault(tp.partition, []).extend((r.key, r.value) for r in records)
    consumer.close()
    return found


def test_batched_outputs_land_on_their_keys_partitions_in_order(services):
    settings = unique_settings(services)
    ensure_topics(settings)
    topics = TopicNames.from_settings(settings)
    # 4,000 outputs of 200 customers over two topics, 16 KiB batches filled many times over
    messages = [
        Outgoing(topic, f"c{i % 200}".encode(), f'{{"n":{i},"pad":"{"x" * 300}"}}'.encode())
        for i in range(3000)
        for topic in (topics.risk, topics.alerts)
        if i % 3 or topic == topics.risk
    ]
    _sent(settings, messages)

    for topic in (topics.risk, topics.alerts):
        mine = [m for m in messages if m.topic == topic]
        found = _by_partition(settings, topic, len(mine))
        assert sum(len(records) for records in found.values()) == len(mine)
        for partition, records in found.items():
            # Java's and aiokafka's default partitioner: murmur2 of the key, over the partitions
            assert {(murmur2(k) & 0x7FFFFFFF) % settings.partitions for k, _ in records} == {
                partition
            }
            expected = [(m.key, m.value) for m in mine if m.key in {k for k, _ in records}]
            assert records == expected  # nothing lost, duplicated or reordered
