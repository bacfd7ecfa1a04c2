"""Model snapshots: the learned models at one event-time boundary, their metrics, and who serves.

Snapshot ``k`` has learned exactly the labels that became known before ``k`` periods of event
time, in a fixed order, so every worker scoring period ``k`` uses the same model and a replay
learns the same model every time.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field

import numpy as np

from models.alert_calibration import WhereAlertedScorer, fit_where_alerted
from models.calibration import CalibratedScorer, Calibration
from models.census import Census
from models.challengers import RiverChallenger, default_challengers
from models.drift import Drift, DriftWatch
from models.guard import ScorerGuard, Standing, figures_of
from models.heuristic import HeuristicScorer
from models.prior import PriorScorer, judge_prior
from models.progressive import ProgressiveMetrics, quantiles
from models.pulse import Pulse
from models.refit import INPUT_NAMES, LogisticChurnModel
from models.scorer import ChurnScorer, VersionedScorer
from models.training import Bucket
from models.validation import validate
from models.value import ValueModel

MAX_DRIFTS = 50
RIVER_LINEAR = "river-logreg"  # explains the River tree's scores, which has no per-input pushes


@dataclass
class ModelSnapshot:
    """The learned models as of ``period`` boundaries of event time, and which scorer serves.

    Parameters
    ----------
    period
        Boundary index: this snapshot knows the labels known before ``period * period_days``.
    min_labels
        Labels of each class the learned models must have seen before one may serve.
    period_days
        Length of a model period in days of event time.
    horizon_days
        The churn horizon: customers silent less than this are active.
    window_periods
        Periods of labels the refit and the calibrations see.
    """

    period: int
    min_labels: int
    period_days: float = 7.0
    horizon_days: float = 90.0
    window_periods: int = 26
    # after a drift: the refit serves, and relearns from it (settings.model_drift_relearn)
    respond_to_drift: bool = True
    model: LogisticChurnModel = field(default_factory=LogisticChurnModel)
    challengers: dict[str, RiverChallenger] = field(default_factory=default_challengers)
    labels_seen: dict[str, int] = field(default_factory=lambda: {"churned": 0, "retained": 0})
    # the refit's: River's rolling metrics keep their window in the snapshot (about 3 MB),
    # so the challengers are followed by the guard's running gains instead
    metrics: ProgressiveMetrics = field(default_factory=ProgressiveMetrics)
    guard: ScorerGuard = field(default_factory=ScorerGuard)
    drift: DriftWatch | None = None
    # the changes found, newest last, and the first period the refit learns from since one
    drifts: list[Drift] = field(default_factory=list)
    relearn_from: int | None = None  # the latest drift whose response is to relearn
    changed_at: int | None = None  # the latest drift after which the refit serves
    online_since_period: int | None = None
    # quantiles of the serving scorer's risk over the active customers of the training window
    active_risks: tuple[float, ...] = ()
    # the share of the training window's active customers who churned (None before both
    # outcomes are seen), smoothed by one of each: what lift tiers compare risks with
    active_base_rate: float | None = None
    heuristic_calibration: Calibration = field(default_factory=Calibration)
    # how the scorer that served scored this period's new labels, before learning them
    validation: dict[str, object] = field(default_factory=dict)
    # purchases and order values, refitted on the latest census (models.value)
    value: ValueModel = field(default_factory=ValueModel)
    # which prior the labels prefer when no learned model serves (models.prior): None until
    # they can say, and the two scorers' figures on the training window
    prior_judged: str | None = None
    prior_figures: dict[str, dict[str, float]] = field(default_factory=dict)
    # BG/NBD judged like every other scorer, progressively on each period's new labels
    bgnbd_standing: Standing = field(default_factory=Standing)
    # the serving scorer's recalibration where alerts are raised (models.alert_calibration)
    alert_calibration: Calibration = field(default_factory=Calibration)

    def __post_init__(self) -> None:
        if self.drift is None:
            horizon_periods = math.ceil(self.horizon_days / self.period_days)
            self.drift = DriftWatch(arm_after_periods=horizon_periods)

    def __setstate__(self, state: dict[str, object]) -> None:
        """A snapshot pickled before a field existed loads with that field's default: a
        deployment upgrading keeps its model history (its challengers start learning then)."""
        fresh = ModelSnapshot(
            period=int(state["period"]),  # type: ignore[call-overload]
            min_labels=int(state["min_labels"]),  # type: ignore[call-overload]
            period_days=float(state.get("period_days", 7.0)),  # type: ignore[arg-type]
            horizon_days=float(state.get("horizon_days", 90.0)),  # type: ignore[arg-type]
        )
        self.__dict__.update(fresh.__dict__ | state)

    @property
    def is_warm(self) -> bool:
        return min(self.labels_seen.values()) >= self.min_labels

    @property
    def serving(self) -> str | None:
        """The learned model that serves (once warm, and only while it beats the heuristic).

        After a drift the guard's verdict rests on labels of the old shop, and the labels
        that will judge the new one are a horizon away; the hand-set heuristic cannot
        relearn, the refit can: it serves meanwhile.
        """
        if not self.is_warm:
            return None
        chosen = self.guard.chosen
        if chosen is None and self.after_change:
            return self.model.version
        return chosen

    @property
    def after_change(self) -> bool:
        """Within a horizon of the latest drift that called for learning, with the response on."""
        if not self.respond_to_drift or self.changed_at is None:
            return False
        return self.period - self.changed_at <= math.ceil(self.horizon_days / self.period_days)

    @property
    def serves_model(self) -> bool:
        return self.serving is not None

    @property
    def prior(self) -> str:
        """What scores when no learned model does: BG/NBD once fitted on a census, until the
        labels prefer the recalibrated heuristic (models.prior)."""
        if self.value.purchases is None or not self.value.knows_dropout:
            return "heuristic"
        return self.prior_judged or "bgnbd"

    @property
    def risk_is_checked(self) -> bool:
        """Whether anything stands behind the served risk: a learned model, a purchase model
        that knows how often customers leave, or outcomes the heuristic was calibrated on."""
        return (
            self.serving is not None or self.prior == "bgnbd" or self.heuristic_calibration.fitted
        )

    def _prior_scorer(self) -> ChurnScorer:
        heuristic = CalibratedScorer(HeuristicScorer(), self.heuristic_calibration)
        if self.prior == "bgnbd" and self.value.purchases is not None:
            return PriorScorer(self.value.purchases, self.horizon_days, heuristic)
        return heuristic

    @property
    def version(self) -> str:
        """What scores: a learned model, or the prior and why (cold, or guarded)."""
        serving = self.serving
        if serving is not None:
            return f"{serving}.p{self.period}"
        why = "guarded" if self.is_warm else "cold"
        prior = "bgnbd" if self.prior == "bgnbd" else HeuristicScorer().version
        return f"{prior}.{why}.p{self.period}"

    def why(self) -> str:
        if not self.is_warm:
            return f"the {self._prior_name()} serves until {self.min_labels} labels of each outcome"
        if self.guard.chosen is None and self.after_change:
            return (
                f"the shop changed in period {self.changed_at}: {self.model.version} learns it "
                "and serves until labels of the new shop judge it"
            )
        return self.guard.why()

    def _prior_name(self) -> str:
        if self.prior == "bgnbd":
            return "purchase model (BG/NBD, fitted on the shop's census)"
        return "heuristic"

    def learn(
        self,
        bucket: Bucket,
        training: Callable[[int | None], Bucket],
        period: int,
        tallies: Mapping[str, int] | None = None,
        recent: Bucket | None = None,
    ) -> list[Drift]:
        """Learn one period's labels and become snapshot ``period``; return the drifts found.

        First the labels are scored by every model as it stands and by the heuristic
        (progressive validation: none has seen them), and the drift detectors read them and
        the period's pulse; then the refit is fitted again on ``training(relearn_from)``, the
        training labels ending with these (since the latest drift, if any), and the River
        learners learn them. The period's ``tallies`` feed the pulse's drift detector, and a
        tick's census in them refits the value model. Where alerts are raised, the serving
        scorer is recalibrated on the ``recent`` labels (the latest horizon's; the window's
        without them): a shop's churn moves, and a calibration fitted on half a year of
        labels that are already a horizon old lags it (a generated grocer's alerts stated
        0.07 where 22% left).
        """
        assert self.drift is not None
        pulse = Pulse.of(tallies) if tallies is not None else None
        found = self.drift.pulse(period - 1, pulse) if pulse is not None else []
        raw = {name: c.raw_risk(bucket.rows) for name, c in self.challengers.items()}
        if len(bucket) and sum(self.labels_seen.values()):
            found += validate(self, bucket, raw, period - 1)
        if found:
            self.drifts = [*self.drifts, *found][-MAX_DRIFTS:]
        if any(d.response == "relearn" for d in found):
            self.relearn_from = period - 1
        if any(d.response != "reported" for d in found):
            self.changed_at = period - 1
        if len(bucket):
            churned = int(bucket.churned.sum())
            self.labels_seen["churned"] += churned
            self.labels_seen["retained"] += len(bucket) - churned
            window = training(self.relearn_from)
            if window.churned.any() and not window.churned.all():
                self.model.fit(window.rows, window.churned)
            for name, challenger in self.challengers.items():
                challenger.learn(period - 1, bucket, raw[name], self.window_periods)
            self.heuristic_calibration = Calibration.fit(window.heuristic, window.churned)
            self.active_risks = self._active_risks(window)
            self.active_base_rate = self._active_base_rate(window)
        if tallies is not None:
            census = Census.of(tallies)
            if census is not None:
                self.value = self.value.refit(census.purchases, census.orders)
        self.period = period
        if len(bucket):
            window = training(self.relearn_from)
            heuristic = self.heuristic_calibration.apply(window.heuristic)
            self.prior_judged, self.prior_figures = judge_prior(
                window, self.value.purchases, heuristic, self.horizon_days
            )
            self.alert_calibration = self._where_alerted(window if recent is None else recent)
        if self.serves_model and self.online_since_period is None:
            self.online_since_period = period
        return found

    @property
    def learned_models(self) -> tuple[str, ...]:
        """The learned models' names, the refit (the guard's incumbent) first."""
        return (self.model.version, *self.challengers)

    def risks(self, rows: np.ndarray) -> dict[str, np.ndarray]:
        """Every learned model's P(churn) of rows of model inputs, the refit first."""
        risks = {self.model.version: self.model.predict_proba_rows(rows)}
        return risks | {name: c.risk(rows) for name, c in self.challengers.items()}

    def active_rows(self, rows: np.ndarray) -> np.ndarray:
        """Which rows of model inputs were of customers silent less than the horizon."""
        return rows[:, INPUT_NAMES.index("log_recency")] < math.log1p(self.horizon_days)

    def _active_risks(self, window: Bucket) -> tuple[float, ...]:
        """How the serving scorer rates the window's customers who were still active."""
        active = self.active_rows(window.rows)
        if not active.any():
            return ()
        serving = self.serving
        risks = (
            self.risks(window.rows[active])[serving]
            if serving is not None
            else self.prior_risks(window)[active]
        )
        return quantiles(risks.tolist())

    def _active_base_rate(self, window: Bucket) -> float | None:
        churned = window.churned[self.active_rows(window.rows)]
        if not churned.any() or churned.all():
            return None
        return (float(churned.sum()) + 1.0) / (len(churned) + 2.0)

    def _where_alerted(self, window: Bucket) -> Calibration:
        """The calibration of the scorer that now serves, on the window's labels past rhythm."""
        serving = self.serving
        risks = (
            self.risks(window.rows)[serving] if serving is not None else self.prior_risks(window)
        )
        return fit_where_alerted(risks, window.churned, window.rows, self.horizon_days)

    def prior_risks(self, bucket: Bucket) -> np.ndarray:
        """How the prior rates a bucket's labels."""
        purchases = self.value.purchases
        if self.prior == "bgnbd" and purchases is not None and bucket.histories is not None:
            return purchases.p_none(bucket.histories.history(), self.horizon_days)
        return self.heuristic_calibration.apply(bucket.heuristic)

    def drift_detections(self) -> dict[str, int]:
        """How many changes each drift detector has found so far."""
        assert self.drift is not None
        return {str(signal): n for signal, n in self.drift.detections().items()}

    def scorer(self) -> ChurnScorer:
        """The scorer of this snapshot, named with its version for every event it scores."""
        serving = self.scorer_of(self.serving)
        where_alerted = WhereAlertedScorer(serving, self.alert_calibration, self.horizon_days)
        return VersionedScorer(where_alerted, self.version)

    def scorer_of(self, name: str | None) -> ChurnScorer:
        """A learned model by name, or the prior for None: the purchase model, or the
        calibrated heuristic (:attr:`prior`)."""
        if name is None:
            return self._prior_scorer()
        if name == self.model.version:
            return self.model
        linear = self.challengers[RIVER_LINEAR]
        return self.challengers[name].scorer(linear.contributions)

    def summary(self) -> dict[str, object]:
        return {
            "version": self.version,
            "period": self.period,
            "warm": self.is_warm,
            "serving": self.serving or self.prior,
            "why": self.why(),
            "labels_seen": dict(self.labels_seen),
            "min_labels": self.min_labels,
            "online_since_period": self.online_since_period,
            "metrics": self.metrics.as_dict(),
            "models": self.guard.table(),
            # the same figures of the scorers learned models are judged against
            "baselines": {
                "heuristic": self.guard.heuristic_figures(),
                "bgnbd": figures_of(self.bgnbd_standing),
            },
            "drifts": [asdict(d) for d in self.drifts],
            "relearn_from": self.relearn_from,
            "changed_at": self.changed_at,
            "validation": self.validation,
            "value": self.value.summary(),
        }
