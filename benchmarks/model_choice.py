"""Which River model learns churn best from the engine's own labels, one label at a time?

The engine no longer learns one label at a time (its model is refitted per model period, see
models/refit.py and benchmarks.quality); this compares the per-label River learners it was
chosen against, by progressive validation.

    python -m benchmarks.model_choice [--customers N] [--days D] [--seed S] [--json]

The labels come from the engine's pure batch step over a generated population (they depend on
features and outcomes only, not on the scorer). Every candidate scores each label before it
learns it, in the engine's learning order; ROC AUC and average precision are computed over
those predictions, after a warm-up of the first 10% of labels.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any, Protocol

import orjson
from rich.console import Console
from rich.table import Table
from river import compose, forest, imblearn, linear_model, optim, preprocessing
from sklearn.metrics import average_precision_score, roc_auc_score

from benchmarks.cli import parser_of
from models.features import Features
from models.heuristic import HeuristicScorer
from models.labels import LabelledExample
from models.refit import INPUT_NAMES, model_inputs
from models.state import CustomerState
from models.training import learning_order
from streams.dev.synthetic import generate_events
from streams.engine_config import engine_config
from streams.pipeline.events import decode_event
from streams.pipeline.processor import process_batch
from streams.settings import Settings


class Learner(Protocol):
    def learn_one(self, x: Features, y: bool) -> None: ...
    def predict_proba_one(self, x: Features) -> dict[bool, float]: ...


class RiverOnInputs:
    """Any River classifier fed the same reshaped inputs as the engine's model."""

    def __init__(self, model: Any) -> None:
        self.model = model

    def learn_one(self, x: Features, y: bool) -> None:
        self.model.learn_one(dict(zip(INPUT_NAMES, model_inputs(x), strict=True)), y)

    def predict_proba_one(self, x: Features) -> dict[bool, float]:
        return self.model.predict_proba_one(dict(zip(INPUT_NAMES, model_inputs(x), strict=True)))


class Fixed:
    """A scorer that does not learn (the heuristic), as the bar to clear."""

    def __init__(self, scorer: HeuristicScorer) -> None:
        self.scorer = scorer

    def learn_one(self, x: Features, y: bool) -> None:
        pass

    def predict_proba_one(self, x: Features) -> dict[bool, float]:
        return self.scorer.predict_proba_one(x)


def _scaled_logreg(lr: float) -> Any:
    return compose.Pipeline(
        preprocessing.StandardScaler(),
        linear_model.LogisticRegression(optimizer=optim.SGD(lr), l2=1e-4),
    )


CANDIDATES: dict[str, Callable[[], Learner]] = {
    "heuristic (no learning)": lambda: Fixed(HeuristicScorer()),
    "logreg lr=0.005 (the engine's until its model was refitted per period)": lambda: RiverOnInputs(
        _scaled_logreg(0.005)
    ),
    "logreg lr=0.03": lambda: RiverOnInputs(_scaled_logreg(0.03)),
    "logreg lr=0.1": lambda: RiverOnInputs(_scaled_logreg(0.1)),
    "logreg + balanced undersampling": lambda: RiverOnInputs(
        imblearn.RandomUnderSampler(
            _scaled_logreg(0.005), desired_dist={False: 0.5, True: 0.5}, seed=1
        )
    ),
    "adaptive random forest": lambda: RiverOnInputs(forest.ARFClassifier(n_models=10, seed=1)),
    "aggregated mondrian forest": lambda: RiverOnInputs(
        forest.AMFClassifier(n_estimators=10, seed=1)
    ),
}


def engine_labels(customers: int, days: int, seed: int) -> list[LabelledExample]:
    settings = Settings()
    events = [decode_event(orjson.dumps(e), 10_000) for e in generate_events(customers, days, seed)]
    valid = [e for e in events if not hasattr(e, "code")]
    states = {e.customer_id: CustomerState(e.customer_id) for e in valid}
    last = max(e.timestamp.timestamp() for e in valid)
    result = process_batch(
        states, valid, HeuristicScorer(), engine_config(settings).assessment, last
    )
    return sorted(result.labels, key=learning_order)


def evaluate(make: Callable[[], Learner], labels: list[LabelledExample]) -> dict[str, float]:
    learner, started = make(), time.perf_counter()
    truth, predicted = [], []
    for example in labels:
        predicted.append(learner.predict_proba_one(example.features).get(True, 0.0))
        truth.append(example.churned)
        learner.learn_one(example.features, example.churned)
    warm = len(labels) // 10
    return {
        "roc_auc": round(roc_auc_score(truth[warm:], predicted[warm:]), 4),
        "average_precision": round(average_precision_score(truth[warm:], predicted[warm:]), 4),
        "seconds": round(time.perf_counter() - started, 2),
    }


def main(argv: list[str] | None = None) -> int:
    parser = parser_of(__doc__)
    parser.add_argument("--customers", type=int, default=2000, help="generated customers")
    parser.add_argument("--days", type=int, default=540, help="generated days")
    parser.add_argument("--seed", type=int, default=7, help="generator seed")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    labels = engine_labels(args.customers, args.days, args.seed)
    results = {name: evaluate(make, labels) for name, make in CANDIDATES.items()}
    report = {"labels": len(labels), "churned": sum(e.churned for e in labels), **results}
    if args.json:
        print(orjson.dumps(report, option=orjson.OPT_INDENT_2).decode())
        return 0
    table = Table(title=f"progressive validation on {len(labels)} engine labels")
    for column in ("model", "ROC AUC", "avg precision", "seconds"):
        table.add_column(column)
    for name, row in results.items():
        table.add_row(
            name,
            f"{row['roc_auc']:.4f}",
            f"{row['average_precision']:.4f}",
            f"{row['seconds']:.1f}",
        )
    Console().print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
