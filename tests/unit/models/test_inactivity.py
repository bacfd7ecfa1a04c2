from hypothesis import given
from hypothesis import strategies as st

from models.features import DAY
from models.inactivity import next_check_time
from models.state import CustomerState, apply_purchase


@given(
    st.lists(st.floats(0, 1000, allow_nan=False), min_size=1, max_size=12),
    st.floats(0, 2000, allow_nan=False),
)
def test_next_check_is_always_strictly_later_and_whole_seconds(days, as_of_day):
    state = CustomerState("c1")
    for day in days:
        apply_purchase(state, day * DAY, 1.0)
    as_of = float(int(as_of_day * DAY))
    following = next_check_time(state, as_of, 90)
    assert following is None or (following > as_of and following == int(following))


def test_dormant_customers_are_checked_once_per_horizon_then_left_alone():
    state = CustomerState("c1")
    apply_purchase(state, 0.0, 1.0)
    assert next_check_time(state, 89 * DAY, 90) == 90 * DAY
    assert next_check_time(state, 90 * DAY, 90) == 180 * DAY
    assert next_check_time(state, 360 * DAY, 90) is None
