"""`churnwatch report`: read alerts and risk updates from topics or files, and compute KPIs."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import orjson

from alerts.events import ChurnAlert, CustomerRecovered, RiskUpdate
from alerts.report import retention_report
from streams.clients.kafka_io import read_topic
from streams.settings import Settings
from streams.storage.reader import StoreReader
from streams.topics import TopicNames


def _lines(path: str) -> list[bytes]:
    return [line for line in Path(path).read_bytes().splitlines() if line.strip()]


def build_report(
    load_settings: Callable[[], Settings],
    alerts_file: str | None,
    risk_file: str | None,
    since: float | None,
) -> dict[str, Any]:
    """KPIs from files where given, else from the alerts and risk topics of the settings."""
    settings = None if alerts_file and risk_file else load_settings()
    if alerts_file:
        alert_values = _lines(alerts_file)
    else:
        assert settings is not None
        alert_values = read_topic(settings, TopicNames.from_settings(settings).alerts)
    risk_values: list[bytes] | None = None
    if risk_file:
        risk_values = _lines(risk_file)
    elif not alerts_file:
        assert settings is not None
        risk_values = read_topic(settings, TopicNames.from_settings(settings).risk)
    alerts, recoveries = _split(orjson.loads(v) for v in alert_values)
    updates = (
        [RiskUpdate.model_validate_json(v) for v in risk_values]
        if risk_values is not None
        else None
    )
    report = retention_report(alerts, recoveries, updates, since, load_settings().horizon_days)
    if settings is not None and settings.alert_daily_capacity is not None:
        with StoreReader(settings) as store:
            held = store.held_back()
            report["capacity_waiting"] = dict(Counter(standing for standing, _ in held))
            report["recoveries_waiting"] = store.recoveries_held_back()
    return report


def _split(events: Iterable[dict[str, Any]]) -> tuple[list[ChurnAlert], list[CustomerRecovered]]:
    alerts, recoveries = [], []
    for event in events:
        if event.get("type") == "churn_alert":
            alerts.append(ChurnAlert.model_validate(event))
        elif event.get("type") == "customer_recovered":
            recoveries.append(CustomerRecovered.model_validate(event))
    return alerts, recoveries
