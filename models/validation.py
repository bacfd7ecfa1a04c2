"""Progressive validation: each period's labels judge every scorer before any learns them."""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np

from models.calibration import Calibration
from models.challengers import RiverChallenger
from models.drift import Drift, DriftWatch
from models.guard import HALF_LIFE_DAYS, ScorerGuard, Standing
from models.progressive import ProgressiveMetrics
from models.refit import LogisticChurnModel
from models.reliability import expected_calibration_error, reliability
from models.training import Bucket
from models.value import ValueModel


class Judged(Protocol):
    """What validation reads and writes of a model snapshot (``models.snapshot``)."""

    model: LogisticChurnModel
    challengers: dict[str, RiverChallenger]
    heuristic_calibration: Calibration
    value: ValueModel
    horizon_days: float
    period_days: float
    bgnbd_standing: Standing
    guard: ScorerGuard
    metrics: ProgressiveMetrics
    drift: DriftWatch | None
    validation: dict[str, Any]

    @property
    def serving(self) -> str | None: ...

    @property
    def prior(self) -> str: ...

    def prior_risks(self, bucket: Bucket) -> np.ndarray: ...

    def active_rows(self, rows: np.ndarray) -> np.ndarray: ...


def validate(
    snapshot: Judged, bucket: Bucket, raw: dict[str, np.ndarray], period: int
) -> list[Drift]:
    """Progressive validation of one period's new labels, before any model learns them: how
    each learned model, the heuristic, BG/NBD and the serving scorer scored them. The guard,
    the refit's metrics and the snapshot's validation record take the figures; the drift
    detectors read the served risks of active customers, and the drifts found are returned.
    """
    models = {snapshot.model.version: snapshot.model.predict_proba_rows(bucket.rows)}
    models |= {n: c.calibration.apply(raw[n]) for n, c in snapshot.challengers.items()}
    heuristic = snapshot.heuristic_calibration.apply(bucket.heuristic)
    if snapshot.value.purchases is not None and bucket.histories is not None:
        by_rate = snapshot.value.purchases.p_none(bucket.histories.history(), snapshot.horizon_days)
        keep = 0.5 ** (snapshot.period_days / HALF_LIFE_DAYS)
        snapshot.bgnbd_standing.fold(bucket.churned, by_rate, heuristic, keep)
    serving = snapshot.serving
    served = snapshot.prior_risks(bucket) if serving is None else models[serving]
    bins = reliability(served.tolist(), bucket.churned.tolist())
    snapshot.validation = {
        "labels": len(bucket),
        "scorer": serving or snapshot.prior,
        "ece": round(expected_calibration_error(bins), 4),
        "bins": [{k: round(v, 4) for k, v in b.items()} for b in bins],
    }
    if bucket.histories is not None:
        snapshot.validation["value"] = snapshot.value.judge(
            bucket.histories, bucket.churned, snapshot.horizon_days
        )
    snapshot.guard.compare(bucket.churned, models, heuristic, snapshot.period_days)
    refit = models[snapshot.model.version]
    for churned, p in zip(bucket.churned.tolist(), refit.tolist(), strict=True):
        snapshot.metrics.update(churned, {False: 1.0 - p, True: p})
    # drift is a change in how active customers behave: the labels of the lapsed, nearly
    # all churn, grow in number with the shop's age and would move the rate on their own
    active = snapshot.active_rows(bucket.rows)
    assert snapshot.drift is not None
    return snapshot.drift.update(period, bucket.churned[active], served[active])
