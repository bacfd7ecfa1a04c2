"""The way most projects start: one Faust agent, per event one Redis read-modify-write and one
River prediction. Run by benchmarks.throughput as a worker process, for comparison only."""

from __future__ import annotations

import os
from typing import Any

import faust
import orjson
import redis.asyncio as aioredis
from river import linear_model

app = faust.App(
    os.environ["NAIVE_APP_ID"],
    broker=os.environ["NAIVE_KAFKA_URL"],
    store="memory://",
    consumer_auto_offset_reset="earliest",
    broker_session_timeout=6.0,
    broker_rebalance_timeout=3.0,
    broker_heartbeat_interval=1.0,
    web_enabled=False,
)
topics = app.topic(*os.environ["NAIVE_TOPICS"].split(","), value_serializer="raw")
model = linear_model.LogisticRegression()
client = aioredis.from_url(os.environ["NAIVE_REDIS_URL"])


@app.agent(topics)
async def score_each(stream: faust.StreamT) -> None:
    async for raw in stream:
        event = orjson.loads(raw)
        key = f"naive:{event['customer_id']}"
        stored = await client.get(key)
        state: dict[str, Any] = (
            orjson.loads(stored) if stored else {"n": 0, "spend": 0.0, "last": None}
        )
        state["n"] += 1
        state["spend"] += float(event.get("amount", 0.0))
        model.predict_proba_one({"n": state["n"], "spend": state["spend"]})
        await client.set(key, orjson.dumps(state))
        await client.hincrby(os.environ["NAIVE_STATS"], "processed", 1)


if __name__ == "__main__":
    app.main()
