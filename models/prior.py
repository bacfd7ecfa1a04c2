"""The churn risk that needs no outcome, for a shop's first months: BG/NBD, fitted on its census.

Labels come a horizon after their snapshot, so a new shop has none for its first months, and
the hand-set heuristic's risks are then unchecked guesses (on a grocer's frequent shoppers it
stated 0.6 for customers of whom 13-16% left). The purchase model (:mod:`models.purchases`)
needs no label: fitted on the shop's census from its first tick, its chance of no purchase
within H, "gone, or alive and quiet for H days", is the churn risk's own definition, with a
rhythm seen in a few purchases shrunk toward the shop's.

It serves while no learned model does, once its census pins down how often customers leave
(:func:`models.purchases.dropout_uncertainty`: a young shop's fit can put that at 0 or 1),
until labels of both outcomes say otherwise: then the heuristic, recalibrated on them, takes
over where it ranks and predicts them better (BG/NBD assumes purchases as random as a Poisson
process's; where customers buy like clockwork, a long silence means more than it allows, and
it can rank worse than the heuristic). Its reasons are the heuristic's: what it reads
(silence against the customer's rhythm, how often they bought) is what those reasons say.
"""

from __future__ import annotations

import numpy as np

from models.features import Features
from models.guard import log_loss, roc_auc
from models.purchases import BetaGeo
from models.scorer import ChurnScorer
from models.training import Bucket
from models.value import Histories


class PriorScorer:
    """P(no purchase within ``horizon_days``) from BG/NBD, explained by ``explainer``.

    Examples
    --------
    >>> from models.features import FEATURE_NAMES
    >>> from models.heuristic import HeuristicScorer
    >>> prior = PriorScorer(BetaGeo(0.243, 30.9, 0.793, 2.426), 90, HeuristicScorer())
    >>> x = dict.fromkeys(FEATURE_NAMES, 0.0) | {"frequency": 5.0, "tenure_days": 273.0}
    >>> [round(prior.predict_proba_one(x | {"recency_days": d})[True], 3) for d in (10, 200)]
    [0.429, 0.955]
    """

    def __init__(self, purchases: BetaGeo, horizon_days: float, explainer: ChurnScorer) -> None:
        self.purchases = purchases
        self.horizon_days = horizon_days
        self.explainer = explainer

    @property
    def version(self) -> str:
        return "bgnbd"

    def risks(self, histories: Histories) -> np.ndarray:
        return self.purchases.p_none(histories.history(), self.horizon_days)

    def predict_proba_one(self, x: Features) -> dict[bool, float]:
        p = float(self.risks(Histories.of([x]))[0])
        return {False: 1.0 - p, True: p}

    def contributions(self, x: Features) -> dict[str, float]:
        return self.explainer.contributions(x)


# labels of each outcome in the training window before they may judge the prior
MIN_JUDGING_LABELS = 20


def judge_prior(
    window: Bucket, purchases: BetaGeo | None, heuristic: np.ndarray, horizon_days: float
) -> tuple[str | None, dict[str, dict[str, float]]]:
    """Which prior the training window's labels prefer, "bgnbd" or "heuristic" (None while
    they are too few to say), and both scorers' ROC AUC and log loss on them.

    BG/NBD keeps serving only while it is at least as good as the recalibrated heuristic on
    both: ranking and calibration.
    """
    churned = window.churned
    outcomes = min(int(churned.sum()), int((~churned).sum()))
    if purchases is None or window.histories is None or outcomes < MIN_JUDGING_LABELS:
        return None, {}
    by_rate = purchases.p_none(window.histories.history(), horizon_days)
    figures = {
        name: {"roc_auc": roc_auc(churned, risk) or 0.5, "log_loss": log_loss(churned, risk)}
        for name, risk in (("bgnbd", by_rate), ("heuristic", heuristic))
    }
    ahead = (
        figures["bgnbd"]["roc_auc"] >= figures["heuristic"]["roc_auc"]
        and figures["bgnbd"]["log_loss"] <= figures["heuristic"]["log_loss"]
    )
    rounded = {n: {k: round(v, 4) for k, v in f.items()} for n, f in figures.items()}
    return ("bgnbd" if ahead else "heuristic"), rounded
