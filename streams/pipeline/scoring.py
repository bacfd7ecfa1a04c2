"""Scoring a population of customer states as of one moment, and the scores CSV."""

from __future__ import annotations

import csv
import dataclasses
import io
from collections.abc import Iterable, Sequence

from alerts.assessment import CustomerScore, score_customer
from models.heuristic import HeuristicScorer
from models.scorer import ChurnScorer
from models.snapshot import ModelSnapshot
from models.state import CustomerState
from streams.pipeline.config import EngineConfig, for_period

SCORE_COLUMNS = [f.name for f in dataclasses.fields(CustomerScore)]


def score_states(
    states: Iterable[CustomerState],
    config: EngineConfig,
    cut: float,
    scorer: ChurnScorer | ModelSnapshot | None,
) -> list[CustomerScore]:
    """Every customer scored as of ``cut`` by ``scorer`` (a snapshot: its model and tiers; none:
    the heuristic), sorted by customer id, so the same states always give the same file."""
    snapshot = scorer if isinstance(scorer, ModelSnapshot) else None
    if isinstance(scorer, ModelSnapshot):
        scorer = scorer.scorer()
    assessment = for_period(config, snapshot)
    chosen = scorer or HeuristicScorer()
    rows = [score_customer(state, cut, chosen, assessment) for state in states]
    return sorted(rows, key=lambda row: row.customer_id)


def scores_csv(rows: Sequence[CustomerScore]) -> str:
    """The scores as CSV text; the columns start ``customer_id,risk,tier``."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(SCORE_COLUMNS)
    for row in rows:
        writer.writerow(dataclasses.astuple(row))
    return buffer.getvalue()
