"""The Faust app: topics, one thin agent over both input topics, and a timer."""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path
from typing import Any, cast

import faust
from faust import Stream, Worker
from faust.types import StreamT
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from streams.engine_config import engine_config
from streams.pipeline.engine import Engine
from streams.settings import Settings
from streams.storage.alert_days import RedisAlertDays
from streams.storage.connection import connect
from streams.storage.customers import RedisCustomerStore
from streams.storage.model_store import RedisModelStore
from streams.topics import TopicNames
from streams.worker.consumer import FaustConsumer
from streams.worker.credentials import faust_credentials
from streams.worker.gc_tuning import tune_gc
from streams.worker.metrics import REGISTRY, MetricsObserver
from streams.worker.monitor import QuietMonitor
from streams.worker.producer import batching_producer
from streams.worker.publishing import publish
from streams.worker.runtime import FOLLOW_SECONDS, WorkerRuntime
from streams.worker.transport import fetch_wait_in_force, use_bounded_fetch_wait

log = logging.getLogger(__name__)


def create_app(settings: Settings) -> faust.App:
    """Build the worker's Faust app for ``settings``; `churnwatch worker` runs it."""
    if not settings.kafka_url:
        raise RuntimeError(
            "CHURNWATCH_KAFKA_URL is not set: point it at a Kafka broker, or run "
            "`churnwatch services` to start embedded ones"
        )
    app = faust.App(
        settings.app_id,
        broker=settings.kafka_url,
        broker_credentials=faust_credentials(settings),
        store="memory://",
        datadir=str(Path(tempfile.gettempdir()) / f"churnwatch-{settings.app_id}"),
        topic_partitions=settings.partitions,
        **group_options(settings),
        producer_acks=-1,
        consumer_max_fetch_size=settings.fetch_max_bytes,
        # Held events are acked in event-time order, not per partition, so a rebalance must
        # not wait for them to be acked: the engine forgets them instead (on_partitions_revoked).
        stream_wait_empty=False,
        web_enabled=True,
        web_port=settings.metrics_port,
        web_bind=settings.metrics_host,
        web_host=settings.metrics_host,
    )
    use_bounded_fetch_wait(app, settings.fetch_max_wait_ms)
    names = TopicNames.from_settings(settings)
    consumer = FaustConsumer(app, names.inputs)
    runtime = WorkerRuntime(consumer, lambda: _redis_engine(app, settings, consumer))
    inputs = app.topic(
        *names.inputs,
        key_type=bytes,
        value_type=bytes,
        value_serializer="raw",
        key_serializer="raw",
        partitions=settings.partitions,
    )

    @app.agent(inputs, name="churnwatch.process")
    async def process(stream: StreamT) -> None:
        async for batch in cast(Stream, stream).take_events(
            settings.batch_max_events, within=settings.batch_max_wait_ms / 1000
        ):
            await runtime.intake(batch)

    @app.timer(interval=settings.batch_max_wait_ms / 1000)
    async def release_held_events() -> None:
        await runtime.tick()

    @app.timer(interval=FOLLOW_SECONDS)
    async def follow_when_caught_up() -> None:
        await runtime.follow()

    _follow_rebalances(app, runtime)
    _serve_pages(app, runtime)
    return app


def _follow_rebalances(app: faust.App, runtime: WorkerRuntime) -> None:
    """The runtime forgets revoked partitions' held events and takes up assigned ones."""

    @app.on_partitions_revoked.connect
    async def forget_revoked(sender: Any, /, *args: Any, signal: Any, **_: Any) -> None:
        (revoked,) = args
        await runtime.on_partitions_revoked(revoked)

    @app.on_partitions_assigned.connect
    async def take_assignment(sender: Any, /, *_: Any, signal: Any, **__: Any) -> None:
        await runtime.on_partitions_assigned()


def _serve_pages(app: faust.App, runtime: WorkerRuntime) -> None:
    """``/health`` and ``/metrics`` on the worker's web port."""

    @app.page("/health")
    async def health(web: Any, request: Any) -> Any:
        return web.json({**runtime.health(), "fetch_max_wait_ms": fetch_wait_in_force(app)})

    @app.page("/metrics")
    async def metrics(web: Any, request: Any) -> Any:
        # aiohttp adds the charset itself and refuses one inside content_type
        media_type = CONTENT_TYPE_LATEST.split("; charset")[0]
        return web.text(generate_latest(REGISTRY).decode(), content_type=media_type)


def group_options(settings: Settings) -> dict[str, Any]:
    """How a worker joins the consumer group (from the earliest offset, with these timeouts),
    and Faust's monitor without per-message bookkeeping (``streams.worker.monitor``)."""
    return {
        "Monitor": QuietMonitor,
        "consumer_auto_offset_reset": "earliest",
        "broker_session_timeout": settings.broker_session_timeout_s,
        "broker_rebalance_timeout": settings.broker_rebalance_timeout_s,
        "broker_heartbeat_interval": min(1.0, settings.broker_session_timeout_s / 3),
    }


def run_worker(app: faust.App, loglevel: str) -> None:
    """Run ``app`` until stopped (Ctrl-C or SIGTERM), as `churnwatch worker` does."""
    runner = Worker(app, loglevel=loglevel, quiet=True)
    # Faust's progress spinner sets the root logger to DEBUG so that every record spins it:
    # each produced message then builds a debug record (6% of the worker's CPU time, measured)
    runner.spinner = None
    tune_gc()
    runner.execute_from_commandline()


def _redis_engine(app: faust.App, settings: Settings, consumer: FaustConsumer) -> Engine:
    """The engine on Redis stores, publishing through the app's producer."""
    store = RedisCustomerStore(connect(settings), settings)
    capacity = settings.alert_daily_capacity
    return Engine(
        engine_config(settings),
        store,
        RedisModelStore(connect(settings), settings),
        lambda messages: publish(batching_producer(app), messages),
        alert_days=(
            None if capacity is None else RedisAlertDays(store.client, settings, capacity, store)
        ),
        acks=consumer,
        observer=MetricsObserver(),
    )
