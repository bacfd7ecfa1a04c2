"""Priority and the holdout group: who to call first, and who not to call at all."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

# value at risk, in the shop's average orders: ten or more, three, one
DEFAULT_ORDER_BANDS = (10.0, 3.0, 1.0)


def priority_of(
    value_at_risk: float, bands: Sequence[float] = DEFAULT_ORDER_BANDS, unit: float = 1.0
) -> int:
    """1 is the most urgent: the first band (in descending value at risk, counted in ``unit``)
    the alert reaches.

    By default the unit is the shop's average order, so that a priority means the same in a
    shop of 5 orders and in one of 500: priority 1 puts ten or more average orders at risk.
    A team with capacity for 50 calls a day takes priority 1 first, then 2, and within a
    priority the highest value at risk.

    >>> [priority_of(v, unit=40.0) for v in (500.0, 130.0, 40.0, 10.0)]
    [1, 2, 3, 4]
    >>> priority_of(300.0, bands=(1000.0, 250.0, 50.0))  # absolute bands, in currency
    2
    """
    worth = value_at_risk / unit if unit > 0 else 0.0
    return next((rank for rank, floor in enumerate(bands, 1) if worth >= floor), len(bands) + 1)


def in_holdout(customer_id: str, share: float) -> bool:
    """Whether a customer is in the control group: the same answer for the same id, always.

    >>> in_holdout("C000001", 0.0), in_holdout("C000001", 1.0)
    (False, True)
    >>> round(sum(in_holdout(f"C{i}", 0.2) for i in range(10_000)) / 10_000, 2)
    0.2
    """
    digest = hashlib.blake2b(customer_id.encode(), digest_size=8, person=b"holdout").digest()
    return int.from_bytes(digest, "big") / 2**64 < share
