"""The assessment knobs of settings, and how each model period adjusts them."""

from __future__ import annotations

from dataclasses import replace

from alerts.actions import load_action_rules
from alerts.assessment import AssessmentConfig
from alerts.policy import AlertPolicy
from alerts.tiers import LiftTiers, PercentileTiers, Tiers
from models.snapshot import ModelSnapshot
from streams.settings import Settings


def assessment_config(settings: Settings) -> AssessmentConfig:
    """The assessment knobs of ``settings``, with absolute tiers (see :func:`for_period`)."""
    return AssessmentConfig(
        tiers=settings.tiers,
        policy=AlertPolicy(
            horizon_days=settings.horizon_days,
            escalate=settings.alert_escalate,
            cooldown_days=settings.alert_cooldown_days,
        ),
        horizon_days=settings.horizon_days,
        clv_years=settings.clv_years,
        example_every_days=settings.example_every_days,
        lateness_s=settings.allowed_lateness_minutes * 60,
        action_rules=load_action_rules(settings.actions_file),
        priority_bands=settings.priority_value_bands or settings.priority_order_bands,
        priority_in_orders=settings.priority_value_bands is None,
        holdout_share=settings.holdout_share,
    )


def for_period(
    config: AssessmentConfig, settings: Settings, snapshot: ModelSnapshot | None
) -> AssessmentConfig:
    """``config`` as a period uses it: the snapshot's value model, its tiers where settings
    ask for relative ones, and alerts withheld while the snapshot is cold.

    Tiers are absolute thresholds of the calibrated risk by default. Relative tiers (lift,
    percentile) rest on the learned model's view of the active customers; while the prior
    serves, the absolute thresholds apply. While cold, too few outcomes have checked the
    prior's risks, so an alert also needs the customer to be overdue.
    """
    if snapshot is not None:
        config = replace(config, value=snapshot.value)
    if snapshot is not None and not snapshot.is_warm:
        cold = replace(config.policy, min_overdue=settings.alert_cold_overdue)
        config = replace(config, policy=cold)
    if (
        settings.alert_tiers == "absolute"
        or snapshot is None
        or not snapshot.serves_model
        or not snapshot.active_risks
    ):
        return config
    tiers: Tiers
    if settings.alert_tiers == "lift":
        base_rate = sum(snapshot.active_risks) / len(snapshot.active_risks)
        tiers = LiftTiers(base_rate, *settings.alert_lifts)
    else:
        tiers = PercentileTiers(snapshot.active_risks, *settings.alert_percentiles)
    return replace(config, tiers=tiers)
