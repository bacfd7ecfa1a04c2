from hypothesis import given
from hypothesis import strategies as st

from models.features import DAY
from models.state import CustomerState, apply_complaint, apply_purchase
from streams.codec import decode_state, encode_state

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
def test_state_round_trips_through_the_hash(purchases, complaints):
    state = CustomerState("c1")
    for day, amount in purchases:
        apply_purchase(state, day * DAY, amount)
    for day, cid, severity, status in complaints:
        apply_complaint(state, day * DAY, cid, "price", severity, status, None)
    state.remember_event("e1")
    fields = {k.encode(): v for k, v in encode_state(state).items()}
    restored = decode_state("c1", fields)
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
    size = sum(len(k) + len(v) for k, v in encode_state(state).items())
    assert size < 1024, size
