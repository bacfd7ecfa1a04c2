from dataclasses import replace

import numpy as np

from alerts.tiers import RiskOrLiftTiers, TierThresholds
from models.calibration import Calibration
from models.snapshot import ModelSnapshot
from streams.engine_config import engine_config
from streams.pipeline.config import for_period
from streams.settings import Settings


def test_tiers_take_the_lift_over_active_customers_once_labels_have_shown_both_outcomes():
    engine = engine_config(Settings())
    young = ModelSnapshot(period=10, min_labels=50)
    assert isinstance(for_period(engine, young).tiers, TierThresholds)
    young.active_base_rate = 0.06
    tiers = for_period(engine, young).tiers
    assert isinstance(tiers, RiskOrLiftTiers) and tiers.base_rate == 0.06
    assert tiers.tier_of(0.25) == "high"  # five times the odds of 0.06
    # a cold snapshot also asks for the customer to be overdue before alerting
    assert for_period(engine, young).policy.min_overdue == engine.tiers.cold_overdue
    absolute = replace(engine, tiers=replace(engine.tiers, kind="absolute"))
    assert isinstance(for_period(absolute, young).tiers, TierThresholds)


def test_no_alert_rests_on_a_risk_nothing_has_checked():
    engine = engine_config(Settings())
    assert for_period(engine, None).policy.withheld  # before the first model period
    young = ModelSnapshot(period=10, min_labels=50)
    assert young.prior == "heuristic" and for_period(engine, young).policy.withheld
    # outcomes of both kinds calibrate the heuristic: its risks have been checked
    rng = np.random.default_rng(1)
    heuristic = rng.uniform(0.05, 0.95, 200)
    young.heuristic_calibration = Calibration.fit(heuristic, rng.uniform(size=200) < heuristic)
    assert not for_period(engine, young).policy.withheld
    assert for_period(engine, young).policy.min_overdue == engine.tiers.cold_overdue
