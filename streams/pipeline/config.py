"""What the engine is told: its configuration, built once at the edge from the settings
(:mod:`streams.engine_config`), and how each model period adjusts the assessment's part.

The engine reads no settings and no file: a test or an embedding gives it this, clock
included.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Literal

from alerts.assessment import AssessmentConfig
from alerts.tiers import LiftTiers, PercentileTiers, RiskOrLiftTiers, Tiers, TierThresholds
from models.snapshot import ModelSnapshot
from streams.topics import TopicNames


@dataclass(frozen=True)
class TierChoice:
    """How a period turns risk into tiers (``CHURNWATCH_ALERT_TIERS`` and its parameters),
    and the overdue an alert needs while the scorer is cold."""

    kind: Literal["risk-or-lift", "absolute", "lift", "percentile"] = "risk-or-lift"
    lifts: tuple[float, float, float] = (2.0, 4.0, 8.0)
    percentiles: tuple[float, float, float] = (80.0, 90.0, 95.0)
    cold_overdue: float = 2.0


@dataclass(frozen=True)
class EngineConfig:
    """Everything the engine, intake and scoring need to know, and nothing else."""

    assessment: AssessmentConfig
    topics: TopicNames
    period_days: float = 7.0
    max_message_bytes: int = 65536
    max_future_skew_s: float = 48 * 3600.0
    max_due_checks: int = 2000
    tiers: TierChoice = field(default_factory=TierChoice)
    # wall-clock time, read once per message only to reject events stamped in the future
    clock: Callable[[], float] = time.time


def for_period(engine: EngineConfig, snapshot: ModelSnapshot | None) -> AssessmentConfig:
    """``config`` as a period uses it: the snapshot's value model, its tiers where settings
    ask for relative ones, and alerts withheld while the snapshot is cold.

    By default a tier is the higher of the calibrated risk's absolute tier and its lift over
    the share of active customers who churned, once labels have shown both outcomes.
    Lift-only and percentile tiers rest on the learned model's view of the active
    customers, and apply while it serves. Until then, the absolute thresholds. While cold,
    too few outcomes have checked the prior's risks, so an alert also needs the customer to
    be overdue; and while nothing has checked them (no snapshot yet, or an uncalibrated
    heuristic), there is no alert.
    """
    config, choice = engine.assessment, engine.tiers
    if snapshot is None:
        return replace(config, policy=replace(config.policy, withheld=True))
    config = replace(config, value=snapshot.value)
    if not snapshot.is_warm:
        cold = replace(
            config.policy, min_overdue=choice.cold_overdue, withheld=not snapshot.risk_is_checked
        )
        config = replace(config, policy=cold)
    tiers: Tiers
    if choice.kind == "risk-or-lift" and snapshot.active_base_rate is not None:
        absolute = config.tiers
        assert isinstance(absolute, TierThresholds)
        lift = LiftTiers(snapshot.active_base_rate, *choice.lifts, floor=0.0)
        tiers = RiskOrLiftTiers(absolute, lift)
    elif choice.kind in ("lift", "percentile") and snapshot.serves_model and snapshot.active_risks:
        if choice.kind == "lift":
            base_rate = sum(snapshot.active_risks) / len(snapshot.active_risks)
            tiers = LiftTiers(base_rate, *choice.lifts)
        else:
            tiers = PercentileTiers(snapshot.active_risks, *choice.percentiles)
    else:
        return config
    return replace(config, tiers=tiers)
