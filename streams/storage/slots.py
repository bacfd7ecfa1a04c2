"""Transactions that stay within one hash slot, on a single Redis or a Redis Cluster.

On a single Redis every slot's commands go in one MULTI/EXEC, as they always have. On a
cluster each slot's commands go in their own MULTI/EXEC, sent with a plain client to the
primary that owns the slot: redis-py's transactional cluster pipeline runs every queued
command through a thread of its own (hundreds of milliseconds for a checkpoint), where the
server enforces slot ownership anyway. A slot that moved (MOVED, ASK, TRYAGAIN during a
reshard, CLUSTERDOWN while a primary restarts) aborts the transaction whole; the slot map is
re-read through the cluster client and the transaction retried with backoff. Every write is
idempotent, so a retry is safe.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar, cast

import redis.asyncio as aioredis
from redis.asyncio.cluster import ClusterNode
from redis.asyncio.cluster import RedisCluster as AsyncRedisCluster
from redis.asyncio.retry import Retry as AsyncRetry
from redis.exceptions import (
    AskError,
    ClusterDownError,
    ClusterError,
    ExecAbortError,
    MovedError,
    SlotNotCoveredError,
    TryAgainError,
)
from redis.exceptions import ConnectionError as RedisConnectionError

from streams.settings import Settings
from streams.storage.connection import AsyncClient, client_options

log = logging.getLogger(__name__)

Commands = Callable[[Any], None]  # queues commands on a pipeline
T = TypeVar("T")
REDIRECTED = (
    MovedError,
    AskError,
    TryAgainError,
    ClusterDownError,
    ExecAbortError,
    SlotNotCoveredError,
)
ATTEMPTS = 40  # with the backoff below, about a minute: longer than a failover takes
BACKOFF_CAP_S = 2.0


class SlotTransactions:
    """Runs groups of commands, each group's keys in one slot, each group atomically."""

    def __init__(self, client: AsyncClient, settings: Settings) -> None:
        self.client = client
        self.options = client_options(settings, AsyncRetry)
        self.primaries: dict[str, aioredis.Redis] = {}

    async def run(self, groups: Mapping[str, Commands]) -> None:
        """``groups``: a key of the slot -> what to queue there. All of it, or after a crash
        any subset of whole groups (a single Redis: all or none)."""
        if not groups:
            return
        if not isinstance(self.client, AsyncRedisCluster):
            async with self.client.pipeline(transaction=True) as pipe:
                for queue in groups.values():
                    queue(pipe)
                await pipe.execute()
            return
        await self.client.initialize()  # once: reads the slot map
        await asyncio.gather(*(self._in_slot(self.client, k, q) for k, q in groups.items()))

    async def _in_slot(self, cluster: AsyncRedisCluster, key: str, queue: Commands) -> None:
        async def transaction() -> None:
            node = cluster.get_node_from_key(key)
            if node is None:
                raise ClusterDownError(f"no primary owns the slot of {key}")
            async with self._primary(node).pipeline(transaction=True) as pipe:
                queue(pipe)
                await pipe.execute()

        await retrying(transaction, cluster, key)

    def _primary(self, node: ClusterNode) -> aioredis.Redis:
        name = f"{node.host}:{node.port}"
        if name not in self.primaries:
            self.primaries[name] = aioredis.Redis(
                host=node.host, port=int(node.port), **self.options
            )
        return self.primaries[name]

    async def aclose(self) -> None:
        for client in self.primaries.values():
            await client.aclose()
        self.primaries.clear()


async def retrying(call: Callable[[], Awaitable[T]], cluster: AsyncRedisCluster, key: str) -> T:
    """``call()``, again after each redirection or outage of ``key``'s slot, with backoff.

    Multi-key commands on a slot half way through a migration get TRYAGAIN until it ends
    (redis-py gives up on them after a few tries: "TTL exhausted"); a transaction that meets
    a moved key aborts whole.
    """
    for attempt in range(ATTEMPTS):
        try:
            return await call()
        except (*REDIRECTED, ClusterError, RedisConnectionError) as error:
            if attempt + 1 == ATTEMPTS:
                raise
            if attempt % 10 == 0:
                log.warning("the slot of %s is moving or down (%s); retrying", key, error)
            await asyncio.sleep(min(BACKOFF_CAP_S, 0.05 * 2**attempt))
            try:  # a routed read follows the redirection and updates the client's slot map
                await cluster.exists(key)
            except (*REDIRECTED, ClusterError, RedisConnectionError):
                pass  # still moving or restarting: the next attempt asks again
    raise AssertionError("unreachable")


async def amget(client: AsyncClient, keys: list[str]) -> list[Any]:
    """The values of ``keys``, in order; on a cluster one MGET per slot, sent together."""
    if not keys:
        return []
    if not isinstance(client, AsyncRedisCluster):
        return cast(list[Any], await client.mget(keys))
    cluster = client
    return await retrying(lambda: cluster.mget_nonatomic(keys), cluster, keys[0])
