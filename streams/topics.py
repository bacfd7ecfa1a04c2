"""Topic names, declared once: two inputs, four outputs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the names are the pipeline's too, which reads no settings
    from streams.settings import Settings

PURCHASES = "purchases"
COMPLAINTS = "complaints"
ALERTS = "churn-alerts"
RISK = "customer-risk"
DEAD_LETTERS = "dead-letters"
MODEL_EVENTS = "model-events"


@dataclass(frozen=True)
class TopicNames:
    """Full topic names under the configured prefix."""

    purchases: str
    complaints: str
    alerts: str
    risk: str
    dead_letters: str
    model_events: str

    @classmethod
    def from_settings(cls, settings: Settings) -> TopicNames:
        return cls(
            purchases=settings.topic(PURCHASES),
            complaints=settings.topic(COMPLAINTS),
            alerts=settings.topic(ALERTS),
            risk=settings.topic(RISK),
            dead_letters=settings.topic(DEAD_LETTERS),
            model_events=settings.topic(MODEL_EVENTS),
        )

    @property
    def inputs(self) -> tuple[str, str]:
        return (self.purchases, self.complaints)

    def input_for(self, event_type: object) -> str:
        """The input topic a line belongs on: complaints by name, everything else to purchases."""
        return self.complaints if event_type == "complaint" else self.purchases

    def by_short_name(self, short: str) -> str:
        """``alerts``, ``risk``, ``dead-letters`` or ``model-events`` (as `churnwatch tail` takes
        them) to a topic."""
        return {
            "alerts": self.alerts,
            "risk": self.risk,
            "dead-letters": self.dead_letters,
            "model-events": self.model_events,
        }[short]
