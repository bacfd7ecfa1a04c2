"""The stored forms of labelled examples, alert candidates, recoveries and model snapshots
(``codec``: states).

One place for each storage format: the Redis stores, the in-memory store and erasure all
read and write these through here.
"""

from __future__ import annotations

import io
import pickle
from typing import Any

import orjson

from alerts.capacity import Candidate
from alerts.recoveries import PendingRecovery, PublishedAlert
from models.features import FEATURE_NAMES
from models.labels import LabelledExample
from models.snapshot import ModelSnapshot


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


def encode_pending(recovery: PendingRecovery) -> bytes:
    """A pending recovery (its key is the hash field it is kept under).

    >>> decode_pending(b"r1", encode_pending(PendingRecovery("r1", "c1", 86400.0, 9.5)))
    PendingRecovery(key='r1', customer_id='c1', at=86400.0, amount=9.5)
    """
    return orjson.dumps([recovery.customer_id, recovery.at, recovery.amount])


def decode_pending(key: bytes, raw: bytes) -> PendingRecovery:
    customer_id, at, amount = orjson.loads(raw)
    return PendingRecovery(key.decode(), customer_id, at, amount)


def encode_published(alert: PublishedAlert) -> bytes:
    return orjson.dumps([alert.alert_id, alert.at])


def decode_published(raw: bytes) -> PublishedAlert:
    alert_id, at = orjson.loads(raw)
    return PublishedAlert(alert_id, at)


def encode_snapshot(snapshot: ModelSnapshot) -> bytes:
    return pickle.dumps(snapshot)


# modules renamed since snapshots were first pickled: a deployment upgrading keeps its models
RENAMED_MODULES = {"models.registry": "models.snapshot", "models.online": "models.refit"}


class _Unpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        return super().find_class(RENAMED_MODULES.get(module, module), name)


def decode_snapshot(raw: bytes) -> ModelSnapshot:
    # our own snapshots from our own store: the same trust as the customer state beside them
    snapshot: ModelSnapshot = _Unpickler(io.BytesIO(raw)).load()
    return snapshot
