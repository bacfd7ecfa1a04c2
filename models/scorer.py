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
