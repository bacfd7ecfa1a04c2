"""Knowing when a run is finished, and reading what it published back, at real sizes."""

from __future__ import annotations

import os
import signal
import time

import orjson
import pytest

from streams.clients.kafka_io import (
    InputLine,
    ensure_topics,
    produce_lines,
    read_records,
    route_lines,
)
from streams.dev.runner import PipelineIncomplete, WorkerProcess, wait_until_processed
from streams.dev.synthetic import generate_events
from streams.topics import TopicNames

pytestmark = pytest.mark.integration


def test_a_topic_too_large_for_a_fixed_time_is_read_whole(settings_factory):
    settings = settings_factory()
    topic = TopicNames.from_settings(settings).alerts
    ensure_topics(settings)
    payload = b'{"type":"churn_alert","text":"' + b"x" * 400 + b'"}'
    total = 60_000
    lines = [InputLine(topic, str(i % 997).encode(), payload, "") for i in range(total - 1)]
    lines.append(InputLine(topic, b"last", b'{"last":true}', ""))
    produce_lines(settings, lines)
    limit = 0.25  # what a fixed deadline would be: the read takes longer than this

    started = time.monotonic()
    records = read_records(settings, topic, stall_s=limit)
    elapsed = time.monotonic() - started

    assert elapsed > limit, "the topic should take longer to read than the stall limit"
    assert len(records) == total  # to each partition's true end, not a stale ListOffsets answer
    assert (b"last", b'{"last":true}') in records


def _lines(settings, customers=40):
    events = generate_events(customers, 120, seed=5)
    return route_lines((orjson.dumps(e) for e in events), TopicNames.from_settings(settings))


def test_a_worker_that_dies_ends_the_wait_with_one_clear_line(settings_factory):
    settings = settings_factory()
    ensure_topics(settings)
    worker = WorkerProcess(settings).start()
    sent = produce_lines(settings, _lines(settings))
    worker.kill()

    with pytest.raises(PipelineIncomplete) as failure:
        wait_until_processed(settings, sent, worker)

    message = str(failure.value)
    assert "\n" not in message and message.startswith("the worker stopped:")
    assert f"of {sent.count} messages processed" in message and "missing" in message
    assert f"worker log: {worker.log_path}" in message


def test_a_worker_that_stops_making_progress_ends_the_wait(settings_factory):
    settings = settings_factory()
    ensure_topics(settings)
    worker = WorkerProcess(settings).start()
    assert worker.process is not None
    os.kill(worker.process.pid, signal.SIGSTOP)  # alive, but doing nothing
    try:
        sent = produce_lines(settings, _lines(settings))
        with pytest.raises(PipelineIncomplete, match=r"^no progress for 2 s: 0 of \d+ messages"):
            wait_until_processed(settings, sent, worker, stall_s=2)
    finally:
        os.kill(worker.process.pid, signal.SIGCONT)
        worker.stop()
