"""The stored forms of labelled examples, alert candidates and model snapshots (``codec``: states).

One place for each storage format: the Redis stores, the in-memory store and erasure all
read and write these through here.
"""

from __future__ import annotations

import pickle

import orjson

from alerts.capacity import Candidate
from models.features import FEATURE_NAMES
from models.labels import LabelledExample
from models.registry import ModelSnapshot


def encode_label(example: LabelledExample) -> bytes:
    """A labelled example as JSON, its features rounded to 4 decimals (learning reads these).

    >>> x = dict.fromkeys(FEATURE_NAMES, 0.123456)
    >>> decode_label(encode_label(LabelledExample("c1", 1.0, 2.0, True, x))).features == (
    ...     dict.fromkeys(FEATURE_NAMES, 0.1235))
    True
    """
    values = [round(example.features[name], 4) for name in FEATURE_NAMES]
    return orjson.dumps(
        [example.customer_id, example.taken_at, example.labelled_at, example.churned, values]
    )


def decode_label(raw: bytes) -> LabelledExample:
    customer_id, taken_at, labelled_at, churned, values = orjson.loads(raw)
    return LabelledExample(
        customer_id, taken_at, labelled_at, churned, dict(zip(FEATURE_NAMES, values, strict=True))
    )


def label_customer(raw: bytes) -> str:
    """The customer a stored label is about, without decoding the rest (for erasure)."""
    return str(orjson.loads(raw)[0])


def encode_candidate(candidate: Candidate, partition: int) -> bytes:
    """A candidate with its customer's input partition (where their state is kept)."""
    c = candidate
    return orjson.dumps(
        [
            partition,
            c.alert_id,
            c.customer_id,
            c.raised_at,
            c.silent_since,
            c.priority,
            c.value_at_risk,
            c.payload.decode(),
        ]
    )


def decode_candidate(raw: bytes) -> tuple[int, Candidate]:
    """The customer's input partition, and the candidate."""
    partition, alert_id, customer, raised_at, silent_since, priority, value, payload = orjson.loads(
        raw
    )
    return partition, Candidate(
        alert_id, customer, raised_at, silent_since, priority, value, payload.encode()
    )


def encode_snapshot(snapshot: ModelSnapshot) -> bytes:
    return pickle.dumps(snapshot)


def decode_snapshot(raw: bytes) -> ModelSnapshot:
    # our own snapshots from our own store: the same trust as the customer state beside them
    snapshot: ModelSnapshot = pickle.loads(raw)
    return snapshot
