"""Redis clients for the configured server: asyncio for the worker, synchronous for the CLI.

With ``CHURNWATCH_REDIS_CLUSTER`` the clients are redis-py's cluster clients, which route each
command by its key's slot and follow MOVED and ASK redirections; :mod:`streams.storage.slots`
runs the transactions and multi-key reads that must stay within one slot.
"""

from __future__ import annotations

from typing import Any

import redis as syncredis
import redis.asyncio as aioredis
from redis.asyncio.cluster import RedisCluster as AsyncRedisCluster
from redis.asyncio.retry import Retry as AsyncRetry
from redis.backoff import ExponentialBackoff
from redis.cluster import RedisCluster
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from redis.retry import Retry

from streams.settings import Settings

AsyncClient = aioredis.Redis | AsyncRedisCluster
SyncClient = syncredis.Redis | RedisCluster


def redis_client_options(settings: Settings) -> dict[str, Any]:
    """Keyword arguments for redis-py: ACL user, password, and the CA for ``rediss://`` URLs."""
    password = settings.redis_password
    options: dict[str, Any] = {"password": password.get_secret_value() if password else None}
    if settings.redis_username:
        options["username"] = settings.redis_username
    if settings.redis_ca_file:
        options["ssl_ca_certs"] = settings.redis_ca_file
    return options


def client_options(settings: Settings, retry: type[Retry] | type[AsyncRetry]) -> dict[str, Any]:
    # A restarting Redis is waited for with exponential backoff (about 30 s in all) rather
    # than crashing the agent; every write is idempotent, so a retried MULTI is safe.
    return {
        **redis_client_options(settings),
        "retry": retry(ExponentialBackoff(cap=2.0, base=0.05), retries=20),
        "retry_on_error": [RedisConnectionError, RedisTimeoutError],
    }


def connect(settings: Settings) -> AsyncClient:
    """An asyncio client for the configured server or cluster (hiredis parses when installed)."""
    url, options = _require_url(settings), client_options(settings, AsyncRetry)
    if settings.redis_cluster:
        return AsyncRedisCluster.from_url(url, **options)
    return aioredis.from_url(url, **options)


def connect_sync(settings: Settings) -> SyncClient:
    url, options = _require_url(settings), client_options(settings, Retry)
    if settings.redis_cluster:
        return RedisCluster.from_url(url, **options)
    return syncredis.from_url(url, **options)


def mget(client: SyncClient, keys: list[str] | list[bytes]) -> list[Any]:
    """The values of ``keys``, in order; on a cluster one MGET per slot."""
    if isinstance(client, RedisCluster):
        return client.mget_nonatomic(keys)
    return client.mget(keys)


def _require_url(settings: Settings) -> str:
    if not settings.redis_url:
        raise RuntimeError(
            "CHURNWATCH_REDIS_URL is not set: point it at a Redis server, or run "
            "`churnwatch services` to start embedded ones"
        )
    return settings.redis_url
