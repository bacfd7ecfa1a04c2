"""What the learned model is fitted on: the labels of the recent model periods, in a fixed order.

Labels arrive in one bucket per model period. Each bucket is put in a deterministic order and,
when it holds more than ``per_period`` labels, thinned to a deterministic uniform sample of
that many (by a hash of the customer and the snapshot time, never by the outcome), so the
cost of a fit is bounded whatever the population, and a population ten times larger with the
same behaviour gives a sample of the same behaviour.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from models.heuristic import HeuristicScorer
from models.labels import LabelledExample
from models.refit import INPUT_NAMES, model_inputs
from models.value import Histories


def learning_order(example: LabelledExample) -> tuple[float, str, float]:
    return (example.labelled_at, example.customer_id, example.taken_at)


def sample_rank(example: LabelledExample) -> bytes:
    """A stable pseudo-random rank of a label, independent of its outcome."""
    key = f"{example.customer_id}|{example.taken_at!r}".encode()
    return hashlib.blake2b(key, digest_size=8).digest()


@dataclass(frozen=True)
class Bucket:
    """One period's labels as model inputs, in learning order, with the heuristic's risk and
    the purchase histories the value model is fitted on."""

    rows: np.ndarray
    churned: np.ndarray
    heuristic: np.ndarray
    histories: Histories | None = None

    def __len__(self) -> int:
        return len(self.churned)

    @classmethod
    def of(cls, examples: Iterable[LabelledExample], per_period: int) -> Bucket:
        """The bucket of ``examples``, sampled down to ``per_period`` if larger.

        >>> from models.features import FEATURE_NAMES
        >>> x = dict.fromkeys(FEATURE_NAMES, 1.0)
        >>> labels = [LabelledExample(f"c{i}", 0.0, 9.0, i % 3 == 0, x) for i in range(10)]
        >>> bucket = Bucket.of(labels, per_period=4)
        >>> len(bucket), bucket.rows.shape
        (4, (4, 18))
        >>> Bucket.of(reversed(labels), per_period=4).churned.tolist() == bucket.churned.tolist()
        True
        """
        everything = sorted(examples, key=learning_order)
        if len(everything) > per_period:
            kept = set(map(id, sorted(everything, key=sample_rank)[:per_period]))
            everything = [e for e in everything if id(e) in kept]
        rows = np.array([model_inputs(e.features) for e in everything], dtype=float)
        heuristic = HeuristicScorer()
        return cls(
            rows.reshape(len(everything), len(INPUT_NAMES)),
            np.array([e.churned for e in everything], dtype=bool),
            np.array([heuristic.predict_proba_one(e.features)[True] for e in everything]),
            Histories.of([e.features for e in everything]),
        )


class TrainingWindow:
    """The buckets of the last ``periods`` model periods, oldest first.

    Parameters
    ----------
    periods
        How many periods of labels a fit sees.
    per_period
        Most labels kept of one period.
    """

    def __init__(self, periods: int, per_period: int) -> None:
        self.periods = periods
        self.per_period = per_period
        self.buckets: dict[int, Bucket] = {}

    def add(self, period: int, examples: Iterable[LabelledExample]) -> Bucket:
        bucket = Bucket.of(examples, self.per_period)
        self.buckets[period] = bucket
        for old in [p for p in self.buckets if p <= period - self.periods]:
            del self.buckets[old]
        return bucket

    def missing(self, until: int) -> list[int]:
        """Periods of the window ending at ``until`` (inclusive) not loaded yet."""
        return [p for p in range(until - self.periods + 1, until + 1) if p not in self.buckets]

    def data(self, until: int, since: int | None = None) -> Bucket:
        """The labels of the window ending at ``until`` as one bucket, oldest period first.

        With ``since``, no period before it: the window shortened after a drift.
        """
        first = until - self.periods + 1 if since is None else max(since, until - self.periods + 1)
        chosen = [self.buckets[p] for p in sorted(self.buckets) if first <= p <= until]
        if not chosen:
            return Bucket(
                np.empty((0, len(INPUT_NAMES))),
                np.empty(0, dtype=bool),
                np.empty(0),
                Histories.of([]),
            )
        return Bucket(
            np.vstack([b.rows for b in chosen]),
            np.concatenate([b.churned for b in chosen]),
            np.concatenate([b.heuristic for b in chosen]),
            Histories.concatenate([b.histories for b in chosen if b.histories is not None]),
        )
