"""The online model through the real pipeline: it takes over, and never learns the future."""

from __future__ import annotations

from datetime import datetime

import orjson
import pytest

from models.features import DAY, FEATURE_NAMES
from streams.clients.kafka_io import route_lines
from streams.dev.runner import run_pipeline
from streams.dev.synthetic import generate_events
from streams.pipeline.periods import ModelPeriods
from streams.storage.model_store import snapshot_at_most
from streams.topics import TopicNames

pytestmark = pytest.mark.integration

EVENTS = list(generate_events(200, 400, seed=4))


def event_seconds(event: dict) -> float:
    return datetime.fromisoformat(str(event["timestamp"])).timestamp()


PROBES = [
    dict.fromkeys(FEATURE_NAMES, 1.0) | {"recency_days": float(r), "overdue_ratio": r / 20}
    for r in (1, 10, 30, 60, 120, 240)
]


def _replay(settings, events) -> None:
    lines = route_lines((orjson.dumps(e) for e in events), TopicNames.from_settings(settings))
    run_pipeline(settings, lines)


def _snapshot(settings, period: int):
    return snapshot_at_most(settings, period)


def test_the_model_at_a_date_ignores_events_after_it(settings_factory):
    until_cut, everything = settings_factory(min_labels=20), settings_factory(min_labels=20)
    cut = event_seconds(EVENTS[0]) + 250 * DAY
    _replay(until_cut, [e for e in EVENTS if event_seconds(e) < cut])
    _replay(everything, EVENTS)

    period = ModelPeriods(until_cut.model_update_days).period_of(cut)
    partial, full = _snapshot(until_cut, period), _snapshot(everything, period)
    assert partial is not None and full is not None
    assert partial.period == full.period
    assert partial.summary() == full.summary()
    assert [partial.model.predict_proba_one(x) for x in PROBES] == [
        full.model.predict_proba_one(x) for x in PROBES
    ]
    later = _snapshot(everything, period + 20)
    assert sum(later.labels_seen.values()) > sum(full.labels_seen.values())


def test_the_learned_model_is_judged_against_the_heuristic_and_says_who_serves(settings_factory):
    settings = settings_factory(min_labels=30)
    _replay(settings, EVENTS)
    snapshot = _snapshot(settings, 2**62)
    summary = snapshot.summary()
    assert summary["warm"] and min(summary["labels_seen"].values()) >= 30
    assert 0.5 < summary["metrics"]["roc_auc"] <= 1.0
    # on this generator the hand-set heuristic is hard to beat; whichever serves says so
    assert set(summary["models"]) == {"logreg", "river-logreg", "river-tree"}
    if summary["serving"] not in ("heuristic", "bgnbd"):
        assert summary["version"].startswith(f"{summary['serving']}.p")
        assert summary["why"].startswith(f"{summary['serving']} beats the heuristic")
    else:
        prior = {"heuristic": "heuristic-1", "bgnbd": "bgnbd"}[summary["serving"]]
        assert summary["version"].startswith(f"{prior}.guarded.p")
        assert summary["why"] == "no learned model beats the heuristic on recent labels"
