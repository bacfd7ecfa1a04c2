"""Progressive validation: each label scored before the model learns it, as River does."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from river import metrics

METRICS_WINDOW = 2000


@dataclass
class ProgressiveMetrics:
    """River metrics of one learned model on each label before it learns it (progressive
    validation)."""

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


def quantiles(values: Sequence[float], count: int = 1001) -> tuple[float, ...]:
    """``count`` evenly spaced quantiles of ``values`` (nearest rank), sorted.

    >>> quantiles([3.0, 1.0, 2.0], count=3)
    (1.0, 2.0, 3.0)
    """
    ordered = sorted(values)
    last = len(ordered) - 1
    return tuple(ordered[round(i * last / (count - 1))] for i in range(count))
