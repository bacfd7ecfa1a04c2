"""How far the engine has got, for the runner, the tests and benchmarks (synchronous)."""

from __future__ import annotations

from collections import Counter
from typing import cast

from streams.settings import Settings
from streams.storage.connection import SyncClient
from streams.storage.keys import StateKeys


def engine_stats(client: SyncClient, settings: Settings) -> dict[str, int]:
    """The engine's counters, as saved with the work they count, summed over partitions."""
    keys = StateKeys(settings.redis_namespace)
    total: Counter[str] = Counter()
    for partition in range(settings.partitions):
        raw = cast(dict[bytes, bytes], client.hgetall(keys.stats(partition)))
        total.update({k.decode(): int(v) for k, v in raw.items()})
    return dict(total)


def events_done(stats: dict[str, int]) -> int:
    """Input messages the worker has taken care of: applied, duplicate or dead-lettered.

    Counters are saved in one transaction with the input offsets they complete, so a worker
    killed before saving repeats that work without counting it twice; messages re-read at or
    below a saved offset are counted as ``redelivered`` instead, and not here. A dead letter
    read behind an event of its partition still held for event-time order is counted with the
    first saved offset that covers it (``streams.pipeline.letters``).
    """
    return stats.get("processed", 0) + stats.get("dead_letters", 0)
