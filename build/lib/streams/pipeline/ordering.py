"""Event-time ordering across input partitions, so replays of a backlog are processed in order.

A consumer catching up on two topics reads them at different speeds: complaints from day 10
can arrive after purchases from day 300. Like Kafka Streams' task idling, the merger holds
events until no partition that still has unread messages could deliver an earlier one.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Hashable, Iterable, Mapping
from typing import Generic, TypeVar

Item = TypeVar("Item")
Partition = TypeVar("Partition", bound=Hashable)


class EventTimeMerger(Generic[Partition, Item]):
    """Buffers items from several partitions and releases them in event-time order.

    Examples
    --------
    >>> merger = EventTimeMerger()
    >>> merger.push("purchases/0", offset=0, sort_key=(300.0,), item="p@300")
    >>> merger.push("complaints/0", offset=0, sort_key=(10.0,), item="c@10")
    >>> merger.release({"purchases/0": 1, "complaints/0": 5})  # complaints still lag
    ['c@10']
    >>> merger.push("complaints/0", offset=4, sort_key=(400.0,), item="c@400")
    >>> merger.release({"purchases/0": 1, "complaints/0": 5})  # all caught up
    ['p@300', 'c@400']
    """

    def __init__(self) -> None:
        self._heap: list[tuple[tuple[object, ...], int, Partition, int, Item]] = []
        self._held_offsets: dict[Partition, set[int]] = {}
        self._sequence = itertools.count()
        self._next_offset: dict[Partition, int] = {}
        self._latest_key: dict[Partition, tuple[object, ...]] = {}
        # partitions let through by mark_unseen_caught_up: for ordering only, never for offsets
        self._assumed_caught_up: set[Partition] = set()

    def __len__(self) -> int:
        return len(self._heap)

    def push(
        self, partition: Partition, offset: int, sort_key: tuple[object, ...], item: Item
    ) -> None:
        heapq.heappush(self._heap, (sort_key, next(self._sequence), partition, offset, item))
        self._held_offsets.setdefault(partition, set()).add(offset)
        self._next_offset[partition] = max(self._next_offset.get(partition, 0), offset + 1)
        latest = self._latest_key.get(partition)
        self._latest_key[partition] = sort_key if latest is None else max(latest, sort_key)

    def release(self, highwaters: Mapping[Partition, int | None]) -> list[Item]:
        """Pop every item no lagging partition could still precede.

        ``highwaters`` maps each assigned partition to the offset after its last message
        (None when not yet known). A partition lags while that is beyond what was pushed.
        """
        lagging = [
            p
            for p, high in highwaters.items()
            if (high is None or high > self._next_offset.get(p, 0))
            and not (p in self._assumed_caught_up and p not in self._next_offset)
        ]
        if not lagging:
            return self.release_all()
        if any(p not in self._latest_key for p in lagging):
            return []  # a lagging partition could still deliver anything
        watermark = min(self._latest_key[p] for p in lagging)
        released: list[Item] = []
        while self._heap and self._heap[0][0] <= watermark:
            released.append(self._pop())
        return released

    def release_all(self) -> list[Item]:
        """Everything held, in order; used when waiting longer would only stall the stream."""
        return [self._pop() for _ in range(len(self._heap))]

    def _pop(self) -> Item:
        _, _, partition, offset, item = heapq.heappop(self._heap)
        self._held_offsets[partition].discard(offset)
        return item

    def is_passed(self, partition: Partition) -> bool:
        """Whether ``partition`` was marked by :meth:`mark_unseen_caught_up` (and is not read)."""
        return partition in self._assumed_caught_up

    def completed_offset(self, partition: Partition) -> int:
        """The highest offset below which nothing of ``partition`` is still held (-1 if none).

        Release follows event time, not offsets, so this is what a restart may safely skip.

        >>> merger = EventTimeMerger()
        >>> merger.push("p", offset=0, sort_key=(9,), item="p0@9")
        >>> merger.push("p", offset=1, sort_key=(1,), item="p1@1")
        >>> merger.push("q", offset=0, sort_key=(5,), item="q0@5")
        >>> merger.release({"p": 2, "q": 3})  # q lags at time 5
        ['p1@1', 'q0@5']
        >>> merger.completed_offset("p")  # offset 0 is still held, so nothing is complete
        -1
        """
        held = self._held_offsets.get(partition)
        if held:
            return min(held) - 1
        return self._next_offset.get(partition, 0) - 1

    def next_offset(self, partition: Partition) -> int:
        """The offset after the last one read from ``partition`` (0 before any)."""
        return self._next_offset.get(partition, 0)

    def observe(self, partition: Partition, offset: int) -> None:
        """Note that ``offset`` was read from ``partition`` though nothing is held for it.

        Skipped and dead-lettered messages still tell how far a partition has been read.
        """
        self._next_offset[partition] = max(self._next_offset.get(partition, 0), offset + 1)

    def forget(self, partitions: Iterable[Partition]) -> int:
        """Drop everything held from ``partitions`` (revoked), and how far they were read.

        Nothing dropped was applied or acked: the partitions' next owner reads it again.
        Returns how many items were dropped.

        >>> merger = EventTimeMerger()
        >>> merger.push("a", offset=0, sort_key=(5,), item="a5")
        >>> merger.push("b", offset=0, sort_key=(3,), item="b3")
        >>> merger.forget(["b"]), merger.release({"a": 1})
        (1, ['a5'])
        """
        gone = set(partitions)
        kept = [entry for entry in self._heap if entry[2] not in gone]
        dropped = len(self._heap) - len(kept)
        heapq.heapify(kept)
        self._heap = kept
        for partition in gone:
            self._held_offsets.pop(partition, None)
            self._next_offset.pop(partition, None)
            self._latest_key.pop(partition, None)
        self._assumed_caught_up -= gone
        return dropped

    def mark_unseen_caught_up(self, highwaters: Mapping[Partition, int | None]) -> None:
        """Stop waiting for partitions that have not delivered anything yet.

        After a restart, a partition whose committed offset is already its end delivers
        nothing, and would otherwise hold every other partition forever. Partitions that
        have delivered keep their place: they will deliver the rest in order. This only
        affects ordering: nothing of a passed partition counts as read, so if it does deliver
        later (it was only slow), its messages are applied, late, and never skipped.

        >>> merger = EventTimeMerger()
        >>> merger.push("a", offset=0, sort_key=(5,), item="a5")
        >>> merger.mark_unseen_caught_up({"a": 1, "b": 900})
        >>> merger.release({"a": 1, "b": 900}), merger.completed_offset("b")
        (['a5'], -1)
        """
        self._assumed_caught_up |= {
            partition
            for partition, high in highwaters.items()
            if high is not None and partition not in self._next_offset
        }
