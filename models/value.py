"""Customer value: what a customer is expected to spend, and what the shop stands to lose.

The contract, for a customer with churn risk ``q`` = P(no purchase in the next H days):

- ``clv``: the expected spend over the next Y years (``CHURNWATCH_CLV_YEARS``),
  unconditional: the chance that they have gone, or will go, is already in it;
- ``value_at_risk``: what the shop expects to lose on them if nothing is done, that is the
  chance ``q`` that they do not buy within H, times what that costs: their expected spend if
  they buy within H, less their expected spend if they do not;
- ``retained``: their expected spend if they buy within H. ``clv + value_at_risk = retained``.

How: BG/NBD (:mod:`models.purchases`) says how a customer buys while they are still a
customer: their rate, shrunk toward the population's, and the chance ``quiet`` that even so
they buy nothing within H. Gamma-Gamma (:mod:`models.order_value`) says what an order of theirs
is worth, ``V``. Whether they are still a customer is the churn model's to say: its ``q`` is
calibrated on the stream's own outcomes and reads more than purchases (complaints,
satisfaction, spend trend). So the chance they are alive is the one that makes BG/NBD's chance
of no purchase equal ``q``: ``alive = (1 - q) / (1 - quiet)``, at most 1. Then

- ``retained = V * A``, ``A`` the purchases over Y expected of a live customer who buys within H;
- a customer who buys nothing within H is alive with chance ``alive * quiet / q`` (at most 1),
  and then buys ``rest`` over the remaining Y - H: ``B = alive * quiet / q * rest``;
- ``clv = V * ((1 - q) * A + q * B)`` (which is ``V * alive * E[purchases over Y if alive]``)
  and ``value_at_risk = q * V * (A - B)``.

A silent customer's value falls as the churn model's risk rises; one BG/NBD would keep "alive"
for ever (a single purchase, a steady shop) falls with it.

Both sub-models are refitted each model period on the training window's snapshots, which are
a cross-section of customers as of their snapshot: no outcome is needed, and a population
ten times larger with the same behaviour gives the same model. Until the first fit, value
counts one more order at the customer's own average (``A = 1``, ``B = 0``).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

from models.features import Features
from models.order_value import GammaGamma
from models.purchases import BetaGeo, History, dropout_uncertainty

DAYS_PER_YEAR = 365.0
# the fewest snapshots, and snapshots of repeat buyers, that a fit is made from: fewer leave the
# dropout and the spread of rates unidentified
MIN_ROWS = 50
MIN_REPEATERS = 10
# the purchase model's churn risk serves once the census pins the chance of leaving at a
# purchase within a factor of e (one standard error of its log); fits that did not were
# wrong by orders of magnitude (0 or 1 where a few percent leave)
MAX_DROPOUT_ERROR = 1.0


@dataclass(frozen=True)
class Value:
    """One customer's value, in the shop's currency (see the module docstring)."""

    clv: float
    value_at_risk: float
    retained: float


@dataclass(frozen=True)
class Histories:
    """Purchase histories as the engine's features give them: ``orders``, days since the last
    purchase (``recency``) and since the first (``tenure``), and the average order."""

    orders: np.ndarray
    recency: np.ndarray
    tenure: np.ndarray
    average: np.ndarray
    weights: np.ndarray | None = None  # customers each row stands for (a census's bins); one

    @classmethod
    def of(cls, features: list[Features]) -> Histories:
        """
        >>> from models.features import FEATURE_NAMES
        >>> x = dict.fromkeys(FEATURE_NAMES, 0.0) | {"frequency": 3.0, "recency_days": 5.0,
        ...     "tenure_days": 40.0, "log_monetary": math.log1p(20.0)}
        >>> h = Histories.of([x])
        >>> h.history().x.tolist(), h.history().t_x.tolist(), h.average.round(6).tolist()
        ([2.0], [35.0], [20.0])
        """
        columns = np.array(
            [
                [x["frequency"], x["recency_days"], x["tenure_days"], math.expm1(x["log_monetary"])]
                for x in features
            ],
            dtype=float,
        ).reshape(len(features), 4)
        return cls(*columns.T)

    @classmethod
    def concatenate(cls, parts: list[Histories]) -> Histories:
        return cls(*(np.concatenate([getattr(h, f) for h in parts]) for f in _COLUMNS))

    @property
    def customers(self) -> float:
        return float(len(self) if self.weights is None else self.weights.sum())

    def history(self) -> History:
        """As BG/NBD reads them: repeat purchases, first to last, first to now."""
        repeats = np.maximum(self.orders - 1.0, 0.0)
        t_x = np.where(repeats > 0, np.maximum(self.tenure - self.recency, 0.0), 0.0)
        return History(repeats, t_x, self.tenure)

    def __len__(self) -> int:
        return len(self.orders)


_COLUMNS = ("orders", "recency", "tenure", "average")


def _weights(histories: Histories) -> np.ndarray:
    return np.ones(len(histories)) if histories.weights is None else histories.weights


@dataclass(frozen=True)
class ValueModel:
    """Purchases (BG/NBD) and order value (Gamma-Gamma), as of the latest fit.

    Examples
    --------
    >>> from models.features import FEATURE_NAMES
    >>> model = ValueModel(BetaGeo(0.243, 30.9, 0.793, 2.426), GammaGamma(6.25, 3.74, 15.44))
    >>> base = dict.fromkeys(FEATURE_NAMES, 0.0) | {"log_monetary": math.log1p(40.0)}
    >>> regular = base | {"frequency": 8.0, "recency_days": 10.0, "tenure_days": 300.0}
    >>> model.value(regular, risk=0.2, horizon_days=90, years=1.0)
    Value(clv=235.82, value_at_risk=25.41, retained=261.23)

    The same customer silent for 250 days, whom the churn model gives up on:

    >>> model.value(regular | {"recency_days": 250.0}, risk=0.9, horizon_days=90, years=1.0)
    Value(clv=29.48, value_at_risk=231.75, retained=261.23)
    """

    purchases: BetaGeo | None = None
    order_value: GammaGamma | None = None
    rows: int = 0
    # how well the census pins down the chance of leaving at a purchase: the standard error
    # of its log (models.purchases.dropout_uncertainty)
    dropout_error: float = math.inf

    @property
    def knows_dropout(self) -> bool:
        """Whether the census pins the mean chance of leaving at a purchase within a factor
        of e: before that, the purchase model's churn risk is not worth stating."""
        return self.dropout_error <= MAX_DROPOUT_ERROR

    @property
    def fitted(self) -> bool:
        return self.purchases is not None and self.order_value is not None

    def refit(self, purchases: Histories, orders: Histories | None = None) -> ValueModel:
        """BG/NBD fitted again on ``purchases``, Gamma-Gamma on ``orders`` (the same rows by
        default), from the current parameters; the same model when there are too few
        customers to identify them."""
        orders = purchases if orders is None else orders
        history = purchases.history()
        repeaters = float(((history.x > 0) * _weights(purchases)).sum())
        priced = float(((orders.average > 0) * _weights(orders)).sum())
        if purchases.customers < MIN_ROWS or min(repeaters, priced) < MIN_REPEATERS:
            return self
        fitted = BetaGeo.fit(history, self.purchases, purchases.weights)
        return ValueModel(
            fitted,
            GammaGamma.fit(orders.orders, orders.average, self.order_value, orders.weights),
            round(purchases.customers),
            dropout_uncertainty(fitted, history, purchases.weights),
        )

    def summary(self) -> dict[str, object]:
        return {
            "fitted": self.fitted,
            "rows": self.rows,
            "purchases": None if self.purchases is None else asdict(self.purchases),
            "order_value": None if self.order_value is None else asdict(self.order_value),
            "dropout_error": round(self.dropout_error, 3) if self.knows_dropout else None,
        }

    def average_order(self, x: Features) -> float:
        """The shop's average order (the customer's own, before the first fit): the unit
        that alert priorities count value in."""
        if self.order_value is None:
            return math.expm1(x["log_monetary"])
        return self.order_value.population_mean

    def judge(
        self, histories: Histories, churned: np.ndarray, horizon_days: float
    ) -> dict[str, object]:
        """How the purchase model foresaw new labels before learning them: the customers it
        expected to buy within H against those who did (None before the first fit)."""
        if self.purchases is None:
            return {"labels": len(histories), "buyers": int((~churned).sum()), "expected": None}
        bought = 1.0 - self.purchases.p_none(histories.history(), horizon_days)
        return {
            "labels": len(histories),
            "buyers": int((~churned).sum()),
            "expected": round(float(bought.sum()), 1),
        }

    def values(
        self, histories: Histories, risk: np.ndarray, horizon_days: float, years: float
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``clv``, ``value_at_risk`` and ``retained`` of many customers at once."""
        if self.purchases is None or self.order_value is None:
            order = np.maximum(histories.average, 0.0)
            return (1.0 - risk) * order, risk * order, order
        order = self.order_value.expected_order_value(histories.orders, histories.average)
        bought, lost = self.purchases_over(histories.history(), risk, horizon_days, years)
        # a series that did not converge counts one more order, never a NaN that would stop
        # the alert carrying it
        usable = np.isfinite(bought) & np.isfinite(lost)
        bought, lost = np.where(usable, bought, 1.0), np.where(usable, lost, 0.0)
        retained = order * bought
        return (
            order * ((1.0 - risk) * bought + risk * lost),
            risk * order * (bought - lost),
            retained,
        )

    def purchases_over(
        self, history: History, risk: np.ndarray, horizon_days: float, years: float
    ) -> tuple[np.ndarray, np.ndarray]:
        """Expected purchases over ``years`` given a purchase in the next ``horizon_days``
        (``A``), and given none (``B``), for customers with churn risk ``risk``."""
        assert self.purchases is not None
        days = years * DAYS_PER_YEAR
        quiet = self.purchases.p_quiet(history, horizon_days)
        alive = np.minimum((1.0 - risk) / np.maximum(1.0 - quiet, 1e-12), 1.0)
        everything = self.purchases.expected_purchases_if_alive(history, days)
        rest = self.purchases.expected_purchases_if_alive(
            history.later(horizon_days), days - horizon_days
        )
        bought = (everything - quiet * rest) / np.maximum(1.0 - quiet, 1e-12)
        # given a purchase within H, at least that one falls within Y when Y >= H
        bought = np.maximum(bought, 1.0 if days >= horizon_days else 0.0)
        # alive, given no purchase within H; 1 where the churn model expects a purchase more
        # surely than BG/NBD would of a live customer (then it knows of more than the rate)
        alive_after = np.minimum(alive * quiet / np.maximum(risk, 1e-12), 1.0)
        return bought, alive_after * rest

    def value(self, x: Features, risk: float, horizon_days: float, years: float) -> Value:
        """One customer's value, in cents (``clv`` the difference of the two rounded others,
        so that ``clv + value_at_risk == retained`` holds as published)."""
        _, at_risk, retained = self.values(Histories.of([x]), np.array([risk]), horizon_days, years)
        lost, kept = round(float(at_risk[0]), 2), round(float(retained[0]), 2)
        return Value(round(kept - lost, 2), lost, kept)
