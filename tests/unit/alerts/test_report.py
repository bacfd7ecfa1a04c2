from datetime import UTC, datetime, timedelta

from alerts.events import ChurnAlert, CustomerRecovered, RiskUpdate, Trigger
from alerts.report import retention_report

T0 = datetime(2025, 6, 1, tzinfo=UTC)
TRIGGER = Trigger(kind="inactivity", event_id=None)


def _alert(customer: str, day: int, tier: str = "high", holdout: bool = False) -> ChurnAlert:
    return ChurnAlert(
        alert_id=f"a-{customer}-{day}",
        customer_id=customer,
        timestamp=T0 + timedelta(days=day),
        risk=0.8,
        tier=tier,
        escalation=False,
        reasons=[],
        recommended_action="reminder_message",
        clv=100.0,
        value_at_risk=80.0,
        priority=3,
        holdout=holdout,
        lifecycle_stage="at_risk",
        model_version="m",
        trigger=TRIGGER,
    )


def _recovered(alert: ChurnAlert, days: float, amount: float) -> CustomerRecovered:
    return CustomerRecovered(
        recovery_id=f"r-{alert.alert_id}",
        alert_id=alert.alert_id,
        customer_id=alert.customer_id,
        timestamp=alert.timestamp + timedelta(days=days),
        days_to_recovery=days,
        amount=amount,
    )


def _update(customer: str, day: int, stage: str) -> RiskUpdate:
    return RiskUpdate(
        update_id=f"u-{customer}-{day}",
        customer_id=customer,
        timestamp=T0 + timedelta(days=day),
        risk=0.5,
        tier="medium",
        lifecycle_stage=stage,
        lifecycle_changed=False,
        model_version="m",
        trigger=TRIGGER,
    )


def test_kpis_of_alerts_and_recoveries():
    alerts = [_alert("a", 0), _alert("b", 1, "medium"), _alert("c", 2, "critical")]
    recovered = [_recovered(alerts[0], 4, 30.0), _recovered(alerts[2], 10, 20.0)]
    report = retention_report(alerts, recovered)
    assert report["alerts_by_tier"] == {"critical": 1, "high": 1, "medium": 1}
    assert (report["alerted_customers"], report["recovered_customers"]) == (3, 2)
    assert report["recapture_rate"] == round(2 / 3, 4)
    assert report["median_days_to_recovery"] == 7
    assert report["revenue_from_recovered"] == 50.0
    assert "holdout" not in report and "churn" not in report


def test_spend_back_counts_what_recovered_customers_bought_within_the_horizon():
    alerts = [_alert("a", 0), _alert("b", 1)]
    recovered = [_recovered(alerts[0], 4, 30.0)]

    def bought(customer: str, day: int, amount: float) -> RiskUpdate:
        trigger = Trigger(kind="purchase", event_id=f"p{day}", amount=amount)
        return _update(customer, day, "active").model_copy(update={"trigger": trigger})

    updates = [bought("a", 4, 30.0), bought("a", 40, 12.5), bought("a", 120, 99.0)]
    updates += [bought("b", 5, 70.0), _update("a", 50, "active")]
    report = retention_report(alerts, recovered, updates, horizon_days=90)
    assert report["spend_back_within_horizon"] == 42.5  # b never recovered; day 120 is past H
    assert retention_report(alerts, recovered, horizon_days=90)["spend_back_within_horizon"] is None


def test_since_counts_only_later_alerts_and_their_recoveries():
    alerts = [_alert("a", 0), _alert("b", 30)]
    report = retention_report(
        alerts, [_recovered(alerts[0], 3, 9.0)], since=(T0 + timedelta(days=10)).timestamp()
    )
    assert (report["alerts"], report["recovered_customers"]) == (1, 0)


def test_holdout_is_compared_with_acted():
    alerts = [_alert("a", 0), _alert("b", 0), _alert("h", 0, holdout=True)]
    report = retention_report(alerts, [_recovered(alerts[0], 1, 5.0)])
    assert report["holdout"]["acted"]["recapture_rate"] == 0.5
    assert report["holdout"]["holdout"]["recapture_rate"] == 0.0


def test_churn_of_alerted_and_not_alerted_customers_uses_latest_stage():
    updates = [
        _update("a", 0, "lapsed"),
        _update("a", 5, "active"),
        _update("b", 1, "lapsed"),
        _update("x", 0, "active"),
        _update("y", 0, "lapsed"),
    ]
    churn = retention_report([_alert("a", 0), _alert("b", 0)], [], updates)["churn"]
    assert churn == {
        "alerted_customers": 2,
        "alerted_churn_rate": 0.5,
        "not_alerted_customers": 2,
        "not_alerted_churn_rate": 0.5,
    }
