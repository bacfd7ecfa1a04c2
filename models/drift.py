"""Has the shop changed? River's drift detectors on the labels and on the pulse, in event time.

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
# ADWIN finds a change the moment it is significant, with its new window still short; the
# change is reported once the new window's level differs materially from the old one, or
# forgotten when that window has grown past this many labels without it.
CONFIRM_LABELS = 4 * LABELS_PER_PERIOD
MATERIAL_LOSS_RISE = 1.1
MATERIAL_ODDS_CHANGE = 1.25
Signal = Literal["log_loss", "label_rate", "purchase_gaps"]
Response = Literal["relearn", "learned_model_serves", "reported"]
RESPONSES: dict[Signal, Response] = {
    "log_loss": "relearn",
    "purchase_gaps": "learned_model_serves",
    "label_rate": "reported",
}
LABEL_SIGNALS: tuple[Signal, ...] = ("log_loss", "label_rate")
# The pulse's Page-Hinkley test reads each period's deviation from the mean since the last
# change, in standard errors: false alarms are then as rare in a small shop as in a large one,
# and a large shop, whose means are sharper, sees a smaller change sooner. At k = 0.5 and
# h = 8 standard errors, Siegmund's approximation puts a stationary shop's run between false
# alarms at about 9,500 periods (h = 5 would be 470: one in four years of weekly periods).
PULSE_TOLERANCE = 0.5
PULSE_THRESHOLD = 8.0
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

    @property
    def response(self) -> Response:
        """What the engine does about it (measured in benchmarks/README.md):

        - ``relearn``: the serving model's loss rose, so older labels teach the wrong thing;
          the refit learns from the drift on, and serves meanwhile (see below).
        - ``learned_model_serves``: purchases come at another pace. The labels that will judge
          the new shop are a horizon away; the refit, which learns, serves meanwhile where the
          guard preferred the hand-set heuristic, which cannot. Its window stays whole:
          shortened after such a drift it ranked worse (the drift benchmark, and CDNOW at ten
          times its size, where the Christmas pulse is found).
        - ``reported``: the churn rate moved while the model's loss did not, so the model
          already explains it (on the CDNOW sample, a cohort ageing).
        """
        return RESPONSES[self.signal]


def _adwin() -> drift.ADWIN:
    return drift.ADWIN(delta=0.002)


def _page_hinkley() -> drift.PageHinkley:
    return drift.PageHinkley(
        min_instances=PULSE_MIN_PERIODS, delta=PULSE_TOLERANCE, threshold=PULSE_THRESHOLD
    )


def material(signal: Signal, before: float, after: float) -> bool:
    """A change worth relearning for, not only a significant one: a slowly ageing customer
    base moves the label rate by a point or two, which ADWIN finds in a large shop. The log
    loss must rise by a tenth (a model doing better is no reason to relearn); the churn rate
    of labels must move its odds by a quarter, either way.

    >>> material("label_rate", 0.21, 0.223), material("label_rate", 0.21, 0.30)
    (False, True)
    >>> material("log_loss", 0.20, 0.18), material("log_loss", 0.20, 0.23)
    (False, True)
    """
    if signal == "log_loss":
        return after > before * MATERIAL_LOSS_RISE
    odds = [max(min(p, 1 - 1e-6), 1e-6) for p in (before, after)]
    change = math.log(odds[1] / (1 - odds[1])) - math.log(odds[0] / (1 - odds[0]))
    return abs(change) >= math.log(MATERIAL_ODDS_CHANGE)


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
    >>> sorted(d.signal for d in found), [round(d.after, 2) for d in found]
    (['label_rate', 'log_loss'], [0.21, 0.69])
    """

    arm_after_periods: int
    detectors: dict[Signal, drift.ADWIN] = field(
        default_factory=lambda: {signal: _adwin() for signal in LABEL_SIGNALS}
    )
    pulse_detector: drift.PageHinkley = field(default_factory=_page_hinkley)
    # purchases compared since the last change, and the sum of their log gap ratios
    pulse_level: tuple[int, float] = (0, 0.0)
    first_churned_period: int | None = None
    found: dict[Signal, int] = field(default_factory=dict)
    # per signal, after ADWIN cut its window: the level before, until the new one is material
    reference: dict[Signal, float] = field(default_factory=dict)

    def pulse(self, period: int, pulse: Pulse) -> list[Drift]:
        """Feed one period's pulse; a change in how late purchases come is found at once."""
        if not self.armed(period) or pulse.gaps < PULSE_MIN_GAPS:
            return []
        gaps, total = self.pulse_level
        before = total / gaps if gaps else pulse.mean_log_ratio
        self.pulse_detector.update((pulse.mean_log_ratio - before) / pulse.standard_error)
        self.pulse_level = (gaps + pulse.gaps, total + pulse.gaps * pulse.mean_log_ratio)
        if not self.pulse_detector.drift_detected:
            return []
        self.pulse_level = (0, 0.0)  # the level since the change is learned afresh
        drift = Drift(
            period, "purchase_gaps", "PageHinkley", before, pulse.mean_log_ratio, pulse.gaps
        )
        return self._count([drift])

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
            for value in values[signal].tolist():
                before = detector.estimation
                detector.update(value)
                if detector.drift_detected:  # the level before the first of a run of cuts
                    self.reference.setdefault(signal, before)
            reference = self.reference.get(signal)
            if reference is None:
                continue
            if material(signal, reference, detector.estimation):
                found.append(Drift(period, signal, "ADWIN", reference, detector.estimation, labels))
                del self.reference[signal]
            elif detector.width > CONFIRM_LABELS:
                del self.reference[signal]  # the new level has settled near the old one
        return self._count(found)
