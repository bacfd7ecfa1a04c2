import pytest

from models.features import DAY, DEFAULT_INTERVAL_DAYS, extract_features, spend_trend
from models.state import CustomerState, apply_complaint, apply_purchase


def _buyer(days: list[float], amount: float = 50.0) -> CustomerState:
    state = CustomerState("c1")
    for day in days:
        apply_purchase(state, day * DAY, amount)
    return state


def test_recency_is_measured_at_the_cut_not_the_last_event():
    state = _buyer([0, 30])
    assert extract_features(state, 30 * DAY, 90)["recency_days"] == 0
    assert extract_features(state, 100 * DAY, 90)["recency_days"] == 70


def test_rhythm_follows_recent_gaps_more_than_old_ones():
    slowing = _buyer([0, 10, 20, 30, 60, 100])
    x = extract_features(slowing, 100 * DAY, 90)
    assert x["mean_interval_days"] == 20
    assert x["interval_days"] > x["mean_interval_days"]


def test_one_time_buyer_gets_the_default_rhythm():
    x = extract_features(_buyer([5]), 20 * DAY, 90)
    assert x["interval_days"] == DEFAULT_INTERVAL_DAYS
    assert x["single_purchase"] == 1.0


def test_complaint_windows_open_and_severity():
    state = _buyer([0])
    apply_complaint(state, 10 * DAY, "k1", "delivery", 4, "opened", None)
    apply_complaint(state, 70 * DAY, "k2", "price", 2, "opened", None)
    apply_complaint(state, 75 * DAY, "k2", "price", 2, "resolved", 1)
    x = extract_features(state, 80 * DAY, 90)
    assert (x["complaints_30d"], x["complaints_90d"], x["open_complaints"]) == (1, 2, 1)
    assert x["worst_severity_90d"] == 4
    assert x["satisfaction_gap"] == 2  # rated 1 against a neutral 3
    assert x["days_since_complaint"] == 5


@pytest.mark.parametrize(
    ("amounts", "expected"),
    [
        ((100.0, 40.0), -0.6),
        ((50.0, 50.0), 0.0),
        ((10.0, 100.0), 3.0),
    ],
)
def test_spend_trend_compares_last_90_days_with_the_90_before(amounts, expected):
    earlier, recent = amounts
    state = CustomerState("c1")
    apply_purchase(state, 50 * DAY, earlier)
    apply_purchase(state, 150 * DAY, recent)
    assert spend_trend(state, 170 * DAY) == pytest.approx(expected)
