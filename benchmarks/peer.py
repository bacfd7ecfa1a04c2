"""What a user would build instead of churnwatch: a Quix Streams app with River, the honest minimum.

    python -m benchmarks.peer      (run by benchmarks.throughput; configured by PEER_* variables)

Per event, from the same input topics as the engine: JSON decode; the customer's state in
Quix's state store (recency, frequency, spend, first and last purchase, complaints); eight
features; River ``StandardScaler | LogisticRegression``, ``predict_proba_one`` on every event
and ``learn_one`` on a delayed label (a purchase labels the customer's previous features:
churned when the gap exceeded the horizon); and one JSON risk update produced per event.
With ``PEER_MODE=count`` it only counts: Quix's own floor.

It does none of what churnwatch does beyond that: no silence scoring (a customer who stops
buying is never rescored), no event-time order across partitions, no dedup, dead letters or
exactly-once checkpoint, no calibration, guard, alerts or shared state.

Running Quix on the embedded Tansu broker needs: no changelog topics (Tansu describes only
the configs set at creation, and Quix 3.28 fails with ``KeyError: 'retention.ms'``), a
session timeout of 6 s (joining a group takes half of it), and the output topic created by
the benchmark. ``PEER_POLL_TIMEOUT`` sets ``consumer_poll_timeout`` (Quix's default, 1.0 s,
leaves it idle for part of each refill).
"""

from __future__ import annotations

import os
import sys
import tempfile
from datetime import datetime
from typing import Any

import redis
from quixstreams import Application, State
from river import compose, linear_model, preprocessing

DAY = 86_400.0
HORIZON_S = 90 * DAY


def features(state: dict[str, Any], at: float, event: dict[str, Any]) -> dict[str, float]:
    """Eight features of a customer at ``at``, from their state and the event."""
    last = state.get("last_purchase")
    first = state.get("first_purchase")
    bought = state.get("purchases", 0)
    return {
        "recency_days": (at - last) / DAY if last is not None else 0.0,
        "frequency": float(bought),
        "monetary": state.get("spend", 0.0),
        "average_order": state.get("spend", 0.0) / bought if bought else 0.0,
        "tenure_days": (at - first) / DAY if first is not None else 0.0,
        "complaints": float(state.get("complaints", 0)),
        "amount": float(event.get("amount") or 0.0),
        "is_purchase": 1.0 if event.get("type") == "purchase" else 0.0,
    }


class Peer:
    """The per-event work, with the River model every partition's events update."""

    def __init__(self, counter: redis.Redis, stats_key: str, total: int) -> None:
        self.model = compose.Pipeline(
            preprocessing.StandardScaler(), linear_model.LogisticRegression()
        )
        self.counter, self.stats_key, self.total = counter, stats_key, total
        self.seen = 0

    def score(self, event: dict[str, Any], state: State) -> dict[str, Any]:
        at = datetime.fromisoformat(event["timestamp"]).timestamp()
        customer = state.get("customer", {})
        if event.get("type") == "purchase":
            previous, last = customer.get("features"), customer.get("last_purchase")
            if previous is not None and last is not None:  # the previous look's delayed label
                self.model.learn_one(previous, at - last > HORIZON_S)
            customer["purchases"] = customer.get("purchases", 0) + 1
            customer["spend"] = customer.get("spend", 0.0) + float(event.get("amount") or 0.0)
            customer.setdefault("first_purchase", at)
            customer["last_purchase"] = max(at, customer.get("last_purchase", at))
        else:
            customer["complaints"] = customer.get("complaints", 0) + 1
        x = features(customer, at, event)
        customer["features"] = x
        state.set("customer", customer)
        risk = self.model.predict_proba_one(x).get(True, 0.0)
        self.count()
        return {"customer_id": event["customer_id"], "timestamp": event["timestamp"], "risk": risk}

    def count(self, *_: object) -> None:
        self.seen += 1
        if self.seen % 100 == 0 or self.seen == self.total:
            self.counter.hset(self.stats_key, "processed", self.seen)


NEEDED = ("PEER_KAFKA", "PEER_REDIS_URL", "PEER_GROUP", "PEER_TOPICS", "PEER_STATS", "PEER_TOTAL")


def main() -> None:
    if sys.argv[1:]:
        print(__doc__)
        return
    missing = [name for name in NEEDED if name not in os.environ]
    if missing:
        sys.exit(f"benchmarks.peer is run by benchmarks.throughput; missing: {', '.join(missing)}")
    mode = os.environ.get("PEER_MODE", "river")
    counter = redis.Redis.from_url(os.environ["PEER_REDIS_URL"])
    peer = Peer(counter, os.environ["PEER_STATS"], int(os.environ["PEER_TOTAL"]))
    app = Application(
        broker_address=os.environ["PEER_KAFKA"],
        consumer_group=os.environ["PEER_GROUP"],
        auto_offset_reset="earliest",
        use_changelog_topics=False,
        consumer_poll_timeout=float(os.environ.get("PEER_POLL_TIMEOUT", "1.0")),
        consumer_extra_config={"session.timeout.ms": 6000},
        state_dir=tempfile.mkdtemp(prefix="peer-state-"),
        loglevel="WARNING",
    )
    purchases, complaints = (
        app.dataframe(app.topic(name, value_deserializer="json"))
        for name in os.environ["PEER_TOPICS"].split(",")
    )
    events = purchases.concat(complaints)
    if mode == "count":
        events.update(peer.count)
    else:
        events = events.apply(peer.score, stateful=True)
        events.to_topic(app.topic(os.environ["PEER_OUTPUT"], value_serializer="json"))
    app.run()


if __name__ == "__main__":
    main()
