import pytest

from alerts.policy import AlertDecision, AlertPolicy, decide_alert, end_episode
from alerts.tiers import (
    TIER_RANK,
    LiftTiers,
    PercentileTiers,
    RiskOrLiftTiers,
    Tier,
    TierThresholds,
)
from models.features import DAY
from models.state import AlertMemory

POLICY = AlertPolicy(horizon_days=90)
ESCALATING = AlertPolicy(horizon_days=90, escalate=True, cooldown_days=14)


def _run(
    steps: list[tuple[float, Tier, float, bool]], policy: AlertPolicy = POLICY
) -> list[AlertDecision | None]:
    """Each step: (day, tier, days silent, is a complaint); a 0-day silence is a purchase."""
    memory = AlertMemory()
    decisions = []
    for day, tier, silent, complaint in steps:
        if silent == 0:
            end_episode(memory)
        trigger = "purchase" if silent == 0 else "complaint" if complaint else "inactivity"
        decisions.append(decide_alert(memory, tier, day * DAY, silent, trigger, policy))
    return decisions


def test_one_alert_per_episode_however_high_the_tier_climbs():
    decisions = _run(
        [(10, "medium", 10, False), (20, "high", 20, False), (40, "critical", 40, True)]
    )
    assert [d is not None for d in decisions] == [True, False, False]


def test_a_purchase_ends_the_episode_and_rearms():
    decisions = _run([(10, "medium", 10, False), (15, "none", 0, False), (40, "high", 25, False)])
    assert [d.tier if d else None for d in decisions] == ["medium", None, "high"]


def test_no_alert_once_silent_for_the_horizon():
    decisions = _run([(100, "critical", 90, False), (130, "critical", 120, False)])
    assert decisions == [None, None]


def test_escalation_needs_a_complaint_a_higher_tier_and_the_cooldown():
    decisions = _run(
        [
            (0, "medium", 20, False),
            (5, "critical", 25, True),  # inside the cooldown
            (20, "critical", 40, False),  # no complaint: nothing new happened
            (21, "critical", 41, True),  # a complaint raises the tier
            (40, "critical", 60, True),  # already critical
        ],
        ESCALATING,
    )
    assert [(d.tier, d.escalation) if d else None for d in decisions] == [
        ("medium", False),
        None,
        None,
        ("critical", True),
        None,
    ]


def test_percentile_tiers_rank_risk_among_active_customers():
    churny = PercentileTiers(tuple(0.80 + i * 0.0002 for i in range(1001)))  # an 80%-churn shop
    loyal = PercentileTiers(tuple(0.02 + i * 0.0002 for i in range(1001)))  # a 10%-churn shop
    assert [churny.tier_of(r) for r in (0.9, 0.97, 0.985, 0.995)] == [
        "none",
        "medium",
        "high",
        "critical",
    ]
    assert [loyal.tier_of(r) for r in (0.1, 0.19, 0.2, 0.5)] == [
        "none",
        "medium",
        "high",
        "critical",
    ]


def test_risk_or_lift_tiers_spread_in_a_shop_where_few_leave_and_in_one_where_most_do():
    absolute = TierThresholds(0.5, 0.7, 0.85)
    risks = (0.12, 0.25, 0.45, 0.6, 0.75, 0.9)
    loyal = [RiskOrLiftTiers(absolute, LiftTiers(0.06, floor=0.0)).tier_of(r) for r in risks]
    churny = [RiskOrLiftTiers(absolute, LiftTiers(0.8, floor=0.0)).tier_of(r) for r in risks]
    assert loyal == ["medium", "high", "critical", "critical", "critical", "critical"]
    assert churny == ["none", "none", "none", "medium", "high", "critical"]
    # never lower than the risk's own tier, whatever the base rate
    for base in (0.01, 0.3, 0.6, 0.95):
        tiers = RiskOrLiftTiers(absolute, LiftTiers(base, floor=0.0))
        for risk in risks:
            assert TIER_RANK[tiers.tier_of(risk)] >= TIER_RANK[absolute.tier_of(risk)]


def test_thresholds_must_be_ordered():
    with pytest.raises(ValueError, match="medium < high < critical"):
        TierThresholds(medium=0.7, high=0.6, critical=0.9)
    with pytest.raises(ValueError, match="medium < high < critical < 100"):
        PercentileTiers((0.5,), medium=90, high=80, critical=95)


def test_a_purchase_never_alerts():
    assert _run([(10, "critical", 0, False), (11, "critical", 1, False)]) == [
        None,
        AlertDecision("critical", escalation=False),
    ]
