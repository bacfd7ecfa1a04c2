import math

import numpy as np
import pytest

from models.features import FEATURE_NAMES
from models.order_value import GammaGamma
from models.purchases import BetaGeo
from models.value import Histories, ValueModel

MODEL = ValueModel(BetaGeo(0.25, 30.0, 0.8, 2.5), GammaGamma(6.0, 3.7, 15.0))
BASE = dict.fromkeys(FEATURE_NAMES, 0.0)


def _customer(orders: float, recency: float, tenure: float, average: float) -> dict[str, float]:
    return BASE | {
        "frequency": orders,
        "recency_days": recency,
        "tenure_days": tenure,
        "log_monetary": math.log1p(average),
    }


def _histories(rng: np.random.Generator, n: int) -> Histories:
    orders = rng.integers(1, 12, n).astype(float)
    tenure = rng.uniform(20, 600, n)
    recency = np.where(orders > 1, rng.uniform(0, 1, n) * tenure, tenure)
    return Histories(orders, recency, tenure, rng.gamma(4.0, 10.0, n))


def test_clv_and_value_at_risk_add_up_to_the_value_of_buying_again_as_published() -> None:
    rng = np.random.default_rng(0)
    for _ in range(200):
        x = _customer(rng.integers(1, 20), rng.uniform(0, 300), 300.0, rng.uniform(1, 500))
        value = MODEL.value(x, float(rng.uniform(0, 1)), 90, 2.0)
        assert value.clv + value.value_at_risk == pytest.approx(value.retained, abs=1e-9)
        assert min(value.clv, value.value_at_risk) >= 0


def test_value_falls_as_the_churn_risk_rises() -> None:
    x = _customer(6, 40, 300, 50.0)
    values = [MODEL.value(x, q, 90, 2.0).clv for q in (0.05, 0.3, 0.6, 0.9, 0.999)]
    assert values == sorted(values, reverse=True)
    assert values[-1] < 0.01 * values[0]


def test_with_bgnbds_own_risk_clv_is_bgnbds_expected_spend() -> None:
    """The churn risk replaces BG/NBD's chance of no purchase; given the same one, nothing else
    changes: V x E[purchases over Y], the textbook CLV."""
    histories = _histories(np.random.default_rng(1), 500)
    history = histories.history()
    purchases = MODEL.purchases
    assert purchases is not None and MODEL.order_value is not None
    own_risk = purchases.p_none(history, 90)
    clv, _, _ = MODEL.values(histories, own_risk, 90, 2.0)
    order = MODEL.order_value.expected_order_value(histories.orders, histories.average)
    expected = order * purchases.expected_purchases(history, 730)
    np.testing.assert_allclose(clv, expected, rtol=1e-9, atol=1e-9)


def test_a_horizon_longer_than_the_clv_window_still_adds_up() -> None:
    histories = _histories(np.random.default_rng(2), 300)
    risk = np.random.default_rng(3).uniform(0, 1, 300)
    clv, at_risk, retained = MODEL.values(histories, risk, 90, 30 / 365)
    np.testing.assert_allclose(clv + at_risk, retained)
    assert (clv <= retained + 1e-9).all()


def test_before_the_first_fit_value_is_one_more_order() -> None:
    value = ValueModel().value(_customer(3, 10, 100, 40.0), 0.25, 90, 2.0)
    assert (value.clv, value.value_at_risk, value.retained) == (30.0, 10.0, 40.0)


def test_refits_are_deterministic_and_do_not_depend_on_the_population_size() -> None:
    once = _histories(np.random.default_rng(4), 2000)
    tenfold = Histories(
        *(np.tile(getattr(once, f), 10) for f in ("orders", "recency", "tenure", "average"))
    )
    assert ValueModel().refit(once) == ValueModel().refit(once)
    fitted, larger = ValueModel().refit(once), ValueModel().refit(tenfold)
    assert (fitted.purchases, fitted.order_value) == (larger.purchases, larger.order_value)


def test_too_few_histories_leave_the_model_as_it_was() -> None:
    assert ValueModel().refit(_histories(np.random.default_rng(5), 30)) == ValueModel()


def test_gamma_gamma_recovers_the_parameters_of_simulated_orders() -> None:
    rng = np.random.default_rng(6)
    true = GammaGamma(p=6.0, q=3.7, gamma=15.0)
    customers = 20_000
    nu = rng.gamma(true.q, 1.0 / true.gamma, customers)
    orders = rng.integers(1, 8, customers)
    average = np.array(
        [rng.gamma(true.p, 1.0 / v, n).mean() for v, n in zip(nu, orders, strict=True)]
    )
    fitted = GammaGamma.fit(orders, average)
    assert fitted.population_mean == pytest.approx(true.population_mean, rel=0.05)
    assert (fitted.p, fitted.q) == (
        pytest.approx(true.p, rel=0.15),
        pytest.approx(true.q, rel=0.15),
    )
