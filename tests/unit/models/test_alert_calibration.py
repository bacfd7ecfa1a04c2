import numpy as np

from models.alert_calibration import fit_where_alerted, past_rhythm_rows
from models.refit import INPUT_NAMES


def _rows(recency: np.ndarray, interval: np.ndarray) -> np.ndarray:
    rows = np.zeros((len(recency), len(INPUT_NAMES)))
    rows[:, INPUT_NAMES.index("log_recency")] = np.log1p(recency)
    rows[:, INPUT_NAMES.index("log_interval")] = np.log1p(interval)
    return rows


def test_a_scorer_wrong_past_rhythm_is_recalibrated_there_alone() -> None:
    rng = np.random.default_rng(0)
    n = 20_000
    recency, interval = rng.uniform(0, 120, n), rng.uniform(5, 60, n)
    rows = _rows(recency, interval)
    risk = rng.uniform(0.05, 0.95, n)
    segment = past_rhythm_rows(rows, 90)
    # past their rhythm the truth is twice the odds the scorer says; elsewhere the scorer is right
    odds = risk / (1 - risk) * np.where(segment, 2.0, 1.0)
    churned = rng.random(n) < odds / (1 + odds)
    calibration = fit_where_alerted(risk, churned, rows, 90)
    fixed = calibration.apply(risk[segment])
    assert abs(fixed.mean() - churned[segment].mean()) < 0.01
    assert abs(risk[segment].mean() - churned[segment].mean()) > 0.05  # it was wrong there
    assert abs(calibration.intercept - np.log(2)) < 0.1


def test_too_few_labels_past_rhythm_leave_the_scorer_as_it_is() -> None:
    rows = _rows(np.array([50.0] * 10), np.array([10.0] * 10))
    calibration = fit_where_alerted(np.full(10, 0.5), np.array([True, False] * 5), rows, 90)
    assert (calibration.slope, calibration.intercept) == (1.0, 0.0)
