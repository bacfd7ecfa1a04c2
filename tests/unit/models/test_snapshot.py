import functools
import random
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from models.drift import DriftWatch
from models.features import FEATURE_NAMES
from models.guard import ScorerGuard
from models.labels import LabelledExample
from models.pulse import GAPS, SCALE, SQUARES, SUM, Pulse
from models.refit import LogisticChurnModel
from models.snapshot import ModelSnapshot
from models.training import Bucket, TrainingWindow
from streams.storage.records import decode_snapshot, encode_snapshot


def _examples(n: int, seed: int = 0, prefix: str = "c") -> list[LabelledExample]:
    rnd = random.Random(seed)
    examples = []
    for i in range(n):
        churned = rnd.random() < 0.4
        x = dict.fromkeys(FEATURE_NAMES, 0.0) | {
            "recency_days": rnd.uniform(30, 200) if churned else rnd.uniform(0, 60),
            "overdue_ratio": rnd.uniform(1, 8) if churned else rnd.uniform(0, 2.5),
            "frequency": float(rnd.randint(1, 9)),
            "tenure_days": 300.0,
        }
        examples.append(LabelledExample(f"{prefix}{i}", float(i), float(i + 90), churned, x))
    return examples


def _learn(snapshot: ModelSnapshot, periods: list[list[LabelledExample]]) -> ModelSnapshot:
    window = TrainingWindow(periods=52, per_period=100_000)
    for offset, examples in enumerate(periods):
        bucket = snapshot.period
        window.add(bucket, examples)
        training = functools.partial(window.data, bucket)
        snapshot.learn(window.buckets[bucket], training, bucket + 1)
        assert snapshot.period == bucket + 1 == 6 + offset
    return snapshot


def test_cold_snapshot_scores_with_the_heuristic_and_says_so():
    snapshot = _learn(ModelSnapshot(period=5, min_labels=50), [_examples(40)])
    assert not snapshot.is_warm
    assert snapshot.version == "heuristic-1.cold.p6"
    assert snapshot.scorer().version == "heuristic-1.cold.p6"
    assert "until 50 labels" in snapshot.why()


def test_learned_model_serves_once_warm_and_better_than_the_heuristic():
    snapshot = _learn(ModelSnapshot(period=5, min_labels=50), [_examples(400), _examples(400, 1)])
    assert snapshot.is_warm and snapshot.serves_model and snapshot.online_since_period == 7
    assert snapshot.version == "logreg.p7" and snapshot.scorer().version == "logreg.p7"
    assert snapshot.metrics.as_dict()["roc_auc"] > 0.9
    assert set(snapshot.summary()["models"]) == {"logreg", "river-logreg", "river-tree"}
    assert sum(snapshot.labels_seen.values()) == 800
    assert snapshot.why().startswith("logreg beats the heuristic")


class BrokenModel(LogisticChurnModel):
    """A challenger that learns, then says the opposite of what it learned."""

    def predict_proba_rows(self, rows: np.ndarray) -> np.ndarray:
        return 1.0 - super().predict_proba_rows(rows)


def test_a_broken_challenger_never_serves():
    snapshot = ModelSnapshot(period=5, min_labels=50, model=BrokenModel(), challengers={})
    _learn(snapshot, [_examples(400), _examples(400, 1), _examples(400, 2)])
    assert snapshot.is_warm and not snapshot.serves_model
    assert snapshot.version == "heuristic-1.guarded.p8"
    assert snapshot.scorer().version == "heuristic-1.guarded.p8"
    assert snapshot.why() == "no learned model beats the heuristic on recent labels"
    assert snapshot.summary()["serving"] == "heuristic"


def test_the_model_does_not_depend_on_how_many_customers_share_a_period():
    periods = [_examples(300, seed) for seed in range(3)]
    tenfold = [
        [e for copy in range(10) for e in _examples(300, seed, prefix=f"r{copy}-")]
        for seed in range(3)
    ]
    # the refit alone (the River learners' own version of this is in test_challengers)
    small = _learn(ModelSnapshot(period=5, min_labels=10, challengers={}), periods)
    large = _learn(ModelSnapshot(period=5, min_labels=10, challengers={}), tenfold)
    probe = [e.features for e in _examples(50, seed=9)]
    assert [large.model.predict_proba_one(x)[True] for x in probe] == pytest.approx(
        [small.model.predict_proba_one(x)[True] for x in probe], abs=1e-4
    )


