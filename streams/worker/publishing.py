"""Publishing a batch's outputs: send them all, then wait until the broker has taken each one.

Faust's ``Topic.send`` only logs a message the broker refused; here every send is awaited, so
a batch is never saved as done while one of its outputs is missing. The worker's producer
sends them as record batches (:class:`~streams.worker.producer.BatchingProducer`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any, Protocol

from streams.pipeline.ports import Outgoing

log = logging.getLogger(__name__)

FIRST_RETRY_SECONDS = 0.1
LONGEST_RETRY_SECONDS = 5.0


class Producer(Protocol):
    async def send_batches(self, messages: Sequence[Outgoing]) -> list[asyncio.Future[Any]]:
        """Queue ``messages`` in order; the futures resolve when the broker has them."""


async def publish(producer: Producer, messages: Sequence[Outgoing]) -> None:
    """Send ``messages`` in order and wait for every acknowledgement, retrying until all land.

    On any failure the whole batch is sent again, in order: consumers dedupe by id, and a
    compacted topic must end with each key's newest value, not with a retried older one.
    """
    delay = FIRST_RETRY_SECONDS
    while messages:
        failures = await _send_all(producer, messages)
        if not failures:
            return
        log.warning(
            "%s of %s outputs not acknowledged (first: %r); sending the batch again in %.1f s",
            len(failures),
            len(messages),
            failures[0],
            delay,
        )
        await asyncio.sleep(delay)
        delay = min(delay * 2, LONGEST_RETRY_SECONDS)


async def _send_all(producer: Producer, messages: Sequence[Outgoing]) -> list[BaseException]:
    try:
        futures = await producer.send_batches(messages)
    except Exception as exc:  # the producer refused outright, e.g. while reconnecting
        return [exc]
    outcomes = await asyncio.gather(*futures, return_exceptions=True)
    return [outcome for outcome in outcomes if isinstance(outcome, BaseException)]
