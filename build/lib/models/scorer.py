"""The one interface every churn scorer offers, heuristic or learned."""

from __future__ import annotations

from typing import Protocol

from models.features import Features


class ChurnScorer(Protocol):
    """Scores features into P(no purchase within the horizon) and explains the score.

    ``predict_proba_one`` follows River: ``{False: 1 - p, True: p}`` where ``True`` means churn.
    ``contributions`` gives each feature's push on the log-odds, the basis of alert reasons.
    """

    @property
    def version(self) -> str: ...

    def predict_proba_one(self, x: Features) -> dict[bool, float]: ...

    def contributions(self, x: Features) -> dict[str, float]: ...


def churn_probability(scorer: ChurnScorer, x: Features) -> float:
    """The probability of churn from a scorer's River-style answer."""
    return scorer.predict_proba_one(x).get(True, 0.0)
