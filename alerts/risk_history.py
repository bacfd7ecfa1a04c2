"""Each customer's risk over event time, and the share of customers per tier week by week.

Built from ``customer-risk`` as it is read; kept compact (arrays, one byte per tier and
trigger) because a shop's whole history of risk updates is millions of points.
"""

from __future__ import annotations

from array import array
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from alerts.tiers import TIER_RANK
from models.features import DAY

TIERS: tuple[str, ...] = tuple(TIER_RANK)
TRIGGERS: tuple[str, ...] = ("purchase", "complaint", "inactivity")
WEEK = 7 * DAY


@dataclass
class RiskTrail:
    """One customer's risk updates, in the order they were published."""

    times: array = field(default_factory=lambda: array("d"))
    risks: array = field(default_factory=lambda: array("d"))
    tiers: bytearray = field(default_factory=bytearray)
    triggers: bytearray = field(default_factory=bytearray)
    stage: str = ""
    model_version: str = ""

    def points(self) -> list[dict[str, Any]]:
        return [
            {"at": t, "risk": r, "tier": TIERS[tier], "trigger": TRIGGERS[kind]}
            for t, r, tier, kind in zip(
                self.times, self.risks, self.tiers, self.triggers, strict=True
            )
        ]

    @property
    def latest(self) -> dict[str, Any] | None:
        if not self.times:
            return None
        return {
            "at": self.times[-1],
            "risk": self.risks[-1],
            "tier": TIERS[self.tiers[-1]],
            "stage": self.stage,
            "model_version": self.model_version,
        }


class RiskHistory:
    """Risk trails of every customer, and weekly counts of customers per current tier.

    >>> history = RiskHistory()
    >>> for at, tier in ((0.0, "none"), (8 * DAY, "high")):
    ...     history.add({"customer_id": "c1", "risk": 0.5, "tier": tier,
    ...         "lifecycle_stage": "active", "model_version": "m",
    ...         "trigger": {"kind": "inactivity"}}, at)
    >>> history.tier_weeks()
    [{'week_start': 0.0, 'none': 1, 'medium': 0, 'high': 0, 'critical': 0}]
    >>> history.now, len(history.trails["c1"].points())
    (691200.0, 2)
    """

    def __init__(self) -> None:
        self.trails: dict[str, RiskTrail] = {}
        self.now: float | None = None  # the latest event time published
        self.last_purchase: dict[str, float] = {}  # from the updates that purchases caused
        # each customer's purchases (event time, amount), from the same updates
        self.purchases: dict[str, list[tuple[float, float]]] = {}
        self._tier_of: dict[str, int] = {}
        self._counts = [0] * len(TIERS)
        self._week: int | None = None
        self._weeks: list[tuple[int, tuple[int, ...]]] = []

    def add(self, update: Mapping[str, Any], at: float) -> None:
        customer = str(update["customer_id"])
        trail = self.trails.setdefault(customer, RiskTrail())
        tier = TIERS.index(str(update["tier"]))
        trail.times.append(at)
        trail.risks.append(float(update["risk"]))
        trail.tiers.append(tier)
        trigger = str(update["trigger"]["kind"])
        trail.triggers.append(TRIGGERS.index(trigger))
        if trigger == "purchase":
            self.last_purchase[customer] = max(at, self.last_purchase.get(customer, at))
            amount = update["trigger"].get("amount")
            if amount is not None:
                self.purchases.setdefault(customer, []).append((at, float(amount)))
        trail.stage = str(update["lifecycle_stage"])
        trail.model_version = str(update["model_version"])
        self._count(customer, tier, at)
        self.now = at if self.now is None else max(self.now, at)

    def days_silent(self, customer_id: str) -> float | None:
        """Days from the customer's last purchase to the stream's latest event time."""
        last = self.last_purchase.get(customer_id)
        return None if last is None or self.now is None else (self.now - last) / DAY

    def forget(self, customer_id: str) -> None:
        """An erased customer (a tombstone on ``customer-risk``)."""
        self.trails.pop(customer_id, None)
        self.last_purchase.pop(customer_id, None)
        self.purchases.pop(customer_id, None)
        tier = self._tier_of.pop(customer_id, None)
        if tier is not None:
            self._counts[tier] -= 1

    def _count(self, customer: str, tier: int, at: float) -> None:
        # a week's counts are those standing when the first update of a later week arrives
        week = int(at // WEEK)
        if self._week is not None and week > self._week:
            self._weeks.append((self._week, tuple(self._counts)))
        if self._week is None or week > self._week:
            self._week = week
        before = self._tier_of.get(customer)
        if before is not None:
            self._counts[before] -= 1
        self._tier_of[customer] = tier
        self._counts[tier] += 1

    def tier_weeks(self) -> list[dict[str, Any]]:
        """Customers per current tier at the end of each past week of event time."""
        return [
            {"week_start": week * WEEK, **dict(zip(TIERS, counts, strict=True))}
            for week, counts in self._weeks
        ]

    def tier_counts(self) -> dict[str, int]:
        """Customers per current tier now."""
        return dict(zip(TIERS, self._counts, strict=True))
