"""When to look at a silent customer again: churn is the absence of events.

A customer who stops buying sends nothing, so the engine schedules, after each assessment,
the event time at which silence would next mean something: being 1.5, 2, 3, 4 or 6 times
overdue against their own rhythm, reaching the horizon (lapsing), and the next calendar tick
at which a training example is taken.
"""

from __future__ import annotations

import math

from models.features import DAY, expected_interval_days
from models.labels import example_time_after
from models.state import CustomerState

OVERDUE_MILESTONES = (1.5, 2.0, 3.0, 4.0, 6.0)
# After lapsing, a dormant customer is still looked at once per horizon for this many
# horizons: customers do come back after long silences, and the model must see them.
DORMANT_HORIZONS = 4


def next_check_time(
    state: CustomerState,
    as_of: float,
    horizon_days: float,
    interval_days: float | None = None,
    example_every_days: float | None = None,
) -> float | None:
    """The first milestone of silence after ``as_of``; None once dormant for long.

    With ``example_every_days``, the next calendar tick for a training example counts as a
    milestone too, until the customer has been dormant for long.

    >>> from models.state import apply_purchase
    >>> s = CustomerState("c1")
    >>> for day in (0, 10, 20):
    ...     apply_purchase(s, day * DAY, 5.0)
    >>> next_check_time(s, 20 * DAY, 90) / DAY   # 1.5 x a 10-day rhythm after day 20
    35.0
    >>> next_check_time(s, 200 * DAY, 90) / DAY   # dormant: once per horizon
    290.0
    >>> next_check_time(s, 20 * DAY + 4 * 90 * DAY, 90) is None
    True
    >>> next_check_time(s, 20 * DAY, 90, example_every_days=7) / DAY   # the tick of day 21
    21.0
    """
    last = state.last_purchase if state.last_purchase is not None else state.first_seen
    if last is None:
        return None
    # the caller usually has the rhythm already, in its features
    interval = (interval_days or expected_interval_days(state)) * DAY
    horizon = horizon_days * DAY
    upcoming = _first_milestone(last, interval, horizon, as_of)
    if example_every_days and as_of < last + DORMANT_HORIZONS * horizon:
        tick = example_time_after(as_of, example_every_days)
        if tick > as_of and (upcoming is None or tick < upcoming):
            upcoming = tick
    if upcoming is None:
        return None
    # whole seconds, so the schedule round-trips exactly through Redis sorted-set scores, and
    # strictly after as_of, so a check can never schedule itself again
    return float(max(math.ceil(upcoming), math.floor(as_of) + 1))


def _first_milestone(last: float, interval: float, horizon: float, as_of: float) -> float | None:
    """The first overdue or dormant milestone after ``as_of`` (each kind is ascending, and every
    overdue one comes before the horizon)."""
    for ratio in OVERDUE_MILESTONES:
        if ratio * interval >= horizon:
            break
        if (moment := last + ratio * interval) > as_of:
            return moment
    for k in range(1, DORMANT_HORIZONS + 1):
        if (moment := last + k * horizon) > as_of:
            return moment
    return None
