"""The one place that touches Faust's consumer and events.

Which partitions are this worker's, how far each has been written, where the consumer is,
which fetched events are of the current group generation, and holding and acknowledging
events: through Faust's and aiokafka's public API only (``consumer.assignment()``,
``highwater()``, ``position()``, ``app.consumer_generation_id``, ``Message.incref()``,
``Event.ack()``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from faust.types import TP, AppT, EventT

from streams.pipeline.partitions import Partition
from streams.pipeline.ports import Message

log = logging.getLogger(__name__)


class FaustConsumer:
    """The engine's view of the worker's consumer.

    Partitions given up in a rebalance still in progress are not this worker's: the consumer
    lists them as assigned until the group has agreed on the new assignment.
    """

    def __init__(self, app: AppT, input_topics: Iterable[str]) -> None:
        self.app = app
        self.input_topics = frozenset(input_topics)
        self.revoked: set[Partition] = set()
        # partitions sought back: to where, and the highest offset delivered since
        self.rewinding: dict[Partition, tuple[int, int]] = {}

    def revoke(self, partitions: set[Partition]) -> None:
        """A rebalance took these away: not ours until the new assignment, nothing to rewind."""
        self.revoked |= partitions
        for partition in partitions:  # its next owner starts from the committed offset
            self.rewinding.pop(partition, None)

    def reassigned(self) -> None:
        """The rebalance is over: the consumer's assignment is ours again."""
        self.revoked.clear()

    def assigned(self) -> list[Partition]:
        return [
            Partition(tp.topic, tp.partition)
            for tp in self.app.consumer.assignment()
            if tp.topic in self.input_topics
            and Partition(tp.topic, tp.partition) not in self.revoked
        ]

    def highwaters(self) -> dict[Partition, int | None]:
        """The offset after each assigned partition's last message (None until known)."""
        return {p: self.app.consumer.highwater(TP(*p)) for p in self.assigned()}

    async def position(self, partition: Partition) -> int | None:
        """The offset the consumer will fetch next from ``partition``."""
        position = await self.app.consumer.position(TP(*partition))
        return None if position is None else int(position)

    def current(self, batch: Sequence[EventT]) -> list[Message]:
        """``batch`` as messages, without events of partitions this worker may no longer own.

        Events fetched before a rebalance (an older generation), or of a partition revoked
        since (its new generation id is only known once partitions are assigned again), wait
        in the agent's batch while their partition is taken away; its owner reads them again
        from the last committed offset, so they are left unacked here. Applied anyway, they
        would also save progress for a partition another worker now owns.
        """
        generation = self.app.consumer_generation_id
        owned = set(self.assigned())
        messages = []
        for event in batch:
            message = event.message
            if message.generation_id in (None, generation) and (
                Partition(message.topic, message.partition) in owned
            ):
                messages.append(_message(event))
            else:
                # held for good: Faust acks every event of a batch the agent does not hold,
                # and an acked offset lets the commit pass it before anyone applied it
                self.hold(event)
        if len(messages) < len(batch):
            log.info(
                "%s events fetched before a rebalance left to their partitions' owner",
                len(batch) - len(messages),
            )
        return messages

    async def resume_where_applied(
        self, messages: list[Message], completed: Mapping[Partition, int]
    ) -> list[Message]:
        """``messages`` without those of partitions that resumed past what was applied.

        ``completed`` holds, for partitions whose first message this is since they were
        (re)assigned, the offset up to which everything is applied. After a rebalance Faust
        seeks each partition back to its committed offset, but skips that seek, with the
        warning "exception performing seek when flow not active", when a second rebalance
        overlaps it: the records it had fetched are then never delivered, and applying what
        follows would mark them done. Such a partition is sought back to the first offset not
        applied. Records fetched before that seek may still arrive (offsets going up); they are
        held back, each sought back again, until the offsets step back: the re-read. Held-back
        messages are never acknowledged, so the commit cannot pass them either. (A gap of
        control records is re-read too, and delivers nothing: the step back comes at once.)
        """
        kept, checked = [], set()
        for message in messages:
            partition, offset = message.partition, message.offset
            first = partition not in checked
            checked.add(partition)
            if partition in self.rewinding:
                expected, highest = self.rewinding[partition]
                if offset > highest:  # fetched before the seek
                    # seek again: Faust drops records below the last offset it delivered, so
                    # the re-read must start after the last of these
                    await self.app.consumer.seek(TP(*partition), expected)
                    self.rewinding[partition] = (expected, offset)
                    self.hold(message.handle)
                    continue
                del self.rewinding[partition]  # the re-read has begun
            elif first and partition in completed and offset > completed[partition] + 1:
                expected = completed[partition] + 1
                log.warning(
                    "%s resumed at offset %s, past %s, the first not applied: seeking back",
                    partition,
                    offset,
                    expected,
                )
                await self.app.consumer.seek(TP(*partition), expected)
                self.rewinding[partition] = (expected, offset)
                self.hold(message.handle)
                continue
            kept.append(message)
        return kept

    def hold(self, handle: Any) -> None:
        handle.message.incref()  # the offset stays uncommitted until the event is acked

    def ack(self, handle: Any) -> None:
        handle.ack()


def _message(event: EventT) -> Message:
    message = event.message
    value = message.value
    return Message(
        partition=Partition(message.topic, message.partition),
        offset=message.offset,
        key=message.key if isinstance(message.key, bytes) else None,
        value=bytes(value) if isinstance(value, bytes | bytearray) else None,
        handle=event,
    )
