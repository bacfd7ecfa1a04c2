"""Which risk updates go on ``customer-risk``: the compacted feed of each customer's risk.

An update is published when the risk moved by at least the step since the customer's last
published update, when the tier or the lifecycle stage changed, when it raises an alert, and
on every purchase. Downstream services then hold every customer's risk within the step, with
the right tier and stage; purchases are always there because the feed is also the record of
what customers spent, which the retention KPIs read ("spent by recovered customers").
"""

from __future__ import annotations


def worth_publishing(
    risk: float,
    published_risk: float | None,
    tier_changed: bool,
    stage_changed: bool,
    purchase: bool,
    alerting: bool,
    step: float,
) -> bool:
    """Whether this update goes on the feed; a step of 0 publishes every one.

    >>> worth_publishing(0.305, 0.30, False, False, False, False, step=0.01)
    False
    >>> worth_publishing(0.31, 0.30, False, False, False, False, step=0.01)
    True
    >>> worth_publishing(0.305, 0.30, True, False, False, False, step=0.01)
    True
    >>> worth_publishing(0.4, None, False, False, False, False, step=0.5)   # never published
    True
    """
    if published_risk is None or tier_changed or stage_changed or purchase or alerting:
        return True
    # rounded so that a move of exactly one step counts whatever the floats' last digits
    return round(abs(risk - published_risk), 9) >= step
