"""The daily alert capacity in Redis: candidates per event-time day, sealed once every input
partition has passed the day, the first N published and the rest deferred.

Selection (``alerts/capacity.py``) runs once per day, by whichever worker takes the day's lock
first, after all partitions' checks have run through the day: the same candidates, in the
same order, give the same alerts however the work was spread or cut.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any, cast

import redis.asyncio as aioredis

from alerts.capacity import Candidate, day_of, select
from alerts.events import ChurnAlert, as_utc
from models.features import DAY
from models.state import CustomerState
from streams.pipeline.ports import CustomerStore
from streams.settings import Settings
from streams.storage.keys import StateKeys
from streams.storage.records import decode_candidate, encode_candidate

SEAL_LOCK_SECONDS = 30


def bought_after(state: CustomerState, start: float, end: float) -> float | None:
    """The first purchase in (start, end] that the state remembers."""
    return next((p.at for p in state.recent_purchases if start < p.at <= end), None)


class RedisAlertDays:
    """Seals event-time days: selects each day's alerts within the capacity."""

    def __init__(
        self, client: aioredis.Redis, settings: Settings, capacity: int, store: CustomerStore
    ) -> None:
        self.client = client
        self.keys = StateKeys(settings.redis_namespace)
        self.store = store
        self.capacity = capacity
        self.horizon_days = settings.horizon_days
        self.partitions = settings.partitions
        self.token = uuid.uuid4().bytes

    async def sealable_through(self) -> int | None:
        """The last day every input partition has run its checks through, if all have saved."""
        if await self.client.zcard(self.keys.partition_watermarks) < self.partitions:
            return None
        lowest = cast(
            list[tuple[bytes, float]],
            await self.client.zrange(self.keys.partition_watermarks, 0, 0, withscores=True),
        )
        return day_of(float(lowest[0][1]) + 1) - 1

    async def seal(self, publish: Callable[[list[bytes]], Awaitable[None]]) -> int:
        """Select every day that can be sealed now, publishing each day's alerts before the
        day is marked sealed (a crash in between publishes them again, with the same ids).
        Returns how many alerts were published."""
        through = await self.sealable_through()
        if through is None:
            return 0
        raw = cast(bytes | None, await self.client.get(self.keys.sealed_day))
        start = int(raw) + 1 if raw is not None else await self._first_day(through)
        if start > through:
            if raw is None:  # no candidate yet: remember how far, and never scan again
                await self.client.set(self.keys.sealed_day, through)
            return 0
        published = 0
        for day in range(start, through + 1):
            if not await self.client.set(
                self.keys.seal_lock(day), self.token, nx=True, ex=SEAL_LOCK_SECONDS
            ):
                break  # another worker is sealing it
            published += await self._seal_day(day, publish)
        return published

    async def _first_day(self, through: int) -> int:
        pattern = f"{self.keys.alert_candidates(0)[:-1]}*"
        days = [int(k.decode().rsplit(":", 1)[1]) async for k in self.client.scan_iter(pattern)]
        return min(days, default=through + 1)

    async def _seal_day(self, day: int, publish: Callable[[list[bytes]], Awaitable[None]]) -> int:
        todays = await self.client.hvals(self.keys.alert_candidates(day))
        waiting = await self.client.hvals(self.keys.deferred_alerts)
        candidates = [decode_candidate(cast(bytes, r)) for r in [*todays, *waiting]]
        states = await self.store.load(c.customer_id for c in candidates)
        day_end = (day + 1) * DAY
        ended = {
            c.customer_id: at
            for c in candidates
            if (at := bought_after(states[c.customer_id], c.raised_at, day_end)) is not None
        }
        chosen, defer = select(day, candidates, self.capacity, self.horizon_days, ended)
        await publish([self._as_of_day(c, day) for c in chosen])
        async with self.client.pipeline(transaction=True) as pipe:
            pipe.delete(self.keys.alert_candidates(day), self.keys.deferred_alerts)
            if defer:
                pipe.hset(
                    self.keys.deferred_alerts,
                    mapping={c.alert_id: encode_candidate(c) for c in defer},
                )
            pipe.set(self.keys.sealed_day, day)
            await pipe.execute()
        return len(chosen)

    @staticmethod
    def _as_of_day(candidate: Candidate, day: int) -> bytes:
        """A candidate deferred from an earlier day is published as of the day it is chosen."""
        if day_of(candidate.raised_at) == day:
            return candidate.payload
        alert = ChurnAlert.model_validate_json(candidate.payload)
        return alert.model_copy(update={"timestamp": as_utc(day * DAY)}).model_dump_json().encode()


def waiting(client: Any, keys: StateKeys) -> list[tuple[str, Candidate]]:
    """Candidates not published: deferred by the capacity, or pending their day's end; each
    with its standing, in the order they would be chosen (for the CLI)."""
    found = [("deferred", decode_candidate(r)) for r in client.hvals(keys.deferred_alerts)]
    for key in client.scan_iter(f"{keys.alert_candidates(0)[:-1]}*"):
        found += [("pending", decode_candidate(r)) for r in client.hvals(key)]
    return sorted(found, key=lambda item: item[1].rank)
