import pytest

from alerts.policy import AlertDecision, decide_alert
from alerts.tiers import TierThresholds
from models.features import DAY
from models.state import AlertMemory

TIERS = TierThresholds(medium=0.5, high=0.7, critical=0.85, rearm_below=0.4)


def _run(
    risks_by_day: list[tuple[float, float]], cooldown: float = 14
) -> list[AlertDecision | None]:
    memory = AlertMemory()
    return [decide_alert(memory, risk, day * DAY, TIERS, cooldown) for day, risk in risks_by_day]


def test_alerts_once_on_crossing_not_on_every_event():
    assert [d.tier if d else None for d in _run([(0, 0.3), (1, 0.55), (2, 0.6), (3, 0.58)])] == [
        None,
        "medium",
        None,
        None,
    ]


def test_wobble_around_a_threshold_does_not_realert():
    assert sum(d is not None for d in _run([(0, 0.55), (1, 0.45), (2, 0.55), (3, 0.48)])) == 1


def test_rearms_below_the_lower_threshold_after_cooldown():
    decisions = _run([(0, 0.55), (1, 0.3), (20, 0.55)])
    assert [d is not None for d in decisions] == [True, False, True]


def test_cooldown_blocks_a_repeat_even_when_rearmed():
    decisions = _run([(0, 0.55), (1, 0.3), (5, 0.55), (16, 0.56)])
    assert [d is not None for d in decisions] == [True, False, False, True]


def test_escalation_alerts_inside_the_cooldown_and_says_so():
    decisions = _run([(0, 0.55), (1, 0.75), (2, 0.9), (3, 0.95)])
    assert [(d.tier, d.escalation) if d else None for d in decisions] == [
        ("medium", False),
        ("high", True),
        ("critical", True),
        None,
    ]


def test_thresholds_must_be_ordered():
    with pytest.raises(ValueError, match="rearm_below <= medium < high < critical"):
        TierThresholds(medium=0.7, high=0.6, critical=0.9, rearm_below=0.4)
