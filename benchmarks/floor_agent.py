"""The least a Faust worker can do: take the engine's batches and count them, nothing else.

Run by benchmarks.throughput as a worker process. It reads the same settings as
`churnwatch worker` (CHURNWATCH_*): the same topics, batch size and wait, fetch wait and
event loop, so what it measures is the cost of Faust and aiokafka per event on this
machine, a floor under the engine's own.
"""

from __future__ import annotations

from typing import cast

import faust
import mode.loop
from faust import Stream, Worker
from faust.types import StreamT

from streams.app import shorten_fetch_wait
from streams.gc_tuning import tune_gc
from streams.settings import Settings
from streams.store import StateKeys, connect
from streams.topics import TopicNames

settings = Settings()
mode.loop.use(settings.event_loop)
app = faust.App(
    settings.app_id,
    broker=settings.kafka_url,
    store="memory://",
    consumer_auto_offset_reset="earliest",
    broker_session_timeout=settings.broker_session_timeout_s,
    broker_rebalance_timeout=settings.broker_rebalance_timeout_s,
    broker_heartbeat_interval=min(1.0, settings.broker_session_timeout_s / 3),
    web_enabled=False,
)
inputs = app.topic(
    *TopicNames.from_settings(settings).inputs, value_serializer="raw", key_serializer="raw"
)
counter = StateKeys(settings.redis_namespace).stats
client = connect(settings)


@app.agent(inputs)
async def count(stream: StreamT) -> None:
    async for batch in cast(Stream, stream).take_events(
        settings.batch_max_events, within=settings.batch_max_wait_ms / 1000
    ):
        await client.hincrby(counter, "processed", len(batch))


@app.on_partitions_assigned.connect
async def shorten_waits(sender: object, /, *_: object, **__: object) -> None:
    shorten_fetch_wait(app, settings.fetch_max_wait_ms)


if __name__ == "__main__":
    runner = Worker(app, loglevel="warning", quiet=True)
    runner.spinner = None  # as `churnwatch worker` runs: the spinner costs CPU per message
    tune_gc()
    runner.execute_from_commandline()
