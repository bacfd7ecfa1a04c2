"""What a customer's next order is worth: the Gamma-Gamma model, fitted on the stream.

Fader, Hardie and Lee (2005), "RFM and CLV: using iso-value curves"; Hardie's note 025. A
customer's orders are Gamma(p, nu) with their own nu ~ Gamma(q, gamma), so the expected value
of their next order is a weighted mean of their own average and the population's, the weight
growing with the number of orders behind the average: one 500 order says little, twenty say
a lot.

Here the average is over all of a customer's orders (the engine keeps the count and the total,
not the first order apart), so ``n`` counts every order. Fitted by maximum likelihood, as
:mod:`models.purchases`, on customers with a positive average.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy.optimize import minimize
from scipy.special import gammaln

from models.purchases import LOG_BOUND


@dataclass(frozen=True)
class GammaGamma:
    """The three Gamma-Gamma parameters (``q`` > 1, so the population mean exists).

    Examples
    --------
    The CDNOW parameters of Hardie's note 025:

    >>> model = GammaGamma(p=6.25, q=3.74, gamma=15.44)
    >>> round(model.population_mean, 2)
    35.22
    >>> [round(float(v), 2) for v in model.expected_order_value([1, 5, 20], [100.0, 100.0, 100.0])]
    [80.26, 94.78, 98.61]
    """

    p: float
    q: float
    gamma: float

    @property
    def population_mean(self) -> float:
        return self.p * self.gamma / (self.q - 1.0)

    def expected_order_value(self, orders: ArrayLike, average: ArrayLike) -> np.ndarray:
        """The expected value of a customer's next order, from ``orders`` orders averaging
        ``average`` (no orders: the population's mean)."""
        n = np.maximum(np.asarray(orders, dtype=float), 0.0)
        own = self.p * n / (self.p * n + self.q - 1.0)
        return own * np.asarray(average, dtype=float) + (1.0 - own) * self.population_mean

    @classmethod
    def fit(
        cls,
        orders: ArrayLike,
        average: ArrayLike,
        start: GammaGamma | None = None,
        weights: ArrayLike | None = None,
    ) -> GammaGamma:
        """The maximum-likelihood parameters on the customers with a positive average (each row
        standing for ``weights`` customers, else one)."""
        n, m = np.asarray(orders, dtype=float), np.asarray(average, dtype=float)
        w = np.ones_like(n) if weights is None else np.asarray(weights, dtype=float)
        kept = (n >= 1) & (m > 0)
        # distinct (orders, average) pairs, weighted by how many customers share them
        pairs, inverse = np.unique(
            np.stack([n[kept], m[kept]], axis=1), axis=0, return_inverse=True
        )
        counts = np.bincount(inverse.ravel(), weights=w[kept], minlength=len(pairs))
        n, m, share = pairs[:, 0], pairs[:, 1], counts / counts.sum()
        scale = 1.0 / float(share @ m)
        guess = start or cls(p=1.0, q=2.0, gamma=1.0 / scale)
        initial = np.array([np.log(guess.p), np.log(guess.q - 1.0), np.log(guess.gamma * scale)])
        solution = minimize(
            _negative_log_likelihood, initial, args=(n, m * scale, share),
            method="L-BFGS-B", bounds=[(-LOG_BOUND, LOG_BOUND)] * 3,
        )  # fmt: skip
        log_p, log_q_less_1, log_gamma = solution.x
        return cls(
            float(np.exp(log_p)),
            1.0 + float(np.exp(log_q_less_1)),
            float(np.exp(log_gamma)) / scale,
        )


def _negative_log_likelihood(
    params: np.ndarray, n: np.ndarray, m: np.ndarray, weights: np.ndarray
) -> float:
    """Mean negative log-likelihood of customers' average order values (note 025, eq. 1a)."""
    p, q, gamma = np.exp(params[0]), 1.0 + np.exp(params[1]), np.exp(params[2])
    pn = p * n
    log_likelihood = (
        gammaln(pn + q) - gammaln(pn) - gammaln(q) + q * np.log(gamma)
        + (pn - 1.0) * np.log(m) + pn * np.log(n) - (pn + q) * np.log(n * m + gamma)
    )  # fmt: skip
    return float(-(weights @ log_likelihood))
