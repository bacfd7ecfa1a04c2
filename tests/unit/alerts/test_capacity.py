from alerts.capacity import Candidate, select
from models.features import DAY


def _candidate(i: int, priority: int, value: float, raised_day: float = 0.0) -> Candidate:
    raised = raised_day * DAY
    return Candidate(f"a{i}", f"c{i}", raised, raised - 10 * DAY, priority, value, b"{}")


def test_priority_first_then_value_at_risk_then_id():
    pool = [_candidate(1, 2, 900.0), _candidate(2, 1, 60.0), _candidate(3, 2, 900.0)]
    chosen, deferred = select(0, pool, 2, 90, {})
    assert [c.alert_id for c in chosen] == ["a2", "a1"]
    assert [c.alert_id for c in deferred] == ["a3"]


def test_the_choice_does_not_depend_on_the_order_candidates_come_in():
    pool = [_candidate(i, i % 3 + 1, float(i * 7 % 11)) for i in range(20)]
    assert select(0, pool, 5, 90, {}) == select(0, pool[::-1], 5, 90, {})


def test_a_deferred_candidate_lives_until_a_purchase_or_the_horizon():
    pool = [_candidate(1, 1, 10.0), _candidate(2, 1, 10.0)]
    assert select(5, pool, 0, 90, {"c1": 3 * DAY})[1] == [pool[1]]  # c1 bought on day 3
    assert select(78, pool, 0, 90, {})[1] == pool  # silent 89 days by the end of day 78
    assert select(79, pool, 0, 90, {})[1] == []  # 90 days: too late for anyone
