"""The engine's per-batch work without Kafka: where each event's CPU goes, stage by stage.

    python -m benchmarks.hot_path [--events N] [--batch B] [--repeat R] [--json]

Replays the throughput benchmark's population in batches the way a worker does (decode, load
the batch's customers and due checks from Redis, process, serialise the outputs, save), with
a warm River model, and prints the median over ``R`` replays of each stage's CPU time per
event. Without a broker and Faust in the way, this is a steadier yardstick than events/s on a
shared machine; `benchmarks.throughput` measures the whole worker.
"""

from __future__ import annotations

import asyncio
import hashlib
import statistics
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from benchmarks.cli import parser_of
from benchmarks.throughput import population, print_report
from models.snapshot import ModelSnapshot
from streams.dev.embedded import EmbeddedRedis
from streams.engine_config import engine_config
from streams.pipeline.apply import order_key
from streams.pipeline.events import InputEvent, Rejection, decode_event
from streams.pipeline.ports import Changes
from streams.pipeline.processor import Work, process_batch
from streams.settings import Settings
from streams.storage.codec import encode_state
from streams.storage.connection import connect
from streams.storage.customers import RedisCustomerStore
from streams.worker.gc_tuning import tune_gc

STAGES = ("decode", "load", "process", "serialise", "save")
PARTITION = 0


class StageClock:
    """CPU seconds of this process spent in each stage."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = dict.fromkeys(STAGES, 0.0)

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        started = time.process_time()
        try:
            yield
        finally:
            self.seconds[name] += time.process_time() - started


async def replay(lines: list[bytes], batch: int, redis_url: str) -> tuple[StageClock, int, str]:
    """One replay of ``lines`` into a fresh namespace: the clock, the outputs produced, and a
    digest of every output and saved state (a faster engine must give the same digest)."""
    settings = Settings()
    config = engine_config(settings).assessment
    scorer = ModelSnapshot(period=0, min_labels=0).scorer()  # warm: every score goes to River
    settings = settings.model_copy(
        update={"redis_url": redis_url, "redis_namespace": f"hot:{uuid.uuid4().hex[:6]}"}
    )
    client = connect(settings)
    store = RedisCustomerStore(client, settings)
    clock, outputs, watermark = StageClock(), 0, 0.0
    digest = hashlib.sha256()
    for start in range(0, len(lines), batch):
        with clock.stage("decode"):
            decoded = [
                decode_event(line, settings.max_message_bytes)
                for line in lines[start : start + batch]
            ]
            events: list[InputEvent] = sorted(
                (e for e in decoded if not isinstance(e, Rejection)), key=order_key
            )
        watermark = max(watermark, order_key(events[-1])[0])
        with clock.stage("load"):
            due = await store.due_checks([PARTITION], watermark, settings.max_due_checks_per_batch)
            work: list[Work] = [*events, *(check for _, check in due)]
            states = await store.load(dict.fromkeys((item.customer_id for item in work), PARTITION))
        with clock.stage("process"):
            result = process_batch(states, work, scorer, config, watermark)
        with clock.stage("serialise"):
            messages = [
                e.model_dump_json().encode() for e in (*result.risk_updates, *result.alerts)
            ]
        with clock.stage("save"):
            saved = list(result.states.values())
            await store.save([Changes(PARTITION, saved, result.counts, checks_through=watermark)])
        outputs += len(messages)
        digest.update(b"".join(messages))
        digest.update(b"".join(encode_state(state) for state in saved))
    await client.aclose()
    return clock, outputs, digest.hexdigest()


def run(total: int, batch: int, repeat: int) -> dict[str, Any]:
    lines = population(total, total // 5)
    tune_gc()  # the worker's collector settings: its defaults inflate what is timed by a fifth
    redis = EmbeddedRedis.start()
    try:
        replays = [asyncio.run(replay(lines, batch, redis.url)) for _ in range(repeat)]
    finally:
        redis.stop()
    per_event = {
        name: round(statistics.median(c.seconds[name] for c, _, _ in replays) / len(lines) * 1e6, 1)
        for name in STAGES
    }
    return {
        "events": len(lines),
        "batch": batch,
        "repeat": repeat,
        "outputs_per_event": round(replays[0][1] / len(lines), 2),
        "digest": replays[0][2][:16],  # of outputs and saved states: equal across replays
        **{f"{name}_us_per_event": value for name, value in per_event.items()},
        "total_us_per_event": round(sum(per_event.values()), 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = parser_of(__doc__)
    parser.add_argument("--events", type=int, default=50_000, help="events replayed")
    parser.add_argument("--batch", type=int, default=1000, help="events per batch")
    parser.add_argument("--repeat", type=int, default=3, help="replays; medians are printed")
    parser.add_argument("--json", action="store_true", help="one JSON object instead of a table")
    args = parser.parse_args(argv)
    print_report(run(args.events, args.batch, args.repeat), "churnwatch hot path", args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
