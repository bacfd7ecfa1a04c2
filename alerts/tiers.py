"""Risk tiers: the thresholds that turn a probability into a level of urgency."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Tier = Literal["none", "medium", "high", "critical"]
TIER_RANK: dict[Tier, int] = {"none": 0, "medium": 1, "high": 2, "critical": 3}


@dataclass(frozen=True)
class TierThresholds:
    """Risk thresholds of each tier, and the lower threshold that re-arms alerting.

    Parameters
    ----------
    medium, high, critical
        Lowest risk of each tier.
    rearm_below
        After an alert, the customer can be alerted again at the same tier only once
        risk has fallen below this (hysteresis), so a score wobbling around a
        threshold does not page the retention team every day.

    Examples
    --------
    >>> tiers = TierThresholds(medium=0.5, high=0.7, critical=0.85, rearm_below=0.4)
    >>> tiers.tier_of(0.72)
    'high'
    >>> tiers.tier_of(0.2)
    'none'
    """

    medium: float = 0.5
    high: float = 0.7
    critical: float = 0.85
    rearm_below: float = 0.4

    def __post_init__(self) -> None:
        if not 0 < self.rearm_below <= self.medium < self.high < self.critical < 1:
            raise ValueError(
                "tier thresholds must satisfy 0 < rearm_below <= medium < high < critical < 1, "
                f"got rearm_below={self.rearm_below}, medium={self.medium}, "
                f"high={self.high}, critical={self.critical}"
            )

    def tier_of(self, risk: float) -> Tier:
        """The highest tier whose threshold ``risk`` reaches."""
        if risk >= self.critical:
            return "critical"
        if risk >= self.high:
            return "high"
        if risk >= self.medium:
            return "medium"
        return "none"
