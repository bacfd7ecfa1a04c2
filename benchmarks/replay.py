"""Shared benchmark machinery: replay events up to a cut through the real engine, and score.

The engine only ever sees events before the cut; what happens after it is the truth the
scores are judged against.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

import orjson

from alerts.assessment import CustomerScore
from models.features import DAY
from models.heuristic import HeuristicScorer
from streams.clients.kafka_io import route_lines
from streams.dev.demo import demo_settings
from streams.dev.runner import run_pipeline
from streams.settings import Settings
from streams.storage.model_store import snapshot_as_of
from streams.storage.scores import collect_scores
from streams.topics import TopicNames


@dataclass
class CutResult:
    """The engine's scores at a cut, the heuristic's and every learned model's on the same
    state, and the model summary."""

    cut: float
    engine: list[CustomerScore]
    heuristic: list[CustomerScore]
    model: dict[str, object] | None
    elapsed_s: float
    learned: dict[str, list[CustomerScore]] = field(default_factory=dict)


def event_seconds(event: dict[str, object]) -> float:
    return datetime.fromisoformat(str(event["timestamp"]).replace("Z", "+00:00")).timestamp()


def replay_until(settings: Settings, events: Sequence[dict[str, object]], cut: float) -> CutResult:
    """Replay the events before ``cut`` through a worker on fresh names; score everyone at it."""
    with demo_settings(settings) as run_settings:
        lines = route_lines(
            (orjson.dumps(e) for e in events if event_seconds(e) < cut),
            TopicNames.from_settings(run_settings),
        )
        run = run_pipeline(run_settings, lines)
        at = datetime.fromtimestamp(cut).astimezone()
        _, engine_scores = collect_scores(run_settings, at)
        _, heuristic = collect_scores(run_settings, at, HeuristicScorer())
        snapshot = snapshot_as_of(run_settings, cut)
        learned = {}
        if snapshot is not None:
            for name in snapshot.learned_models:
                learned[name] = collect_scores(run_settings, at, snapshot.scorer_of(name))[1]
    return CutResult(
        cut,
        engine_scores,
        heuristic,
        snapshot.summary() if snapshot else None,
        run.elapsed_s,
        learned,
    )


def churned_after(
    events: Sequence[dict[str, object]], cut: float, horizon_days: float
) -> dict[str, bool]:
    """For each customer seen before ``cut``: True when they bought nothing in (cut, cut + H]."""
    seen = {str(e["customer_id"]) for e in events if event_seconds(e) < cut}
    bought = {
        str(e["customer_id"])
        for e in events
        if e["type"] == "purchase" and cut < event_seconds(e) <= cut + horizon_days * DAY
    }
    return {customer: customer not in bought for customer in seen}
