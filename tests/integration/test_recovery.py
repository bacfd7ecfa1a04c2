"""Crashes and restarts change nothing: the same state, scores and alerts as an undisturbed run.

The worker is a real process killed with SIGKILL at random points; Redis is a real server
restarted mid-run with its append-only file.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable

import orjson
import pytest

from streams.codec import encode_state
from streams.embedded import EmbeddedRedis
from streams.kafka_io import ensure_topics, produce_lines, route_lines
from streams.runner import WorkerProcess, engine_stats, events_done, run_pipeline
from streams.scores import collect_scores, scores_csv
from streams.settings import Settings
from streams.store import StateKeys, connect_sync, read_all_states
from streams.synthetic import generate_events
from streams.topics import TopicNames

pytestmark = pytest.mark.integration

EVENTS = [orjson.dumps(e) for e in generate_events(350, 365, seed=13)]


def _outcome(settings: Settings, alerts: list[dict]) -> dict[str, object]:
    client = connect_sync(settings)
    try:
        states = {
            s.customer_id: encode_state(s)
            for s in read_all_states(client, StateKeys(settings.redis_namespace))
        }
    finally:
        client.close()
    return {
        "scores": scores_csv(collect_scores(settings)[1]),
        "alert_ids": {str(a.get("alert_id") or a.get("recovery_id")) for a in alerts},
        "states": states,
    }


def _lines(settings: Settings):
    return route_lines(EVENTS, TopicNames.from_settings(settings))


@pytest.fixture(scope="module")
def undisturbed(services) -> dict[str, object]:
    settings = Settings(
        kafka_url=services.kafka_url,
        redis_url=services.redis_url,
        topic_prefix="undisturbed.",
        redis_namespace="test:undisturbed",
        app_id="churnwatch-test-undisturbed",
    )
    run = run_pipeline(settings, _lines(settings))
    return _outcome(settings, run.alerts)


def _wait_for(
    settings: Settings, worker: WorkerProcess, done: Callable[[int], bool], timeout_s: float = 120
) -> None:
    client = connect_sync(settings)
    deadline = time.monotonic() + timeout_s
    try:
        while not done(events_done(engine_stats(client, settings))):
            assert worker.is_running(), worker.log_tail()
            assert time.monotonic() < deadline, worker.log_tail()
            time.sleep(0.05)
    finally:
        client.close()


def _finish(settings: Settings) -> list[dict]:
    from streams.kafka_io import read_topic
    from streams.runner import wait_until_processed

    worker = WorkerProcess(settings).start()
    try:
        wait_until_processed(settings, len(EVENTS), worker, timeout_s=180)
    finally:
        worker.stop()
    return [
        orjson.loads(v) for v in read_topic(settings, TopicNames.from_settings(settings).alerts)
    ]


def test_sigkill_three_times_changes_nothing(settings_factory, undisturbed):
    settings = settings_factory()
    ensure_topics(settings)
    produce_lines(settings, _lines(settings))
    rnd = random.Random(5)
    kill_points = sorted(int(len(EVENTS) * rnd.uniform(low, low + 0.2)) for low in (0.1, 0.4, 0.7))
    for point in kill_points:
        worker = WorkerProcess(settings).start()
        _wait_for(settings, worker, lambda done, point=point: done >= point)
        worker.kill()

    alerts = _finish(settings)

    outcome = _outcome(settings, alerts)
    assert outcome["states"] == undisturbed["states"]
    assert outcome["scores"] == undisturbed["scores"]
    assert outcome["alert_ids"] == undisturbed["alert_ids"]


def test_redis_restart_mid_run_changes_nothing(services, settings_factory, undisturbed):
    redis_server = EmbeddedRedis.start(appendonly=True)
    try:
        settings = settings_factory(redis_url=redis_server.url)
        ensure_topics(settings)
        produce_lines(settings, _lines(settings))
        worker = WorkerProcess(settings).start()
        try:
            _wait_for(settings, worker, lambda done: done >= len(EVENTS) // 3)
            redis_server.restart(down_for_s=1.0)
            from streams.runner import wait_until_processed

            wait_until_processed(settings, len(EVENTS), worker, timeout_s=180)
        finally:
            worker.stop()
        from streams.kafka_io import read_topic

        alerts = [
            orjson.loads(v) for v in read_topic(settings, TopicNames.from_settings(settings).alerts)
        ]
        outcome = _outcome(settings, alerts)
    finally:
        redis_server.stop()
    assert outcome["states"] == undisturbed["states"]
    assert outcome["scores"] == undisturbed["scores"]
    assert outcome["alert_ids"] == undisturbed["alert_ids"]
