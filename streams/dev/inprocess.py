"""The in-process driver: the engine on in-memory stores, with no broker, Redis or worker.

It runs the very engine the worker runs (``streams.pipeline.engine``), on
:class:`~streams.storage.memory.MemoryStore`, fed the way the broker would feed it: each line
routed to the topic its ``type`` names, in event-time order, and to the partition Kafka's
default partitioner would give its key, with offsets counting from 0. Its scores and alert
ids are therefore byte-identical to a broker run of the same file; that equality, tested on
every commit, is what makes it a test driver and not a second implementation.

Two things differ, and neither reaches scores or alerts: a line with no customer id (so no
key) goes to partition 0, where a producer picks one at random, so its dead letter names
another partition; and a daily alert capacity is not supported (it needs Redis).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson
from kafka.partitioner.default import murmur2

from models.snapshot import ModelSnapshot
from models.state import CustomerState
from streams.clients.kafka_io import InputLine, route_lines
from streams.engine_config import engine_config
from streams.pipeline.engine import Engine
from streams.pipeline.partitions import Partition
from streams.pipeline.ports import Message, Outgoing
from streams.pipeline.scoring import score_states, scores_csv
from streams.settings import Settings
from streams.storage.memory import MemoryStore
from streams.topics import TopicNames

# Messages handed to the engine at a time: a consumer's fetch, roughly. Any size gives the
# same results; this one keeps memory flat on large files.
CHUNK = 5000


def partition_for(key: bytes | None, partitions: int) -> int:
    """The partition the producer's default partitioner gives ``key`` (murmur2, as in Java).

    >>> partition_for(b"C000001", 4), partition_for(None, 4)
    (1, 0)
    """
    if key is None:
        return 0  # the producer picks one at random
    return int((murmur2(key) & 0x7FFFFFFF) % partitions)  # as DefaultPartitioner.partition


def as_messages(lines: Sequence[InputLine], partitions: int) -> list[Message]:
    """``lines`` as the messages a consumer would read: partitioned and numbered per partition."""
    offsets: dict[Partition, int] = {}
    messages = []
    for line in lines:
        partition = Partition(line.topic, partition_for(line.key, partitions))
        offset = offsets.get(partition, 0)
        offsets[partition] = offset + 1
        messages.append(Message(partition, offset, line.key, line.value))
    return messages


@dataclass
class Replay:
    """What the engine gave out for one input, as the topics and the store would hold it."""

    settings: Settings
    store: MemoryStore
    lines_in: int = 0  # non-blank input lines, as the broker run counts them
    published: dict[str, list[bytes]] = field(default_factory=dict)

    def _topic(self, name: str) -> list[dict[str, Any]]:
        return [orjson.loads(v) for v in self.published.get(name, [])]

    @property
    def topics(self) -> TopicNames:
        return TopicNames.from_settings(self.settings)

    @property
    def alerts(self) -> list[dict[str, Any]]:
        """``churn-alerts``: churn alerts and recoveries, in publishing order."""
        return self._topic(self.topics.alerts)

    @property
    def risk_updates(self) -> list[dict[str, Any]]:
        return self._topic(self.topics.risk)

    @property
    def dead_letters(self) -> list[dict[str, Any]]:
        return self._topic(self.topics.dead_letters)

    @property
    def model_events(self) -> list[dict[str, Any]]:
        return self._topic(self.topics.model_events)

    @property
    def states(self) -> list[CustomerState]:
        """Every customer's final state, by customer id."""
        return self.store.states()

    @property
    def stats(self) -> dict[str, int]:
        """The engine's counters, as the store saved them."""
        return dict(sorted(self.store.stats.items()))

    def snapshot_as_of(self, at: float) -> ModelSnapshot | None:
        return self.store.latest_at_most(self.store.periods.period_of(at))

    def scores_csv(self, as_of: float | None = None) -> str:
        """Scores as ``churnwatch scores`` writes them (default: as of the latest event)."""
        return scores_csv(self.scores(as_of)[1])

    def scores(self, as_of: float | None = None) -> tuple[float | None, list[Any]]:
        states = self.states
        if not states:
            return None, []
        cut = as_of if as_of is not None else max(s.last_seen or 0.0 for s in states)
        config = engine_config(self.settings)
        return cut, score_states(states, config, cut, self.snapshot_as_of(cut))


def replay_lines(
    lines: Iterable[bytes], settings: Settings | None = None, chunk: int = CHUNK
) -> Replay:
    """Run JSON lines (valid or not) through the engine in this process; see the module doc.

    ``chunk`` messages are handed to the engine at a time; any size gives the same results.
    """
    settings = settings or Settings()
    if settings.alert_daily_capacity is not None:
        raise RuntimeError(
            "the in-process driver does not support CHURNWATCH_ALERT_DAILY_CAPACITY: "
            "a daily capacity needs Redis (run `churnwatch demo` without --in-process)"
        )
    routed = route_lines(lines, TopicNames.from_settings(settings))
    replay = asyncio.run(_run(settings, as_messages(routed, settings.partitions), chunk))
    replay.lines_in = len(routed)
    return replay


def replay_events(
    events: Iterable[dict[str, Any]], settings: Settings | None = None, chunk: int = CHUNK
) -> Replay:
    """Run event dictionaries (as in the input topics' JSON) through the engine."""
    return replay_lines((orjson.dumps(e) for e in events), settings, chunk)


async def _run(settings: Settings, messages: list[Message], chunk: int) -> Replay:
    store = MemoryStore(settings)
    result = Replay(settings, store)

    async def publish(outgoing: Sequence[Outgoing]) -> None:
        for message in outgoing:
            result.published.setdefault(message.topic, []).append(message.value)

    engine = Engine(engine_config(settings), store, store, publish)
    engine.owned = frozenset(range(settings.partitions))
    ends: dict[Partition, int | None] = {}
    for message in messages:
        ends[message.partition] = message.offset + 1
    for start in range(0, len(messages), chunk):
        await engine.intake(messages[start : start + chunk], ends)
    await engine.settle()
    return result
