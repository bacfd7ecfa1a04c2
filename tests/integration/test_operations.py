"""Operating a worker: health and metrics pages, erasure, and garbage that never stops it."""

from __future__ import annotations

import base64
import urllib.request
import uuid

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from streams.cli.erasure import erase_customer
from streams.clients.kafka_io import (
    ensure_topics,
    produce_lines,
    read_records,
    read_topic,
    route_lines,
)
from streams.dev.runner import WorkerProcess, run_pipeline, wait_until_processed
from streams.dev.synthetic import generate_events
from streams.pipeline.dead_letters import DeadLetter
from streams.storage.connection import connect_sync
from streams.storage.customers import read_all_states, read_states
from streams.storage.keys import StateKeys
from streams.storage.progress import engine_stats
from streams.topics import TopicNames
from tests.integration.conftest import unique_settings

pytestmark = pytest.mark.integration


@pytest.mark.both_brokers
def test_health_and_metrics_pages(settings_factory):
    settings = settings_factory()
    events = [orjson.dumps(e) for e in generate_events(40, 120, seed=3)] + [b"{broken"]
    ensure_topics(settings)
    sent = produce_lines(settings, route_lines(events, TopicNames.from_settings(settings)))
    worker = WorkerProcess(settings).start()
    try:
        wait_until_processed(settings, sent, worker)
        health = orjson.loads(urllib.request.urlopen(worker.metrics_url + "/health").read())
        page = urllib.request.urlopen(worker.metrics_url + "/metrics").read().decode()
    finally:
        worker.stop()
    assert health["status"] == "ok" and health["model_version"] and health["watermark"]
    assert len(health["assigned_partitions"]) == 2 * settings.partitions
    assert health["fetch_max_wait_ms"] == settings.fetch_max_wait_ms  # not Faust's 1500
    values = {
        line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1])
        for line in page.splitlines()
        if line.startswith("churnwatch_")
    }
    assert values['churnwatch_events_total{outcome="applied"}'] == len(events) - 1
    assert values['churnwatch_dead_letters_total{reason="malformed_json"}'] == 1
    assert values["churnwatch_batch_seconds_count"] >= 1
    assert any(key.startswith("churnwatch_consumer_lag{") for key in values)


def test_erased_customer_is_gone_and_starts_fresh(settings_factory):
    settings = settings_factory(min_labels=5, model_update_days=30)
    events = [orjson.dumps(e) for e in generate_events(60, 300, seed=8)]
    run_pipeline(settings, route_lines(events, TopicNames.from_settings(settings)))
    keys = StateKeys(settings.redis_namespace)
    client = connect_sync(settings)
    victim = max(read_all_states(client, keys), key=lambda s: s.purchases).customer_id

    erasure = erase_customer(settings, victim)

    assert erasure.state_deleted and erasure.schedule_entries == 1
    assert not read_states(client, keys, settings.partitions, [victim])
    for bucket in client.scan_iter(match=keys.label_bucket_pattern()):
        assert all(orjson.loads(m)[0] != victim for m in client.sscan_iter(bucket))
    risk = read_records(settings, TopicNames.from_settings(settings).risk)
    last_for_victim = [value for key, value in risk if key == victim.encode()][-1]
    assert last_for_victim is None  # the tombstone

    comeback = {
        "type": "purchase",
        "event_id": f"back-{uuid.uuid4()}",
        "customer_id": victim,
        "timestamp": "2026-01-05T10:00:00Z",
        "amount": 12.0,
    }
    run_pipeline(
        settings,
        route_lines([orjson.dumps(comeback)], TopicNames.from_settings(settings)),
    )
    state = next(s for s in read_all_states(client, keys) if s.customer_id == victim)
    client.close()
    assert (state.purchases, state.total_spend) == (1, 12.0)


def _event(kind: str, customer: int, day: int, amount: float, severity: int) -> dict:
    stamp = f"2025-{1 + day // 28:02d}-{1 + day % 28:02d}T12:00:00Z"
    common = {"event_id": str(uuid.uuid4()), "customer_id": f"C{customer}", "timestamp": stamp}
    if kind == "purchase":
        return {"type": "purchase", **common, "amount": amount}
    return {
        "type": "complaint",
        **common,
        "complaint_id": f"k{customer}-{day}",
        "category": "delivery",
        "severity": severity,
        "status": "opened",
    }


def _events(kinds: list[str]) -> st.SearchStrategy[dict]:
    return st.builds(
        _event,
        st.sampled_from(kinds),
        st.integers(0, 30),
        st.integers(0, 300),
        st.floats(0, 1e4, allow_nan=False),
        st.integers(1, 5),
    )


EVENT = _events(["purchase", "complaint"])
PURCHASE = _events(["purchase"])
BROKEN_FIELDS = st.sampled_from(
    [
        {"amount": -1.0},
        {"amount": "12"},
        {"amount": None},
        {"timestamp": "2025-03-01T00:00:00"},
        {"timestamp": "yesterday"},
        {"timestamp": "2999-01-01T00:00:00Z"},
        {"type": "refund"},
        {"customer_id": ""},
        {"customer_id": 42},
        {"quantity": 0},
    ]
)
VALID = EVENT.map(orjson.dumps)
INVALID = st.one_of(
    st.binary(min_size=1, max_size=60).filter(
        lambda b: b.strip() and not b.strip().startswith((b"{", b"["))
    ),
    st.text(max_size=40).map(lambda t: ("{" + t).encode()),
    st.builds(lambda event, broken: orjson.dumps({**event, **broken}), PURCHASE, BROKEN_FIELDS),
    PURCHASE.map(lambda event: orjson.dumps({**event, "channel": "x" * 3000})),  # oversized
    st.binary(min_size=1, max_size=20).map(lambda b: b"\xff" + b + b"\xfe"),
)


@settings(
    max_examples=2,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
@given(
    st.lists(
        st.one_of(VALID.map(lambda m: (True, m)), INVALID.map(lambda m: (False, m))),
        min_size=120,
        max_size=200,
    )
)
def test_garbage_mixed_with_events_never_stops_the_worker(services, messages):
    config = unique_settings(services, max_message_bytes=2048)
    names = TopicNames.from_settings(config)
    sent = [(ok, m.rstrip(b"\r\n")) for ok, m in messages if m.rstrip(b"\r\n").strip()]
    invalid = sorted(m for ok, m in sent if not ok)

    result = run_pipeline(config, route_lines([m for _, m in sent], names))

    assert result.stats.get("processed", 0) == len(sent) - len(invalid)
    assert result.stats.get("dead_letters", 0) == len(invalid)
    letters = [DeadLetter.model_validate_json(v) for v in read_topic(config, names.dead_letters)]
    assert sorted(base64.b64decode(x.original_base64) for x in letters) == invalid
    stats = engine_stats(connect_sync(config), config)
    assert sum(v for k, v in stats.items() if k.startswith("dead_letters:")) == len(invalid)
