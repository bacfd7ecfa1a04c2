"""The compact encoding of a customer's state as Redis hash fields (about 1 KiB at most).

Times are whole epoch seconds, purchase times are delta-encoded, pending examples are packed
half floats: the encoding is what keeps a busy customer under a kibibyte.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping

import orjson

from models.features import FEATURE_NAMES
from models.state import AlertMemory, Complaint, CustomerState, PendingExample, Purchase


def _num(value: float | None) -> float | int | None:
    # whole numbers are stored without ".0": a third of the bytes of most timestamps
    if value is None or value != int(value):
        return value
    return int(value)


def encode_state(state: CustomerState) -> dict[str, bytes]:
    """The hash fields of a customer; see :func:`decode_state` for the inverse."""
    memory = state.alert
    return {
        "f": orjson.dumps(
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
            ]
        ),
        "p": orjson.dumps(_delta_encoded(state.recent_purchases)),
        "k": orjson.dumps(
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
            ]
        ),
        "e": orjson.dumps(state.seen_event_ids),
        "a": orjson.dumps(
            [
                memory.armed,
                memory.tier,
                memory.alert_id,
                _num(memory.alerted_at),
                memory.open_alert_id,
            ]
        ),
        "x": b"".join(_EXAMPLE.pack(int(p.taken_at), *p.values) for p in state.pending),
    }


def decode_state(customer_id: str, fields: Mapping[bytes, bytes]) -> CustomerState:
    """A customer from their hash fields; an empty hash is a customer never seen.

    >>> from models.state import apply_purchase
    >>> s = CustomerState("c1")
    >>> apply_purchase(s, 86400.0, 12.5)
    >>> decode_state("c1", {k.encode(): v for k, v in encode_state(s).items()}) == s
    True
    """
    if not fields:
        return CustomerState(customer_id)
    first_seen, last_seen, first_p, last_p, purchases, spend, risk, tier, stage, next_check = (
        orjson.loads(fields[b"f"])
    )
    armed, alert_tier, alert_id, alerted_at, open_alert_id = orjson.loads(fields[b"a"])
    return CustomerState(
        customer_id=customer_id,
        first_seen=_float(first_seen),
        last_seen=_float(last_seen),
        first_purchase=_float(first_p),
        last_purchase=_float(last_p),
        purchases=purchases,
        total_spend=float(spend),
        recent_purchases=_delta_decoded(orjson.loads(fields[b"p"])),
        complaints=[
            Complaint(cid, float(opened), float(updated), category, severity, status, sat)
            for cid, opened, updated, category, severity, status, sat in orjson.loads(fields[b"k"])
        ],
        seen_event_ids=orjson.loads(fields[b"e"]),
        risk=risk,
        tier=tier,
        stage=stage,
        next_check=_float(next_check),
        alert=AlertMemory(armed, alert_tier, alert_id, _float(alerted_at), open_alert_id),
        pending=[
            PendingExample(float(taken_at), tuple(values))
            for taken_at, *values in _EXAMPLE.iter_unpack(fields.get(b"x", b""))
        ],
    )


# A pending example: its time (whole seconds) and its features as half floats (already
# quantized by models.labels.to_half), 38 bytes in all.
_EXAMPLE = struct.Struct(f"<I{len(FEATURE_NAMES)}e")


def _delta_encoded(purchases: list[Purchase]) -> list[float | int | None]:
    # [t0, a0, t1 - t0, a1, ...]: gaps are a third of the digits of timestamps
    flat: list[float | int | None] = []
    previous = 0.0
    for purchase in purchases:
        flat += [_num(purchase.at - previous), _num(purchase.amount)]
        previous = purchase.at
    return flat


def _delta_decoded(flat: list[float]) -> list[Purchase]:
    purchases, at = [], 0.0
    for gap, amount in zip(flat[::2], flat[1::2], strict=True):
        at += gap
        purchases.append(Purchase(at, float(amount)))
    return purchases


def _float(value: float | None) -> float | None:
    return None if value is None else float(value)
