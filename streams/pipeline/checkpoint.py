"""The checkpoint: what one step of work changed, committed in a fixed order.

1. Publish the step's outputs and wait until the broker has acknowledged every one.
2. Save states, schedules, labels, counters and input offsets: each partition's in one
   transaction (on a single Redis, all partitions' in one).
3. With a daily capacity, seal the event-time days every partition has passed, publishing
   their chosen alerts before marking them sealed.
4. Acknowledge the input messages, once every period of their release is saved (the engine
   does this after the release's last checkpoint).

A crash between any two steps repeats work, deduplicated by event and output ids; it never
loses any: nothing is saved before it is published, nothing acknowledged before it is saved.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import orjson

from alerts.events import ModelDrift, OutputEvent, as_utc, deterministic_id
from models.drift import Drift
from streams.pipeline.periods import ModelPeriods
from streams.pipeline.ports import AlertDays, Changes, CustomerStore, Outgoing, Publish


@dataclass
class Checkpoint:
    outputs: list[Outgoing]
    changes: list[Changes]  # one per input partition number

    async def commit(
        self, publish: Publish, store: CustomerStore, alert_days: AlertDays | None, alerts: str
    ) -> Counter[str]:
        """Commit; returns the counters of what the seal published (none without a capacity)."""
        await publish(self.outputs)  # 1
        await store.save(self.changes)  # 2
        if alert_days is None:
            return Counter()
        return await alert_days.seal(lambda payloads: publish(sealed(alerts, payloads)))  # 3


def outgoing(topic: str, events: Sequence[OutputEvent]) -> list[Outgoing]:
    """Output events as messages keyed by customer id."""
    return [Outgoing(topic, e.customer_id.encode(), e.model_dump_json().encode()) for e in events]


def model_events(topic: str, drifts: Sequence[Drift], periods: ModelPeriods) -> list[Outgoing]:
    """Drifts as ``model_drift`` events, keyed by their signal."""
    return [
        Outgoing(topic, d.signal.encode(), model_drift(d, periods).model_dump_json().encode())
        for d in drifts
    ]


def model_drift(drift: Drift, periods: ModelPeriods) -> ModelDrift:
    return ModelDrift(
        drift_id=deterministic_id("drift", str(drift.period), drift.signal, drift.detector),
        timestamp=as_utc(periods.start(drift.period + 1)),
        period=drift.period,
        detector=drift.detector,
        signal=drift.signal,
        before=round(drift.before, 6),
        after=round(drift.after, 6),
        labels=drift.labels,
        response=drift.response,
    )


def sealed(topic: str, payloads: list[bytes]) -> list[Outgoing]:
    """Alerts chosen by the capacity, already serialized."""
    return [Outgoing(topic, orjson.loads(p)["customer_id"].encode(), p) for p in payloads]
