"""Retention KPIs from the stream itself: what was alerted, who came back, and how fast."""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

from alerts.events import RiskUpdate
from models.features import DAY


class AlertFacts(Protocol):
    """What the KPIs read of an alert: a published ``ChurnAlert``, or the console's entry."""

    @property
    def alert_id(self) -> str: ...
    @property
    def customer_id(self) -> str: ...
    @property
    def timestamp(self) -> datetime: ...
    @property
    def tier(self) -> str: ...
    @property
    def recommended_action(self) -> str: ...
    @property
    def value_at_risk(self) -> float: ...
    @property
    def holdout(self) -> bool: ...
    @property
    def escalation(self) -> bool: ...
    @property
    def model_version(self) -> str: ...


class RecoveryFacts(Protocol):
    """What the KPIs read of a ``CustomerRecovered``."""

    @property
    def alert_id(self) -> str: ...
    @property
    def timestamp(self) -> datetime: ...
    @property
    def days_to_recovery(self) -> float: ...
    @property
    def amount(self) -> float: ...


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def uplift(acted: dict[str, Any], holdout: dict[str, Any], z: float = 1.96) -> dict[str, Any]:
    """Recapture of acted-on customers minus the holdout's, with a 95% interval (normal
    approximation of the difference of two proportions).

    >>> uplift({"alerted_customers": 400, "recovered_customers": 120},
    ...        {"alerted_customers": 100, "recovered_customers": 20})
    {'uplift': 0.1, 'low': 0.0096, 'high': 0.1904, 'significant': True}
    """
    n_acted, n_held = acted["alerted_customers"], holdout["alerted_customers"]
    if not n_acted or not n_held:
        return {"uplift": None, "low": None, "high": None, "significant": False}
    p_acted = acted["recovered_customers"] / n_acted
    p_held = holdout["recovered_customers"] / n_held
    difference = p_acted - p_held
    spread = z * math.sqrt(p_acted * (1 - p_acted) / n_acted + p_held * (1 - p_held) / n_held)
    low, high = difference - spread, difference + spread
    return {
        "uplift": round(difference, 4),
        "low": round(low, 4),
        "high": round(high, 4),
        "significant": low > 0 or high < 0,
    }


def _recapture(alerts: list[AlertFacts], recovered_alert_ids: set[str]) -> dict[str, Any]:
    customers = {a.customer_id for a in alerts}
    back = {a.customer_id for a in alerts if a.alert_id in recovered_alert_ids}
    return {
        "alerted_customers": len(customers),
        "recovered_customers": len(back),
        "recapture_rate": _share(len(back), len(customers)),
    }


def outcomes_by(
    key: Callable[[AlertFacts], str],
    alerts: list[AlertFacts],
    recoveries: list[RecoveryFacts],
    horizon_days: float,
    now: float,
) -> dict[str, dict[str, Any]]:
    """Precision and recapture of the alerts whose horizon has passed, grouped by ``key``.

    An alert is judged once event time ``now`` is H days past it: it was right (precision)
    when the customer made no purchase within H, and recaptured when they did.

    >>> from alerts.events import ChurnAlert, CustomerRecovered, Trigger
    >>> common = dict(risk=0.9, tier="high", escalation=False, reasons=[], clv=10.0,
    ...     value_at_risk=9.0, priority=3, holdout=False, lifecycle_stage="at_risk",
    ...     model_version="m", trigger=Trigger(kind="inactivity", event_id=None))
    >>> alerts = [ChurnAlert(alert_id=str(i), customer_id=f"c{i}", recommended_action="call",
    ...     timestamp="2025-01-01T00:00:00Z", **common) for i in range(4)]
    >>> back = [CustomerRecovered(recovery_id="r", alert_id="0", customer_id="c0", amount=5.0,
    ...     timestamp="2025-01-11T00:00:00Z", days_to_recovery=10.0)]
    >>> outcomes_by(lambda a: a.tier, alerts, back, 90, now=2e9)
    {'high': {'judged': 4, 'precision': 0.75, 'recapture_rate': 0.25, 'waiting': 0, 'by_prior': 0}}
    """
    back_within = {r.alert_id for r in recoveries if r.days_to_recovery <= horizon_days}
    groups: dict[str, list[AlertFacts]] = {}
    waiting: Counter[str] = Counter()
    for alert in alerts:
        if alert.timestamp.timestamp() + horizon_days * DAY <= now:
            groups.setdefault(key(alert), []).append(alert)
        else:
            waiting[key(alert)] += 1
    result = {}
    for name in sorted(groups.keys() | waiting.keys()):
        judged = groups.get(name, [])
        recaptured = sum(a.alert_id in back_within for a in judged)
        result[name] = {
            "judged": len(judged),
            "precision": _share(len(judged) - recaptured, len(judged)),
            "recapture_rate": _share(recaptured, len(judged)),
            "waiting": waiting[name],
            "by_prior": sum(raised_by_prior(a) for a in judged),
        }
    return result


PRIORS = ("heuristic-", "bgnbd.")  # model versions of alerts raised before a learned model


def raised_by_prior(alert: AlertFacts) -> bool:
    """Whether the alert was raised by the prior (or the heuristic), not a learned model."""
    return alert.model_version.startswith(PRIORS)


Purchases = Mapping[str, Sequence[tuple[float, float]]]  # per customer: (event time, amount)


