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
from faust import Stream
from faust.types import StreamT

from streams.settings import Settings
from streams.storage.connection import connect
from streams.storage.keys import StateKeys
from streams.topics import TopicNames
from streams.worker.app import group_options, run_worker
from streams.worker.transport import use_bounded_fetch_wait

settings = Settings()
mode.loop.use(settings.event_loop)
app = faust.App(
    settings.app_id,
    broker=settings.kafka_url,
    store="memory://",
    **group_options(settings),
    web_enabled=False,
)
use_bounded_fetch_wait(app, settings.fetch_max_wait_ms)
inputs = app.topic(
    *TopicNames.from_settings(settings).inputs, value_serializer="raw", key_serializer="raw"
)
counter = StateKeys(settings.redis_namespace).stats(0)  # engine_stats adds up partitions
client = connect(settings)


@app.agent(inputs)
async def count(stream: StreamT) -> None:
    async for batch in cast(Stream, stream).take_events(
        settings.batch_max_events, within=settings.batch_max_wait_ms / 1000
    ):
        await client.hincrby(counter, "processed", len(batch))


if __name__ == "__main__":
    run_worker(app, "warning")
