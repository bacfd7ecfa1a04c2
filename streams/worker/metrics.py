"""Prometheus metrics of a worker, and what its health page reports."""

from __future__ import annotations

from collections import Counter as CounterOf
from collections.abc import Mapping

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from models.snapshot import ModelSnapshot
from streams.pipeline.ports import Observer

REGISTRY = CollectorRegistry()

EVENTS = Counter(
    "churnwatch_events_total",
    "Input messages by outcome: applied, duplicate, redelivered, dead_letter.",
    ["outcome"],
    registry=REGISTRY,
)
DEAD_LETTERS = Counter(
    "churnwatch_dead_letters_total", "Dead-lettered input by reason.", ["reason"], registry=REGISTRY
)
ALERTS = Counter("churnwatch_alerts_total", "Churn alerts by tier.", ["tier"], registry=REGISTRY)
RECOVERED = Counter(
    "churnwatch_recovered_total", "Alerted customers who bought again.", registry=REGISTRY
)
LABELS_SEEN = Gauge(
    "churnwatch_model_labels_seen",
    "Labels the scoring model has learned.",
    ["outcome"],
    registry=REGISTRY,
)
MODEL_PERIOD = Gauge(
    "churnwatch_model_period", "Event-time period of the scoring model.", registry=REGISTRY
)
MODEL_ONLINE = Gauge(
    "churnwatch_model_online",
    "1 when the learned model scores, 0 while the prior (BG/NBD or the heuristic) does.",
    registry=REGISTRY,
)
WATERMARK = Gauge(
    "churnwatch_watermark_seconds", "Event time the worker has processed up to.", registry=REGISTRY
)
BATCH_SECONDS = Histogram(
    "churnwatch_batch_seconds",
    "Wall time to process a released batch.",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
    registry=REGISTRY,
)
CONSUMER_LAG = Gauge(
    "churnwatch_consumer_lag",
    "Messages not yet read, per input partition.",
    ["topic", "partition"],
    registry=REGISTRY,
)
MODEL_SERVING = Gauge(
    "churnwatch_model_serving",
    "1 for the scorer that serves (heuristic, bgnbd, logreg, river-logreg, river-tree), else 0.",
    ["model"],
    registry=REGISTRY,
)
MODEL_GAIN = Gauge(
    "churnwatch_model_gain",
    "A learned model's running gain over the heuristic on recent labels (positive: better).",
    ["model", "measure"],
    registry=REGISTRY,
)
MODEL_DRIFTS = Gauge(
    "churnwatch_model_drifts",
    "Changes in the shop found by the drift detectors so far, by signal.",
    ["signal"],
    registry=REGISTRY,
)
HELD = Gauge("churnwatch_held_events", "Events waiting for event-time order.", registry=REGISTRY)


def record_counts(counts: Mapping[str, int]) -> None:
    """Mirror a batch's counters (the same ones saved in Redis) into Prometheus."""
    EVENTS.labels("applied").inc(counts.get("processed", 0) - counts.get("duplicates", 0))
    EVENTS.labels("duplicate").inc(counts.get("duplicates", 0))
    EVENTS.labels("redelivered").inc(counts.get("redelivered", 0))
    EVENTS.labels("dead_letter").inc(counts.get("dead_letters", 0))
    RECOVERED.inc(counts.get("out:customer_recovered", 0))
    for name, amount in counts.items():
        kind, _, detail = name.partition(":")
        if kind == "dead_letters" and detail:
            DEAD_LETTERS.labels(detail).inc(amount)
        elif kind == "alerts" and detail:
            ALERTS.labels(detail).inc(amount)


class MetricsObserver(Observer):
    """The engine's reports as Prometheus metrics."""

    def counted(self, counts: CounterOf[str]) -> None:
        record_counts(counts)

    def serving(self, snapshot: ModelSnapshot) -> None:
        MODEL_PERIOD.set(snapshot.period)
        MODEL_ONLINE.set(1 if snapshot.serves_model else 0)
        for outcome, count in snapshot.labels_seen.items():
            LABELS_SEEN.labels(outcome).set(count)
        serving = snapshot.serving or snapshot.prior
        for name in ("heuristic", "bgnbd", *snapshot.guard.standings):
            MODEL_SERVING.labels(name).set(1 if name == serving else 0)
        for name, gains in snapshot.guard.table().items():
            for measure, gain in gains.items():
                MODEL_GAIN.labels(name, measure).set(float("nan") if gain is None else gain)
        for signal, count in snapshot.drift_detections().items():
            MODEL_DRIFTS.labels(signal).set(count)
