"""The retention team's work queue: open alerts in the order to work them, and the team's marks.

An alert is *open* from the moment it is raised until the customer buys again (its
``customer_recovered`` arrives), a later alert about the same customer replaces it (an
escalation), or the customer lapses (silent for the horizon: they belong on the win-back list
then, as the engine no longer alerts about them). The queue is ordered as the team should
call: priority 1 first, then the most value at risk, then the newest. Marks (``contacted``,
``dismissed``) are the team's own record and never change what the engine published.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal, get_args

import orjson
from sortedcontainers import SortedKeyList

from alerts.marks import Mark

MarkFilter = Literal["open", "unmarked", "contacted", "dismissed", "all"]
MARK_FILTERS: tuple[str, ...] = get_args(MarkFilter)


@dataclass(frozen=True, slots=True)
class QueueEntry:
    """What the queue sorts and filters on, with the alert as published for everything else."""

    alert_id: str
    customer_id: str
    raised_at: float
    tier: str
    priority: int
    value_at_risk: float
    recommended_action: str
    lifecycle_stage: str
    holdout: bool
    escalation: bool
    model_version: str
    published: bytes

    @property
    def timestamp(self) -> datetime:
        return datetime.fromtimestamp(self.raised_at, tz=UTC)

    @classmethod
    def of(cls, alert: Mapping[str, Any], published: bytes, raised_at: float) -> QueueEntry:
        return cls(
            alert_id=str(alert["alert_id"]),
            customer_id=str(alert["customer_id"]),
            raised_at=raised_at,
            tier=str(alert["tier"]),
            priority=int(alert["priority"]),
            value_at_risk=float(alert["value_at_risk"]),
            recommended_action=str(alert["recommended_action"]),
            lifecycle_stage=str(alert["lifecycle_stage"]),
            holdout=bool(alert["holdout"]),
            escalation=bool(alert.get("escalation", False)),
            model_version=str(alert.get("model_version", "")),
            published=published,
        )

    def alert(self) -> dict[str, Any]:
        """The alert as the engine published it."""
        parsed: dict[str, Any] = orjson.loads(self.published)
        return parsed


@dataclass(frozen=True, slots=True)
class RecoveryEntry:
    """A ``customer_recovered``: the alert it answers, when, how fast and for how much."""

    alert_id: str
    customer_id: str
    recovered_at: float
    days_to_recovery: float
    amount: float

    @property
    def timestamp(self) -> datetime:
        return datetime.fromtimestamp(self.recovered_at, tz=UTC)

    @classmethod
    def of(cls, recovery: Mapping[str, Any], recovered_at: float) -> RecoveryEntry:
        return cls(
            alert_id=str(recovery["alert_id"]),
            customer_id=str(recovery["customer_id"]),
            recovered_at=recovered_at,
            days_to_recovery=float(recovery.get("days_to_recovery", 0.0)),
            amount=float(recovery.get("amount", 0.0)),
        )


@dataclass(frozen=True)
class QueueFilter:
    """Which open alerts to list; ``None`` means any."""

    tier: str | None = None
    action: str | None = None
    stage: str | None = None
    priority: int | None = None
    mark: MarkFilter = "open"

    def admits(self, entry: QueueEntry, mark: Mark | None) -> bool:
        return self.fits(entry) and self.mark_fits(mark)

    def fits(self, entry: QueueEntry) -> bool:
        """The alert's own fields match (everything but the mark)."""
        return (
            (self.tier is None or entry.tier == self.tier)
            and (self.action is None or entry.recommended_action == self.action)
            and (self.stage is None or entry.lifecycle_stage == self.stage)
            and (self.priority is None or entry.priority == self.priority)
        )

    def mark_fits(self, mark: Mark | None) -> bool:
        status = mark.status if mark else None
        if self.mark == "open":
            return status != "dismissed"
        if self.mark == "unmarked":
            return status is None
        return self.mark == "all" or status == self.mark

    @property
    def any_alert(self) -> bool:
        return (self.tier, self.action, self.stage, self.priority) == (None, None, None, None)


@dataclass(frozen=True)
class TooLate:
    """Open alerts no longer worth acting on: their customer's last purchase is at or before
    ``cutoff`` (silent for the horizon by now, their lapse not published yet)."""

    last_purchase: Mapping[str, float]
    cutoff: float

    def covers(self, customer_id: str) -> bool:
        return self.last_purchase.get(customer_id, math.inf) <= self.cutoff


@dataclass(frozen=True)
class QueuePage:
    entries: list[QueueEntry]
    total: int
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


def work_order(entry: QueueEntry) -> tuple[int, float, float, str]:
    """Priority 1 first, then the most value at risk, then the newest."""
    return (entry.priority, -entry.value_at_risk, -entry.raised_at, entry.alert_id)


