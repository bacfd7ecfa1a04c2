import numpy as np
import pytest

from models.drift import DriftWatch
from models.pulse import GAPS, SQUARES, SUM, Pulse


def _period(rng: np.random.Generator, labels: int, rate: float) -> tuple[np.ndarray, np.ndarray]:
    churned = rng.random(labels) < rate
    return churned, np.where(churned, 0.6, 0.2) + rng.normal(0, 0.05, labels).clip(-0.15, 0.15)


def _pulse(rng: np.random.Generator, gaps: int, mean: float) -> Pulse:
    ratios = np.round(rng.normal(mean, 0.5, gaps).clip(-3, 3) * 1000).astype(int)
    return Pulse.of({GAPS: gaps, SUM: int(ratios.sum()), SQUARES: int((ratios**2).sum())})


@pytest.mark.parametrize("labels", [300, 20_000])
def test_a_stationary_shop_raises_no_drift_at_any_size(labels):
    rng, watch = np.random.default_rng(3), DriftWatch(arm_after_periods=2)
    found = []
    for period in range(150):
        found += watch.update(period, *_period(rng, labels, 0.3))
        found += watch.pulse(period, _pulse(rng, labels // 4, 0.0))
    assert found == []


def test_nothing_is_watched_before_labels_of_both_outcomes_have_flowed_a_horizon():
    rng, watch = np.random.default_rng(4), DriftWatch(arm_after_periods=13)
    for period in range(12):
        assert watch.update(period, *_period(rng, 400, 0.05 + 0.05 * period)) == []
        assert watch.pulse(period, _pulse(rng, 100, 0.5 * (period % 2))) == []
    assert not watch.armed(11) and watch.armed(13)


def test_a_jump_in_the_churn_rate_is_found_in_the_period_it_shows():
    rng, watch = np.random.default_rng(5), DriftWatch(arm_after_periods=0)
    for period in range(20):
        assert watch.update(period, *_period(rng, 400, 0.3)) == []
    found = watch.update(20, *_period(rng, 400, 0.6))
    rate = next(d for d in found if d.signal == "label_rate")
    assert rate.period == 20 and rate.before == pytest.approx(0.3, abs=0.05) and rate.after > 0.5
    found += watch.update(21, *_period(rng, 400, 0.6)) + watch.update(22, *_period(rng, 400, 0.6))
    assert [d.signal for d in found if d.signal == "log_loss"] == ["log_loss"]
    assert watch.detections() == {"label_rate": 1, "log_loss": 1, "purchase_gaps": 0}


def test_a_small_change_in_the_rate_of_a_large_shop_is_not_material():
    rng, watch = np.random.default_rng(6), DriftWatch(arm_after_periods=0)
    found = []
    for period in range(60):
        found += watch.update(period, *_period(rng, 20_000, 0.30 if period < 30 else 0.32))
    assert found == []


def test_gaps_twice_as_long_are_found_the_first_period_in_a_small_shop_too():
    for gaps in (60, 6000):
        rng, watch = np.random.default_rng(7), DriftWatch(arm_after_periods=0)
        watch.update(0, np.array([True, False]), np.array([0.5, 0.5]))  # arms it
        for period in range(20):
            assert watch.pulse(period, _pulse(rng, gaps, 0.0)) == []
        (drift,) = watch.pulse(20, _pulse(rng, gaps, np.log(2)))
        assert drift.signal == "purchase_gaps" and drift.detector == "PageHinkley"
        assert abs(drift.before) < 0.1 < 0.5 < drift.after


def test_a_period_with_too_few_purchases_to_compare_is_skipped():
    rng, watch = np.random.default_rng(8), DriftWatch(arm_after_periods=0)
    watch.update(0, np.array([True, False]), np.array([0.5, 0.5]))
    for period in range(20):
        watch.pulse(period, _pulse(rng, 200, 0.0))
    assert watch.pulse(20, _pulse(rng, 10, 2.0)) == []
