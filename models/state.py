"""A customer's state and the pure functions that apply events to it.

Every update is order-independent: applying the same events in any order gives the same
state, so a replay, a late event or a retried batch can never leave a different answer.
Windowed figures (complaints in 30 days, spend trend) are not stored but computed at
scoring time from the bounded recent histories, which is what makes ``--as-of`` scoring
exact.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

MAX_RECENT_PURCHASES = 16
MAX_RECENT_COMPLAINTS = 6
MAX_SEEN_EVENT_IDS = 16
# ties in event time resolve to the later step of a complaint's life, whatever the arrival order
_STATUS_ORDER = {"opened": 0, "escalated": 1, "resolved": 2}


def short_id(identifier: str) -> str:
    """A 32-bit digest of a producer's id: the state stays small whatever the ids look like.

    Ids are only compared within one customer's recent history, where a collision among a few
    dozen ids has odds of about one in a hundred million.

    >>> short_id("event-2025-01-01-000001")
    'd76910da'
    """
    return hashlib.blake2b(identifier.encode(), digest_size=4).hexdigest()


@dataclass(slots=True)
class Purchase:
    at: float
    amount: float


@dataclass(slots=True)
class Complaint:
    complaint_id: str
    opened_at: float
    updated_at: float
    category: str
    severity: int
    status: str
    satisfaction: int | None = None


@dataclass(slots=True)
class PendingExample:
    """Features as of ``taken_at``, waiting for the outcome within the horizon."""

    taken_at: float
    values: tuple[float, ...]


@dataclass(slots=True)
class AlertMemory:
    """What the alert policy remembers about a customer between events."""

    armed: bool = True
    tier: str = "none"
    alert_id: str | None = None
    alerted_at: float | None = None
    open_alert_id: str | None = None  # the last alert not yet answered by a purchase


@dataclass(slots=True)
class CustomerState:
    """Everything churnwatch keeps about one customer. Times are event-time epoch seconds."""

    customer_id: str
    first_seen: float | None = None
    last_seen: float | None = None
    first_purchase: float | None = None
    last_purchase: float | None = None
    purchases: int = 0
    total_spend: float = 0.0
    recent_purchases: list[Purchase] = field(default_factory=list)
    complaints: list[Complaint] = field(default_factory=list)
    seen_event_ids: list[str] = field(default_factory=list)
    risk: float | None = None
    tier: str = "none"
    stage: str | None = None
    published_risk: float | None = None  # the last risk the customer-risk feed carried
    next_check: float | None = None  # event time of the next inactivity check or label
    pending: list[PendingExample] = field(default_factory=list)
    alert: AlertMemory = field(default_factory=AlertMemory)

    def remember_event(self, event_id: str) -> bool:
        """Record ``event_id``; False when it was already applied (a redelivery).

        >>> s = CustomerState("c1")
        >>> s.remember_event("e1"), s.remember_event("e1")
        (True, False)
        """
        key = short_id(event_id)
        if key in self.seen_event_ids:
            return False
        self.seen_event_ids.append(key)
        del self.seen_event_ids[:-MAX_SEEN_EVENT_IDS]
        return True

    def observe(self, at: float) -> None:
        self.first_seen = at if self.first_seen is None else min(self.first_seen, at)
        self.last_seen = at if self.last_seen is None else max(self.last_seen, at)


def apply_purchase(state: CustomerState, at: float, amount: float) -> None:
    """Add a purchase made at ``at`` (late ones included: recency never moves backwards).

    >>> s = CustomerState("c1")
    >>> apply_purchase(s, 200.0, 10.0); apply_purchase(s, 100.0, 30.0)
    >>> (s.first_purchase, s.last_purchase, s.purchases, s.total_spend)
    (100.0, 200.0, 2, 40.0)
    """
    state.observe(at)
    state.purchases += 1
    state.total_spend += amount
    state.first_purchase = at if state.first_purchase is None else min(state.first_purchase, at)
    state.last_purchase = at if state.last_purchase is None else max(state.last_purchase, at)
    state.recent_purchases.append(Purchase(at, amount))
    state.recent_purchases.sort(key=lambda p: (p.at, p.amount))
    del state.recent_purchases[:-MAX_RECENT_PURCHASES]


def apply_complaint(
    state: CustomerState,
    at: float,
    complaint_id: str,
    category: str,
    severity: int,
    status: str,
    satisfaction: int | None,
) -> None:
    """Fold one step of a complaint's life into its record; the latest step in event time wins.

    >>> s = CustomerState("c1")
    >>> apply_complaint(s, 50.0, "k1", "delivery", 4, "resolved", 2)
    >>> apply_complaint(s, 10.0, "k1", "delivery", 3, "opened", None)
    >>> c = s.complaints[0]
    >>> (c.opened_at, c.status, c.severity, c.satisfaction)
    (10.0, 'resolved', 4, 2)
    """
    state.observe(at)
    key = short_id(complaint_id)
    record = next((c for c in state.complaints if c.complaint_id == key), None)
    if record is None:
        record = Complaint(key, at, at, category, severity, status, satisfaction)
        state.complaints.append(record)
    else:
        record.opened_at = min(record.opened_at, at)
        record.severity = max(record.severity, severity)
        if (at, _STATUS_ORDER[status]) >= (record.updated_at, _STATUS_ORDER[record.status]):
            record.updated_at, record.status, record.category = at, status, category
            record.satisfaction = satisfaction if satisfaction is not None else record.satisfaction
    state.complaints.sort(key=lambda c: (c.updated_at, c.complaint_id))
    del state.complaints[:-MAX_RECENT_COMPLAINTS]
