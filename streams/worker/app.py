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

from streams.clients.security import faust_credentials
from streams.clients.topics import TopicNames
from streams.settings import Settings
from streams.storage.customers import CustomerStore, StateKeys, connect
from streams.storage.models import ModelStore
from streams.worker.engine import Engine, OutputTopics
from streams.worker.gc_tuning import tune_gc
from streams.worker.metrics import REGISTRY

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
    names = TopicNames.from_settings(settings)

    def raw_topic(name: str, **options: Any) -> faust.TopicT:
        return app.topic(
            name,
            key_type=bytes,
            value_type=bytes,
            value_serializer="raw",
            key_serializer="raw",
            partitions=settings.partitions,
            **options,
        )

    outputs = OutputTopics(
        alerts=raw_topic(names.alerts),
        risk=raw_topic(names.risk, compacting=True),
        dead_letters=raw_topic(names.dead_letters),
    )
    engine = Engine(
        app,
        settings,
        store_factory=lambda: CustomerStore(connect(settings), StateKeys(settings.redis_namespace)),
        model_store_factory=lambda: ModelStore(connect(settings), settings),
        outputs=outputs,
        input_topics=names.inputs,
    )
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
            await engine.intake(batch)

    @app.timer(interval=settings.batch_max_wait_ms / 1000)
    async def release_held_events() -> None:
        await engine.tick()

    @app.on_partitions_revoked.connect
    async def forget_revoked(sender: Any, /, *args: Any, signal: Any, **_: Any) -> None:
        (revoked,) = args
        await engine.on_partitions_revoked(revoked)

    @app.on_partitions_assigned.connect
    async def take_assignment(sender: Any, /, *_: Any, signal: Any, **__: Any) -> None:
        await engine.on_partitions_assigned()
        shorten_fetch_wait(app, settings.fetch_max_wait_ms)

    @app.page("/health")
    async def health(web: Any, request: Any) -> Any:
        return web.json({**engine.health(), "fetch_max_wait_ms": fetch_wait_ms(app)})

    @app.page("/metrics")
    async def metrics(web: Any, request: Any) -> Any:
        # aiohttp adds the charset itself and refuses one inside content_type
        media_type = CONTENT_TYPE_LATEST.split("; charset")[0]
        return web.text(generate_latest(REGISTRY).decode(), content_type=media_type)

    return app


def group_options(settings: Settings) -> dict[str, Any]:
    """How a worker joins the consumer group: from the earliest offset, with these timeouts."""
    return {
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


def shorten_fetch_wait(app: faust.App, wait_ms: int) -> None:
    """Bound how long a fetch may wait at the broker for new data.

    faust-streaming builds its consumer with ``fetch_max_wait_ms=1500`` and no setting for it.
    A broker that answers a waiting fetch only when the wait ends (Tansu does) then adds up to
    1.5 s to every event's latency: measured on the embedded Tansu, a plain consumer's p50 /
    p99 delivery latency is 383 / 744 ms at 1500 and 27 / 52 ms at 100. The fetcher reads the
    value for every request, so setting it once the consumer runs is enough.
    """
    fetcher = _fetcher(app)
    if fetcher is None:
        log.warning("could not bound the consumer's fetch wait: faust or aiokafka changed")
        return
    fetcher._fetch_max_wait_ms = wait_ms


def fetch_wait_ms(app: faust.App) -> int | None:
    """The consumer's fetch wait now in force, for /health."""
    fetcher = _fetcher(app)
    return None if fetcher is None else int(fetcher._fetch_max_wait_ms)


def _fetcher(app: faust.App) -> Any:
    consumer = getattr(getattr(app.consumer, "_thread", None), "_consumer", None)
    fetcher = getattr(consumer, "_fetcher", None)
    return fetcher if hasattr(fetcher, "_fetch_max_wait_ms") else None
