"""A message read from an input topic: an event, or a dead letter that says why not."""

from __future__ import annotations

import logging

from streams.pipeline.apply import event_time
from streams.pipeline.config import EngineConfig
from streams.pipeline.dead_letters import dead_letter
from streams.pipeline.events import InputEvent, Rejection, decode_event
from streams.pipeline.ports import Message, Outgoing

log = logging.getLogger(__name__)

EARLIEST_EVENT_TIME = 0.0  # 1970


def decode(message: Message, config: EngineConfig) -> InputEvent | Rejection:
    """The event in ``message``, or why it is not one.

    >>> from alerts.assessment import AssessmentConfig
    >>> from alerts.policy import AlertPolicy
    >>> from alerts.tiers import TierThresholds
    >>> from streams.pipeline.partitions import Partition
    >>> from streams.topics import TopicNames
    >>> assessment = AssessmentConfig(TierThresholds(), AlertPolicy(90), 90, clv_years=2)
    >>> config = EngineConfig(assessment, TopicNames(*"pcardm"), clock=lambda: 1.7e9)
    >>> decode(Message(Partition("purchases", 0), 7, None, b"{oops"), config).code
    'malformed_json'
    >>> future = b'{"type":"purchase","event_id":"e","customer_id":"c","amount":1,' \\
    ...     b'"timestamp":"2030-01-01T00:00:00Z"}'
    >>> decode(Message(Partition("purchases", 0), 8, None, future), config).code
    'timestamp_out_of_range'
    """
    if message.value is None:
        return Rejection("malformed_json", "message has no value")
    decoded = decode_event(message.value, config.max_message_bytes)
    if isinstance(decoded, Rejection):
        return decoded
    at = event_time(decoded)
    # a plausibility bound on input, not business logic: event time drives everything else
    latest_plausible = config.clock() + config.max_future_skew_s
    if not EARLIEST_EVENT_TIME <= at <= latest_plausible:
        return Rejection(
            "timestamp_out_of_range",
            f"{decoded.timestamp.isoformat()} is before 1970 or more than "
            f"{config.max_future_skew_s / 3600:g} h in the future",
        )
    return decoded


def letter_of(message: Message, rejection: Rejection, topic: str) -> Outgoing:
    """The dead letter of ``message`` for ``topic``: its original bytes, and why."""
    source, partition = message.partition
    letter = dead_letter(message.value or b"", rejection, source, partition, message.offset)
    log.info(
        "dead letter %s from %s@%s: %s",
        rejection.code,
        message.partition,
        message.offset,
        rejection.detail,
    )
    return Outgoing(topic, message.key, letter.model_dump_json().encode())
