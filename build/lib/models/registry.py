"""Model snapshots: the learned model at one event-time boundary, its metrics, and who serves.

Snapshot ``k`` has learned exactly the labels that became known before ``k`` periods of event
time, in a fixed order, so every worker scoring period ``k`` uses the same model and a replay
learns the same model every time.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from river import metrics

from models.calibration import CalibratedScorer, Calibration
from models.guard import ScorerGuard
from models.heuristic import HeuristicScorer
from models.online import INPUT_NAMES, LogisticChurnModel
from models.reliability import expected_calibration_error, reliability
from models.scorer import ChurnScorer
from models.training import Bucket

METRICS_WINDOW = 2000


@dataclass
class ProgressiveMetrics:
    """Metrics of the learned model on each label before it learns it (progressive validation)."""

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


@dataclass
class ModelSnapshot:
    """The learned model as of ``period`` boundaries of event time, and which scorer serves.

    Parameters
    ----------
    period
        Boundary index: this snapshot knows the labels known before ``period * period_days``.
    min_labels
        Labels of each class the learned model must have seen before it may serve.
    period_days
        Length of a model period in days of event time.
    horizon_days
        The churn horizon: customers silent less than this are active.
    """

    period: int
    min_labels: int
    period_days: float = 7.0
    horizon_days: float = 90.0
    model: LogisticChurnModel = field(default_factory=LogisticChurnModel)
    labels_seen: dict[str, int] = field(default_factory=lambda: {"churned": 0, "retained": 0})
    metrics: ProgressiveMetrics = field(default_factory=ProgressiveMetrics)
    guard: ScorerGuard = field(default_factory=ScorerGuard)
    online_since_period: int | None = None
    # quantiles of the serving scorer's risk over the active customers of the training window
    active_risks: tuple[float, ...] = ()
    heuristic_calibration: Calibration = field(default_factory=Calibration)
    # how the scorer that served scored this period's new labels, before learning them
    validation: dict[str, object] = field(default_factory=dict)

    @property
    def is_warm(self) -> bool:
        return min(self.labels_seen.values()) >= self.min_labels

    @property
    def serves_model(self) -> bool:
        """The learned model serves once warm, and only while it beats the heuristic."""
        return self.is_warm and self.guard.serves_model

    @property
    def version(self) -> str:
        """What scores: the learned model, or the heuristic and why (cold, or guarded)."""
        if self.serves_model:
            return f"{self.model.version}.p{self.period}"
        why = "guarded" if self.is_warm else "cold"
        return f"{HeuristicScorer().version}.{why}.p{self.period}"

    def why(self) -> str:
        if not self.is_warm:
            return f"the heuristic serves until {self.min_labels} labels of each outcome"
        return self.guard.why()

    def learn(self, bucket: Bucket, window: Bucket, period: int) -> None:
        """Learn one period's labels and become snapshot ``period``.

        First the labels are scored by the model as it stands and by the heuristic (progressive
        validation: neither has seen them); then the model is refitted on ``window``, the
        training labels ending with these.
        """
        if len(bucket):
            if sum(self.labels_seen.values()):
                self._validate(bucket)
            churned = int(bucket.churned.sum())
            self.labels_seen["churned"] += churned
            self.labels_seen["retained"] += len(bucket) - churned
            if window.churned.any() and not window.churned.all():
                self.model.fit(window.rows, window.churned)
            self.heuristic_calibration = Calibration.fit(window.heuristic, window.churned)
            self.active_risks = self._active_risks(window)
        self.period = period
        if self.serves_model and self.online_since_period is None:
            self.online_since_period = period

    def _active_risks(self, window: Bucket) -> tuple[float, ...]:
        """How the serving scorer rates the window's customers who were still active."""
        active = window.rows[:, INPUT_NAMES.index("log_recency")] < math.log1p(self.horizon_days)
        if not active.any():
            return ()
        risks = (
            self.model.predict_proba_rows(window.rows[active])
            if self.serves_model
            else self.heuristic_calibration.apply(window.heuristic[active])
        )
        return quantiles(risks.tolist())

    def _validate(self, bucket: Bucket) -> None:
        model = self.model.predict_proba_rows(bucket.rows)
        heuristic = self.heuristic_calibration.apply(bucket.heuristic)
        served = model if self.serves_model else heuristic
        bins = reliability(served.tolist(), bucket.churned.tolist())
        self.validation = {
            "labels": len(bucket),
            "scorer": "learned model" if self.serves_model else "heuristic",
            "ece": round(expected_calibration_error(bins), 4),
            "bins": [{k: round(v, 4) for k, v in b.items()} for b in bins],
        }
        self.guard.compare(bucket.churned, model, heuristic, self.period_days)
        for churned, risk in zip(bucket.churned.tolist(), model.tolist(), strict=True):
            self.metrics.update(churned, {False: 1.0 - risk, True: risk})

    def scorer(self) -> ChurnScorer:
        """The scorer of this snapshot, named with its version for every event it scores."""
        if self.serves_model:
            return VersionedScorer(self.model, self.version)
        heuristic = CalibratedScorer(HeuristicScorer(), self.heuristic_calibration)
        return VersionedScorer(heuristic, self.version)

    def summary(self) -> dict[str, object]:
        return {
            "version": self.version,
            "period": self.period,
            "warm": self.is_warm,
            "serving": "learned model" if self.serves_model else "heuristic",
            "why": self.why(),
            "labels_seen": dict(self.labels_seen),
            "min_labels": self.min_labels,
            "online_since_period": self.online_since_period,
            "metrics": self.metrics.as_dict(),
            "validation": self.validation,
        }


def quantiles(values: Sequence[float], count: int = 1001) -> tuple[float, ...]:
    """``count`` evenly spaced quantiles of ``values`` (nearest rank), sorted.

    >>> quantiles([3.0, 1.0, 2.0], count=3)
    (1.0, 2.0, 3.0)
    """
    ordered = sorted(values)
    last = len(ordered) - 1
    return tuple(ordered[round(i * last / (count - 1))] for i in range(count))


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
