import numpy as np

from models.challengers import RiverChallenger, default_challengers, river_logistic
from models.features import FEATURE_NAMES
from models.refit import INPUT_NAMES
from models.training import Bucket


def _bucket(n: int, seed: int, copies: int = 1) -> Bucket:
    """``n`` customers' labels; with ``copies``, each customer ``copies`` times in a row (as
    ten customers of the same history come together in learning order)."""
    rng = np.random.default_rng(seed)
    rows = rng.normal(size=(n, len(INPUT_NAMES)))
    churned = rows[:, 0] + 0.5 * rows[:, 1] + rng.normal(size=n) > 0.3
    return Bucket(
        np.repeat(rows, copies, axis=0), np.repeat(churned, copies), np.full(n * copies, 0.5)
    )


def _learned(copies: int, weighted: bool = True) -> RiverChallenger:
    learner = RiverChallenger("river-logreg", river_logistic())
    for period in range(8):
        bucket = _bucket(300, seed=period, copies=copies)
        if weighted:
            learner.learn(period, bucket, learner.raw_risk(bucket.rows), window_periods=26)
            continue
        for row, y in zip(bucket.rows.tolist(), bucket.churned.tolist(), strict=True):
            learner.model.learn_one(dict(zip(INPUT_NAMES, row, strict=True)), y)
    return learner


def test_a_population_ten_times_larger_moves_the_river_model_the_same_amount():
    probe = _bucket(200, seed=99).rows
    small, large = _learned(1).raw_risk(probe), _learned(10).raw_risk(probe)
    assert np.abs(small - large).max() < 0.03  # the same total weight a period
    unweighted = _learned(10, weighted=False).raw_risk(probe)
    assert np.abs(unweighted - _learned(1, weighted=False).raw_risk(probe)).max() > 0.1


def test_river_learners_learn_the_signal_and_replay_identically():
    probe = _bucket(400, seed=50)
    for make in (lambda: default_challengers()["river-logreg"],
                 lambda: default_challengers()["river-tree"]):  # fmt: skip
        first, second = make(), make()
        for learner in (first, second):
            for period in range(10):
                bucket = _bucket(300, seed=period)
                learner.learn(period, bucket, learner.raw_risk(bucket.rows), window_periods=26)
        risk = first.risk(probe.rows)
        assert risk.tolist() == second.risk(probe.rows).tolist()
        assert risk[probe.churned].mean() > risk[~probe.churned].mean() + 0.15


def test_the_tree_explains_with_the_linear_learner():
    learners = default_challengers()
    for period in range(5):
        bucket = _bucket(300, seed=period)
        for learner in learners.values():
            learner.learn(period, bucket, learner.raw_risk(bucket.rows), window_periods=26)
    linear = learners["river-logreg"]
    x = dict.fromkeys(FEATURE_NAMES, 1.0)
    scorer = learners["river-tree"].scorer(linear.contributions)
    assert scorer.version == "river-tree"
    assert set(scorer.contributions(x)) == set(INPUT_NAMES)
    assert 0.0 < scorer.predict_proba_one(x)[True] < 1.0
