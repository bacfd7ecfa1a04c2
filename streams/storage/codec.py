"""The compact encoding of a customer's state as one Redis value (well under 1 KiB).

Times are whole epoch seconds, purchase times are delta-encoded, pending examples are packed
half floats: the encoding is what keeps a busy customer under a kibibyte.
"""

from __future__ import annotations

import dataclasses
import itertools
import struct
from typing import Any

import orjson

from alerts.events import as_utc
from models.features import FEATURE_NAMES
from models.state import AlertMemory, Complaint, CustomerState, PendingExample, Purchase


def _num(value: float | None) -> float | int | None:
    # whole numbers are stored without ".0": a third of the bytes of most timestamps
    if value is None:
        return None
    whole = int(value)
    return whole if whole == value else value


def encode_state(state: CustomerState) -> bytes:
    """A customer as one Redis value; see :func:`decode_state` for the inverse.

    One byte of format, two bytes counting the pending examples, the examples packed, then
    the rest as one JSON array: a single value, so a batch loads with one MGET and saves with
    one MSET, and needs no per-field overhead in Redis.
    """
    memory = state.alert
    rest = orjson.dumps(
        [
            [
                _num(state.first_seen),
                _num(state.last_seen),
                _num(state.first_purchase),
                _num(state.last_purchase),
                state.purchases,
                round(state.total_spend, 2),
                state.risk,
                state.tier,
                state.stage,
                _num(state.next_check),
                state.published_risk,
            ],
            _delta_encoded(state.recent_purchases),
            [
                [
                    c.complaint_id,
                    _num(c.opened_at),
                    _num(c.updated_at),
                    c.category,
                    c.severity,
                    c.status,
                    c.satisfaction,
                ]
                for c in state.complaints
            ],
            state.seen_event_ids,
            [
                memory.armed,
                memory.tier,
                memory.alert_id,
                _num(memory.alerted_at),
                memory.open_alert_id,
            ],
        ]
    )
    examples = b"".join(_EXAMPLE.pack(int(p.taken_at), *p.values) for p in state.pending)
    return _HEADER.pack(FORMAT, len(state.pending)) + examples + rest


def decode_state(customer_id: str, value: bytes | None) -> CustomerState:
    """A customer from their stored value; no value is a customer never seen.

    >>> from models.state import apply_purchase
    >>> s = CustomerState("c1")
    >>> apply_purchase(s, 86400.0, 12.5)
    >>> decode_state("c1", encode_state(s)) == s
    True
    >>> decode_state("c1", b"{}")
    Traceback (most recent call last):
    ...
    ValueError: state of c1 is in unknown format 123 (this version reads 1)
    """
    if not value:
        return CustomerState(customer_id)
    if value[0] != FORMAT:
        raise ValueError(
            f"state of {customer_id} is in unknown format {value[0]} (this version reads {FORMAT})"
        )
    _, pending = _HEADER.unpack_from(value)
    examples_end = _HEADER.size + pending * _EXAMPLE.size
    scalars, purchases, complaints, seen, alert = orjson.loads(value[examples_end:])
    first_seen, last_seen, first_p, last_p, bought, spend, risk, tier, stage, next_check = scalars[
        :10
    ]
    # a state saved before the feed had a step: every assessment was published then
    published = scalars[10] if len(scalars) > 10 else risk
    armed, alert_tier, alert_id, alerted_at, open_alert_id = alert
    return CustomerState(
        customer_id=customer_id,
        first_seen=_float(first_seen),
        last_seen=_float(last_seen),
        first_purchase=_float(first_p),
        last_purchase=_float(last_p),
        purchases=bought,
        total_spend=float(spend),
        recent_purchases=_delta_decoded(purchases),
        complaints=[
            Complaint(cid, float(opened), float(updated), category, severity, status, sat)
            for cid, opened, updated, category, severity, status, sat in complaints
        ],
        seen_event_ids=seen,
        risk=risk,
        tier=tier,
        stage=stage,
        published_risk=published,
        next_check=_float(next_check),
        alert=AlertMemory(armed, alert_tier, alert_id, _float(alerted_at), open_alert_id),
        pending=[
            PendingExample(float(taken_at), tuple(values))
            for taken_at, *values in _EXAMPLE.iter_unpack(value[_HEADER.size : examples_end])
        ],
    )


FORMAT = 1
_HEADER = struct.Struct("<BH")


# A pending example: its time (whole seconds) and its features as half floats (already
# quantized by models.labels.to_halves), 38 bytes in all.
_EXAMPLE = struct.Struct(f"<I{len(FEATURE_NAMES)}e")


def _delta_encoded(purchases: list[Purchase]) -> list[float | int | None]:
    # [t0, a0, t1 - t0, a1, ...]: gaps are a third of the digits of timestamps
    flat: list[float | int | None] = []
    append, previous = flat.append, 0.0
    for purchase in purchases:
        append(_num(purchase.at - previous))
        append(_num(purchase.amount))
        previous = purchase.at
    return flat


def _delta_decoded(flat: list[float]) -> list[Purchase]:
    if len(flat) % 2:
        raise ValueError(f"purchases stored as {len(flat)} numbers, not (gap, amount) pairs")
    times = itertools.accumulate(flat[::2], initial=0.0)
    next(times)  # the 0.0 it starts from
    return list(map(Purchase, times, map(float, flat[1::2])))


def _float(value: float | None) -> float | None:
    return None if value is None else float(value)


def readable_state(state: CustomerState) -> dict[str, Any]:
    """The state as plain data with its event-time epochs as ISO strings, for people to read."""
    readable: dict[str, Any] = _readable_times(dataclasses.asdict(state))
    return readable


_TIME_FIELDS = {
    "first_seen",
    "last_seen",
    "first_purchase",
    "last_purchase",
    "next_check",
    "at",
    "opened_at",
    "updated_at",
    "alerted_at",
}


def _readable_times(value: Any, key: str = "") -> Any:
    """Event-time epochs as ISO strings, everywhere in the nested state."""
    if isinstance(value, dict):
        return {k: _readable_times(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_readable_times(v, key) for v in value]
    if key in _TIME_FIELDS and isinstance(value, float):
        return as_utc(value).isoformat()
    return value
