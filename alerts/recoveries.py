"""Recoveries under a daily capacity: a purchase answers the alert the team was sent.

Without a capacity every alert is published as it is decided, so a purchase that ends the
episode answers the customer's open alert at once. With one, an alert is only a candidate
until its day is sealed, and a purchase before then drops it: the team never saw it. So a
recovery waits for the seal of its own day too (by then every alert it could answer has had
its day chosen), and answers the customer's latest *published* alert that no purchase has
answered yet; with none, the team never contacted them and nothing is published. A recovery
therefore always follows the alert it answers, in the topic as in event time.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from alerts.events import CustomerRecovered, as_utc, deterministic_id
from models.features import DAY


@dataclass(frozen=True)
class PendingRecovery:
    """A purchase by a customer with an alert open, waiting for its day's seal.

    ``key`` is the id of the recovery as decided when the purchase was applied (of the alert
    open then): what it is kept under until the seal, the same however often it is re-saved.
    """

    key: str
    customer_id: str
    at: float
    amount: float


@dataclass(frozen=True)
class PublishedAlert:
    """A customer's latest published alert, not yet answered by a purchase."""

    alert_id: str
    at: float  # the alert's timestamp as published


def pending_of(recovery: CustomerRecovered) -> PendingRecovery:
    """A recovery as decided when its purchase was applied, to be answered at the seal."""
    return PendingRecovery(
        recovery.recovery_id,
        recovery.customer_id,
        recovery.timestamp.timestamp(),
        recovery.amount,
    )


def answer(
    pending: Iterable[PendingRecovery], published: Mapping[str, PublishedAlert]
) -> tuple[list[CustomerRecovered], set[str]]:
    """The recoveries to publish, in event-time order, and the customers whose published
    alert they answered (each alert is answered once: by the first purchase after it).

    >>> alerted = {"c1": PublishedAlert("a1", 10 * DAY)}
    >>> buys = [PendingRecovery("r2", "c1", 13 * DAY, 5.0),
    ...         PendingRecovery("r1", "c1", 12 * DAY, 9.0),
    ...         PendingRecovery("r3", "c2", 12 * DAY, 7.0)]   # c2's alert was never published
    >>> recoveries, answered = answer(buys, alerted)
    >>> [(r.alert_id, r.days_to_recovery, r.amount) for r in recoveries], answered
    ([('a1', 2.0, 9.0)], {'c1'})
    >>> answer([PendingRecovery("r0", "c1", 9 * DAY, 5.0)], alerted)  # a purchase before it
    ([], set())
    """
    recoveries, answered = [], set()
    for purchase in sorted(pending, key=lambda p: (p.at, p.customer_id, p.key)):
        alert = published.get(purchase.customer_id)
        if alert is None or purchase.customer_id in answered or purchase.at < alert.at:
            continue
        answered.add(purchase.customer_id)
        recoveries.append(
            CustomerRecovered(
                recovery_id=deterministic_id(purchase.customer_id, "recovered", alert.alert_id),
                customer_id=purchase.customer_id,
                timestamp=as_utc(purchase.at),
                alert_id=alert.alert_id,
                days_to_recovery=round((purchase.at - alert.at) / DAY, 3),
                amount=purchase.amount,
            )
        )
    return recoveries, answered
