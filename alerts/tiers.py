"""Risk tiers: the thresholds that turn a probability into a level of urgency."""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass
from typing import Literal, Protocol

Tier = Literal["none", "medium", "high", "critical"]
TIER_RANK: dict[Tier, int] = {"none": 0, "medium": 1, "high": 2, "critical": 3}


def ladder(value: float, medium: float, high: float, critical: float) -> Tier:
    """The highest tier whose lower bound ``value`` reaches.

    >>> ladder(0.72, 0.5, 0.7, 0.85), ladder(0.2, 0.5, 0.7, 0.85)
    ('high', 'none')
    """
    if value >= critical:
        return "critical"
    if value >= high:
        return "high"
    if value >= medium:
        return "medium"
    return "none"


def check_order(what: str, low: float, bounds: tuple[float, float, float], high: float) -> None:
    """Refuse tier bounds that are not strictly increasing inside (low, high)."""
    medium, high_, critical = bounds
    if not low < medium < high_ < critical < high:
        raise ValueError(
            f"{what} must satisfy {low:g} < medium < high < critical < {high:g}, "
            f"got medium={medium:g}, high={high_:g}, critical={critical:g}"
        )


class Tiers(Protocol):
    """Anything that turns a risk into a tier."""

    def tier_of(self, risk: float) -> Tier: ...


@dataclass(frozen=True)
class TierThresholds:
    """Absolute risk thresholds of each tier (``CHURNWATCH_ALERT_TIERS=absolute``).

    Parameters
    ----------
    medium, high, critical
        Lowest risk of each tier.

    Examples
    --------
    >>> tiers = TierThresholds(medium=0.5, high=0.7, critical=0.85)
    >>> tiers.tier_of(0.72)
    'high'
    >>> tiers.tier_of(0.2)
    'none'
    """

    medium: float = 0.5
    high: float = 0.7
    critical: float = 0.85

    def __post_init__(self) -> None:
        check_order("tier thresholds", 0.0, (self.medium, self.high, self.critical), 1.0)

    def tier_of(self, risk: float) -> Tier:
        """The highest tier whose threshold ``risk`` reaches."""
        return ladder(risk, self.medium, self.high, self.critical)


@dataclass(frozen=True)
class PercentileTiers:
    """Tiers by where a risk stands among the risks of active customers.

    Fixed probabilities fire for nearly everyone in a shop where most customers churn, and
    for nearly no one where few do; a percentile means the same in both: "riskier than 90%
    of the customers who are still buying".

    Parameters
    ----------
    active_risks
        Sorted quantiles of the risks of active customers (silent less than the horizon), as
        the serving scorer rates them.
    medium, high, critical
        Lowest percentile (0-100) of each tier.

    Examples
    --------
    >>> tiers = PercentileTiers(tuple(i / 100 for i in range(101)), 80.0, 90.0, 95.0)
    >>> [tiers.tier_of(r) for r in (0.5, 0.85, 0.93, 0.99)]
    ['none', 'medium', 'high', 'critical']
    """

    active_risks: tuple[float, ...]
    medium: float = 80.0
    high: float = 90.0
    critical: float = 95.0

    def __post_init__(self) -> None:
        check_order("tier percentiles", 0.0, (self.medium, self.high, self.critical), 100.0)

    def percentile_of(self, risk: float) -> float:
        """The share of active customers' risks at or below ``risk``, in percent."""
        return 100.0 * bisect.bisect_right(self.active_risks, risk) / len(self.active_risks)

    def tier_of(self, risk: float) -> Tier:
        return ladder(self.percentile_of(risk), self.medium, self.high, self.critical)


EVEN_ODDS = 0.5


def odds(p: float) -> float:
    p = min(max(p, 1e-9), 1 - 1e-9)
    return p / (1 - p)


@dataclass(frozen=True)
class LiftTiers:
    """Tiers by how much a customer's odds of churning exceed the active customers'.

    The odds ratio to the base rate means the same in any shop: where 82% of active customers
    churn within H, medium (twice the odds) starts at a risk of 0.90. And no tier starts below
    even odds: an alert says the customer is more likely leaving than not, so where only 10%
    churn, medium starts at 0.5, not at the 0.18 that twice the odds would be. With
    calibrated risks an alert is right about as often as its risk says.

    Parameters
    ----------
    base_rate
        The mean risk of active customers (silent less than the horizon), as the period's
        model rates them.
    medium, high, critical
        Lowest odds ratio to the base rate of each tier.
    floor
        The lowest risk with a tier: even odds by default.

    Examples
    --------
    >>> churny, loyal = LiftTiers(0.82), LiftTiers(0.10)
    >>> [churny.tier_of(r) for r in (0.85, 0.91, 0.95, 0.98)]
    ['none', 'medium', 'high', 'critical']
    >>> [loyal.tier_of(r) for r in (0.2, 0.45, 0.5, 0.99)]
    ['none', 'none', 'critical', 'critical']
    """

    base_rate: float
    medium: float = 2.0
    high: float = 4.0
    critical: float = 8.0
    floor: float = EVEN_ODDS  # no tier below this risk

    def __post_init__(self) -> None:
        check_order("tier odds ratios", 1.0, (self.medium, self.high, self.critical), math.inf)

    def tier_of(self, risk: float) -> Tier:
        if risk < self.floor:
            return "none"
        lift = odds(risk) / odds(self.base_rate)
        return ladder(lift, self.medium, self.high, self.critical)


@dataclass(frozen=True)
class RiskOrLiftTiers:
    """The higher of two tiers: the risk's own, and its lift over the shop's base rate (default).

    Where most active customers churn (an ageing cohort: 82% within H), lift cannot single
    anyone out, and the risk itself says who is leaving. Where few do (a grocer's 9%), almost
    no one is more likely leaving than not, yet a customer at 0.3 is four times as likely to
    leave as the rest: worth a call, and stated as 0.3, not dressed up as a likely loss.

    Parameters
    ----------
    thresholds
        The absolute tiers.
    lift
        Tiers by odds ratio to the share of active customers (silent less than the horizon)
        who went on to churn, in the labels the period's model learned from; with no floor.

    Examples
    --------
    >>> absolute = TierThresholds(0.5, 0.7, 0.85)
    >>> churny = RiskOrLiftTiers(absolute, LiftTiers(0.82, floor=0.0))
    >>> loyal = RiskOrLiftTiers(absolute, LiftTiers(0.09, floor=0.0))
    >>> [churny.tier_of(r) for r in (0.3, 0.6, 0.75, 0.9)]
    ['none', 'medium', 'high', 'critical']
    >>> [loyal.tier_of(r) for r in (0.1, 0.2, 0.3, 0.5)]
    ['none', 'medium', 'high', 'critical']
    """

    thresholds: TierThresholds
    lift: LiftTiers

    @property
    def base_rate(self) -> float:
        return self.lift.base_rate

    def tier_of(self, risk: float) -> Tier:
        by_lift, by_risk = self.lift.tier_of(risk), self.thresholds.tier_of(risk)
        return by_lift if TIER_RANK[by_lift] > TIER_RANK[by_risk] else by_risk
