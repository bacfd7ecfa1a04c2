"""The customer store's contract, the same on the memory store, a single Redis and a Redis
Cluster; and its progress records on a real Redis."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from models.state import CustomerState, apply_purchase
from streams.dev.redis_cluster import EmbeddedRedisCluster
from streams.pipeline.partitions import Partition
from streams.pipeline.ports import Changes, CustomerStore
from streams.settings import Settings
from streams.storage.connection import connect
from streams.storage.customers import RedisCustomerStore
from streams.storage.memory import MemoryStore

pytestmark = pytest.mark.integration


async def _resume_points(settings: Settings) -> dict[str, float | None]:
    client = connect(settings)
    store = RedisCustomerStore(client, settings)
    try:
        await store.save([Changes(p, checks_through=100.0) for p in (0, 1)])
        await store.save([Changes(2, checks_through=500.0)])  # a worker ahead
        await store.save([Changes(0, checks_through=50.0)])  # never backwards
        return {
            "furthest": await store.watermark(),
            "taking over 0 and 2": await store.resume_point([0, 2]),
            "keeping 2": await store.resume_point([2]),
            "a partition never saved": await store.resume_point([3]),
            "nothing": await store.resume_point([]),
        }
    finally:
        await client.aclose()


def test_a_worker_resumes_at_its_partitions_least_watermark_not_the_furthest(settings_factory):
    assert asyncio.run(_resume_points(settings_factory())) == {
        "furthest": 500.0,
        "taking over 0 and 2": 100.0,
        "keeping 2": 500.0,
        "a partition never saved": None,
        "nothing": None,
    }


def test_a_namespace_in_the_first_key_layout_is_refused_not_misread(settings_factory):
    from streams.storage.connection import connect_sync
    from streams.storage.layout import LayoutMismatch, claim_layout

    settings = settings_factory()
    client = connect_sync(settings)
    try:
        client.hset(f"{settings.redis_namespace}:stats", "processed", 7)  # as before cluster keys
        with pytest.raises(LayoutMismatch, match="earlier churnwatch"):
            claim_layout(settings)
        client.delete(f"{settings.redis_namespace}:stats")
        claim_layout(settings)  # an empty namespace takes the layout
        claim_layout(settings)  # and the same settings find it theirs
        with pytest.raises(LayoutMismatch, match="written with 4 input partitions"):
            claim_layout(settings.model_copy(update={"partitions": 8}))
    finally:
        client.close()


def _customer(customer_id: str, bought_at: float, next_check: float) -> CustomerState:
    state = CustomerState(customer_id)
    apply_purchase(state, bought_at, 12.5)
    state.risk, state.published_risk, state.next_check = 0.25, 0.2, next_check
    return state


async def _contract(store: CustomerStore) -> dict[str, Any]:
    """What a store answers after two checkpoints of two partitions."""
    first = [_customer("a", 10.0, 300.0), _customer("b", 20.0, 150.0)]
    await store.save(
        [
            Changes(0, first, checks_through=100.0, applied=90.0, offsets={Partition("p", 0): 7}),
            Changes(1, [_customer("c", 30.0, 120.0)], checks_through=80.0, applied=95.0),
        ]
    )
    moved = _customer("b", 20.0, 400.0)  # a later checkpoint moves b's check
    await store.save([Changes(0, [moved], checks_through=200.0, offsets={Partition("p", 0): 9})])
    loaded = await store.load({"a": 0, "b": 0, "c": 1, "new": 0})
    return {
        "states": {c: loaded[c] for c in sorted(loaded)},
        "due by 350": await store.due_checks([0, 1], 350.0, 10),
        "due, one per partition": await store.due_checks([0, 1], 1000.0, 1),
        "offsets": await store.completed_offsets([Partition("p", 0), Partition("p", 1)]),
        "watermark": await store.watermark(),
        "applied": await store.applied(),
        "resume 0 and 1": await store.resume_point([0, 1]),
    }


def _expected() -> dict[str, Any]:
    from streams.pipeline.processor import DueCheck

    return {
        "states": {
            "a": _customer("a", 10.0, 300.0),
            "b": _customer("b", 20.0, 400.0),
            "c": _customer("c", 30.0, 120.0),
            "new": CustomerState("new"),
        },
        # partition by partition, each in (due, customer) order: b's moved check is not due
        "due by 350": [(0, DueCheck("a", 300.0)), (1, DueCheck("c", 120.0))],
        "due, one per partition": [(0, DueCheck("a", 300.0)), (1, DueCheck("c", 120.0))],
        "offsets": {Partition("p", 0): 9},
        "watermark": 200.0,
        "applied": 95.0,
        "resume 0 and 1": 80.0,
    }


@contextmanager
def _memory(settings: Settings) -> Iterator[CustomerStore]:
    yield MemoryStore(settings)


@contextmanager
def _redis(settings: Settings) -> Iterator[CustomerStore]:
    yield RedisCustomerStore(connect(settings), settings)


@contextmanager
def _cluster(settings: Settings) -> Iterator[CustomerStore]:
    cluster = EmbeddedRedisCluster.start(3, settings.redis_namespace, settings.partitions)
    try:
        clustered = settings.model_copy(update={"redis_url": cluster.url, "redis_cluster": True})
        yield RedisCustomerStore(connect(clustered), clustered)
    finally:
        cluster.stop()


@pytest.mark.parametrize("backend", [_memory, _redis, _cluster], ids=["memory", "redis", "cluster"])
def test_every_store_keeps_the_same_contract(
    settings_factory, backend: Callable[[Settings], Any]
) -> None:
    with backend(settings_factory()) as store:
        assert asyncio.run(_contract(store)) == _expected()
