"""Alert rules through the real pipeline, and the retention report from the real topics."""

from __future__ import annotations

import bisect
import os
import subprocess
import sys
import time
import urllib.request
from collections import Counter, defaultdict
from datetime import UTC, datetime

import orjson
import pytest

from alerts.events import ChurnAlert
from alerts.priority import in_holdout
from alerts.recoveries import PendingRecovery
from benchmarks.replay import event_seconds
from models.features import DAY
from streams.cli.erasure import erase_customer
from streams.clients.kafka_io import ensure_topics, produce_lines, read_topic, route_lines
from streams.dev.runner import WorkerProcess, run_pipeline, wait_until_processed
from streams.dev.synthetic import generate_events
from streams.storage.connection import connect_sync
from streams.storage.keys import StateKeys
from streams.storage.records import decode_pending
from streams.topics import TopicNames
from tests.integration.conftest import unique_settings

pytestmark = pytest.mark.integration

HOLDOUT_SHARE = 0.3


EVENTS = list(generate_events(250, 400, seed=21))


@pytest.fixture(scope="module")
def alerted_run(services):
    settings = unique_settings(
        services, holdout_share=HOLDOUT_SHARE, min_labels=50, alert_escalate=True
    )
    events = [orjson.dumps(e) for e in EVENTS]
    result = run_pipeline(settings, route_lines(events, TopicNames.from_settings(settings)))
    return settings, result


def _purchase_times() -> dict[str, list[float]]:
    times: dict[str, list[float]] = defaultdict(list)
    for event in EVENTS:
        if event["type"] == "purchase":
            times[str(event["customer_id"])].append(event_seconds(event))
    return {customer: sorted(at) for customer, at in times.items()}


def _episode_of(purchases: list[float], at: float) -> int:
    """How many purchases came at or before ``at``: alerts with the same count share an episode."""
    return bisect.bisect_right(purchases, at)


