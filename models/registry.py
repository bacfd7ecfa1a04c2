"""Model snapshots: the online model at one event-time boundary, its metrics and cold start.

Snapshot ``k`` has learned exactly the labels that became known before ``k`` periods of event
time, in a fixed order, so every worker scoring period ``k`` uses the same model and a replay
learns the same model every time.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from river import metrics

from models.heuristic import HeuristicScorer
from models.labels import LabelledExample
from models.online import OnlineChurnModel
from models.scorer import ChurnScorer

METRICS_WINDOW = 2000


@dataclass
class ProgressiveMetrics:
    """Metrics of the online model on each label before it learns it (progressive validation)."""

    roc_auc: metrics.RollingROCAUC = field(
        default_factory=lambda: metrics.RollingROCAUC(window_size=METRICS_WINDOW)
    )
    pr_auc: metrics.RollingPRAUC = field(
        default_factory=lambda: metrics.RollingPRAUC(window_size=METRICS_WINDOW)
    )
    log_loss: metrics.LogLoss = field(default_factory=metrics.LogLoss)

    def update(self, churned: bool, proba: dict[bool, float]) -> None:
        self.roc_auc.update(churned, proba)
        self.pr_auc.update(churned, proba)
        self.log_loss.update(churned, proba)

    def as_dict(self) -> dict[str, float]:
        return {
            "roc_auc": self.roc_auc.get(),
            "pr_auc": self.pr_auc.get(),
            "log_loss": self.log_loss.get(),
        }


def learning_order(example: LabelledExample) -> tuple[float, str, float]:
    return (example.labelled_at, example.customer_id, example.taken_at)


@dataclass
class ModelSnapshot:
    """The learned model as of ``period`` boundaries of event time.

    Parameters
    ----------
    period
        Boundary index: this snapshot knows the labels known before ``period * period_s``.
    min_labels
        Labels of each class the online model must have seen before it scores.
    """

    period: int
    min_labels: int
    model: OnlineChurnModel = field(default_factory=OnlineChurnModel)
    labels_seen: dict[str, int] = field(default_factory=lambda: {"churned": 0, "retained": 0})
    metrics: ProgressiveMetrics = field(default_factory=ProgressiveMetrics)
    online_since_period: int | None = None

    @property
    def is_warm(self) -> bool:
        return min(self.labels_seen.values()) >= self.min_labels

    @property
    def version(self) -> str:
        """What scored: the online model, or the heuristic while the online model is cold."""
        if self.is_warm:
            return f"{self.model.version}.p{self.period}"
        return f"{HeuristicScorer().version}.cold.p{self.period}"

    def learn(self, examples: Iterable[LabelledExample], period: int) -> None:
        """Learn ``examples`` (in their deterministic order) and become snapshot ``period``."""
        for example in sorted(examples, key=learning_order):
            self.metrics.update(example.churned, self.model.predict_proba_one(example.features))
            self.model.learn_one(example.features, example.churned)
            self.labels_seen["churned" if example.churned else "retained"] += 1
        self.period = period
        if self.is_warm and self.online_since_period is None:
            self.online_since_period = period

    def scorer(self) -> ChurnScorer:
        """The scorer of this snapshot, named with its version for every event it scores."""
        return VersionedScorer(self.model if self.is_warm else HeuristicScorer(), self.version)

    def summary(self) -> dict[str, object]:
        return {
            "version": self.version,
            "period": self.period,
            "warm": self.is_warm,
            "labels_seen": dict(self.labels_seen),
            "min_labels": self.min_labels,
            "online_since_period": self.online_since_period,
            "metrics": self.metrics.as_dict(),
        }


class VersionedScorer:
    """A scorer that reports the snapshot version instead of its own."""

    def __init__(self, inner: ChurnScorer, version: str) -> None:
        self.inner = inner
        self._version = version

    @property
    def version(self) -> str:
        return self._version

    def predict_proba_one(self, x: dict[str, float]) -> dict[bool, float]:
        return self.inner.predict_proba_one(x)

    def contributions(self, x: dict[str, float]) -> dict[str, float]:
        return self.inner.contributions(x)
