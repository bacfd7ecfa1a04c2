"""The worker's runtime: takes batches from the agent, orders them, and runs them through the engine.

Effects happen in a fixed order per released batch: publish outputs and flush the producer,
then save states and counters in one MULTI/EXEC, then ack the input offsets. A crash at any
point therefore repeats work (deduplicated by event id) and never loses it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from faust.types import AppT, EventT, TopicT
from pydantic import BaseModel

from models.scorer import ChurnScorer
from streams.apply import InputEvent, event_time, order_key
from streams.dead_letters import dead_letter
from streams.events import Rejection, decode_event
from streams.ordering import EventTimeMerger
from streams.processor import alert_config, process_batch
from streams.settings import Settings
from streams.store import CustomerStore

log = logging.getLogger(__name__)

EARLIEST_EVENT_TIME = 0.0  # 1970
LATEST_EVENT_TIME = 4102444800.0  # 2100: later than this is a broken clock, not a customer
# How long events may wait for a partition that never delivers before order gives way to progress.
MAX_HOLD_SECONDS = 2.0


@dataclass(frozen=True)
class Held:
    """A valid event waiting in the merger, with the Faust event to ack once it is applied."""

    event: InputEvent
    source: EventT


@dataclass(frozen=True)
class OutputTopics:
    alerts: TopicT
    risk: TopicT
    dead_letters: TopicT


class Engine:
    """Everything the agent delegates to: decode, order, process, publish, save, ack."""

    def __init__(
        self,
        app: AppT,
        settings: Settings,
        store_factory: Callable[[], CustomerStore],
        scorer: ChurnScorer,
        outputs: OutputTopics,
        input_topics: Iterable[str],
    ) -> None:
        self.app = app
        self.settings = settings
        self.store_factory = store_factory
        self.scorer = scorer
        self.outputs = outputs
        self.input_topics = frozenset(input_topics)
        self.config = alert_config(settings)
        self.merger: EventTimeMerger[Held] = EventTimeMerger()
        self.lock = asyncio.Lock()
        self.clock: float | None = None
        self.held_since: float | None = None
        self._store: CustomerStore | None = None

    @property
    def store(self) -> CustomerStore:
        if self._store is None:
            self._store = self.store_factory()
        return self._store

    async def intake(self, batch: Sequence[EventT]) -> None:
        """Decode a batch from the agent: valid events wait in the merger, the rest dead-letter."""
        async with self.lock:
            rejected: Counter[str] = Counter()
            for source in batch:
                outcome = self._decode(source)
                if isinstance(outcome, Rejection):
                    rejected[outcome.code] += 1
                    await self._send_dead_letter(source, outcome)
                    continue
                source.message.incref()  # keep the offset uncommitted until the event is applied
                self.merger.push(
                    (source.message.topic, source.message.partition),
                    source.message.offset,
                    order_key(outcome),
                    Held(outcome, source),
                )
            if self.held_since is None and len(self.merger):
                self.held_since = time.monotonic()
            await self._drain(self.merger.release(self._highwaters()), rejected)

    async def tick(self) -> None:
        """Called on a timer: release what is now safe, or everything if held too long."""
        async with self.lock:
            highwaters = self._highwaters()
            released = self.merger.release(highwaters)
            held_too_long = (
                self.held_since is not None
                and time.monotonic() - self.held_since > MAX_HOLD_SECONDS
            )
            if held_too_long and len(self.merger):
                self.merger.mark_caught_up(highwaters)
                released += self.merger.release_all()
            await self._drain(released, Counter())

    def _decode(self, source: EventT) -> InputEvent | Rejection:
        raw = source.message.value
        if not isinstance(raw, bytes | bytearray):
            return Rejection("malformed_json", "message has no value")
        decoded = decode_event(bytes(raw), self.settings.max_message_bytes)
        if isinstance(decoded, Rejection):
            return decoded
        at = event_time(decoded)
        if not EARLIEST_EVENT_TIME <= at <= LATEST_EVENT_TIME:
            return Rejection("timestamp_out_of_range", f"{decoded.timestamp} is before 1970 or after 2100")
        skew = self.settings.max_future_skew_hours * 3600
        if self.clock is not None and at > self.clock + skew:
            return Rejection(
                "future_timestamp",
                f"{decoded.timestamp} is more than {self.settings.max_future_skew_hours} h "
                "ahead of every other event seen",
            )
        self.clock = at if self.clock is None else max(self.clock, at)
        return decoded

    def _highwaters(self) -> dict[tuple[str, int], int | None]:
        consumer = self.app.consumer
        return {
            (tp.topic, tp.partition): consumer.highwater(tp)
            for tp in consumer.assignment()
            if tp.topic in self.input_topics
        }

    async def _drain(self, released: list[Held], rejected: Counter[str]) -> None:
        if not released and not rejected:
            return
        self.held_since = time.monotonic() if len(self.merger) else None
        events = [held.event for held in released]
        states = await self.store.load(event.customer_id for event in events)
        result = process_batch(states, events, self.scorer, self.config)
        for update in result.risk_updates:
            await self._send(self.outputs.risk, update.customer_id, update)
        for alert in result.alerts:
            await self._send(self.outputs.alerts, alert.customer_id, alert)
        await self.app.producer.flush()
        counts = result.counts + Counter({f"dead_letters:{c}": n for c, n in rejected.items()})
        counts["dead_letters"] = sum(rejected.values())
        await self.store.save(result.states.values(), counts)
        for held in released:
            held.source.ack()

    async def _send(self, topic: TopicT, key: str, event: BaseModel) -> None:
        await topic.send(key=key.encode(), value=event.model_dump_json().encode())

    async def _send_dead_letter(self, source: EventT, rejection: Rejection) -> None:
        message = source.message
        letter = dead_letter(
            bytes(message.value or b""), rejection, message.topic, message.partition, message.offset
        )
        log.info("dead letter %s from %s[%s]@%s: %s", rejection.code, message.topic,
                 message.partition, message.offset, rejection.detail)
        key: Any = message.key
        await self.outputs.dead_letters.send(key=key, value=letter.model_dump_json().encode())
