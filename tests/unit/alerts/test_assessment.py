import dataclasses

from alerts.assessment import AssessmentConfig, assess, score_customer
from alerts.events import Trigger
from alerts.policy import AlertPolicy
from alerts.tiers import TierThresholds
from models.features import DAY
from models.heuristic import HeuristicScorer
from models.state import CustomerState, apply_complaint, apply_purchase

CONFIG = AssessmentConfig(
    TierThresholds(), AlertPolicy(horizon_days=90), horizon_days=90, clv_years=2
)
INACTIVITY = Trigger(kind="inactivity", event_id=None)


def _weekly_buyer() -> CustomerState:
    state = CustomerState("c7")
    for day in range(0, 70, 7):
        apply_purchase(state, day * DAY, 80.0)
    return state


def test_silence_alerts_with_reasons_action_and_value():
    state = _weekly_buyer()
    result = assess(state, 150 * DAY, INACTIVITY, HeuristicScorer(), CONFIG)
    alert = result.alert
    assert alert is not None and alert.trigger.kind == "inactivity"
    assert alert.reasons[0].code == "overdue"
    assert "usually buys every 7 days" in alert.reasons[0].text
    # before the value model is fitted, value counts one more order at the customer's average
    assert (alert.clv, alert.value_at_risk) == (
        round((1 - alert.risk) * 80.0, 2),
        round(alert.risk * 80.0, 2),
    )
    assert alert.recommended_action
    assert result.risk_update.risk == alert.risk


def test_alert_id_is_the_same_for_the_same_input():
    ids = {
        assess(_weekly_buyer(), 150 * DAY, INACTIVITY, HeuristicScorer(), CONFIG).alert.alert_id
        for _ in range(3)
    }
    assert len(ids) == 1


def test_purchase_after_an_alert_recovers_it():
    state = _weekly_buyer()
    alert = assess(state, 150 * DAY, INACTIVITY, HeuristicScorer(), CONFIG).alert
    apply_purchase(state, 160 * DAY, 25.0)
    result = assess(
        state,
        160 * DAY,
        Trigger(kind="purchase", event_id="p9"),
        HeuristicScorer(),
        CONFIG,
        purchase_amount=25.0,
    )
    assert result.recovered is not None
    assert (
        result.recovered.alert_id,
        result.recovered.days_to_recovery,
        result.recovered.amount,
    ) == (alert.alert_id, 10.0, 25.0)
    assert state.alert.open_alert_id is None


def test_open_complaint_leads_to_service_recovery():
    state = _weekly_buyer()
    apply_complaint(state, 60 * DAY, "k1", "delivery", 5, "opened", None)
    alert = assess(state, 100 * DAY, INACTIVITY, HeuristicScorer(), CONFIG).alert
    assert alert is not None and alert.recommended_action == "service_recovery"
    assert any(
        r.code == "open_complaint" and "delivery, severity 5" in r.text for r in alert.reasons
    )


def test_scoring_does_not_change_the_state():
    state = _weekly_buyer()
    before = repr(state)
    score = score_customer(state, 200 * DAY, HeuristicScorer(), CONFIG)
    assert repr(state) == before
    assert (score.customer_id, score.lifecycle_stage, score.frequency) == ("c7", "lapsed", 10)


def test_reasons_need_their_evidence():
    from alerts.reasons import build_reasons
    from models.features import extract_features

    state = _weekly_buyer()
    x = extract_features(state, 70 * DAY, 90)  # on time, no complaints
    reasons = build_reasons(
        {"complaints_90d": 1.5, "overdue_ratio": 0.9, "log_recency": 0.3}, state, x
    )
    # no complaint, not overdue: none of those reasons, only the silence, with no weight claimed
    assert [(r.code, r.weight) for r in reasons] == [("silence", 0.0)]


def test_lifecycle_change_is_published_on_the_risk_update():
    state = _weekly_buyer()
    first = assess(state, 70 * DAY, INACTIVITY, HeuristicScorer(), CONFIG).risk_update
    later = assess(state, 170 * DAY, INACTIVITY, HeuristicScorer(), CONFIG).risk_update
    assert (first.lifecycle_stage, later.lifecycle_stage) == ("active", "lapsed")
    assert later.previous_lifecycle_stage == "active" and later.lifecycle_changed


def test_holdout_and_priority_on_alerts():
    from dataclasses import replace

    everyone_held_out = replace(CONFIG, holdout_share=1.0)
    alert = assess(
        _weekly_buyer(), 150 * DAY, INACTIVITY, HeuristicScorer(), everyone_held_out
    ).alert
    # before the value model's first fit the unit is the customer's own average order, and
    # one more order, at a risk below 1, is less than one at risk
    assert alert.holdout and alert.priority == 4
    in_currency = replace(everyone_held_out, priority_bands=(1e9, 1.0), priority_in_orders=False)
    alert = assess(_weekly_buyer(), 150 * DAY, INACTIVITY, HeuristicScorer(), in_currency).alert
    assert alert.priority == 2


def _stepped(step: float) -> AssessmentConfig:
    return dataclasses.replace(CONFIG, risk_step=step)


def test_a_risk_that_barely_moved_is_not_published_again():
    state = _weekly_buyer()
    first = assess(state, 64 * DAY, INACTIVITY, HeuristicScorer(), _stepped(0.5)).risk_update
    again = assess(state, 64.1 * DAY, INACTIVITY, HeuristicScorer(), _stepped(0.5))
    assert first is not None and first.previous_risk is None
    assert again.risk_update is None
    assert state.published_risk == first.risk != state.risk  # the state has the latest risk


def test_a_purchase_and_a_tier_change_are_always_published_against_the_last_published_risk():
    state = _weekly_buyer()
    quiet = assess(state, 64 * DAY, INACTIVITY, HeuristicScorer(), _stepped(1.0)).risk_update
    assert quiet is not None
    late = assess(state, 150 * DAY, INACTIVITY, HeuristicScorer(), _stepped(1.0)).risk_update
    assert late is not None and late.tier != quiet.tier and late.previous_risk == quiet.risk
    apply_purchase(state, 151 * DAY, 80.0)
    bought = Trigger(kind="purchase", event_id="p151", amount=80.0)
    update = assess(state, 151 * DAY, bought, HeuristicScorer(), _stepped(1.0), 80.0).risk_update
    assert update is not None and update.previous_risk == late.risk


def test_a_step_of_zero_publishes_every_assessment():
    state = _weekly_buyer()
    updates = [
        assess(state, day * DAY, INACTIVITY, HeuristicScorer(), _stepped(0.0)).risk_update
        for day in (64, 64.1, 64.2)
    ]
    assert all(u is not None for u in updates)
