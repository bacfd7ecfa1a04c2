"""A synthetic retail population with planted churners, for demos, tests and benchmarks.

Each customer buys on a noisy rhythm of their own. At every purchase they may decide to
leave; bad experiences (open or badly handled complaints) raise that chance, and a leaving
customer's last purchases come slower and smaller before they go silent, as in real retail.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import orjson

EPOCH = datetime(2025, 1, 1, tzinfo=UTC)
CATEGORIES = ("quality", "price", "delivery", "service", "billing", "other")
CATEGORY_WEIGHTS = (3, 2, 4, 2, 1, 1)


@dataclass(frozen=True)
class Change:
    """From ``day`` on, the shop is different: gaps between purchases and the chance of leaving
    at each purchase are multiplied by these factors (a benchmark's known drift)."""

    day: float
    gap_factor: float = 1.0
    hazard_factor: float = 1.0


@dataclass(frozen=True)
class Shop:
    """How a generated shop's customers buy and leave.

    The default is the demo's: a purchase every four weeks or so (median 28 days, between 3 and
    150), a 2-12% chance of starting to leave at each purchase. ``FREQUENT`` is a grocer's: a
    purchase every few days and a small chance of leaving at each.
    """

    median_gap_days: float = 28.0
    gap_spread: float = 0.6  # of the log of a customer's usual gap
    gap_range: tuple[float, float] = (3.0, 150.0)
    hazard_range: tuple[float, float] = (0.02, 0.12)
    complaint_rates: tuple[float, ...] = (0.03, 0.06, 0.15)


FREQUENT = Shop(
    median_gap_days=4.0,
    gap_spread=0.5,
    gap_range=(1.0, 30.0),
    hazard_range=(0.0005, 0.003),
    complaint_rates=(0.005, 0.01, 0.03),
)


@dataclass
class _Customer:
    customer_id: str
    rng: random.Random
    days: float
    events: list[dict[str, object]] = field(default_factory=list)
    complaint_pressure: float = 0.0
    purchases: int = 0
    complaints: int = 0

    def stamp(self, day: float) -> str:
        moment = (EPOCH + timedelta(days=day)).replace(microsecond=0)
        return moment.isoformat().replace("+00:00", "Z")

    def purchase(self, day: float, amount: float) -> None:
        self.purchases += 1
        self.events.append(
            {
                "type": "purchase",
                "event_id": f"p-{self.customer_id}-{self.purchases}",
                "customer_id": self.customer_id,
                "timestamp": self.stamp(day),
                "amount": round(amount, 2),
                "quantity": self.rng.randint(1, 4),
                "order_id": f"o-{self.customer_id}-{self.purchases}",
                "channel": self.rng.choice(("web", "app", "store")),
            }
        )

    def complain(self, day: float) -> None:
        rng, self.complaints = self.rng, self.complaints + 1
        complaint_id = f"k-{self.customer_id}-{self.complaints}"
        category = rng.choices(CATEGORIES, CATEGORY_WEIGHTS)[0]
        severity = rng.choices((1, 2, 3, 4, 5), (2, 3, 3, 2, 1))[0]
        steps: list[tuple[float, str, int | None]] = [(day, "opened", None)]
        if severity >= 4 and rng.random() < 0.5:
            steps.append((day + rng.uniform(1, 5), "escalated", None))
        resolved = rng.random() < 0.75
        satisfaction = None
        if resolved:
            satisfaction = max(1, min(5, round(rng.gauss(4.2 - 0.5 * severity, 1.0))))
            steps.append((steps[-1][0] + rng.uniform(1, 20), "resolved", satisfaction))
        # what drives leaving: severity, and being left unresolved or unhappy
        self.complaint_pressure += (
            0.04 * severity
            + (0.12 if not resolved else 0.0)
            + (0.08 if satisfaction is not None and satisfaction <= 2 else 0.0)
        )
        for step, (at, status, rating) in enumerate(steps):
            if at >= self.days:
                break
            event: dict[str, object] = {
                "type": "complaint",
                "event_id": f"{complaint_id}-{step}",
                "customer_id": self.customer_id,
                "timestamp": self.stamp(at),
                "complaint_id": complaint_id,
                "category": category,
                "severity": severity,
                "status": status,
            }
            if rating is not None:
                event["satisfaction"] = rating
            self.events.append(event)


def _simulate(customer: _Customer, arrivals: float, change: Change | None, shop: Shop) -> None:
    rng = customer.rng
    shortest, longest = shop.gap_range
    interval = rng.lognormvariate(math.log(shop.median_gap_days), shop.gap_spread)
    interval = min(max(interval, shortest), longest)
    spend = rng.lognormvariate(math.log(45), 0.7)
    base_hazard = rng.uniform(*shop.hazard_range)
    complaint_rate = rng.choice(shop.complaint_rates)
    day = rng.uniform(0, customer.days * arrivals)
    leaving_in: int | None = None
    while day < customer.days:
        changed = change is not None and day >= change.day
        gap = change.gap_factor if change is not None and changed else 1.0
        hazard = change.hazard_factor if change is not None and changed else 1.0
        customer.purchase(day, spend * rng.lognormvariate(0, 0.3) * (0.6 if leaving_in else 1.0))
        if rng.random() < complaint_rate:
            customer.complain(day + rng.uniform(0.5, 6))
        if leaving_in is not None:
            leaving_in -= 1
            if leaving_in < 0:
                return  # gone silent
        elif rng.random() < hazard * (base_hazard + customer.complaint_pressure):
            leaving_in = rng.choice((0, 1, 2))
        slowdown = rng.uniform(1.5, 2.5) if leaving_in is not None else 1.0
        day += gap * interval * slowdown * rng.gammavariate(4.0, 0.25)


def generate_events(
    customers: int,
    days: int,
    seed: int,
    *,
    arrivals: float = 0.6,
    change: Change | None = None,
    shop: Shop = Shop(),
) -> Iterator[dict[str, object]]:
    """A population's purchases and complaints, in event-time order; the same seed, the same events.

    Customers first buy uniformly over the first ``arrivals`` share of the days; ``change``
    makes the shop different from a day on; ``shop`` says how its customers buy.

    >>> events = list(generate_events(customers=20, days=120, seed=1))
    >>> events == list(generate_events(customers=20, days=120, seed=1))
    True
    >>> stamps = [e["timestamp"] for e in events]
    >>> stamps == sorted(stamps) and {e["type"] for e in events} <= {"purchase", "complaint"}
    True
    """
    everything: list[dict[str, object]] = []
    for index in range(customers):
        customer = _Customer(f"C{index:06d}", random.Random(f"{seed}:{index}"), float(days))
        _simulate(customer, arrivals, change, shop)
        everything.extend(customer.events)
    everything.sort(key=lambda e: (str(e["timestamp"]), str(e["event_id"])))
    yield from everything


def write_jsonl(events: Iterator[dict[str, object]], path: str) -> int:
    count = 0
    with open(path, "wb") as out:
        for event in events:
            out.write(orjson.dumps(event) + b"\n")
            count += 1
    return count
