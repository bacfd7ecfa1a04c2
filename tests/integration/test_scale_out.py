"""Scale-out: workers sharing the input partitions give exactly what one worker gives."""

from __future__ import annotations

import time
import urllib.request
from datetime import datetime, timedelta

import orjson
import pytest

from streams.clients.kafka_io import ensure_topics, produce_lines, read_topic, route_lines
from streams.dev.runner import WorkerProcess, run_pipeline, wait_until_processed
from streams.dev.synthetic import generate_events
from streams.settings import Settings
from streams.topics import TopicNames
from tests.integration.conftest import pipeline_outcome, wait_for_progress

pytestmark = pytest.mark.integration


def _events() -> list[bytes]:
    """A population, then one customer buying again 60 days after everyone else fell silent.

    Only one partition has anything to read in those 60 days: the worker that does not own it
    must still run its customers' inactivity checks through them, as a single worker would.
    """
    generated = list(generate_events(900, 365, seed=17))
    last = generated[-1]
    late = datetime.fromisoformat(str(last["timestamp"]).replace("Z", "+00:00"))
    straggler = {
        **last,
        "event_id": "straggler-1",
        "timestamp": (late + timedelta(days=60)).isoformat().replace("+00:00", "Z"),
    }
    return [orjson.dumps(e) for e in [*generated, straggler]]


EVENTS = _events()


def _assigned(worker: WorkerProcess) -> list[str]:
    try:
        page = urllib.request.urlopen(worker.metrics_url + "/health", timeout=2).read()
    except OSError:
        return []
    return list(orjson.loads(page)["assigned_partitions"])


def _wait_for_split(
    settings: Settings, workers: list[WorkerProcess], timeout_s: float = 60
) -> None:
    """Until each worker owns some input partitions and together they own all of them."""
    inputs = 2 * settings.partitions
    deadline = time.monotonic() + timeout_s
    while True:
        owned = [_assigned(w) for w in workers]
        if all(owned) and len(set().union(*owned)) == inputs and sum(map(len, owned)) == inputs:
            return
        assert time.monotonic() < deadline, f"partitions never split: {owned}"
        time.sleep(0.2)


@pytest.mark.both_brokers
def test_a_worker_joining_mid_backlog_changes_nothing(settings_factory):
    """The second worker joins while the first is working through a recorded backlog.

    The rebalance takes partitions away from a worker with events in flight: it must leave
    them, unapplied and unacked, to the new owner. The backlog is recorded before either
    worker starts, so the result is fully determined: live production racing the consumers
    would let a partition read to its end be passed, which orders differently run to run.
    """
    one = settings_factory()
    lines = route_lines(EVENTS, TopicNames.from_settings(one))
    alone = pipeline_outcome(one, run_pipeline(one, lines).alerts)

    two = settings_factory(batch_max_events=1)  # one event a batch: the first is still busy
    ensure_topics(two)
    sent = produce_lines(two, route_lines(EVENTS, TopicNames.from_settings(two)))
    workers = [WorkerProcess(two).start()]
    try:
        wait_for_progress(two, workers[0], lambda done: done > 0)
        workers.append(WorkerProcess(two).start())
        _wait_for_split(two, workers)
        at_split = wait_for_progress(two, workers[0], lambda done: True)
        assert at_split < len(EVENTS), "the first worker finished before the second joined"
        wait_until_processed(two, sent, workers[0])
        assert workers[1].is_running(), workers[1].log_tail()
    finally:
        for worker in workers:
            worker.stop()
    alerts = [orjson.loads(v) for v in read_topic(two, TopicNames.from_settings(two).alerts)]
    together = pipeline_outcome(two, alerts)

    assert together["states"] == alone["states"]
    assert together["scores"] == alone["scores"]
    assert together["alert_ids"] == alone["alert_ids"]
