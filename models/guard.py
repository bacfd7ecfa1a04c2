"""Which scorer serves: a learned model only while it beats the heuristic on recent labels.

All are judged by progressive validation on the same labels: each period's new labels are
scored by every learned model as it was before learning them, and by the heuristic. Per
period, the gains in ROC AUC and in log loss of each learned model over the heuristic are
averaged, exponentially, over recent periods of event time (not over a count of labels, so the
verdict does not depend on how many customers there are).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

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
class Standing:
    """One scorer's running ROC AUC and log loss on recent labels, and its gains over the
    heuristic's on the same labels (positive: better)."""

    auc_gain: float | None = None
    log_loss_gain: float | None = None
    auc: float | None = None
    loss: float | None = None

    def fold(
        self, churned: np.ndarray, risk: np.ndarray, heuristic: np.ndarray, keep: float
    ) -> None:
        auc, heuristic_auc = roc_auc(churned, risk), roc_auc(churned, heuristic)
        if auc is not None and heuristic_auc is not None:
            self.auc_gain = _blend(self.auc_gain, auc - heuristic_auc, keep)
            self.auc = _blend(self.auc, auc, keep)
        loss = log_loss(churned, risk)
        self.log_loss_gain = _blend(self.log_loss_gain, log_loss(churned, heuristic) - loss, keep)
        self.loss = _blend(self.loss, loss, keep)

    @property
    def beats_heuristic(self) -> bool:
        return (
            self.auc_gain is not None
            and self.log_loss_gain is not None
            and self.auc_gain > 0
            and self.log_loss_gain > 0
        )

    def beats(self, other: Standing) -> bool:
        """Better than ``other`` in both ROC AUC and log loss on the same recent labels."""
        return (
            self.beats_heuristic
            and other.auc_gain is not None
            and other.log_loss_gain is not None
            and self.auc_gain > other.auc_gain  # type: ignore[operator]
            and self.log_loss_gain > other.log_loss_gain  # type: ignore[operator]
        )


@dataclass
class ScorerGuard:
    """Running comparison of the learned models with the heuristic, and which one serves.

    The incumbent (the first model compared, the per-period refit) serves while it beats the
    heuristic; a challenger replaces it only while it beats the heuristic *and* the incumbent
    on both measures, so a challenger level with the incumbent never flips what serves.

    Examples
    --------
    >>> guard = ScorerGuard()
    >>> churned = np.array([True, True, False, False])
    >>> guard.chosen is None
    True
    >>> model, heuristic = np.array([0.9, 0.8, 0.2, 0.1]), np.array([0.6, 0.4, 0.5, 0.3])
    >>> guard.compare(churned, {"logreg": model}, heuristic, period_days=7.0)
    >>> guard.chosen, guard.why().startswith("logreg beats the heuristic")
    ('logreg', True)
    """

    standings: dict[str, Standing] = field(default_factory=dict)
    periods_compared: int = 0
    heuristic: Standing = field(default_factory=Standing)  # the heuristic's own, gains 0

    def __setstate__(self, state: dict[str, object]) -> None:
        """A guard pickled when it compared the refit alone carried its gains as fields; one
        pickled before the absolute figures has no heuristic standing."""
        if "standings" not in state:
            refit = Standing(state.pop("auc_gain", None), state.pop("log_loss_gain", None))  # type: ignore[arg-type]
            state["standings"] = {"logreg": refit} if refit.auc_gain is not None else {}
        state.setdefault("heuristic", Standing())
        self.__dict__.update(state)

    def compare(
        self,
        churned: np.ndarray,
        models: Mapping[str, np.ndarray],
        heuristic: np.ndarray,
        period_days: float,
    ) -> None:
        """Fold in one period's labels, scored by every model before any learned them."""
        if not len(churned):
            return
        keep = 0.5 ** (period_days / HALF_LIFE_DAYS)
        for name, risk in models.items():
            self.standings.setdefault(name, Standing()).fold(churned, risk, heuristic, keep)
        self.heuristic.fold(churned, heuristic, heuristic, keep)
        self.periods_compared += 1

    @property
    def chosen(self) -> str | None:
        """The learned model that serves, or None for the heuristic."""
        if not self.standings:
            return None
        incumbent, *challengers = self.standings
        best = incumbent if self.standings[incumbent].beats_heuristic else None
        for name in challengers:
            standing = self.standings[name]
            if (best is None and standing.beats_heuristic) or (
                best is not None and standing.beats(self.standings[best])
            ):
                best = name
        return best

    def why(self) -> str:
        if not any(s.beats_heuristic or s.auc_gain is not None for s in self.standings.values()):
            return "no labels of both outcomes compared yet"
        chosen = self.chosen
        if chosen is None:
            return "no learned model beats the heuristic on recent labels"
        standing = self.standings[chosen]
        return (
            f"{chosen} beats the heuristic on recent labels "
            f"(ROC AUC {standing.auc_gain:+.3f}, log loss {-(standing.log_loss_gain or 0.0):+.3f})"
        )

    def table(self) -> dict[str, dict[str, float | None]]:
        """Every model's running ROC AUC and log loss on the same recent labels, and its
        gains over the heuristic (positive: better)."""
        return {name: figures_of(s) for name, s in self.standings.items()}

    def heuristic_figures(self) -> dict[str, float | None]:
        return figures_of(self.heuristic)


def figures_of(standing: Standing) -> dict[str, float | None]:
    def rounded(value: float | None) -> float | None:
        return None if value is None else round(value, 4)

    return {
        "roc_auc": rounded(standing.auc),
        "log_loss": rounded(standing.loss),
        "roc_auc_gain": rounded(standing.auc_gain),
        "log_loss_gain": rounded(standing.log_loss_gain),
    }


def _blend(average: float | None, value: float, keep: float) -> float:
    if average is None or math.isnan(average):
        return value
    return keep * average + (1 - keep) * value