def test_learning_does_not_depend_on_the_order_labels_arrive_in():
    examples = _examples(300)
    shuffled = examples[:]
    random.Random(1).shuffle(shuffled)
    first = _learn(ModelSnapshot(5, 10), [examples, examples])
    second = _learn(ModelSnapshot(5, 10), [shuffled, shuffled])
    assert first.model.weights.tobytes() == second.model.weights.tobytes()


def test_a_period_larger_than_the_cap_is_sampled_the_same_way_every_time():
    examples = _examples(1000)
    once, again = Bucket.of(examples, per_period=200), Bucket.of(examples[::-1], per_period=200)
    assert len(once) == 200 and once.rows.tobytes() == again.rows.tobytes()
    assert 0.3 < once.churned.mean() < 0.5  # sampled without regard to the outcome


def _tallies(pulse: Pulse) -> dict[str, int]:
    """Period tallies whose pulse is ``pulse``."""
    n, mean = pulse.gaps, pulse.mean_log_ratio * SCALE
    variance = (pulse.standard_error * SCALE) ** 2 * n
    squares = (variance * (n - 1) / n + mean**2) * n
    return {GAPS: n, SUM: round(n * mean), SQUARES: round(squares)}


def _with_pulse(snapshot: ModelSnapshot, periods: list[list[LabelledExample]], pulses) -> None:
    window = TrainingWindow(periods=52, per_period=100_000)
    for examples, pulse in zip(periods, pulses, strict=True):
        bucket = snapshot.period
        window.add(bucket, examples)
        training = functools.partial(window.data, bucket)
        snapshot.learn(window.buckets[bucket], training, bucket + 1, _tallies(pulse))


@pytest.mark.parametrize("respond", [True, False])
def test_after_a_change_in_pace_the_refit_serves_for_a_horizon_where_the_heuristic_did(respond):
    snapshot = ModelSnapshot(
        period=5, min_labels=50, model=BrokenModel(), challengers={}, respond_to_drift=respond,
        drift=DriftWatch(arm_after_periods=0),
    )  # fmt: skip
    steady = [Pulse(400, 0.0, 0.02)] * 8
    _with_pulse(snapshot, [_examples(400, s) for s in range(8)], steady)
    assert snapshot.is_warm and snapshot.serving is None and snapshot.drifts == []

    _with_pulse(snapshot, [_examples(400, 8)], [Pulse(400, 0.69, 0.02)])
    (drift,) = snapshot.drifts
    assert drift.signal == "purchase_gaps" and drift.response == "learned_model_serves"
    assert snapshot.changed_at == 13 and snapshot.relearn_from is None
    assert snapshot.serving == ("logreg" if respond else None)
    if respond:
        assert (
            snapshot.version == "logreg.p14" and "the shop changed in period 13" in snapshot.why()
        )
    later = [_examples(400, s) for s in range(9, 23)]
    _with_pulse(snapshot, later, [Pulse(400, 0.69, 0.02)] * len(later))
    assert snapshot.serving is None  # a horizon (13 periods) on, the guard decides again


def test_a_challenger_serves_only_while_it_beats_the_heuristic_and_the_refit():

    churned = np.array([True, True, False, False] * 25)
    heuristic = np.array([0.6, 0.4, 0.5, 0.45] * 25)  # ROC AUC 0.5
    good = np.array([0.8, 0.4, 0.5, 0.2] * 25)  # 0.75
    better = np.array([0.9, 0.6, 0.5, 0.1] * 25)  # 1.0
    guard = ScorerGuard()
    guard.compare(churned, {"logreg": good, "river-logreg": good * 0.9 + 0.05}, heuristic, 7.0)
    assert guard.chosen == "logreg"  # level or worse: the incumbent stays
    guard = ScorerGuard()
    guard.compare(churned, {"logreg": good, "river-logreg": better}, heuristic, 7.0)
    assert guard.chosen == "river-logreg"
    assert guard.why().startswith("river-logreg beats the heuristic")
    guard = ScorerGuard()
    guard.compare(churned, {"logreg": 1 - good, "river-tree": better}, heuristic, 7.0)
    assert guard.chosen == "river-tree"  # the refit lost to the heuristic; the tree did not


