"""A dead letter is counted once, even when a worker is killed while it waits behind a held
event of its partition and the message is read again."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import orjson

from streams.engine_config import engine_config
from streams.pipeline.engine import Engine
from streams.pipeline.partitions import Partition
from streams.pipeline.ports import Message, Outgoing
from streams.settings import Settings
from streams.storage.memory import MemoryStore

P0, P1 = Partition("purchases", 0), Partition("purchases", 1)


def _purchase(event_id: str, customer: str, at: str) -> bytes:
    return orjson.dumps(
        {"type": "purchase", "event_id": event_id, "customer_id": customer, "timestamp": at,
         "amount": 10.0}
    )  # fmt: skip


def _engine(store: MemoryStore, settings: Settings, letters: list[bytes]) -> Engine:
    async def publish(outgoing: Sequence[Outgoing]) -> None:
        letters.extend(m.value for m in outgoing if m.topic.endswith("dead-letters"))

    engine = Engine(engine_config(settings), store, store, publish)
    engine.owned = frozenset({0, 1})
    return engine


def test_a_dead_letter_behind_a_held_event_is_counted_once_across_a_kill():
    settings = Settings(partitions=2)
    store, letters = MemoryStore(settings), []
    held = Message(P0, 0, b"c1", _purchase("e1", "c1", "2024-01-02T00:00:00Z"))
    garbage = Message(P0, 1, b"c1", b"not json")
    later = Message(P1, 0, b"c2", _purchase("e2", "c2", "2024-01-03T00:00:00Z"))

    first = _engine(store, settings, letters)
    # partition 1 has a message not yet read: the event of partition 0 waits for it
    asyncio.run(first.intake([held, garbage], {P0: 2, P1: 1}))
    assert len(first.merger) == 1 and len(letters) == 1
    assert store.offsets.get(P0, -1) < garbage.offset  # nothing of partition 0 is complete

    # the worker is killed; its successor reads both partitions from what was saved
    second = _engine(store, settings, letters)
    asyncio.run(second.intake([held, garbage, later], {P0: 2, P1: 1}))
    asyncio.run(second.settle())

    assert store.offsets[P0] == garbage.offset and store.offsets[P1] == later.offset
    assert len(letters) == 2  # published again, with the same id, as documented
    assert orjson.loads(letters[0])["dead_letter_id"] == orjson.loads(letters[1])["dead_letter_id"]
    assert store.stats["dead_letters"] == 1
    assert store.stats["dead_letters:malformed_json"] == 1
    assert store.stats["processed"] == 2
