"""Chart specifications for the pages: the series the vendored uPlot draws (``static/console.js``).

A spec is JSON in a ``data-chart`` attribute: ``x`` values, named series of the same length,
and whether x is event time. Drawing is uPlot's; this module only says what to draw.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson

from alerts.risk_history import TIERS
from models.progressive import METRICS_WINDOW

COLORS = {
    "risk": "#c0392b",
    "none": "#95a5a6",
    "medium": "#f1c40f",
    "high": "#e67e22",
    "critical": "#c0392b",
    "roc_auc": "#2c7fb8",
    "pr_auc": "#7fcdbb",
    "log_loss": "#8e44ad",
    "ece": "#d35400",
    "alerts": "#e67e22",
    "recoveries": "#27ae60",
    "precision": "#2c7fb8",
    "recapture": "#27ae60",
    "observed": "#2c7fb8",
    "perfect": "#95a5a6",
}


def spec(
    title: str,
    x: Sequence[float],
    series: dict[str, Sequence[float | None]],
    time: bool = True,
    bars: bool = False,
    y_range: tuple[float, float] | None = None,
    x_labels: Sequence[str] | None = None,
) -> str:
    """One chart as the JSON ``console.js`` reads.

    >>> orjson.loads(spec("t", [1.0], {"risk": [0.5]}))["series"][0]["label"]
    'risk'
    """
    body: dict[str, Any] = {
        "title": title,
        "time": time,
        "bars": bars,
        "x": list(x),
        "series": [
            {"label": name, "values": list(values), "color": COLORS.get(name, "#34495e")}
            for name, values in series.items()
        ],
    }
    if y_range is not None:
        body["y_range"] = list(y_range)
    if x_labels is not None:
        body["x_labels"] = list(x_labels)
    return orjson.dumps(body).decode()


def risk_history(points: Sequence[dict[str, Any]]) -> str:
    return spec(
        "risk over event time",
        [p["at"] for p in points],
        {"risk": [p["risk"] for p in points]},
        y_range=(0.0, 1.0),
    )


def model_metrics(periods: Sequence[dict[str, Any]]) -> tuple[str, str]:
    """The refit's progressive ROC AUC and PR AUC (over its latest labels) and log loss (over
    all its labels), and the served scorer's calibration error on each period's new labels,
    per model period."""
    x = [p["starts"] for p in periods]
    # River reports 0 for a metric that has seen nothing: no labels yet is a gap, not a zero
    nothing = {"roc_auc": None, "pr_auc": None, "log_loss": None}
    metrics = [p["metrics"] if p.get("validation") else nothing for p in periods]
    ranking = spec(
        f"the refit's ROC AUC and PR AUC, its last {METRICS_WINDOW:,} labels",
        x,
        {"roc_auc": [m["roc_auc"] for m in metrics], "pr_auc": [m["pr_auc"] for m in metrics]},
        y_range=(0.0, 1.0),
    )
    errors = spec(
        "the refit's log loss (all labels so far) and the served scorer's ECE (each period)",
        x,
        {
            "log_loss": [m["log_loss"] for m in metrics],
            "ece": [(p.get("validation") or {}).get("ece") for p in periods],
        },
    )
    return ranking, errors


def reliability(bins: Sequence[dict[str, float]]) -> str:
    predicted = [b["predicted"] for b in bins]
    return spec(
        "calibration of the latest period: observed churn against predicted risk",
        predicted,
        {"observed": [b["observed"] for b in bins], "perfect": predicted},
        time=False,
        y_range=(0.0, 1.0),
    )


def tier_shares(weeks: Sequence[dict[str, Any]]) -> str:
    totals = [sum(w[t] for t in TIERS) or 1 for w in weeks]
    return spec(
        "share of customers per tier, week by week",
        [w["week_start"] for w in weeks],
        {t: [w[t] / n for w, n in zip(weeks, totals, strict=True)] for t in TIERS},
        y_range=(0.0, 1.0),
    )


def weekly_outcomes(weekly: Sequence[dict[str, Any]]) -> str:
    return spec(
        "alerts raised and recoveries, week by week",
        [w["week_start"] for w in weekly],
        {"alerts": [w["alerts"] for w in weekly], "recoveries": [w["recoveries"] for w in weekly]},
        bars=True,
    )


def outcomes(groups: dict[str, dict[str, Any]], title: str) -> str:
    """Precision and recapture of each group of judged alerts (by tier, or by action)."""
    names = list(groups)
    return spec(
        title,
        list(range(len(names))),
        {
            "precision": [groups[n]["precision"] for n in names],
            "recapture": [groups[n]["recapture_rate"] for n in names],
        },
        time=False,
        bars=True,
        y_range=(0.0, 1.0),
        x_labels=names,
    )
