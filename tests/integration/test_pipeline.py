"""The real pipeline: a worker process, a real broker and Redis, asserted on their outputs."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import orjson
import pytest

from alerts.events import ChurnAlert, CustomerRecovered, RiskUpdate
from streams.clients.kafka_io import read_topic, route_lines
from streams.dev.runner import run_pipeline
from streams.dev.synthetic import generate_events
from streams.pipeline.dead_letters import DeadLetter
from streams.pipeline.scoring import scores_csv
from streams.storage.connection import connect_sync
from streams.storage.customers import read_all_states
from streams.storage.keys import StateKeys
from streams.storage.scores import collect_scores
from streams.topics import TopicNames
from tests.integration.conftest import INVALID_LINES, pipeline_outcome

pytestmark = pytest.mark.integration


def _replay(settings, path: Path):
    with path.open("rb") as lines:
        return run_pipeline(settings, route_lines(lines, TopicNames.from_settings(settings)))


def _valid_events(path: Path) -> list[dict]:
    events = []
    for line in path.read_bytes().splitlines():
        if line not in INVALID_LINES:
            events.append(orjson.loads(line))
    return events


@pytest.mark.both_brokers
def test_every_event_is_applied_or_dead_lettered(settings_factory, input_file):
    settings = settings_factory()
    path, valid, invalid = input_file(customers=120, days=240)
    names = TopicNames.from_settings(settings)

    run = _replay(settings, path)

    assert run.stats["processed"] == valid
    assert run.stats["dead_letters"] == invalid
    letters = [DeadLetter.model_validate_json(v) for v in read_topic(settings, names.dead_letters)]
    assert sorted(letter.original for letter in letters) == sorted(INVALID_LINES)
    assert {letter.source_topic for letter in letters} <= set(names.inputs)
    assert {letter.reason for letter in letters} >= {
        "malformed_json",
        "invalid_fields",
        "timestamp_without_zone",
        "unknown_type",
        "missing_type",
        "not_utf8",
        "not_an_object",
        "timestamp_out_of_range",
    }
    assert all(letter.detail for letter in letters)


def test_redis_holds_each_customers_history(settings_factory, input_file):
    settings = settings_factory()
    path, _, _ = input_file(customers=80, days=200, seed=5)
    _replay(settings, path)
    events = _valid_events(path)
    purchases = Counter(e["customer_id"] for e in events if e["type"] == "purchase")
    spend = Counter()
    for e in events:
        if e["type"] == "purchase":
            spend[e["customer_id"]] += e["amount"]

    client = connect_sync(settings)
    states = {
        s.customer_id: s for s in read_all_states(client, StateKeys(settings.redis_namespace))
    }
    client.close()

    assert set(states) == {e["customer_id"] for e in events}
    assert {cid: s.purchases for cid, s in states.items() if s.purchases} == dict(purchases)
    for cid, total in spend.items():
        assert states[cid].total_spend == pytest.approx(total, abs=0.01)
    assert all(s.risk is not None and s.stage for s in states.values())


def test_outputs_are_well_formed_and_the_loop_closes(settings_factory, input_file):
    settings = settings_factory()
    # enough customers for a shop where few churn to raise alerts that mean "more likely
    # leaving than not" (150 over 300 days raised none: none was likelier gone than not)
    path, valid, _ = input_file(customers=400, days=365, seed=2)
    names = TopicNames.from_settings(settings)
    run = _replay(settings, path)

    updates = [RiskUpdate.model_validate_json(v) for v in read_topic(settings, names.risk)]
    # every purchase is on the feed; other assessments when the risk moved by the step
    purchases = [e for e in _valid_events(path) if e["type"] == "purchase"]
    assert len(purchases) < valid
    assert sum(u.trigger.kind == "purchase" for u in updates) == len(purchases)
    assert any(u.trigger.kind == "complaint" for u in updates)
    assert any(u.trigger.kind == "inactivity" for u in updates)

    alerts = [ChurnAlert.model_validate(a) for a in run.alerts if a["type"] == "churn_alert"]
    recovered = [
        CustomerRecovered.model_validate(a) for a in run.alerts if a["type"] == "customer_recovered"
    ]
    assert alerts and recovered
    assert len({a.alert_id for a in alerts}) == len(alerts)
    assert all(a.reasons and a.recommended_action and a.model_version for a in alerts)
    assert {a.trigger.kind for a in alerts} >= {"inactivity"}

    alert_by_id = {a.alert_id: a for a in alerts}
    purchase_times = {
        (e["customer_id"], e["timestamp"].replace("Z", "+00:00"))
        for e in _valid_events(path)
        if e["type"] == "purchase"
    }
    for event in recovered:
        answered = alert_by_id[event.alert_id]
        assert answered.customer_id == event.customer_id
        assert event.timestamp >= answered.timestamp
        assert (event.customer_id, event.timestamp.isoformat()) in purchase_times


@pytest.mark.both_brokers
def test_replaying_the_same_input_gives_identical_scores_and_alerts(settings_factory, input_file):
    path, _, _ = input_file(customers=100, days=250, seed=9)
    first, second = settings_factory(), settings_factory()
    runs = [_replay(settings, path) for settings in (first, second)]

    alert_ids = [
        sorted(str(a.get("alert_id") or a.get("recovery_id")) for a in run.alerts) for run in runs
    ]
    assert alert_ids[0] == alert_ids[1] and alert_ids[0]
    csvs = [scores_csv(collect_scores(settings)[1]) for settings in (first, second)]
    assert csvs[0] == csvs[1]
    assert csvs[0].startswith("customer_id,risk,tier")


def test_events_sharing_their_second_replay_identically(settings_factory):
    # as in real order files: every purchase of a day stamped at the same moment
    events = [
        {**e, "timestamp": str(e["timestamp"])[:10] + "T12:00:00Z"}
        for e in generate_events(400, 300, seed=4)
    ]
    lines = [orjson.dumps(e) for e in events]
    outcomes = []
    for settings in (settings_factory(), settings_factory()):
        run = run_pipeline(settings, route_lines(lines, TopicNames.from_settings(settings)))
        outcomes.append(pipeline_outcome(settings, run.alerts))
    assert outcomes[0]["scores"] == outcomes[1]["scores"]
    assert outcomes[0]["alert_ids"] == outcomes[1]["alert_ids"]
    assert outcomes[0]["states"] == outcomes[1]["states"]
