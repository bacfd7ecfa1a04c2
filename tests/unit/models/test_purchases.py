import numpy as np
import pandas as pd
import pytest
from lifetimes import BetaGeoFitter

from models.purchases import BetaGeo, History, dropout_uncertainty

TRUE = BetaGeo(r=0.25, alpha=30.0, a=0.8, b=2.5)


def simulate(model: BetaGeo, customers: int, seed: int) -> History:
    """Customers of a BG/NBD shop, each first buying at day 0 and observed for 100-400 days."""
    rng = np.random.default_rng(seed)
    rate = rng.gamma(model.r, 1.0 / model.alpha, customers)
    dropout = rng.beta(model.a, model.b, customers)
    age = rng.uniform(100.0, 400.0, customers)
    repeats, last, clock = np.zeros(customers), np.zeros(customers), np.zeros(customers)
    alive = np.ones(customers, dtype=bool)
    for _ in range(400):
        clock = clock + rng.exponential(1.0 / np.maximum(rate, 1e-12))
        bought = alive & (clock <= age)
        repeats += bought
        last = np.where(bought, clock, last)
        alive = bought & (rng.random(customers) >= dropout)
        if not alive.any():
            break
    return History.of(repeats, last, age)


def test_the_fit_recovers_the_parameters_of_a_simulated_shop() -> None:
    fitted = BetaGeo.fit(simulate(TRUE, 20_000, seed=1))
    assert fitted.r == pytest.approx(TRUE.r, rel=0.1)
    assert fitted.alpha == pytest.approx(TRUE.alpha, rel=0.15)
    assert fitted.a == pytest.approx(TRUE.a, rel=0.3)
    assert fitted.b == pytest.approx(TRUE.b, rel=0.3)


def test_ten_times_the_customers_with_the_same_histories_give_the_same_model() -> None:
    once = simulate(TRUE, 3000, seed=2)
    tenfold = History.of(*(np.tile(v, 10) for v in (once.x, once.t_x, once.T)))
    assert BetaGeo.fit(tenfold) == BetaGeo.fit(once)


def test_formulas_and_fit_agree_with_lifetimes() -> None:
    history = simulate(TRUE, 5000, seed=3)
    whole_days = History.of(history.x, np.round(history.t_x), np.round(history.T))
    ours = BetaGeo.fit(whole_days)
    theirs = BetaGeoFitter(penalizer_coef=0.0).fit(whole_days.x, whole_days.t_x, whole_days.T)
    assert [ours.r, ours.alpha, ours.a, ours.b] == pytest.approx(list(theirs.params_), rel=0.05)
    theirs.params_ = pd.Series(
        {"r": ours.r, "alpha": ours.alpha, "a": ours.a, "b": ours.b}
    )  # the same parameters: the formulas must agree to rounding
    expected = theirs.conditional_expected_number_of_purchases_up_to_time(
        90, whole_days.x, whole_days.t_x, whole_days.T
    )
    alive = theirs.conditional_probability_alive(whole_days.x, whole_days.t_x, whole_days.T)
    np.testing.assert_allclose(ours.expected_purchases(whole_days, 90), expected, rtol=1e-9)
    np.testing.assert_allclose(ours.p_alive(whole_days), alive, rtol=1e-9)


def test_the_chance_of_no_purchase_matches_simulated_futures() -> None:
    """P(none in 60 days) and E[purchases] for a customer seen at (x=3, t_x=50, T=120)."""
    rng = np.random.default_rng(4)
    draws = 400_000
    model = BetaGeo(r=0.4, alpha=20.0, a=0.9, b=3.0)
    history = History.of([3.0], [50.0], [120.0])
    # the posterior of (alive, rate) given the history, by importance weights on prior draws
    rate = rng.gamma(model.r, 1.0 / model.alpha, draws)
    dropout = rng.beta(model.a, model.b, draws)
    likelihood_alive = rate**3 * np.exp(-rate * 120.0) * (1 - dropout) ** 3
    likelihood_gone = rate**3 * np.exp(-rate * 50.0) * dropout * (1 - dropout) ** 2
    weight = likelihood_alive + likelihood_gone
    alive = rng.random(draws) < likelihood_alive / weight
    first_gap = rng.exponential(1.0 / rate)
    none = ~alive | (first_gap > 60.0)
    simulated = np.average(none, weights=weight)
    assert model.p_none(history, 60.0)[0] == pytest.approx(simulated, abs=0.01)


def test_a_shop_where_few_ever_drop_out_gives_finite_expectations() -> None:
    """a + b + x < 1 makes the hypergeometric series negative (lifetimes returns NaN there)."""
    model = BetaGeo(r=0.187, alpha=14.8, a=0.291, b=0.455)
    expected = model.expected_purchases(History.of([0.0, 3.0], [0.0, 40.0], [60.0, 60.0]), 273)
    assert np.isfinite(expected).all()
    assert expected[0] == pytest.approx(0.461, abs=0.002)  # 400,000 simulated futures: 0.461


def test_expected_purchases_fall_as_silence_grows() -> None:
    silent = History.of([5.0] * 4, [100.0] * 4, [110.0, 150.0, 250.0, 400.0])
    expected = TRUE.expected_purchases(silent, 90)
    assert (np.diff(expected) < 0).all()


def test_a_fit_started_where_a_young_shop_left_it_finds_what_the_data_now_say() -> None:
    # a young shop's census can run the fit off to identical rates and no dropout; the next
    # fit, started there, must still find the shop's own parameters
    stuck = BetaGeo(r=2800.0, alpha=93000.0, a=0.0127, b=128.0)
    history = simulate(TRUE, 5000, seed=5)
    assert BetaGeo.fit(history, start=stuck) == BetaGeo.fit(history)


def test_the_census_pins_down_the_dropout_only_once_customers_have_had_time_to_leave() -> None:
    grown = simulate(TRUE, 3000, seed=6)
    assert dropout_uncertainty(BetaGeo.fit(grown), grown) < 0.3
    # the same shop three weeks after it opened: a few repeat purchases, no long silences
    young = History.of(
        np.minimum(grown.x, 1), np.minimum(grown.t_x, 10.0), np.minimum(grown.T, 21.0)
    )
    assert dropout_uncertainty(BetaGeo.fit(young), young) > 1.0
