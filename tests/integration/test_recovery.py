"""Crashes and restarts change nothing: the same state, scores and alerts as an undisturbed run.

The worker is a real process killed with SIGKILL at random points; Redis is a real server
restarted mid-run with its append-only file; the broker is a real Tansu restarted mid-run,
its log kept in an S3 bucket served on loopback by moto (the only durable storage engine
this Tansu build has).
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterator

import orjson
import pytest
from kafka import KafkaConsumer, TopicPartition

from streams.clients.kafka_io import (
    Produced,
    ensure_topics,
    produce_lines,
    read_topic,
    route_lines,
    servers,
)
from streams.dev.apache_kafka import ApacheKafka
from streams.dev.embedded import Broker, EmbeddedKafka, EmbeddedRedis
from streams.dev.runner import WorkerProcess, run_pipeline, wait_until_processed
from streams.dev.sockets import free_port
from streams.dev.synthetic import generate_events
from streams.settings import Settings
from streams.topics import TopicNames
from tests.integration.conftest import pipeline_outcome, wait_for_progress

pytestmark = pytest.mark.integration

EVENTS = [orjson.dumps(e) for e in generate_events(350, 365, seed=13)]


def _lines(settings: Settings):
    return route_lines(EVENTS, TopicNames.from_settings(settings))


@pytest.fixture(scope="module")
def undisturbed(services) -> dict[str, object]:
    settings = Settings(
        kafka_url=services.kafka_url,
        redis_url=services.redis_url,
        topic_prefix="undisturbed.",
        redis_namespace="test:undisturbed",
        app_id="churnwatch-test-undisturbed",
    )
    run = run_pipeline(settings, _lines(settings))
    return pipeline_outcome(settings, run.alerts)


def _finish(settings: Settings, sent: Produced) -> list[dict]:
    worker = WorkerProcess(settings).start()
    try:
        wait_until_processed(settings, sent, worker)
    finally:
        worker.stop()
    return [
        orjson.loads(v) for v in read_topic(settings, TopicNames.from_settings(settings).alerts)
    ]


@pytest.mark.both_brokers
def test_sigkill_three_times_changes_nothing(settings_factory, undisturbed):
    settings = settings_factory()
    ensure_topics(settings)
    sent = produce_lines(settings, _lines(settings))
    rnd = random.Random(5)
    kill_points = sorted(int(len(EVENTS) * rnd.uniform(low, low + 0.2)) for low in (0.1, 0.4, 0.7))
    for point in kill_points:
        worker = WorkerProcess(settings).start()
        wait_for_progress(settings, worker, lambda done, point=point: done >= point)
        worker.kill()

    alerts = _finish(settings, sent)

    outcome = pipeline_outcome(settings, alerts)
    assert outcome["states"] == undisturbed["states"]
    assert outcome["scores"] == undisturbed["scores"]
    assert outcome["alert_ids"] == undisturbed["alert_ids"]


def _run_with_restart(
    settings: Settings,
    restart: Callable[[], None],
    read_alerts: Callable[[Settings, str], list[bytes]] = read_topic,
) -> dict[str, object]:
    """Replay everything, call ``restart`` a third of the way in, finish, and collect."""
    ensure_topics(settings)
    sent = produce_lines(settings, _lines(settings))
    worker = WorkerProcess(settings).start()
    try:
        wait_for_progress(settings, worker, lambda done: done >= len(EVENTS) // 3)
        restart()
        wait_until_processed(settings, sent, worker)
    finally:
        worker.stop()
    alerts = [
        orjson.loads(v) for v in read_alerts(settings, TopicNames.from_settings(settings).alerts)
    ]
    return pipeline_outcome(settings, alerts)


def test_redis_restart_mid_run_changes_nothing(settings_factory, undisturbed):
    redis_server = EmbeddedRedis.start(appendonly=True)
    try:
        settings = settings_factory(redis_url=redis_server.url)
        outcome = _run_with_restart(settings, lambda: redis_server.restart(down_for_s=1.0))
    finally:
        redis_server.stop()
    assert outcome == undisturbed


@pytest.fixture
def durable_broker(services) -> Iterator[Broker]:
    """A broker whose log survives a restart, of the kind ``services`` runs."""
    if services.source == "apache-kafka":  # its log is on disk
        broker = ApacheKafka.start()
        try:
            yield broker
        finally:
            broker.stop()
    else:
        yield from _tansu_on_s3()


def _tansu_on_s3() -> Iterator[Broker]:
    """A Tansu broker storing its log in an S3 bucket on a loopback moto server."""
    import boto3
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per S3 request otherwise
    port = free_port()
    object_store = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    object_store.start()
    credentials = {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test"}
    endpoint = f"http://127.0.0.1:{port}"
    boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    ).create_bucket(Bucket="tansu")
    environment = {
        **credentials,
        "AWS_ENDPOINT": endpoint,
        "AWS_ALLOW_HTTP": "true",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    broker = EmbeddedKafka.start(storage_engine="s3://tansu/", environment=environment)
    try:
        yield broker
    finally:
        broker.stop()
        object_store.stop()


def _read_until_idle(settings: Settings, topic: str, idle_s: float = 3.0) -> list[bytes]:
    """Every value in ``topic``, read until nothing new arrives for ``idle_s``.

    Tansu's s3 engine answers ListOffsets with a stale latest offset (1 after ten single-record
    batches), so reading "to the end offsets" stops short on it; fetching does return all.
    """
    consumer = KafkaConsumer(
        bootstrap_servers=servers(settings), enable_auto_commit=False, consumer_timeout_ms=200
    )
    try:
        partitions = [TopicPartition(topic, p) for p in range(settings.partitions)]
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        values: list[bytes] = []
        idle_since = time.monotonic()
        while time.monotonic() - idle_since < idle_s:
            for batch in consumer.poll(timeout_ms=200).values():
                values.extend(record.value for record in batch)
                idle_since = time.monotonic()
        return values
    finally:
        consumer.close()


@pytest.mark.both_brokers
def test_broker_restart_mid_run_changes_nothing(settings_factory, undisturbed, durable_broker):
    settings = settings_factory(kafka_url=durable_broker.url)
    outcome = _run_with_restart(
        settings, lambda: durable_broker.restart(down_for_s=2.0), _read_until_idle
    )
    assert outcome == undisturbed
