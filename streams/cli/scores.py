"""Scoring every customer in the store as of one moment, and writing the scores out."""

from __future__ import annotations

import csv
import dataclasses
import io
from collections.abc import Sequence
from datetime import datetime

from alerts.assessment import CustomerScore, score_customer
from alerts.events import as_utc
from models.heuristic import HeuristicScorer
from models.scorer import ChurnScorer
from streams.pipeline.processor import assessment_config, for_period
from streams.settings import Settings
from streams.storage.alert_days import waiting
from streams.storage.customers import StateKeys, connect_sync, read_all_states
from streams.storage.models import snapshot_as_of

SCORE_COLUMNS = [f.name for f in dataclasses.fields(CustomerScore)]


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
        if not states:
            return None, []
        cut = as_of.timestamp() if as_of else max(s.last_seen or 0.0 for s in states)
        snapshot = None if scorer else snapshot_as_of(client, settings, cut)
    finally:
        client.close()
    scorer = scorer or (snapshot.scorer() if snapshot else HeuristicScorer())
    config = for_period(assessment_config(settings), settings, snapshot)
    rows = [score_customer(state, cut, scorer, config) for state in states]
    return cut, sorted(rows, key=lambda row: row.customer_id)


def scores_csv(rows: Sequence[CustomerScore]) -> str:
    """The scores as CSV text; the columns start ``customer_id,risk,tier``."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(SCORE_COLUMNS)
    for row in rows:
        writer.writerow(dataclasses.astuple(row))
    return buffer.getvalue()


def deferred_csv(settings: Settings) -> str:
    """Alert candidates a daily capacity has not published yet, in the order they would be
    chosen: ``deferred`` past their day, or ``pending`` until their day is over."""
    client = connect_sync(settings)
    try:
        candidates = waiting(client, StateKeys(settings.redis_namespace))
    finally:
        client.close()
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    header = ["alert_id", "customer_id", "raised_at", "priority", "value_at_risk", "standing"]
    writer.writerow(header)
    for standing, c in candidates:
        raised = as_utc(c.raised_at).isoformat()
        writer.writerow([c.alert_id, c.customer_id, raised, c.priority, c.value_at_risk, standing])
    return buffer.getvalue()