def purchases_of(updates: Iterable[RiskUpdate]) -> dict[str, list[tuple[float, float]]]:
    """Each customer's purchases, from the risk updates their purchases caused."""
    purchases: dict[str, list[tuple[float, float]]] = {}
    for update in updates:
        if update.trigger.kind == "purchase" and update.trigger.amount is not None:
            purchases.setdefault(update.customer_id, []).append(
                (update.timestamp.timestamp(), update.trigger.amount)
            )
    return purchases


def spend_back(
    alerts: Mapping[str, AlertFacts],
    recoveries: Iterable[RecoveryFacts],
    purchases: Purchases,
    horizon_days: float,
) -> float:
    """What recovered customers actually spent within H of the alert they answered: the
    purchase that recovered them and every one after it in that window.

    >>> from types import SimpleNamespace as Fact
    >>> when = datetime.fromtimestamp(0.0).astimezone()
    >>> alert = Fact(alert_id="a", customer_id="c", timestamp=when)
    >>> spend_back({"a": alert}, [Fact(alert_id="a")], {"c": [(-DAY, 9.0), (DAY, 20.0),
    ...     (30 * DAY, 15.0), (120 * DAY, 40.0)]}, horizon_days=90)
    35.0
    """
    total = 0.0
    for recovery in recoveries:
        alert = alerts[recovery.alert_id]
        start = alert.timestamp.timestamp()
        end = start + horizon_days * DAY
        total += sum(a for at, a in purchases.get(alert.customer_id, ()) if start <= at <= end)
    return round(total, 2)


def retention_report(
    alerts: Iterable[AlertFacts],
    recoveries: Iterable[RecoveryFacts],
    risk_updates: Iterable[RiskUpdate] | None = None,
    since: float | None = None,
    horizon_days: float | None = None,
    until: float | None = None,
    purchases: Purchases | None = None,
) -> dict[str, Any]:
    """KPIs of the alerts raised at or after ``since`` and before ``until`` (event time), and
    of their recoveries.

    With risk updates, churn is compared between alerted and never-alerted customers, churn
    meaning that a customer's latest lifecycle stage is ``lapsed``. With ``horizon_days``,
    precision and recapture by tier and by recommended action, of the alerts whose horizon
    the stream has passed. With the customers' purchases (given, or read off the risk
    updates) and ``horizon_days``, what recovered customers spent within H of their alert.
    """
    alerts, recoveries = list(alerts), list(recoveries)
    updates = None if risk_updates is None else list(risk_updates)
    if purchases is None and updates is not None:
        purchases = purchases_of(updates)
    raised = [a for a in alerts if raised_within(a.timestamp.timestamp(), since, until)]
    by_id = {a.alert_id: a for a in raised}
    answered = [r for r in recoveries if r.alert_id in by_id]
    acted = [a for a in raised if not a.holdout]
    held_out = [a for a in raised if a.holdout]
    answered_ids = {r.alert_id for r in answered}
    report: dict[str, Any] = {
        "alerts": len(raised),
        "alerts_by_tier": dict(sorted(Counter(a.tier for a in raised).items())),
        "escalations": sum(a.escalation for a in raised),
        **_recapture(acted, answered_ids),
        "median_days_to_recovery": (
            round(statistics.median(r.days_to_recovery for r in answered), 2) if answered else None
        ),
        "revenue_from_recovered": round(sum(r.amount for r in answered), 2),
        "spend_back_within_horizon": (
            spend_back(by_id, answered, purchases, horizon_days)
            if purchases is not None and horizon_days is not None
            else None
        ),
    }
    if held_out:
        report["holdout"] = _against_holdout(acted, held_out, answered_ids)
    if horizon_days is not None:
        times = [e.timestamp for e in alerts] + [r.timestamp for r in recoveries]
        times += [u.timestamp for u in updates or []]
        now = max(times).timestamp() if times else 0.0
        for name, key in (("by_tier", _tier), ("by_action", _action)):
            report[f"outcomes_{name}"] = outcomes_by(key, raised, answered, horizon_days, now)
    if updates is not None:
        report["churn"] = _churn_by_alerting(updates, {a.customer_id for a in raised})
    return report


def raised_within(at: float, since: float | None, until: float | None) -> bool:
    """Whether event time ``at`` is at or after ``since`` and before ``until`` (either open)."""
    return (since is None or at >= since) and (until is None or at < until)


def _against_holdout(
    acted: list[AlertFacts], held_out: list[AlertFacts], answered: set[str]
) -> dict[str, Any]:
    """Recapture of the alerts acted on and of the holdout's, and the uplift between them."""
    acted_recapture = _recapture(acted, answered)
    holdout_recapture = _recapture(held_out, answered)
    return {
        "acted": acted_recapture,
        "holdout": holdout_recapture,
        **uplift(acted_recapture, holdout_recapture),
    }


def _tier(alert: AlertFacts) -> str:
    return alert.tier


def _action(alert: AlertFacts) -> str:
    return alert.recommended_action


def _churn_by_alerting(updates: Iterable[RiskUpdate], alerted: set[str]) -> dict[str, Any]:
    latest: dict[str, RiskUpdate] = {}
    for update in updates:
        current = latest.get(update.customer_id)
        if current is None or update.timestamp >= current.timestamp:
            latest[update.customer_id] = update
    lapsed = {c for c, u in latest.items() if u.lifecycle_stage == "lapsed"}
    never = set(latest) - alerted
    return {
        "alerted_customers": len(alerted & set(latest)),
        "alerted_churn_rate": _share(len(lapsed & alerted), len(alerted & set(latest))),
        "not_alerted_customers": len(never),
        "not_alerted_churn_rate": _share(len(lapsed & never), len(never)),
    }
