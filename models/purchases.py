"""How often a customer buys, and whether they still do: the BG/NBD model, fitted on the stream.

Fader, Hardie and Lee (2005), "Counting your customers the easy way". While alive, a customer
buys at a Poisson rate lambda ~ Gamma(r, alpha); after each repeat purchase they drop out with
probability p ~ Beta(a, b). A customer's history is three numbers: ``x`` repeat purchases,
``t_x`` days from the first purchase to the last, and ``T`` days from the first to now.

What follows from it, per customer: the chance they are still a customer, how many purchases
to expect in the next ``t`` days, and the chance of none (the model's version of churn). All
of it shrinks a rhythm seen in two purchases toward the population's, and falls as silence
grows, more steeply for a frequent buyer.

The four parameters are the maximum-likelihood estimate on a cross-section of customers (no
outcome needed), from a fixed or previous start, so the same rows always give the same model.
The likelihood is the *mean* over rows: ten times the customers with the same behaviour give
the same model. ``lifetimes.BetaGeoFitter`` implements the same formulas; it is not used here
because it is unmaintained since 2020 and would bring pandas and autograd into the worker
(``tests/unit/models/test_purchases.py`` checks ours against it).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy.optimize import minimize
from scipy.special import expit, gammaln, hyp2f1

# Where no one drops out, the likelihood runs off to a, b -> infinity; bounds on the log
# parameters keep them finite (e^12) instead of a penalty, which biases a and b down (1e-3 on
# the squared parameters, lifetimes' advice, halved them on a simulated shop). Where everyone
# buys at the same rate (a generated shop of regular buyers), it runs off to r, alpha ->
# infinity; r stops at e^9, where the hypergeometric series still converges (at 1.5e5 it
# gave NaN).
LOG_BOUND = 12.0
LOG_BOUND_R = 9.0


@dataclass(frozen=True)
class History:
    """Purchase histories, one per row: repeat purchases ``x``, ``t_x`` and ``T`` in days."""

    x: np.ndarray
    t_x: np.ndarray
    T: np.ndarray

    @classmethod
    def of(cls, x: ArrayLike, t_x: ArrayLike, T: ArrayLike) -> History:
        return cls(
            np.asarray(x, dtype=float), np.asarray(t_x, dtype=float), np.asarray(T, dtype=float)
        )

    def later(self, days: float) -> History:
        """The same histories ``days`` later, with no purchase in between."""
        return History(self.x, self.t_x, self.T + days)

    def compressed(self, weights: np.ndarray | None = None) -> tuple[History, np.ndarray]:
        """Distinct histories (days rounded to whole days) and how many customers each stands
        for (``weights`` per row, else one): a cross-section of one shop repeats itself, and
        the fit costs per distinct row."""
        key = np.stack([self.x, np.round(self.t_x), np.round(self.T)], axis=1)
        distinct, inverse = np.unique(key, axis=0, return_inverse=True)
        counts = np.bincount(inverse.ravel(), weights=weights, minlength=len(distinct))
        return History(distinct[:, 0], distinct[:, 1], distinct[:, 2]), counts.astype(float)


@dataclass(frozen=True)
class BetaGeo:
    """The four BG/NBD parameters; ``alpha`` is in days.

    Examples
    --------
    The CDNOW parameters of Fader, Hardie and Lee (in weeks there: alpha 4.41):

    >>> model = BetaGeo(r=0.243, alpha=4.41 * 7, a=0.793, b=2.426)
    >>> history = History.of([4, 4, 0], [70, 70, 0], [70, 273, 273])
    >>> [round(float(p), 2) for p in model.p_alive(history)]
    [0.87, 0.06, 1.0]
    >>> [round(float(n), 2) for n in model.expected_purchases(history, 90)]
    [2.69, 0.07, 0.07]
    >>> [round(float(p), 2) for p in model.p_none(history, 90)]
    [0.19, 0.96, 0.94]
    """

    r: float
    alpha: float
    a: float
    b: float

    def p_alive(self, h: History) -> np.ndarray:
        """The chance each customer has not dropped out (1 before any repeat purchase)."""
        r, alpha, a, b = self.r, self.alpha, self.a, self.b
        log_odds_gone = (r + h.x) * np.log((alpha + h.T) / (alpha + h.t_x)) + np.log(
            a / (b + np.maximum(h.x, 1.0) - 1.0)
        )
        return np.where(h.x == 0, 1.0, expit(-log_odds_gone))

    def p_quiet(self, h: History, days: float) -> np.ndarray:
        """The chance that a customer still alive buys nothing in the next ``days``.

        Alive, a customer cannot drop out before their next purchase, so this is
        E[exp(-lambda t)] over their posterior rate, Gamma(r + x, alpha + T).
        """
        return ((self.alpha + h.T) / (self.alpha + h.T + days)) ** (self.r + h.x)

    def p_none(self, h: History, days: float) -> np.ndarray:
        """The chance of no purchase in the next ``days``: gone, or alive and quiet."""
        return 1.0 - self.p_alive(h) * (1.0 - self.p_quiet(h, days))

    def expected_purchases(self, h: History, days: float) -> np.ndarray:
        """Expected purchases in the next ``days`` (equation 10 of the paper)."""
        return self.p_alive(h) * self.expected_purchases_if_alive(h, days)

    def expected_purchases_if_alive(self, h: History, days: float) -> np.ndarray:
        """Expected purchases in the next ``days`` of a customer still alive now."""
        if days <= 0:
            return np.zeros_like(h.T)
        r, alpha, a, b = self.r, self.alpha, self.a, self.b
        first, second, third = r + h.x, b + h.x, a + b + h.x - 1.0
        z = days / (alpha + h.T + days)
        with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
            series = hyp2f1(first, second, third, z)
            # Euler's transformation where the series overflows (lifetimes does the same); the
            # series can be negative when a + b + x < 1, so it is not taken through a log
            euler = hyp2f1(third - first, third - second, third, z) * np.exp(
                (third - first - second) * np.log1p(-z)
            )
        series = np.where(np.isfinite(series), series, euler)
        reached = 1.0 - series * ((alpha + h.T) / (alpha + h.T + days)) ** first
        return np.maximum(third / (a - 1.0) * reached, 0.0)

    @classmethod
    def fit(
        cls, history: History, start: BetaGeo | None = None, weights: np.ndarray | None = None
    ) -> BetaGeo:
        """The maximum-likelihood parameters for ``history`` (each row standing for ``weights``
        customers, else one), searched from ``start`` and from a neutral guess.

        Both, because the likelihood is flat far out: a young shop's fit can run off toward
        identical rates and no dropout, and a search started there stays there long after
        the data say otherwise (a generated shop kept r = 2,800 for months; fitted afresh on
        the same census, r = 4.8).
        """
        rows, weights = history.compressed(weights)
        scale = 1.0 / max(float(rows.T.max()), 1.0)
        scaled = History(rows.x, rows.t_x * scale, rows.T * scale)
        shares = weights / weights.sum()
        neutral = cls(r=1.0, alpha=1.0 / scale, a=1.0, b=1.0)
        searches = [
            minimize(
                _negative_log_likelihood,
                np.log([guess.r, guess.alpha * scale, guess.a, guess.b]),
                args=(scaled, shares),
                method="L-BFGS-B",
                bounds=[(-LOG_BOUND, LOG_BOUND_R)] + [(-LOG_BOUND, LOG_BOUND)] * 3,
            )
            for guess in ([neutral] if start is None else [start, neutral])
        ]
        best = min(searches, key=lambda s: float(s.fun))
        r, alpha, a, b = np.exp(best.x)
        return cls(float(r), float(alpha) / scale, float(a), float(b))


def _negative_log_likelihood(log_params: np.ndarray, h: History, weights: np.ndarray) -> float:
    """Mean negative log-likelihood of BG/NBD (Fader, Hardie and Lee 2005, section 7)."""
    r, alpha, a, b = np.exp(log_params)
    x = h.x
    common = (
        gammaln(r + x) - gammaln(r) + r * np.log(alpha)
        + gammaln(a + b) + gammaln(b + x) - gammaln(b) - gammaln(a + b + x)
    )  # fmt: skip
    alive = -(r + x) * np.log(alpha + h.T)
    gone = np.log(a) - np.log(b + np.maximum(x, 1.0) - 1.0) - (r + x) * np.log(alpha + h.t_x)
    top = np.maximum(alive, gone)
    log_likelihood = common + top + np.log(np.exp(alive - top) + (x > 0) * np.exp(gone - top))
    return float(-(weights @ log_likelihood))


def dropout_uncertainty(
    model: BetaGeo, history: History, weights: np.ndarray | None = None
) -> float:
    """The standard error of log(a / (a + b)), the mean chance of leaving at a purchase, as
    the census pins it down (from the likelihood's curvature); infinite where it does not.

    A young shop's census can fit almost any dropout: no one has yet been silent long against
    their own pace, and the maximum may put it at 0 or at 1 (a month-old generated shop's fit
    said everyone leaves at each purchase, and stated risks of 0.99999 of which none came
    true). The rate is pinned down long before the dropout is.
    """
    rows, counts = history.compressed(weights)
    total = float(counts.sum())
    scale = 1.0 / max(float(rows.T.max()), 1.0)
    scaled = History(rows.x, rows.t_x * scale, rows.T * scale)
    at = np.log([model.r, model.alpha * scale, model.a, model.b])
    step = 1e-3
    steps = np.eye(4) * step
    curvature = np.empty((4, 4))
    for i in range(4):
        for j in range(4):
            corners = (
                _negative_log_likelihood(at + si * steps[i] + sj * steps[j], scaled, counts / total)
                for si, sj in ((1, 1), (1, -1), (-1, 1), (-1, -1))
            )
            a, b, c, d = corners
            curvature[i, j] = (a - b - c + d) / (4 * step * step)
    share_b = model.b / (model.a + model.b)
    direction = np.array([0.0, 0.0, share_b, -share_b])  # d log(a/(a+b)) / d log(r, alpha, a, b)
    try:
        variance = float(direction @ np.linalg.solve(curvature, direction)) / total
    except np.linalg.LinAlgError:
        return math.inf
    return math.sqrt(variance) if math.isfinite(variance) and variance > 0 else math.inf
