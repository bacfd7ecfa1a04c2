"""A recorded backlog at real scale gives the same answers however the worker is treated.

20,000 customers and over 50,000 events, replayed through the real pipeline normally, then
with the worker starved (ten events a batch, small fetches, a process beside it burning a
core), then in huge batches with few inactivity checks a step (a calendar tick's checks then
take many steps, while one batch spans model periods). Scores, alert ids and every stored
state must be byte-identical: nothing may depend on the wall clock or on how the stream was cut.
"""

from __future__ import annotations

import subprocess
import sys

import orjson
import pytest

from streams.clients.kafka_io import route_lines
from streams.dev.runner import run_pipeline
from streams.dev.synthetic import generate_events
from streams.storage.model_store import snapshot_at_most
from streams.topics import TopicNames
from tests.integration.conftest import Services, pipeline_outcome, unique_settings

pytestmark = pytest.mark.integration

CUSTOMERS, DAYS = 20_000, 75
# A 30-day horizon, so labels become known within the replay, and training examples every
# model period, so every period's snapshot differs from the last: work done in the wrong
# period would show.
LEARNING = {"horizon_days": 30, "min_labels": 200, "example_every_days": 7.0}

# batches that span several model periods (a slow worker, or one catching up, takes full ones)
HUGE_BATCHES = {"batch_max_events": 20_000, "batch_max_wait_ms": 1000}


@pytest.fixture(scope="module")
def events() -> list[bytes]:
    lines = [orjson.dumps(e) for e in generate_events(CUSTOMERS, DAYS, seed=21)]
    assert len(lines) >= 50_000
    return lines


@pytest.fixture(scope="module")
def undisturbed(services: Services, events):
    """The undisturbed replay both tests compare against: run once, it is a minute's work."""
    return _outcome(unique_settings(services, **LEARNING), events)


def _outcome(settings, events):
    run = run_pipeline(settings, route_lines(events, TopicNames.from_settings(settings)))
    return run, {**pipeline_outcome(settings, run.alerts), "model": _learned(settings)}


def _learned(settings) -> tuple[dict, bytes]:
    """The last model snapshot: what it says of itself, and its exact weights."""
    snapshot = snapshot_at_most(settings, period=2**62)
    assert snapshot is not None
    model = snapshot.model
    return snapshot.summary(), model.weights.tobytes() + model.mean.tobytes()


@pytest.mark.timeout(900)
def test_a_starved_worker_gives_byte_identical_results(settings_factory, events, undisturbed):
    normal_run, normal = undisturbed
    busy = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        starved_run, starved = _outcome(
            settings_factory(
                **LEARNING,
                batch_max_events=10,
                fetch_max_bytes=4096,
                max_due_checks_per_batch=50,
            ),
            events,
        )
    finally:
        busy.kill()
        busy.wait()

    assert normal_run.stats["processed"] == starved_run.stats["processed"] == len(events)
    assert len(normal["states"]) == CUSTOMERS
    # learned, and judged against the heuristic, within the replay (whichever then served)
    assert ".cold." not in normal["scores"].splitlines()[-1]
    assert starved["scores"] == normal["scores"]
    assert starved["alert_ids"] == normal["alert_ids"]
    assert starved["states"] == normal["states"]
    assert starved["model"] == normal["model"]


@pytest.mark.timeout(900)
def test_checks_that_take_many_steps_give_byte_identical_results(
    settings_factory, events, undisturbed
):
    _, normal = undisturbed
    _, stepped = _outcome(
        settings_factory(**LEARNING, **HUGE_BATCHES, max_due_checks_per_batch=50), events
    )

    assert stepped["scores"] == normal["scores"]
    assert stepped["alert_ids"] == normal["alert_ids"]
    assert stepped["states"] == normal["states"]
    assert stepped["model"] == normal["model"]
