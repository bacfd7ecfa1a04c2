"""Scoring every customer in the store as of one moment, and writing the scores out."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import datetime

from alerts.assessment import CustomerScore
from alerts.capacity import Candidate
from alerts.events import as_utc
from models.scorer import ChurnScorer
from streams.engine_config import engine_config
from streams.pipeline.scoring import score_states
from streams.settings import Settings
from streams.storage.connection import connect_sync
from streams.storage.customers import read_all_states
from streams.storage.keys import StateKeys
from streams.storage.model_store import snapshot_as_of


def collect_scores(
    settings: Settings, as_of: datetime | None = None, scorer: ChurnScorer | None = None
) -> tuple[float | None, list[CustomerScore]]:
    """Scores of every customer as of ``as_of`` (default: the latest event time in the store).

    Scoring uses the model snapshot of the period ``as_of`` falls in (the newest before it if
    the engine has not reached it), the same model the engine itself would use, unless a
    ``scorer`` is given. Rows are sorted by customer id, so the same state always gives the
    same file.
    """
    client = connect_sync(settings)
    try:
        states = list(read_all_states(client, StateKeys(settings.redis_namespace)))
    finally:
        client.close()
    if not states:
        return None, []
    cut = as_of.timestamp() if as_of else max(s.last_seen or 0.0 for s in states)
    snapshot = None if scorer else snapshot_as_of(settings, cut)
    return cut, score_states(states, engine_config(settings), cut, scorer or snapshot)


def in_stage(rows: Iterable[CustomerScore], stage: str) -> list[CustomerScore]:
    """The customers in one lifecycle stage, most value at risk first: with ``lapsed``, the
    win-back list (silent longer than the horizon, whom real-time alerts no longer cover)."""
    chosen = (r for r in rows if r.lifecycle_stage == stage)
    return sorted(chosen, key=lambda row: (-row.value_at_risk, row.customer_id))


def deferred_csv(candidates: Iterable[tuple[str, Candidate]]) -> str:
    """Alert candidates a daily capacity has not published yet (``StoreReader.held_back``),
    in the order they would be chosen: ``deferred`` past their day, or ``pending`` until
    their day is over."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    header = ["alert_id", "customer_id", "raised_at", "priority", "value_at_risk", "standing"]
    writer.writerow(header)
    for standing, c in candidates:
        raised = as_utc(c.raised_at).isoformat()
        writer.writerow([c.alert_id, c.customer_id, raised, c.priority, c.value_at_risk, standing])
    return buffer.getvalue()
