import random

import pytest

from models.features import FEATURE_NAMES
from models.labels import LabelledExample
from models.registry import ModelSnapshot


def _examples(n: int, seed: int = 0) -> list[LabelledExample]:
    rnd = random.Random(seed)
    examples = []
    for i in range(n):
        churned = rnd.random() < 0.4
        x = dict.fromkeys(FEATURE_NAMES, 0.0) | {
            "recency_days": rnd.uniform(60, 200) if churned else rnd.uniform(0, 40),
            "overdue_ratio": rnd.uniform(2, 8) if churned else rnd.uniform(0, 1.5),
        }
        examples.append(LabelledExample(f"c{i}", float(i), float(i + 90), churned, x))
    return examples


def test_cold_snapshot_scores_with_the_heuristic_and_says_so():
    snapshot = ModelSnapshot(period=5, min_labels=50)
    snapshot.learn(_examples(40), period=6)
    assert not snapshot.is_warm
    assert snapshot.version == "heuristic-1.cold.p6"
    assert snapshot.scorer().version == "heuristic-1.cold.p6"


def test_online_model_takes_over_after_enough_labels_of_each_class():
    snapshot = ModelSnapshot(period=5, min_labels=50)
    snapshot.learn(_examples(400), period=6)
    assert snapshot.is_warm and snapshot.online_since_period == 6
    assert snapshot.version == "river-logreg.p6"
    assert snapshot.metrics.as_dict()["roc_auc"] > 0.9
    assert sum(snapshot.labels_seen.values()) == 400


def test_learning_does_not_depend_on_the_order_labels_arrive_in():
    examples = _examples(300)
    shuffled = examples[:]
    random.Random(1).shuffle(shuffled)
    first, second = ModelSnapshot(0, 10), ModelSnapshot(0, 10)
    first.learn(examples, period=1)
    second.learn(shuffled, period=1)
    probe = _examples(20, seed=9)
    assert [first.model.predict_proba_one(e.features)[True] for e in probe] == pytest.approx(
        [second.model.predict_proba_one(e.features)[True] for e in probe]
    )
