"""The shop's cross-section at each calendar tick, kept as counts: what the purchase and
order-value models are fitted on.

At each tick every customer not long dormant is snapshotted (:mod:`models.labels`); their
purchase history also goes into the period's tallies, one count under its bin: repeat
purchases, days from the first purchase to the last and to now (BG/NBD), and orders with their
average (Gamma-Gamma). Counts add up the same whatever order or batches they come in, name no
customer (nothing to erase), and are bounded by the bins, not by the size of the shop: days
and amounts fall in bins 1/16 wide in log(1 + value), about 6%.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from models.features import Features
from models.value import Histories

PURCHASES, ORDERS = "census", "orders"  # the tally keys' prefixes (models.pulse has its own)
BINS = 16.0  # per unit of log(1 + value)
MAX_REPEATS = 200


def to_bin(value: float) -> int:
    """
    >>> [to_bin(v) for v in (0.0, 1.0, 30.0, 365.0)]
    [0, 11, 55, 94]
    """
    return round(BINS * math.log1p(max(value, 0.0)))


def from_bin(index: int) -> float:
    """The value at the middle of a bin (in log(1 + value)).

    >>> round(from_bin(to_bin(30.0)), 1)  # within 3% of what was counted
    30.1
    """
    return math.expm1(index / BINS)


def add_to_census(counts: Counter[str], x: Features) -> None:
    """Count a customer's history, as of their snapshot, in the tick's tallies.

    >>> from models.features import FEATURE_NAMES
    >>> tallies = Counter()
    >>> x = dict.fromkeys(FEATURE_NAMES, 0.0) | {"frequency": 3.0, "recency_days": 5.0,
    ...     "tenure_days": 40.0, "log_monetary": math.log1p(20.0)}
    >>> add_to_census(tallies, x)
    >>> sorted(tallies)
    ['census|2|57|59', 'orders|3|49']
    """
    orders = int(x["frequency"])
    if orders < 1:
        return  # nothing bought yet: no purchase history to count
    tenure = x["tenure_days"]
    repeats = min(orders - 1, MAX_REPEATS)
    first_to_last = max(tenure - x["recency_days"], 0.0) if repeats else 0.0
    counts[f"{PURCHASES}|{repeats}|{to_bin(first_to_last)}|{to_bin(tenure)}"] += 1
    counts[f"{ORDERS}|{min(orders, MAX_REPEATS)}|{to_bin(math.expm1(x['log_monetary']))}"] += 1


@dataclass(frozen=True)
class Census:
    """One tick's tallies as weighted histories: BG/NBD's rows, and Gamma-Gamma's."""

    purchases: Histories
    orders: Histories

    @property
    def customers(self) -> int:
        return round(self.purchases.customers)

    @classmethod
    def of(cls, counts: Mapping[str, int]) -> Census | None:
        """The census in a period's tallies; None when the period held no tick.

        >>> census = Census.of({"census|2|57|59": 3, "orders|3|49": 3, "gaps": 7})
        >>> census.customers, census.purchases.history().x.tolist()
        (3, [2.0])
        """
        rows: dict[str, list[list[int]]] = {PURCHASES: [], ORDERS: []}
        for key, count in sorted(counts.items()):
            kind, *numbers = key.split("|")
            if kind in rows and count > 0:
                rows[kind].append([*map(int, numbers), int(count)])
        if not rows[PURCHASES] or not rows[ORDERS]:
            return None
        repeats, last, tenure, weight = np.array(rows[PURCHASES], dtype=float).T
        orders, average, order_weight = np.array(rows[ORDERS], dtype=float).T
        tenure_days = np.expm1(tenure / BINS)
        none = np.zeros_like(repeats)
        purchases = Histories(
            orders=repeats + 1.0,
            recency=np.maximum(tenure_days - np.expm1(last / BINS), 0.0),
            tenure=tenure_days,
            average=none,
            weights=weight,
        )
        values = Histories(
            orders,
            np.zeros_like(orders),
            np.zeros_like(orders),
            np.expm1(average / BINS),
            order_weight,
        )
        return cls(purchases, values)
