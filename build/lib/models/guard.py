"""Which scorer serves: the learned model only while it beats the heuristic on recent labels.

Both are judged by progressive validation on the same labels: each period's new labels are
scored by the learned model as it was before learning them, and by the heuristic. Per
period, the gains in ROC AUC and in log loss of the learned model over the heuristic are
averaged, exponentially, over recent periods of event time (not over a count of labels, so the
verdict does not depend on how many customers there are).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.stats import rankdata

# Periods' weight halves every this many days of event time: "recent" is about a quarter.
HALF_LIFE_DAYS = 90.0


def roc_auc(churned: np.ndarray, risk: np.ndarray) -> float | None:
    """Exact ROC AUC (ties count half); None when only one outcome is present.

    >>> roc_auc(np.array([True, False, True]), np.array([0.9, 0.2, 0.2]))
    0.75
    """
    positives = int(churned.sum())
    negatives = len(churned) - positives
    if not positives or not negatives:
        return None
    ranks = rankdata(risk)
    return float((ranks[churned].sum() - positives * (positives + 1) / 2) / (positives * negatives))


def log_loss(churned: np.ndarray, risk: np.ndarray) -> float:
    p = np.clip(risk, 1e-6, 1 - 1e-6)
    return float(-np.mean(np.where(churned, np.log(p), np.log1p(-p))))


@dataclass
class ScorerGuard:
    """Running comparison of the learned model (challenger) with the heuristic (champion).

    Examples
    --------
    >>> guard = ScorerGuard()
    >>> churned = np.array([True, True, False, False])
    >>> guard.serves_model
    False
    >>> model, heuristic = np.array([0.9, 0.8, 0.2, 0.1]), np.array([0.6, 0.4, 0.5, 0.3])
    >>> guard.compare(churned, model, heuristic, period_days=7.0)
    >>> guard.serves_model, guard.why().startswith("the learned model beats the heuristic")
    (True, True)
    """

    auc_gain: float | None = None
    log_loss_gain: float | None = None
    periods_compared: int = 0

    def compare(
        self, churned: np.ndarray, model: np.ndarray, heuristic: np.ndarray, period_days: float
    ) -> None:
        """Fold in one period's labels, scored by both before the model learned them."""
        if not len(churned):
            return
        keep = 0.5 ** (period_days / HALF_LIFE_DAYS)
        model_auc, heuristic_auc = roc_auc(churned, model), roc_auc(churned, heuristic)
        if model_auc is not None and heuristic_auc is not None:
            self.auc_gain = _blend(self.auc_gain, model_auc - heuristic_auc, keep)
        gain = log_loss(churned, heuristic) - log_loss(churned, model)
        self.log_loss_gain = _blend(self.log_loss_gain, gain, keep)
        self.periods_compared += 1

    @property
    def serves_model(self) -> bool:
        return (
            self.auc_gain is not None
            and self.log_loss_gain is not None
            and self.auc_gain > 0
            and self.log_loss_gain > 0
        )

    def why(self) -> str:
        if self.auc_gain is None or self.log_loss_gain is None:
            return "no labels of both outcomes compared yet"
        verdict = "beats" if self.serves_model else "does not beat"
        return (
            f"the learned model {verdict} the heuristic on recent labels "
            f"(ROC AUC {self.auc_gain:+.3f}, log loss {-self.log_loss_gain:+.3f})"
        )


def _blend(average: float | None, value: float, keep: float) -> float:
    if average is None or math.isnan(average):
        return value
    return keep * average + (1 - keep) * value
