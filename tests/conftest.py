"""Factory fixtures shared by unit and integration tests: each test states only what matters."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from streams.pipeline.events import ComplaintEvent, PurchaseEvent

START = datetime(2025, 1, 1, tzinfo=UTC)
_ids = itertools.count()


def at_day(day: float) -> datetime:
    return START + timedelta(days=day)


def _with_overrides(fields: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """Apply a test's overrides; a number as timestamp means that day of 2025."""
    fields = {**fields, **overrides}
    if isinstance(fields["timestamp"], int | float):
        fields["timestamp"] = at_day(fields["timestamp"]).isoformat()
    return fields


def purchase_fields(**overrides: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "type": "purchase",
        "event_id": f"p{next(_ids)}",
        "customer_id": "c1",
        "timestamp": at_day(0).isoformat(),
        "amount": 40.0,
    }
    return _with_overrides(fields, overrides)


def complaint_fields(**overrides: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "type": "complaint",
        "event_id": f"k{next(_ids)}",
        "customer_id": "c1",
        "timestamp": at_day(0).isoformat(),
        "complaint_id": "k1",
        "category": "delivery",
        "severity": 3,
        "status": "opened",
    }
    return _with_overrides(fields, overrides)


@pytest.fixture
def purchase() -> Callable[..., PurchaseEvent]:
    """``purchase(customer_id="c2", timestamp=10, amount=5.0)``; a number is a day of 2025."""
    return lambda **overrides: PurchaseEvent.model_validate(
        purchase_fields(**overrides), strict=False
    )


@pytest.fixture
def complaint() -> Callable[..., ComplaintEvent]:
    """``complaint(severity=5, status="resolved", timestamp=3)``."""
    return lambda **overrides: ComplaintEvent.model_validate(
        complaint_fields(**overrides), strict=False
    )
