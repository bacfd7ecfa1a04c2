"""Has the shop changed? River's ADWIN on what the labels say, in event time.

Labels carry two signals, each label in learning order: the serving scorer's log loss on it
(scored before anything learned it; only a rise counts), and its outcome (the churn rate
among labels, either way); River's ADWIN watches each. But a label says what happened a
horizon after its snapshot, so they see a change late; the period's pulse
(:mod:`models.pulse`: how late purchases come against each buyer's rhythm) sees it the week it
happens, and River's Page-Hinkley test watches that. A detection is a
:class:`Drift` of the period whose labels showed it. Detectors are armed only once labels of
both outcomes have flowed for a whole horizon: before that the label mix is still filling in
(churn labels come a horizon after their snapshot, retained ones as soon as a customer buys),
which is a start-up transient, not a change in the shop.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from river import drift

from models.pulse import Pulse

# Log loss is capped here and divided by it: ADWIN's bound assumes values in [0, 1].
LOSS_CAP = -math.log(0.01)
# Labels of one period a detector reads at most (evenly spaced in learning order): its power
# per unit of event time is then the same in a shop of any size, as is its false-alarm rate,
# and a change too small to matter is not "significant" just because there are many labels.
LABELS_PER_PERIOD = 500
Signal = Literal["log_loss", "label_rate", "purchase_gaps"]
LABEL_SIGNALS: tuple[Signal, ...] = ("log_loss", "label_rate")
# The pulse's Page-Hinkley test, in units of the mean log gap ratio: a change of gaps by 10%
# is tolerated, and a change is called when the excess beyond it adds up to 0.3 (gaps twice
# as long, log 2 = 0.69, are called the first period; 40% longer in two).
PULSE_TOLERANCE = math.log(1.1)
PULSE_THRESHOLD = 0.3
PULSE_MIN_PERIODS = 6
PULSE_MIN_GAPS = 30  # a period with fewer purchases to compare says too little


@dataclass(frozen=True)
class Drift:
    """A change found in one signal by the labels of ``period``: its mean before and after."""

    period: int
    signal: Signal
    detector: str
    before: float
    after: float
    labels: int


def _adwin() -> drift.ADWIN:
    return drift.ADWIN(delta=0.002)


def _page_hinkley() -> drift.PageHinkley:
    return drift.PageHinkley(
        min_instances=PULSE_MIN_PERIODS, delta=PULSE_TOLERANCE, threshold=PULSE_THRESHOLD
    )


def per_label_loss(churned: np.ndarray, risk: np.ndarray) -> np.ndarray:
    """Each label's log loss, capped and scaled into [0, 1]."""
    p = np.clip(risk, 1e-6, 1 - 1e-6)
    loss = np.where(churned, -np.log(p), -np.log1p(-p))
    return np.minimum(loss, LOSS_CAP) / LOSS_CAP


@dataclass
class DriftWatch:
    """ADWIN per signal, armed ``arm_after_periods`` after the first churned label.

    Examples
    --------
    >>> watch = DriftWatch(arm_after_periods=0)
    >>> rng = np.random.default_rng(1)
    >>> steady = [watch.update(p, rng.random(400) < 0.3, np.full(400, 0.3)) for p in range(10)]
    >>> sum(map(len, steady))
    0
    >>> found = watch.update(10, rng.random(400) < 0.7, np.full(400, 0.3))
    >>> sorted(d.signal for d in found), found[0].after > found[0].before
    (['label_rate', 'log_loss'], True)
    """

    arm_after_periods: int
    detectors: dict[Signal, drift.ADWIN] = field(
        default_factory=lambda: {signal: _adwin() for signal in LABEL_SIGNALS}
    )
    pulse_detector: drift.PageHinkley = field(default_factory=_page_hinkley)
    pulse_means: list[float] = field(default_factory=list)  # since the last change
    first_churned_period: int | None = None
    found: dict[Signal, int] = field(default_factory=dict)

    def pulse(self, period: int, pulse: Pulse) -> list[Drift]:
        """Feed one period's pulse; a change in how late purchases come is found at once."""
        if not self.armed(period) or pulse.gaps < PULSE_MIN_GAPS:
            return []
        before = sum(self.pulse_means) / len(self.pulse_means) if self.pulse_means else 0.0
        self.pulse_detector.update(pulse.mean_log_ratio)
        self.pulse_means.append(pulse.mean_log_ratio)
        if not self.pulse_detector.drift_detected:
            return []
        self.pulse_means = []
        after = pulse.mean_log_ratio
        return self._count(
            [Drift(period, "purchase_gaps", "PageHinkley", before, after, pulse.gaps)]
        )

    def detections(self) -> dict[Signal, int]:
        """How many changes each signal's detector has found so far."""
        return {signal: self.found.get(signal, 0) for signal in (*LABEL_SIGNALS, "purchase_gaps")}

    def _count(self, drifts: list[Drift]) -> list[Drift]:
        for d in drifts:
            self.found[d.signal] = self.found.get(d.signal, 0) + 1
        return drifts

    def armed(self, period: int) -> bool:
        first = self.first_churned_period
        return first is not None and period >= first + self.arm_after_periods

    def update(self, period: int, churned: np.ndarray, risk: np.ndarray) -> list[Drift]:
        """Feed one period's labels (in learning order) and the serving risk they had."""
        if self.first_churned_period is None and churned.any():
            self.first_churned_period = period
        if not len(churned) or not self.armed(period):
            return []
        labels, step = len(churned), math.ceil(len(churned) / LABELS_PER_PERIOD)
        churned, risk = churned[::step], risk[::step]
        values = {
            "log_loss": per_label_loss(churned, risk),
            "label_rate": churned.astype(float),
        }
        found = []
        for signal, detector in self.detectors.items():
            first: Drift | None = None  # one drift per signal and period; the rest feed on
            for value in values[signal].tolist():
                before = detector.estimation
                detector.update(value)
                after = detector.estimation
                # a model doing better than before is no reason to relearn
                worse = signal != "log_loss" or after > before
                if detector.drift_detected and worse and first is None:
                    first = Drift(period, signal, "ADWIN", before, after, labels)
            if first is not None:
                found.append(first)
        return self._count(found)
