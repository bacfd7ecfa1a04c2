"""The daily alert capacity in Redis: candidates per event-time day, sealed once every input
partition has passed the day, the first N published and the rest deferred; the day's
recoveries then answer the alerts published before them (:mod:`alerts.recoveries`).

Selection (``alerts/capacity.py``) runs once per day, by whichever worker takes the day's lock
first, after all partitions' checks have run through the day: the same candidates, in the
same order, give the same alerts however the work was spread or cut.

Candidates and pending recoveries are saved with their partition's checkpoint, in its slot; a
day's selection is saved under the alerts' own tag (what stays deferred, the customers' latest
published alerts, and the day sealed) in one transaction, and only then are the day's
candidates and recoveries deleted: a crash in between leaves candidates of a sealed day, which
nothing reads again, and recoveries whose alerts are already marked answered, which answer
nothing again.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any, cast

from alerts.capacity import Candidate, day_of, select
from alerts.events import ChurnAlert, OutputEvent, as_utc
from alerts.recoveries import PendingRecovery, PublishedAlert, answer
from models.features import DAY
from models.state import CustomerState
from streams.pipeline.ports import CustomerStore
from streams.pipeline.processor import output_counters
from streams.settings import Settings
from streams.storage.connection import AsyncClient, SyncClient
from streams.storage.keys import StateKeys
from streams.storage.records import (
    decode_candidate,
    decode_pending,
    decode_published,
    encode_candidate,
    encode_published,
)
from streams.storage.slots import SlotTransactions

SEAL_LOCK_SECONDS = 30


def bought_after(state: CustomerState, start: float, end: float) -> float | None:
    """The first purchase in (start, end] that the state remembers."""
    return next((p.at for p in state.recent_purchases if start < p.at <= end), None)


class RedisAlertDays:
    """Seals event-time days: selects each day's alerts within the capacity."""

    def __init__(
        self, client: AsyncClient, settings: Settings, capacity: int, store: CustomerStore
    ) -> None:
        self.client = client
        self.keys = StateKeys(settings.redis_namespace)
        self.store = store
        self.capacity = capacity
        self.horizon_days = settings.horizon_days
        self.partitions = settings.partitions
        self.token = uuid.uuid4().bytes
        self.transactions = SlotTransactions(client, settings)

    async def sealable_through(self) -> int | None:
        """The last day every input partition has run its checks through, if all have saved."""
        async with self.client.pipeline(transaction=False) as pipe:
            for partition in range(self.partitions):
                pipe.zscore(self.keys.watermark(partition), "event_time")
            scores: list[Any] = await pipe.execute()
        if any(s is None for s in scores):
            return None
        return day_of(min(float(s) for s in scores) + 1) - 1

    async def seal(self, publish: Callable[[list[bytes]], Awaitable[None]]) -> Counter[str]:
        """Select every day that can be sealed now, publishing each day's alerts and
        recoveries before the day is marked sealed (a crash in between publishes them again,
        with the same ids). Returns the counters of what was published."""
        published: Counter[str] = Counter()
        through = await self.sealable_through()
        if through is None:
            return published
        raw = cast(bytes | None, await self.client.get(self.keys.sealed_day))
        start = int(raw) + 1 if raw is not None else await self._first_day(through)
        if start > through:
            if raw is None:  # no candidate yet: remember how far, and never scan again
                await self.client.set(self.keys.sealed_day, through)
            return published
        for day in range(start, through + 1):
            if not await self.client.set(
                self.keys.seal_lock(day), self.token, nx=True, ex=SEAL_LOCK_SECONDS
            ):
                break  # another worker is sealing it
            published += await self._seal_day(day, publish)
        return published

    async def _first_day(self, through: int) -> int:
        days = [
            int(k.decode().rsplit(":", 1)[1])
            for partition in range(self.partitions)
            async for k in self.client.scan_iter(self.keys.alert_candidates_pattern(partition))
        ]
        return min(days, default=through + 1)

    async def _seal_day(
        self, day: int, publish: Callable[[list[bytes]], Awaitable[None]]
    ) -> Counter[str]:
        todays = [self.keys.alert_candidates(p, day) for p in range(self.partitions)]
        async with self.client.pipeline(transaction=False) as pipe:
            for key in [*todays, self.keys.deferred_alerts]:
                pipe.hvals(key)
            rows: list[list[bytes]] = await pipe.execute()
        found = [decode_candidate(r) for row in rows for r in row]
        candidates = [candidate for _, candidate in found]
        partition_of = {candidate.customer_id: partition for partition, candidate in found}
        states = await self.store.load(partition_of)
        day_end = (day + 1) * DAY
        ended = {
            c.customer_id: at
            for c in candidates
            if (at := bought_after(states[c.customer_id], c.raised_at, day_end)) is not None
        }
        chosen, defer = select(day, candidates, self.capacity, self.horizon_days, ended)
        pending = await self._pending_recoveries(day_end)
        published = await self._published({r.customer_id for _, r in pending})
        recoveries, answered = answer((r for _, r in pending), published)
        alerts = [self._as_of_day(c, day) for c in chosen]
        await publish([*alerts, *(r.model_dump_json().encode() for r in recoveries)])
        events: list[OutputEvent] = [*map(ChurnAlert.model_validate_json, alerts), *recoveries]
        counts = Counter(name for event in events for name in output_counters(event))

        def sealed(pipe: Any) -> None:
            if answered:
                pipe.hdel(self.keys.published_alerts, *answered)
            if chosen:  # after the answered ones: a customer may buy, then be alerted again
                pipe.hset(
                    self.keys.published_alerts,
                    mapping={
                        c.customer_id: encode_published(
                            PublishedAlert(c.alert_id, _published_at(c, day))
                        )
                        for c in chosen
                    },
                )
            pipe.delete(self.keys.deferred_alerts)
            if defer:
                pipe.hset(
                    self.keys.deferred_alerts,
                    mapping={
                        c.alert_id: encode_candidate(c, partition_of[c.customer_id]) for c in defer
                    },
                )
            pipe.set(self.keys.sealed_day, day)

        await self.transactions.run({self.keys.sealed_day: sealed})
        await self.client.delete(*todays)  # a cluster client splits this by slot
        done: dict[int, list[str]] = {}
        for partition, recovery in pending:
            done.setdefault(partition, []).append(recovery.key)
        for partition, keys in done.items():
            await self.client.hdel(self.keys.pending_recoveries(partition), *keys)
        return counts

    async def _pending_recoveries(self, before: float) -> list[tuple[int, PendingRecovery]]:
        """Every partition's recoveries of purchases before ``before``, with their partition."""
        async with self.client.pipeline(transaction=False) as pipe:
            for partition in range(self.partitions):
                pipe.hgetall(self.keys.pending_recoveries(partition))
            rows: list[dict[bytes, bytes]] = await pipe.execute()
        found = [
            (partition, decode_pending(key, raw))
            for partition, row in enumerate(rows)
            for key, raw in row.items()
        ]
        return [(p, r) for p, r in found if r.at < before]

    async def _published(self, customers: set[str]) -> dict[str, PublishedAlert]:
        """These customers' latest published alerts that no purchase has answered."""
        wanted = sorted(customers)
        if not wanted:
            return {}
        raw = cast(list[bytes | None], await self.client.hmget(self.keys.published_alerts, wanted))
        return {c: decode_published(r) for c, r in zip(wanted, raw, strict=True) if r is not None}

    @staticmethod
    def _as_of_day(candidate: Candidate, day: int) -> bytes:
        """A candidate deferred from an earlier day is published as of the day it is chosen."""
        if day_of(candidate.raised_at) == day:
            return candidate.payload
        alert = ChurnAlert.model_validate_json(candidate.payload)
        stamp = as_utc(_published_at(candidate, day))
        return alert.model_copy(update={"timestamp": stamp}).model_dump_json().encode()


