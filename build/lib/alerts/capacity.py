"""A daily capacity: at most N alerts per event-time day, the most valuable first.

A retention team can make so many calls a day. With a capacity, alerts are candidates until
their day is over in event time; then the day's candidates, and earlier ones deferred but
still worth acting on, are ranked by priority and value at risk, and the first N are
published. The rest wait, deferred, for a later day of their episode, until the customer
buys (the episode is over) or has been silent for the horizon (too late to act).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from alerts.events import ChurnAlert
from models.features import DAY


@dataclass(frozen=True)
class Candidate:
    """An alert waiting for its day's selection.

    Parameters
    ----------
    alert_id, customer_id
        Of the alert.
    raised_at
        Event time the alert was decided.
    silent_since
        The customer's last purchase before it (or first sight): silence runs from here.
    priority, value_at_risk
        The alert's; the order of selection is priority, then value at risk, then id.
    payload
        The alert as published (JSON bytes).
    """

    alert_id: str
    customer_id: str
    raised_at: float
    silent_since: float
    priority: int
    value_at_risk: float
    payload: bytes

    @property
    def rank(self) -> tuple[int, float, str]:
        return (self.priority, -self.value_at_risk, self.alert_id)


def day_of(at: float) -> int:
    return int(at // DAY)


def select(
    day: int,
    candidates: Iterable[Candidate],
    capacity: int,
    horizon_days: float,
    episode_ended: Mapping[str, float],
) -> tuple[list[Candidate], list[Candidate]]:
    """The candidates to publish for ``day``, and those deferred to a later day.

    ``candidates`` are the day's own and earlier deferred ones; a candidate is dropped when
    its customer bought after it (``episode_ended``: the customer's latest purchase that
    ended an episode with an alert pending) by the day's end, or when by then they have been
    silent for the horizon.

    >>> def c(i, value, raised=0.0):
    ...     return Candidate(f"a{i}", f"c{i}", raised, raised - DAY, 3, value, b"{}")
    >>> publish, defer = select(0, [c(1, 5.0), c(2, 50.0), c(3, 20.0)], 2, 90, {})
    >>> [x.alert_id for x in publish], [x.alert_id for x in defer]
    (['a2', 'a3'], ['a1'])
    >>> select(1, defer, 2, 90, {"c1": 0.5 * DAY})  # c1 bought: the episode is over
    ([], [])
    >>> select(95, defer, 2, 90, {})  # silent for the horizon: too late
    ([], [])
    """
    day_end = (day + 1) * DAY
    alive = [
        c
        for c in candidates
        if not (c.raised_at < episode_ended.get(c.customer_id, -1.0) < day_end)
        and day_end - c.silent_since < horizon_days * DAY
    ]
    ranked = sorted(alive, key=lambda c: c.rank)
    return ranked[:capacity], ranked[capacity:]


def candidate_of(alert: ChurnAlert, silent_days: float) -> Candidate:
    """``alert`` as a candidate; the customer had been silent ``silent_days`` when it was raised."""
    at = alert.timestamp.timestamp()
    return Candidate(
        alert_id=alert.alert_id,
        customer_id=alert.customer_id,
        raised_at=at,
        silent_since=at - silent_days * DAY,
        priority=alert.priority,
        value_at_risk=alert.value_at_risk,
        payload=alert.model_dump_json().encode(),
    )
