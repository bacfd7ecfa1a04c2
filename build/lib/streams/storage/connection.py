"""Redis clients for the configured server: asyncio for the worker, synchronous for the CLI."""

from __future__ import annotations

from typing import Any

import redis as syncredis
import redis.asyncio as aioredis
from redis.asyncio.retry import Retry as AsyncRetry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from redis.retry import Retry

from streams.clients.security import redis_client_options
from streams.settings import Settings


def _client_options(settings: Settings, retry: type[Retry] | type[AsyncRetry]) -> dict[str, Any]:
    # A restarting Redis is waited for with exponential backoff (about 30 s in all) rather
    # than crashing the agent; every write is idempotent, so a retried MULTI is safe.
    return {
        **redis_client_options(settings),
        "retry": retry(ExponentialBackoff(cap=2.0, base=0.05), retries=20),
        "retry_on_error": [RedisConnectionError, RedisTimeoutError],
    }


def connect(settings: Settings) -> aioredis.Redis:
    """An asyncio Redis client for the configured server (hiredis parses when installed)."""
    return aioredis.from_url(_require_url(settings), **_client_options(settings, AsyncRetry))


def connect_sync(settings: Settings) -> syncredis.Redis:
    return syncredis.from_url(_require_url(settings), **_client_options(settings, Retry))


def _require_url(settings: Settings) -> str:
    if not settings.redis_url:
        raise RuntimeError(
            "CHURNWATCH_REDIS_URL is not set: point it at a Redis server, or run "
            "`churnwatch services` to start embedded ones"
        )
    return settings.redis_url
