"""What each console page shows, gathered from the index, the customer store and the snapshots.

Every "days since" is measured at the stream's event time (the latest risk update the console
has read), never at the wall clock: a replayed history reads as it did when it happened.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Mapping, Sequence
from typing import Any

from alerts.marks import Mark
from alerts.reasons import risk_text
from alerts.report import raised_within, retention_report
from alerts.worklist import QueueEntry, QueueFilter, QueuePage, RecoveryEntry, TooLate
from models.drift import RESPONSES
from models.features import DAY, extract_features
from models.progressive import METRICS_WINDOW
from models.state import CustomerState
from streams.console.index import ConsoleIndex, epoch_of
from streams.pipeline.periods import ModelPeriods
from streams.settings import Settings
from streams.storage.reader import StoreReader


@dataclasses.dataclass(frozen=True)
class QueueRow:
    entry: QueueEntry
    alert: dict[str, Any]
    days_silent: float | None
    mark: Mark | None
    stage_now: str  # the customer's lifecycle stage as of their latest risk update


def queue_rows(
    index: ConsoleIndex,
    horizon_days: float,
    chosen: QueueFilter,
    marks: Mapping[str, Mark],
    page: int,
    page_size: int,
) -> tuple[QueuePage, list[QueueRow]]:
    """One page of the queue: alerts still worth acting on, each with how long its customer
    has been silent now. Silent for the horizon, a customer is on the win-back list instead."""
    with index.reading():
        found = index.book.page(chosen, marks, page, page_size, too_late(index, horizon_days))
        rows = rows_of(index, found.entries, marks)
    return found, rows


def too_late(index: ConsoleIndex, horizon_days: float) -> TooLate | None:
    """Open alerts of customers silent for the horizon by the stream's event time."""
    now = index.history.now
    if now is None:
        return None
    return TooLate(index.history.last_purchase, now - horizon_days * DAY)


def rows_of(
    index: ConsoleIndex, entries: Sequence[QueueEntry], marks: Mapping[str, Mark]
) -> list[QueueRow]:
    """Queue rows of these alerts (call while reading the index)."""
    rows = []
    for entry in entries:
        trail = index.history.trails.get(entry.customer_id)
        stage = trail.stage if trail else entry.lifecycle_stage
        silent = index.history.days_silent(entry.customer_id)
        rows.append(QueueRow(entry, entry.alert(), silent, marks.get(entry.alert_id), stage))
    return rows


def customer_page(
    index: ConsoleIndex,
    store: StoreReader,
    settings: Settings,
    customer_id: str,
    marks: Mapping[str, Mark],
) -> dict[str, Any] | None:
    """State, features, risk trail, timeline and marks of one customer; None if unknown."""
    state = store.state(customer_id)
    with index.reading():
        trail = index.history.trails.get(customer_id)
        points = trail.points() if trail else []
        latest = trail.latest if trail else None
        now = index.history.now
        entries = list(index.book.of_customer(customer_id))
        late = too_late(index, settings.horizon_days)
        expired = late is not None and late.covers(customer_id)
        alerts = [e.alert() for e in entries]
        # open as the queue counts it: not answered, not replaced, not too late
        open_ids = {e.alert_id for e in entries if index.book.is_open(e.alert_id) and not expired}
        recovered = [
            index.book.recoveries[a["alert_id"]]
            for a in alerts
            if a["alert_id"] in index.book.recoveries
        ]
    if state is None and not points and not alerts:
        return None
    as_of = now if now is not None else (state.last_seen if state else None) or 0.0
    timeline = _timeline(state, alerts, recovered)
    return {
        "customer_id": customer_id,
        "state": store.readable(state) if state else None,
        "features": extract_features(state, as_of, settings.horizon_days) if state else {},
        "as_of": as_of,
        "latest": latest,
        "points": points,
        "alerts": alerts,
        "open_alert_ids": open_ids,
        "marks": {a["alert_id"]: marks[a["alert_id"]] for a in alerts if a["alert_id"] in marks},
        "timeline": timeline,
        "last_purchase_days": (
            (as_of - state.last_purchase) / DAY if state and state.last_purchase else None
        ),
    }


