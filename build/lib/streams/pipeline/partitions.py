"""Input partitions: one type for a topic's partition, and the form it is stored under."""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple


class Partition(NamedTuple):
    """A partition of an input topic.

    Both input topics are keyed by customer id and have the same partition count, so
    ``partition`` also names a shard of customers: their schedules, watermarks and model
    progress are kept per partition number.

    >>> p = Partition("purchases", 3)
    >>> str(p), Partition.parse(str(p)) == p
    ('purchases:3', True)
    """

    topic: str
    partition: int

    def __str__(self) -> str:
        return f"{self.topic}:{self.partition}"

    @classmethod
    def parse(cls, text: str) -> Partition:
        topic, _, number = text.rpartition(":")
        return cls(topic, int(number))


def numbers(partitions: Iterable[Partition]) -> frozenset[int]:
    """The partition numbers (customer shards) of ``partitions``."""
    return frozenset(p.partition for p in partitions)