def test_a_snapshot_pickled_before_the_river_learners_loads_and_learns_on():

    # pickled by commit 4640998 (the refit alone in the guard): what a running deployment has
    raw = (Path(__file__).parent / "data" / "snapshot-before-river.pickle").read_bytes()
    snapshot = decode_snapshot(raw)
    assert snapshot.version == "logreg.p8" and snapshot.serving == "logreg"
    assert set(snapshot.guard.standings) == {"logreg"} and snapshot.drifts == []
    window = TrainingWindow(periods=52, per_period=100_000)
    window.add(8, _examples(400, 5))
    snapshot.learn(window.buckets[8], functools.partial(window.data, 8), 9)
    assert snapshot.period == 9 and snapshot.version.endswith(".p9")
    assert set(snapshot.guard.standings) == {"logreg", "river-logreg", "river-tree"}
    assert snapshot.guard.periods_compared > 1  # the old comparison goes on


def test_a_cold_snapshot_with_a_census_scores_with_bgnbd():
    from collections import Counter

    from models.census import add_to_census

    snapshot = ModelSnapshot(period=5, min_labels=10_000)
    window = TrainingWindow(periods=52, per_period=100_000)
    examples = _examples(400, seed=3)
    tallies: Counter[str] = Counter()
    for example in examples:
        add_to_census(tallies, example.features | {"log_monetary": 3.0})
    window.add(5, [])
    snapshot.learn(window.buckets[5], functools.partial(window.data, 5), 6, tallies)
    assert snapshot.value.fitted
    assert snapshot.version == "bgnbd.cold.p6" and snapshot.prior == "bgnbd"
    assert "BG/NBD" in snapshot.why()
    risk = snapshot.scorer().predict_proba_one(examples[0].features)[True]
    assert 0.0 <= risk <= 1.0


def test_alerts_are_calibrated_on_the_latest_labels_when_the_shop_has_moved():
    def relabelled(examples: list[LabelledExample], rate: float) -> Bucket:
        rnd = random.Random(9)
        moved = [replace(e, churned=rnd.random() < rate) for e in examples]
        return Bucket.of(moved, per_period=100_000)

    window = TrainingWindow(periods=52, per_period=100_000)
    window.add(5, _examples(400))
    stated = {}
    for rate in (0.2, 0.8):
        snapshot = ModelSnapshot(period=5, min_labels=50)
        training = functools.partial(window.data, 5)
        snapshot.learn(window.buckets[5], training, 6, recent=relabelled(_examples(400, 1), rate))
        stated[rate] = snapshot.alert_calibration.intercept
    assert stated[0.8] > stated[0.2] + 1.0


# Every scorer checked the same way, as River's check_estimator checks every estimator: the
# prior, each learned model by name, and the served one with its alert calibration.
SCORERS = (None, "logreg", "river-logreg", "river-tree", "served")


@functools.cache
def _warm() -> ModelSnapshot:
    return _learn(ModelSnapshot(period=5, min_labels=50), [_examples(400), _examples(400, 1)])


def _scorer(snapshot: ModelSnapshot, name: str | None):
    return snapshot.scorer() if name == "served" else snapshot.scorer_of(name)


def _probes() -> list[dict[str, float]]:
    blank = dict.fromkeys(FEATURE_NAMES, 0.0)
    extremes = [
        blank,  # a customer seen once, a moment ago
        blank | {"recency_days": 5000.0, "overdue_ratio": 500.0, "tenure_days": 9000.0},
        blank | {"frequency": 10_000.0, "monetary": 1e7, "recency_days": 0.0},
    ]
    return extremes + [e.features for e in _examples(30, seed=9)]


@pytest.mark.parametrize("name", SCORERS)
def test_every_scorer_gives_a_probability_and_finite_pushes_for_any_customer(name):
    scorer = _scorer(_warm(), name)
    assert isinstance(scorer.version, str) and scorer.version
    for x in _probes():
        answer = scorer.predict_proba_one(x)
        assert set(answer) == {False, True}, (name, answer)
        assert 0.0 <= answer[True] <= 1.0 and abs(answer[True] + answer[False] - 1.0) < 1e-9
        assert scorer.predict_proba_one(x) == answer  # scoring changes nothing
        pushes = scorer.contributions(x)
        assert pushes and all(np.isfinite(v) for v in pushes.values()), (name, pushes)


@pytest.mark.parametrize("name", SCORERS)
def test_every_scorer_scores_the_same_after_the_snapshot_is_stored_and_read(name):
    stored = decode_snapshot(encode_snapshot(_warm()))
    before, after = _scorer(_warm(), name), _scorer(stored, name)
    assert after.version == before.version
    for x in _probes():
        assert after.predict_proba_one(x) == before.predict_proba_one(x)
        assert after.contributions(x) == before.contributions(x)
