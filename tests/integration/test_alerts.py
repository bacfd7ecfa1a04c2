"""Alert rules through the real pipeline, and the retention report from the real topics."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
from collections import defaultdict

import orjson
import pytest

from alerts.events import ChurnAlert
from alerts.priority import in_holdout
from models.features import DAY
from streams.kafka_io import route_lines
from streams.runner import run_pipeline
from streams.synthetic import generate_events
from streams.topics import TopicNames
from tests.integration.conftest import unique_settings

pytestmark = pytest.mark.integration

HOLDOUT_SHARE = 0.3


@pytest.fixture(scope="module")
def alerted_run(services):
    settings = unique_settings(services, holdout_share=HOLDOUT_SHARE, min_labels=50)
    events = [orjson.dumps(e) for e in generate_events(250, 400, seed=21)]
    result = run_pipeline(settings, route_lines(events, TopicNames.from_settings(settings)))
    return settings, result


def _churn_alerts(result) -> list[ChurnAlert]:
    return [ChurnAlert.model_validate(a) for a in result.alerts if a["type"] == "churn_alert"]


def test_alerts_are_actionable(alerted_run):
    _, result = alerted_run
    alerts = _churn_alerts(result)
    assert len(alerts) > 50
    assert all(a.reasons and a.recommended_action and a.value_at_risk >= 0 for a in alerts)
    assert all(a.value_at_risk == pytest.approx(a.risk * a.clv, abs=0.01) for a in alerts)
    assert {a.priority for a in alerts} >= {1, 2}
    assert any(a.model_version.startswith("river-logreg") for a in alerts)


def test_no_repeat_of_a_tier_inside_the_cooldown(alerted_run):
    settings, result = alerted_run
    by_customer_tier = defaultdict(list)
    for alert in _churn_alerts(result):
        by_customer_tier[alert.customer_id, alert.tier].append(alert.timestamp.timestamp())
    cooldown = settings.alert_cooldown_days * DAY
    for times in by_customer_tier.values():
        times.sort()
        assert all(later - earlier >= cooldown for earlier, later in itertools.pairwise(times))


def test_escalations_raise_the_tier_of_an_earlier_alert(alerted_run):
    _, result = alerted_run
    last_tier: dict[str, str] = {}
    rank = {"medium": 1, "high": 2, "critical": 3}
    escalations = 0
    for alert in sorted(_churn_alerts(result), key=lambda a: a.timestamp):
        if alert.escalation:
            escalations += 1
            assert rank[alert.tier] > rank[last_tier[alert.customer_id]]
        last_tier[alert.customer_id] = alert.tier
    assert escalations > 0


def test_holdout_is_decided_by_customer_id(alerted_run):
    _, result = alerted_run
    alerts = _churn_alerts(result)
    assert all(a.holdout == in_holdout(a.customer_id, HOLDOUT_SHARE) for a in alerts)
    held = {a.customer_id for a in alerts if a.holdout}
    assert 0.15 < len(held) / len({a.customer_id for a in alerts}) < 0.45


def test_report_reads_the_real_topics(alerted_run):
    settings, result = alerted_run
    environment = {k: v for k, v in os.environ.items() if not k.startswith("CHURNWATCH_")}
    environment.update(settings.as_environment())
    done = subprocess.run(
        [sys.executable, "-m", "streams.cli", "report", "--json"],
        env=environment,
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode()
    kpis = orjson.loads(done.stdout)
    alerts = _churn_alerts(result)
    assert kpis["alerts"] == len(alerts)
    assert sum(kpis["alerts_by_tier"].values()) == len(alerts)
    recovered = [a for a in result.alerts if a["type"] == "customer_recovered"]
    assert kpis["revenue_from_recovered"] == pytest.approx(sum(r["amount"] for r in recovered))
    assert set(kpis["holdout"]) == {"acted", "holdout"}
    assert kpis["churn"]["alerted_customers"] + kpis["churn"]["not_alerted_customers"] == 250