class AlertBook:
    """Every alert and recovery seen on ``churn-alerts``, and the open ones in work order.

    >>> book = AlertBook()
    >>> alert = {"type": "churn_alert", "alert_id": "a1", "customer_id": "c1", "tier": "high",
    ...     "priority": 1, "value_at_risk": 80.0, "recommended_action": "call",
    ...     "lifecycle_stage": "at_risk", "holdout": False}
    >>> book.add(alert, orjson.dumps(alert), at=100.0)
    'opened'
    >>> [e.alert_id for e in book.page(QueueFilter(), {}, 1, 50).entries]
    ['a1']
    >>> book.add({"type": "customer_recovered", "alert_id": "a1", "customer_id": "c1"}, b"", 200)
    'closed'
    >>> book.page(QueueFilter(), {}, 1, 50).total
    0
    """

    def __init__(self) -> None:
        self.entries: dict[str, QueueEntry] = {}
        self.recoveries: dict[str, RecoveryEntry] = {}  # by the alert they answer
        self.latest_of_customer: dict[str, str] = {}
        self.open: SortedKeyList = SortedKeyList(key=work_order)
        self.alerts_by_customer: dict[str, list[str]] = {}
        self.changes = 0  # bumped by every change to the open alerts
        self._choices: tuple[int, dict[str, list[str]]] | None = None
        # when each customer last lapsed: read from another topic, so it may come first
        self.lapsed_at: dict[str, float] = {}

    def add(self, event: Mapping[str, Any], published: bytes, at: float) -> str | None:
        """Take one message of ``churn-alerts`` stamped ``at``: ``opened``, ``closed``, or None
        (no change)."""
        kind = event.get("type")
        if kind == "churn_alert":
            return self._raise(QueueEntry.of(event, published, at))
        if kind == "customer_recovered":
            recovery = RecoveryEntry.of(event, at)
            self.recoveries[recovery.alert_id] = recovery
            return "closed" if self._close(recovery.alert_id) else None
        return None

    def _raise(self, entry: QueueEntry) -> str | None:
        if entry.alert_id in self.entries:
            return None  # a producer's retry: the same alert again
        self.entries[entry.alert_id] = entry
        self.alerts_by_customer.setdefault(entry.customer_id, []).append(entry.alert_id)
        earlier = self.latest_of_customer.get(entry.customer_id)
        if earlier is not None and self.entries[earlier].raised_at > entry.raised_at:
            return None  # read after a later alert of the customer, which replaced it
        if earlier is not None:
            self._close(earlier)  # replaced by this one (an escalation)
        self.latest_of_customer[entry.customer_id] = entry.alert_id
        lapsed = self.lapsed_at.get(entry.customer_id, float("-inf")) >= entry.raised_at
        if entry.alert_id not in self.recoveries and not lapsed:
            self.open.add(entry)
            self.changes += 1
            return "opened"
        return None

    def lapse(self, customer_id: str, at: float) -> str | None:
        """The customer lapsed at ``at``: their open alert, if raised before, is closed."""
        self.lapsed_at[customer_id] = max(at, self.lapsed_at.get(customer_id, at))
        latest = self.latest_of_customer.get(customer_id)
        if latest is not None and self.entries[latest].raised_at <= at and self._close(latest):
            return "closed"
        return None

    def _close(self, alert_id: str) -> bool:
        entry = self.entries.get(alert_id)
        if entry is None or entry not in self.open:
            return False
        self.open.remove(entry)
        self.changes += 1
        return True

    def is_open(self, alert_id: str) -> bool:
        entry = self.entries.get(alert_id)
        return entry is not None and entry in self.open

    def page(
        self,
        chosen: QueueFilter,
        marks: Mapping[str, Mark],
        page: int,
        page_size: int,
        too_late: TooLate | None = None,
    ) -> QueuePage:
        """One page of the open alerts ``chosen`` admits, in work order, and how many there are,
        leaving out those ``too_late``.

        The whole queue is scanned for the count, so this loop is kept tight: checks that
        cannot exclude anything (no field filter, no marks) are not made per alert.
        """
        start, end = (page - 1) * page_size, page * page_size
        shown: list[QueueEntry] = []
        total = 0
        last_purchase = too_late.last_purchase if too_late else {}
        cutoff = too_late.cutoff if too_late else -math.inf
        check_fields = not chosen.any_alert
        check_marks = bool(marks) or chosen.mark in ("contacted", "dismissed")
        for entry in self.open:
            if last_purchase.get(entry.customer_id, math.inf) <= cutoff:  # TooLate.covers
                continue
            if check_fields and not chosen.fits(entry):
                continue
            if check_marks and not chosen.mark_fits(marks.get(entry.alert_id)):
                continue
            if start <= total < end:
                shown.append(entry)
            total += 1
        return QueuePage(shown, total, page, page_size)

    def of_customer(self, customer_id: str) -> Iterator[QueueEntry]:
        for alert_id in self.alerts_by_customer.get(customer_id, ()):
            yield self.entries[alert_id]

    def choices(self) -> dict[str, list[str]]:
        """The values each filter can take among open alerts, for the filter menus."""
        if self._choices is None or self._choices[0] != self.changes:
            self._choices = (
                self.changes,
                {
                    "action": sorted({e.recommended_action for e in self.open}),
                    "stage": sorted({e.lifecycle_stage for e in self.open}),
                    "priority": [str(p) for p in sorted({e.priority for e in self.open})],
                },
            )
        return self._choices[1]
