"""The alert policy: when a risk score becomes an alert the retention team should act on.

An alert asks a person to act, so it must come while acting is still worth it, and once:

- **One alert per churn episode.** An episode runs from one purchase to the next: a purchase
  ends it (and re-arms the customer). Within an episode a customer is alerted once, when
  their tier first reaches ``medium``; with ``escalate``, a complaint that raises the tier
  alerts again (a new bad experience is a material change), at most once per tier.
- **Only while there is time.** A customer silent for the horizon H or longer is not alerted
  in real time: that is what anyone would know, and they belong on a win-back list
  (``churnwatch scores --stage lapsed``).
- **Not at a purchase.** A customer who has just bought is not leaving now; alerts come from
  silence (the engine's inactivity checks) or from a complaint.
- **Not on unchecked risks alone.** While the scorer is cold (no outcomes yet to check its
  risks against), an alert also needs the customer to be overdue: silent ``min_overdue`` times
  their mean gap between purchases. Until then they stay armed. And while nothing stands
  behind the risk at all (the hand-set heuristic before any outcome has calibrated it, and no
  purchase model that knows how often customers leave), alerts are ``withheld``: a new shop's
  heuristic stated 0.9 for customers of whom 8-30% left.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from alerts.events import TriggerKind
from alerts.tiers import TIER_RANK, Tier
from models.features import DAY
from models.state import AlertMemory


@dataclass(frozen=True)
class AlertDecision:
    tier: Tier
    escalation: bool


@dataclass(frozen=True)
class AlertPolicy:
    """The rules, from settings.

    Parameters
    ----------
    horizon_days
        Silence at and beyond which a customer is no longer alerted in real time.
    escalate
        Whether a complaint that raises the tier alerts again within the episode.
    cooldown_days
        Least event time between two alerts of one episode (escalations only).
    min_overdue
        Least silence, in multiples of the customer's mean gap between purchases, for an alert.
    withheld
        No alert at all: nothing has checked the risk yet.
    """

    horizon_days: float
    escalate: bool = False
    cooldown_days: float = 14.0
    min_overdue: float = 0.0
    withheld: bool = False


def end_episode(memory: AlertMemory) -> None:
    """A purchase: the customer is back, and may be alerted again in their next episode."""
    memory.armed, memory.tier = True, "none"


def decide_alert(
    memory: AlertMemory,
    tier: Tier,
    at: float,
    silent_days: float,
    trigger: TriggerKind,
    policy: AlertPolicy,
    overdue: float = math.inf,
) -> AlertDecision | None:
    """Decide whether ``tier`` at event time ``at``, on ``trigger``, alerts; update ``memory``.

    >>> policy = AlertPolicy(horizon_days=90, escalate=True)
    >>> memory = AlertMemory()
    >>> decide_alert(memory, "medium", 10 * DAY, 30.0, "inactivity", policy)
    AlertDecision(tier='medium', escalation=False)
    >>> decide_alert(memory, "critical", 20 * DAY, 40.0, "inactivity", policy) is None
    True
    >>> decide_alert(memory, "critical", 30 * DAY, 50.0, "complaint", policy)
    AlertDecision(tier='critical', escalation=True)
    >>> end_episode(memory)
    >>> decide_alert(memory, "high", 200 * DAY, 95.0, "inactivity", policy) is None  # too late
    True
    >>> decide_alert(memory, "high", 201 * DAY, 0.0, "purchase", policy) is None
    True
    >>> cold = AlertPolicy(horizon_days=90, min_overdue=2.0)
    >>> decide_alert(memory, "high", 202 * DAY, 30.0, "inactivity", cold, overdue=1.5)
    >>> memory.armed
    True
    >>> withheld = AlertPolicy(horizon_days=90, withheld=True)
    >>> decide_alert(AlertMemory(), "critical", 203 * DAY, 30.0, "inactivity", withheld) is None
    True
    """
    if policy.withheld or overdue < policy.min_overdue or tier == "none" or trigger == "purchase":
        return None
    if silent_days >= policy.horizon_days:  # too late for a person to act: the win-back list
        return None
    if memory.armed:
        decision = AlertDecision(tier, escalation=False)
    elif (
        policy.escalate
        and trigger == "complaint"
        and TIER_RANK[tier] > TIER_RANK[memory.tier]  # type: ignore[index]
        and (memory.alerted_at is None or at - memory.alerted_at >= policy.cooldown_days * DAY)
    ):
        decision = AlertDecision(tier, escalation=True)
    else:
        return None
    memory.armed, memory.tier, memory.alerted_at = False, tier, at
    return decision
