"""Retention KPIs from the stream itself: what was alerted, who came back, and how fast."""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterable
from typing import Any

from alerts.events import ChurnAlert, CustomerRecovered, RiskUpdate


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _recapture(alerts: list[ChurnAlert], recovered_alert_ids: set[str]) -> dict[str, Any]:
    customers = {a.customer_id for a in alerts}
    back = {a.customer_id for a in alerts if a.alert_id in recovered_alert_ids}
    return {
        "alerted_customers": len(customers),
        "recovered_customers": len(back),
        "recapture_rate": _share(len(back), len(customers)),
    }


def retention_report(
    alerts: Iterable[ChurnAlert],
    recoveries: Iterable[CustomerRecovered],
    risk_updates: Iterable[RiskUpdate] | None = None,
    since: float | None = None,
) -> dict[str, Any]:
    """KPIs of the alerts raised at or after ``since`` (event time), and of their recoveries.

    With risk updates, churn is compared between alerted and never-alerted customers, churn
    meaning that a customer's latest lifecycle stage is ``lapsed``.
    """
    raised = [a for a in alerts if since is None or a.timestamp.timestamp() >= since]
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
        "value_at_risk_recovered": round(sum(by_id[r.alert_id].value_at_risk for r in answered), 2),
    }
    if held_out:
        report["holdout"] = {
            "acted": _recapture(acted, answered_ids),
            "holdout": _recapture(held_out, answered_ids),
        }
    if risk_updates is not None:
        report["churn"] = _churn_by_alerting(risk_updates, {a.customer_id for a in raised})
    return report


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