def _cli(settings, *args: str) -> subprocess.CompletedProcess:
    """`churnwatch ARGS` as a user runs it, configured by the environment only."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("CHURNWATCH_")}
    environment.update(settings.as_environment())
    command = [sys.executable, "-m", "streams.cli.main", *args]
    return subprocess.run(command, env=environment, capture_output=True, timeout=120, check=False)


def _churn_alerts(result) -> list[ChurnAlert]:
    return [ChurnAlert.model_validate(a) for a in result.alerts if a["type"] == "churn_alert"]


def test_alerts_are_actionable(alerted_run):
    _, result = alerted_run
    alerts = _churn_alerts(result)
    assert len(alerts) >= 20
    assert all(a.reasons and a.recommended_action and a.value_at_risk >= 0 for a in alerts)
    # value: expected spend over the CLV years, and what not buying within H would cost
    assert all(a.clv >= 0 for a in alerts) and any(a.value_at_risk > 0 for a in alerts)
    assert len({a.priority for a in alerts}) >= 2
    assert any(not a.model_version.startswith("heuristic-1.cold") for a in alerts)


def test_one_alert_per_churn_episode_and_escalations_only_on_complaints(alerted_run):
    _, result = alerted_run
    purchases = _purchase_times()
    first_alerts: Counter[tuple[str, int]] = Counter()
    last_tier: dict[str, str] = {}
    rank = {"medium": 1, "high": 2, "critical": 3}
    for alert in sorted(_churn_alerts(result), key=lambda a: a.timestamp):
        at = alert.timestamp.timestamp()
        if alert.escalation:  # rare here; the rule itself is unit-tested (test_policy.py)
            assert alert.trigger.kind == "complaint"
            assert rank[alert.tier] > rank[last_tier[alert.customer_id]]
        else:
            first_alerts[alert.customer_id, _episode_of(purchases[alert.customer_id], at)] += 1
        last_tier[alert.customer_id] = alert.tier
    assert first_alerts and max(first_alerts.values()) == 1


def test_no_alert_about_a_customer_silent_for_the_horizon(alerted_run):
    settings, result = alerted_run
    purchases = _purchase_times()
    for alert in _churn_alerts(result):
        at = alert.timestamp.timestamp()
        bought = purchases[alert.customer_id]
        last = bought[_episode_of(bought, at) - 1]
        assert at - last < settings.horizon_days * DAY


def test_holdout_is_decided_by_customer_id(alerted_run):
    _, result = alerted_run
    alerts = _churn_alerts(result)
    assert all(a.holdout == in_holdout(a.customer_id, HOLDOUT_SHARE) for a in alerts)
    held = {a.customer_id for a in alerts if a.holdout}
    assert 0.15 < len(held) / len({a.customer_id for a in alerts}) < 0.45


def test_report_reads_the_real_topics(alerted_run):
    settings, result = alerted_run
    done = _cli(settings, "report", "--json")
    assert done.returncode == 0, done.stderr.decode()
    kpis = orjson.loads(done.stdout)
    alerts = _churn_alerts(result)
    assert kpis["alerts"] == len(alerts)
    assert sum(kpis["alerts_by_tier"].values()) == len(alerts)
    recovered = [a for a in result.alerts if a["type"] == "customer_recovered"]
    assert kpis["revenue_from_recovered"] == pytest.approx(sum(r["amount"] for r in recovered))
    # what recovered customers spent within H of their alert, from the input itself
    raised = {a.alert_id: a.timestamp.timestamp() for a in alerts}
    spent = sum(
        round(float(e["amount"]), 2)
        for r in recovered
        for e in EVENTS
        if e["type"] == "purchase"
        and e["customer_id"] == r["customer_id"]
        and 0 <= event_seconds(e) - raised[r["alert_id"]] <= settings.horizon_days * DAY
    )
    assert kpis["spend_back_within_horizon"] == pytest.approx(spent)
    assert kpis["spend_back_within_horizon"] > kpis["revenue_from_recovered"]
    assert set(kpis["holdout"]) == {"acted", "holdout", "uplift", "low", "high", "significant"}
    for grouping in ("outcomes_by_tier", "outcomes_by_action"):
        groups = kpis[grouping].values()
        judged = [g for g in groups if g["judged"]]
        assert 0 < sum(g["judged"] for g in judged) <= len(alerts)
        assert all(g["precision"] + g["recapture_rate"] == pytest.approx(1) for g in judged)
        assert sum(g["judged"] + g["waiting"] for g in groups) == len(alerts)
    assert kpis["churn"]["alerted_customers"] + kpis["churn"]["not_alerted_customers"] == 250


def test_a_daily_capacity_caps_every_day_defers_the_rest_and_lists_them(services, alerted_run):
    settings = unique_settings(
        services, holdout_share=HOLDOUT_SHARE, min_labels=50, alert_daily_capacity=1
    )
    events = [orjson.dumps(e) for e in EVENTS]
    result = run_pipeline(settings, route_lines(events, TopicNames.from_settings(settings)))
    capped = _churn_alerts(result)
    uncapped = {a.alert_id: a for a in _churn_alerts(alerted_run[1]) if not a.escalation}

    per_day = Counter(a.timestamp.date() for a in capped)
    assert capped and max(per_day.values()) == 1
    assert len(capped) < len(uncapped)
    assert {a.alert_id for a in capped} <= set(uncapped)
    deferred = [a for a in capped if a.timestamp > uncapped[a.alert_id].timestamp]
    assert deferred, "the capacity never deferred an alert to a later day"
    for alert in deferred:  # published on a later day, still before the horizon's silence
        assert alert.timestamp.time().isoformat() == "00:00:00"

    # a recovery answers an alert the team was sent, after it (a customer's outputs share a
    # partition, read in order); one whose alert the capacity dropped answers nothing
    seen: dict[str, datetime] = {}
    recoveries = []
    for output in result.alerts:
        if output["type"] == "churn_alert":
            seen[output["alert_id"]] = datetime.fromisoformat(output["timestamp"])
        elif output["type"] == "customer_recovered":
            recoveries.append(output)
            assert output["alert_id"] in seen, f"{output} answers an alert not published before it"
            waited = datetime.fromisoformat(output["timestamp"]) - seen[output["alert_id"]]
            assert output["days_to_recovery"] == pytest.approx(waited.total_seconds() / 86400, 1e-3)
    assert recoveries, "no alerted customer came back: the run does not test recoveries"
    answered_uncapped = {
        r["alert_id"] for r in alerted_run[1].alerts if r["type"] == "customer_recovered"
    }
    assert answered_uncapped - {a.alert_id for a in capped}, (
        "no customer bought while their alert waited: the run does not test dropped alerts"
    )

    listing = _cli(settings, "scores", "--deferred")
    assert listing.returncode == 0, listing.stderr.decode()
    rows = listing.stdout.decode().splitlines()
    assert rows[0] == "alert_id,customer_id,raised_at,priority,value_at_risk,standing"
    published = {a.alert_id for a in capped}
    assert not {row.split(",")[0] for row in rows[1:]} & published

    # a purchase on the day not yet over, by a customer whose alert the team was sent, waits
    # for that day's seal; the report counts it, and erasure forgets it, with the customer's
    # latest published alert (their next purchase would answer it) and anything still waiting
    keys = StateKeys(settings.redis_namespace)
    client = connect_sync(settings)
    try:
        assert not _pending(client, keys, settings.partitions)
        victim = next(iter(client.hkeys(keys.published_alerts))).decode()
        at = datetime.fromtimestamp(max(event_seconds(e) for e in EVENTS) + 60, UTC)
        back = {
            "type": "purchase",
            "event_id": f"back-{victim}",
            "customer_id": victim,
            "timestamp": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "amount": 20.0,
        }
        run_pipeline(
            settings, route_lines([orjson.dumps(back)], TopicNames.from_settings(settings))
        )
        assert [r.customer_id for r in _pending(client, keys, settings.partitions)] == [victim]
        report = orjson.loads(_cli(settings, "report", "--json").stdout)
        assert report["recoveries_waiting"] == 1

        erase_customer(settings, victim)
        assert victim.encode() not in client.hkeys(keys.published_alerts)
        assert not _pending(client, keys, settings.partitions)
        kept = [keys.deferred_alerts]
        for p in range(settings.partitions):
            kept += client.scan_iter(keys.alert_candidates_pattern(p))
        assert all(victim.encode() not in v for name in kept for v in client.hvals(name))
    finally:
        client.close()


def _pending(client, keys: StateKeys, partitions: int) -> list[PendingRecovery]:
    return [
        decode_pending(key, raw)
        for p in range(partitions)
        for key, raw in client.hgetall(keys.pending_recoveries(p)).items()
    ]


def test_with_a_daily_capacity_the_metrics_count_what_was_published(services):
    settings = unique_settings(services, min_labels=50, alert_daily_capacity=1)
    names = TopicNames.from_settings(settings)
    ensure_topics(settings)
    sent = produce_lines(settings, route_lines([orjson.dumps(e) for e in EVENTS], names))
    worker = WorkerProcess(settings).start()
    try:
        wait_until_processed(settings, sent, worker)
        deadline = time.monotonic() + 15  # the last day's seal follows the last save
        while True:
            published = _published_counts(settings)
            counted = _metric_counts(worker.metrics_url)
            if counted == published or time.monotonic() > deadline:
                break
            time.sleep(0.5)
    finally:
        worker.stop()
    assert published["customer_recovered"] and sum(published.values()) > 1
    assert counted == published


def _published_counts(settings) -> Counter[str]:
    outputs = [
        orjson.loads(v) for v in read_topic(settings, TopicNames.from_settings(settings).alerts)
    ]
    return Counter(o["tier"] if o["type"] == "churn_alert" else o["type"] for o in outputs)


def _metric_counts(url: str) -> Counter[str]:
    counts: Counter[str] = Counter()
    for line in urllib.request.urlopen(url + "/metrics").read().decode().splitlines():
        name, _, value = line.rpartition(" ")
        if name.startswith("churnwatch_alerts_total{"):
            counts[name.split('"')[1]] += int(float(value))
        elif name == "churnwatch_recovered_total":
            counts["customer_recovered"] += int(float(value))
    return +counts
