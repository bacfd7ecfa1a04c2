"""Model periods: the event-time weeks (by default) in which one model snapshot scores."""

from __future__ import annotations

from models.labels import LabelledExample


class ModelPeriods:
    """Event-time periods of the model: ``period_of(t)`` and where each period starts.

    >>> weeks = ModelPeriods(7)
    >>> weeks.period_of(8 * 86400.0), weeks.start(2) / 86400
    (1, 14.0)
    """

    def __init__(self, days: float) -> None:
        self.seconds = days * 86400.0

    def period_of(self, at: float) -> int:
        return int(at // self.seconds)

    def start(self, period: int) -> float:
        return period * self.seconds

    def bucket_of(self, label: LabelledExample, not_before: int) -> int:
        """The period whose bucket a label joins: the one it became known in.

        A late label from a period whose snapshot exists goes to ``not_before``, the first
        period not yet learned, so it is learned late rather than never.
        """
        return max(self.period_of(label.labelled_at), not_before)
