"""Publishing a batch's outputs: send them all, then wait until the broker has taken each one.

Faust's ``Topic.send`` only logs a message the broker refused; here every send is awaited, so
a batch is never saved as done while one of its outputs is missing.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from faust.types import ProducerT

from streams.pipeline.ports import Outgoing

log = logging.getLogger(__name__)

FIRST_RETRY_SECONDS = 0.1
LONGEST_RETRY_SECONDS = 5.0


async def publish(producer: ProducerT, messages: Sequence[Outgoing]) -> None:
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


async def _send_all(producer: ProducerT, messages: Sequence[Outgoing]) -> list[BaseException]:
    try:
        futures = [await producer.send(m.topic, m.key, m.value, None, None, None) for m in messages]
        await producer.flush()
    except Exception as exc:  # the producer refused outright, e.g. while reconnecting
        return [exc]
    outcomes = await asyncio.gather(*futures, return_exceptions=True)
    return [outcome for outcome in outcomes if isinstance(outcome, BaseException)]
