"""Scoring every customer in the store as of one moment, and writing the scores out."""

from __future__ import annotations

import csv
import dataclasses
import io
from collections.abc import Iterable, Sequence
from datetime import datetime

from alerts.assessment import CustomerScore, score_customer
from alerts.events import as_utc
from models.heuristic import HeuristicScorer
from models.registry import ModelSnapshot
from models.scorer import ChurnScorer
from models.state import CustomerState
from streams.pipeline.config import assessment_config, for_period
from streams.settings import Settings
from streams.storage.alert_days import waiting
from streams.storage.connection import connect_sync
from streams.storage.customers import read_all_states
from streams.storage.keys import StateKeys
from streams.storage.model_store import snapshot_as_of

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
    finally:
        client.close()
    if not states:
        return None, []
    cut = as_of.timestamp() if as_of else max(s.last_seen or 0.0 for s in states)
    snapshot = None if scorer else snapshot_as_of(settings, cut)
    return cut, score_states(states, settings, cut, scorer or snapshot)


def score_states(
    states: Iterable[CustomerState],
    settings: Settings,
    cut: float,
    scorer: ChurnScorer | ModelSnapshot | None,
) -> list[CustomerScore]:
    """Every customer scored as of ``cut`` by ``scorer`` (a snapshot: its model and tiers; none:
    the heuristic), sorted by customer id, so the same states always give the same file."""
    snapshot = scorer if isinstance(scorer, ModelSnapshot) else None
    if isinstance(scorer, ModelSnapshot):
        scorer = scorer.scorer()
    config = for_period(assessment_config(settings), settings, snapshot)
    chosen = scorer or HeuristicScorer()
    rows = [score_customer(state, cut, chosen, config) for state in states]
    return sorted(rows, key=lambda row: row.customer_id)


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