def _published_at(candidate: Candidate, day: int) -> float:
    """The event time an alert chosen on ``day`` is published as: raised then, or deferred to
    the day's start."""
    return candidate.raised_at if day_of(candidate.raised_at) == day else day * DAY


def waiting_recoveries(client: SyncClient, keys: StateKeys, partitions: int) -> int:
    """Purchases by alerted customers waiting for their day's seal (for the CLI)."""
    return sum(int(cast(int, client.hlen(keys.pending_recoveries(p)))) for p in range(partitions))


def waiting(client: SyncClient, keys: StateKeys, partitions: int) -> list[tuple[str, Candidate]]:
    """Candidates not published: deferred by the capacity, or pending their day's end; each
    with its standing, in the order they would be chosen (for the CLI)."""
    raw = cast(list[bytes], client.hvals(keys.deferred_alerts))
    found = [("deferred", decode_candidate(r)[1]) for r in raw]
    sealed = cast(bytes | None, client.get(keys.sealed_day))
    for partition in range(partitions):
        for key in client.scan_iter(match=keys.alert_candidates_pattern(partition)):
            if sealed is not None and int(key.decode().rsplit(":", 1)[1]) <= int(sealed):
                continue  # left behind by a crash after its day was sealed
            rows = cast(list[bytes], client.hvals(key))
            found += [("pending", decode_candidate(r)[1]) for r in rows]
    return sorted(found, key=lambda item: item[1].rank)
