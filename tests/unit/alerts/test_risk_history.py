"""Risk trails per customer, and customers per tier at the end of each week of event time."""

from __future__ import annotations

from alerts.risk_history import WEEK, RiskHistory


def update(customer: str, tier: str, risk: float = 0.5, stage: str = "active") -> dict:
    return {
        "customer_id": customer,
        "risk": risk,
        "tier": tier,
        "lifecycle_stage": stage,
        "model_version": "logreg.p3",
        "trigger": {"kind": "purchase", "event_id": "e"},
    }


def test_a_trail_keeps_every_update_and_the_latest_stage():
    history = RiskHistory()
    history.add(update("c1", "none", 0.1), 10.0)
    history.add(update("c1", "high", 0.8, stage="at_risk"), 20.0)
    trail = history.trails["c1"]
    assert [(p["at"], p["risk"], p["tier"]) for p in trail.points()] == [
        (10.0, 0.1, "none"),
        (20.0, 0.8, "high"),
    ]
    assert trail.latest == {
        "at": 20.0,
        "risk": 0.8,
        "tier": "high",
        "stage": "at_risk",
        "model_version": "logreg.p3",
    }
    assert history.now == 20.0


def test_weeks_count_each_customer_once_in_their_current_tier():
    history = RiskHistory()
    history.add(update("c1", "none"), 0.0)
    history.add(update("c2", "none"), 1.0)
    history.add(update("c1", "critical"), WEEK + 1)  # closes week 0
    history.add(update("c2", "medium"), 2 * WEEK + 1)  # closes week 1
    weeks = history.tier_weeks()
    assert [(w["none"], w["medium"], w["critical"]) for w in weeks] == [(2, 0, 0), (1, 0, 1)]
    assert history.tier_counts() == {"none": 0, "medium": 1, "high": 0, "critical": 1}


def test_an_erased_customer_is_forgotten():
    history = RiskHistory()
    history.add(update("c1", "high"), 0.0)
    history.forget("c1")
    assert "c1" not in history.trails
    assert history.tier_counts()["high"] == 0
