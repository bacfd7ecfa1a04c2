"""The alert policy: when a risk score becomes an alert the retention team should see."""

from __future__ import annotations

from dataclasses import dataclass

from alerts.tiers import TIER_RANK, Tier, TierThresholds
from models.features import DAY
from models.state import AlertMemory


@dataclass(frozen=True)
class AlertDecision:
    tier: Tier
    escalation: bool


def decide_alert(
    memory: AlertMemory,
    risk: float,
    at: float,
    thresholds: TierThresholds,
    cooldown_days: float,
) -> AlertDecision | None:
    """Decide whether ``risk`` at event time ``at`` alerts, and update ``memory``.

    An armed customer alerts on reaching a tier unless the cooldown since the last alert
    is still running; after an alert only a higher tier (an escalation) alerts again,
    until risk falls below ``thresholds.rearm_below`` and re-arms the customer.

    >>> tiers = TierThresholds(medium=0.5, high=0.7, critical=0.85, rearm_below=0.4)
    >>> memory = AlertMemory()
    >>> [decide_alert(memory, r, day * DAY, tiers, 14) for day, r in enumerate([0.3, 0.6, 0.65])]
    [None, AlertDecision(tier='medium', escalation=False), None]
    >>> decide_alert(memory, 0.9, 3 * DAY, tiers, 14)
    AlertDecision(tier='critical', escalation=True)
    """
    if risk < thresholds.rearm_below:
        memory.armed, memory.tier = True, "none"
    tier = thresholds.tier_of(risk)
    if tier == "none":
        return None
    if memory.armed:
        cooling = memory.alerted_at is not None and at - memory.alerted_at < cooldown_days * DAY
        if cooling:
            return None
        decision = AlertDecision(tier, escalation=False)
    elif TIER_RANK[tier] > TIER_RANK[memory.tier]:  # type: ignore[index]
        decision = AlertDecision(tier, escalation=True)
    else:
        return None
    memory.armed, memory.tier, memory.alerted_at = False, tier, at
    return decision
