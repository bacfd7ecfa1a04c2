import pytest
from hypothesis import given
from hypothesis import strategies as st

from models.features import DAY, FEATURE_NAMES
from models.labels import take_snapshot
from models.state import CustomerState, apply_complaint, apply_purchase
from streams.storage.codec import decode_state, encode_state

days = st.integers(0, 800)


@given(
    st.lists(st.tuples(days, st.floats(0, 1e5, allow_nan=False).map(lambda a: round(a, 2)))),
    st.lists(
        st.tuples(
            days,
            st.sampled_from(["k1", "k2", "k3"]),
            st.integers(1, 5),
            st.sampled_from(["opened", "escalated", "resolved"]),
        )
    ),
)
def test_state_round_trips_through_its_value(purchases, complaints):
    state = CustomerState("c1")
    for day, amount in purchases:
        apply_purchase(state, day * DAY, amount)
    for day, cid, severity, status in complaints:
        apply_complaint(state, day * DAY, cid, "price", severity, status, None)
    state.remember_event("e1")
    restored = decode_state("c1", encode_state(state))
    assert encode_state(restored) == encode_state(state)
    assert restored.recent_purchases == state.recent_purchases


def test_a_busy_customer_stays_under_one_kibibyte():
    state = CustomerState("C000123")
    for i in range(200):
        state.remember_event(f"purchase-{i:08d}-2025-01-01T00:00:00Z")
        apply_purchase(state, 1_735_689_600 + i * 7 * DAY + 3_617, 123.45)
    for i in range(12):
        apply_complaint(
            state, 1_735_689_600 + i * 30 * DAY, f"complaint-{i:06d}", "delivery", 4, "resolved", 2
        )
    state.alert.alert_id = state.alert.open_alert_id = "cda5a34f-53f0-5c3b-88ab-4779eff1b9a9"
    size = len(encode_state(state))
    assert size < 1024, size


def test_a_customer_with_pending_examples_round_trips():
    state = CustomerState("c1")
    apply_purchase(state, 0.0, 10.0)
    take_snapshot(state, dict.fromkeys(FEATURE_NAMES, 0.5), 28 * DAY, every_days=28)
    take_snapshot(state, dict.fromkeys(FEATURE_NAMES, 2.0), 56 * DAY, every_days=28)
    assert decode_state("c1", encode_state(state)) == state


def test_a_value_in_another_format_is_refused_with_the_customer_named():
    with pytest.raises(ValueError, match="state of c7 is in unknown format 2"):
        decode_state("c7", b"\x02" + encode_state(CustomerState("c7"))[1:])
