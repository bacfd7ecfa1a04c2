import itertools
import random

from hypothesis import given, settings
from hypothesis import strategies as st

from models.features import DAY
from models.state import CustomerState, apply_complaint, apply_purchase

purchases = st.lists(
    st.tuples(st.integers(0, 400), st.floats(0, 500, allow_nan=False).map(lambda a: round(a, 2))),
    min_size=1,
    max_size=30,
)


def _state_from(history: list[tuple[int, float]]) -> CustomerState:
    state = CustomerState("c1")
    for day, amount in history:
        apply_purchase(state, day * DAY, amount)
    return state


@settings(max_examples=60)
@given(purchases, st.randoms())
def test_purchases_give_the_same_state_in_any_order(history, rnd):
    shuffled = history[:]
    rnd.shuffle(shuffled)
    in_order, any_order = _state_from(history), _state_from(shuffled)
    assert in_order.recent_purchases == any_order.recent_purchases
    assert (in_order.first_purchase, in_order.last_purchase, in_order.purchases) == (
        any_order.first_purchase,
        any_order.last_purchase,
        any_order.purchases,
    )
    assert abs(in_order.total_spend - any_order.total_spend) < 1e-6


def test_late_purchase_does_not_move_recency_backwards():
    state = _state_from([(100, 10.0)])
    apply_purchase(state, 20 * DAY, 99.0)
    assert state.last_purchase == 100 * DAY
    assert state.first_purchase == 20 * DAY
    assert state.purchases == 2


def test_recent_purchases_keep_the_latest_by_event_time():
    state = _state_from([(day, 1.0) for day in range(40)])
    assert [p.at / DAY for p in state.recent_purchases] == list(range(24, 40))


def test_complaint_steps_fold_in_any_order():
    steps = [(1, "opened", None), (3, "escalated", None), (9, "resolved", 2)]
    results = set()
    for order in itertools.permutations(steps):
        state = CustomerState("c1")
        for day, status, rating in order:
            apply_complaint(state, day * DAY, "k1", "delivery", 4, status, rating)
        (record,) = state.complaints
        results.add((record.opened_at, record.updated_at, record.status, record.satisfaction))
    assert results == {(1 * DAY, 9 * DAY, "resolved", 2)}


def test_same_second_steps_resolve_to_the_later_status():
    for order in (["resolved", "opened"], ["opened", "resolved"]):
        state = CustomerState("c1")
        for status in order:
            apply_complaint(state, 5 * DAY, "k1", "price", 2, status, None)
        assert state.complaints[0].status == "resolved"


def test_redelivered_event_is_recognised():
    state = CustomerState("c1")
    ids = [f"e{i}" for i in range(10)]
    assert all(state.remember_event(i) for i in ids)
    assert not any(state.remember_event(i) for i in random.sample(ids, 5))
