"""The console's index: messages of the output topics in, queue changes announced out."""

from __future__ import annotations

import asyncio

import orjson

from streams.console.index import ConsoleIndex


def alert(alert_id: str, customer: str, timestamp: str) -> bytes:
    return orjson.dumps(
        {
            "type": "churn_alert",
            "alert_id": alert_id,
            "customer_id": customer,
            "timestamp": timestamp,
            "tier": "high",
            "priority": 1,
            "value_at_risk": 10.0,
            "recommended_action": "call",
            "lifecycle_stage": "at_risk",
            "holdout": False,
        }
    )


def risk(customer: str, timestamp: str, stage: str) -> bytes:
    return orjson.dumps(
        {
            "customer_id": customer,
            "timestamp": timestamp,
            "risk": 0.7,
            "tier": "high",
            "lifecycle_stage": stage,
            "model_version": "m",
            "trigger": {"kind": "inactivity", "event_id": None},
        }
    )


def test_changes_reach_a_subscribed_page_and_bad_messages_are_counted_not_fatal():
    async def scenario() -> list[str]:
        index = ConsoleIndex()
        changes = index.subscribe()
        index.take_alert_message(alert("a1", "c1", "2025-01-01T00:00:00+00:00"))
        index.take_alert_message(b"not json")
        index.take_alert_message(orjson.dumps({"type": "churn_alert"}))
        index.take_risk_message(b"c1", risk("c1", "2025-04-01T00:00:00+00:00", "lapsed"))
        index.take_risk_message(b"c1", None)  # an erasure's tombstone
        await asyncio.sleep(0)
        assert index.unreadable == 2
        assert "c1" not in index.history.trails
        seen = []
        while not changes.empty():
            change = changes.get_nowait()
            seen.append(f"{change.kind} {change.alert_id}")
        index.unsubscribe(changes)
        return seen

    assert asyncio.run(scenario()) == ["opened a1", "closed a1"]
