"""The engine's configuration, built from the settings once, at the edge: the actions file is
read here and nowhere else, and the pipeline never sees the settings class."""

from __future__ import annotations

from alerts.actions import load_action_rules
from alerts.assessment import AssessmentConfig
from alerts.policy import AlertPolicy
from streams.pipeline.config import EngineConfig, TierChoice
from streams.settings import Settings
from streams.topics import TopicNames


def engine_config(settings: Settings) -> EngineConfig:
    """What the engine needs of ``settings`` (tiers start absolute; see ``for_period``)."""
    assessment = AssessmentConfig(
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
        risk_step=settings.risk_step,
    )
    return EngineConfig(
        assessment=assessment,
        topics=TopicNames.from_settings(settings),
        period_days=settings.model_update_days,
        max_message_bytes=settings.max_message_bytes,
        max_future_skew_s=settings.max_future_skew_hours * 3600,
        max_due_checks=settings.max_due_checks_per_batch,
        tiers=TierChoice(
            settings.alert_tiers,
            settings.alert_lifts,
            settings.alert_percentiles,
            settings.alert_cold_overdue,
        ),
    )
