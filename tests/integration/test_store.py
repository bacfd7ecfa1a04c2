"""The customer store's progress records, on a real Redis."""

from __future__ import annotations

import asyncio

import pytest

from streams.pipeline.ports import Changes
from streams.settings import Settings
from streams.storage.connection import connect
from streams.storage.customers import RedisCustomerStore

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
