"""The key layout a namespace was written in, checked before a worker writes to it.

Customer keys carry their input partition's hash tag (:mod:`streams.storage.keys`), so a
namespace written with one partition count cannot be read with another: a customer would be
looked for in the wrong partition, start afresh, and their history would be lost. The first
worker records the layout; every later one refuses to start on a different one, with a line
that says what to do.
"""

from __future__ import annotations

from typing import cast

from streams.errors import LayoutMismatch
from streams.settings import Settings
from streams.storage.connection import SyncClient, connect_sync
from streams.storage.keys import StateKeys

VERSION = 2  # 1: keys tagged by customer (``ns:c:{id}``), before Redis Cluster
# keys only the first layout wrote: their presence means the namespace is in it
FIRST_LAYOUT_KEYS = ("stats", "offsets", "models", "watermark")


def claim_layout(settings: Settings) -> None:
    """Record this namespace's layout, or check it is the one recorded; raises LayoutMismatch."""
    client = connect_sync(settings)
    try:
        check_layout(client, settings)
    finally:
        client.close()


def check_layout(client: SyncClient, settings: Settings) -> None:
    keys, namespace = StateKeys(settings.redis_namespace), settings.redis_namespace
    client.hsetnx(keys.layout, "version", VERSION)
    if client.hsetnx(keys.layout, "partitions", settings.partitions):
        old = [f"{namespace}:{name}" for name in FIRST_LAYOUT_KEYS]
        if any(client.exists(key) for key in old):  # one key at a time: one slot each
            client.delete(keys.layout)
            raise LayoutMismatch(
                f"Redis namespace {namespace!r} holds state written by an earlier churnwatch "
                "(keys tagged by customer, not by input partition). Replay the input topics "
                "into a new CHURNWATCH_REDIS_NAMESPACE."
            )
        return
    recorded = cast(list[bytes | None], client.hmget(keys.layout, ["version", "partitions"]))
    version, partitions = (int(v) if v is not None else None for v in recorded)
    if version != VERSION:
        raise LayoutMismatch(
            f"Redis namespace {namespace!r} is in key layout {version}; this churnwatch "
            f"writes layout {VERSION}. Replay the input topics into a new namespace."
        )
    if partitions != settings.partitions:
        raise LayoutMismatch(
            f"Redis namespace {namespace!r} was written with {partitions} input partitions, "
            f"and CHURNWATCH_PARTITIONS is {settings.partitions}. Every customer's keys carry "
            "their input partition, so a different count would lose their history: set "
            f"CHURNWATCH_PARTITIONS={partitions}, or repartition the topics and replay them "
            "into a new CHURNWATCH_REDIS_NAMESPACE."
        )