def _timeline(
    state: CustomerState | None, alerts: list[dict[str, Any]], recovered: list[RecoveryEntry]
) -> list[dict[str, Any]]:
    """What happened to the customer, newest first: the purchases and complaints their state
    keeps, and every alert and recovery."""
    timeline: list[dict[str, Any]] = []
    if state is not None:
        timeline += [
            {"at": p.at, "kind": "purchase", "text": f"bought for {p.amount:.2f}"}
            for p in state.recent_purchases
        ]
        timeline += [
            {
                "at": c.opened_at,
                "kind": "complaint",
                "text": f"complaint about {c.category}, severity {c.severity}, now {c.status}"
                + (f", satisfaction {c.satisfaction}" if c.satisfaction else ""),
            }
            for c in state.complaints
        ]
    timeline += [
        {
            "at": epoch_of(a["timestamp"]),
            "kind": "alert",
            "text": f"{a['tier']} alert, risk {risk_text(a['risk'])}: {a['recommended_action']}",
        }
        for a in alerts
    ]
    timeline += [
        {
            "at": r.recovered_at,
            "kind": "recovery",
            "text": f"came back after {r.days_to_recovery:.0f} days, bought for {r.amount:.2f}",
        }
        for r in recovered
    ]
    timeline.sort(key=lambda item: item["at"], reverse=True)
    return timeline


def kpis(
    index: ConsoleIndex, settings: Settings, since: float | None, until: float | None
) -> dict[str, Any]:
    """What `churnwatch report` computes, over alerts raised in [since, until)."""
    with index.reading():
        alerts = list(index.book.entries.values())
        recoveries = list(index.book.recoveries.values())
        purchases = {c: list(p) for c, p in index.history.purchases.items()}
    report = retention_report(
        alerts, recoveries, None, since, settings.horizon_days, until, purchases
    )
    weeks: dict[int, list[int]] = {}
    chosen = {a.alert_id for a in alerts if raised_within(a.raised_at, since, until)}
    for alert in alerts:
        if alert.alert_id in chosen:
            weeks.setdefault(int(alert.raised_at // (7 * DAY)), [0, 0])[0] += 1
    for recovery in recoveries:
        if recovery.alert_id in chosen:
            weeks.setdefault(int(recovery.recovered_at // (7 * DAY)), [0, 0])[1] += 1
    report["weekly"] = [
        {"week_start": week * 7 * DAY, "alerts": counts[0], "recoveries": counts[1]}
        for week, counts in sorted(weeks.items())
    ]
    return report


class SnapshotSummaries:
    """Each model period's summary, read once: a saved snapshot never changes."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._summaries: dict[int, dict[str, Any]] = {}

    def all(self, store: StoreReader) -> list[dict[str, Any]]:
        with self._lock:
            for period in store.snapshot_periods():
                if period not in self._summaries:
                    snapshot = store.snapshot(period)
                    if snapshot is not None:
                        self._summaries[period] = snapshot.summary()
            return [self._summaries[p] for p in sorted(self._summaries)]


def model_health(
    index: ConsoleIndex, store: StoreReader, settings: Settings, cache: SnapshotSummaries
) -> dict[str, Any]:
    summaries = cache.all(store)
    periods = ModelPeriods(settings.model_update_days)
    with index.reading():
        tier_weeks = index.history.tier_weeks()
        tier_now = index.history.tier_counts()
    latest = summaries[-1] if summaries else None
    drifts = (latest or {}).get("drifts") or []
    return {
        "latest": latest,
        "drifts": [
            {**d, "ended": periods.start(int(d["period"]) + 1), "response": RESPONSES[d["signal"]]}
            for d in drifts
        ],
        "periods": [{**s, "starts": periods.start(int(s["period"]))} for s in summaries],
        "tier_weeks": tier_weeks,
        "tier_now": tier_now,
        "window": METRICS_WINDOW,  # the labels the refit's ROC AUC and PR AUC are over
    }


MAX_FOUND = 50


def find_customers(index: ConsoleIndex, wanted: str) -> list[str]:
    """Customers whose id holds ``wanted``, whatever its case (an exact match alone if there
    is one), at most :data:`MAX_FOUND`, sorted."""
    needle = wanted.casefold()
    known = index.history.trails.keys() | index.book.alerts_by_customer.keys()
    exact = [c for c in known if c.casefold() == needle]
    if len(exact) == 1:
        return exact
    return sorted(c for c in known if needle in c.casefold())[:MAX_FOUND]


def value_meaning(settings: Settings) -> dict[str, str]:
    """What the value columns mean, for their tooltips (the contract of ``models.value``).

    >>> value_meaning(Settings(clv_years=2.0, horizon_days=90))["clv"]
    'Expected spend over the next 2 years, the chance that they leave included'
    """
    years = f"{settings.clv_years:g} year{'' if settings.clv_years == 1 else 's'}"
    return {
        "clv": f"Expected spend over the next {years}, the chance that they leave included",
        "value_at_risk": (
            f"What the shop expects to lose if nothing is done: the risk times what buying "
            f"again within {settings.horizon_days} days is worth over {years}"
        ),
    }
