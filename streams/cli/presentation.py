"""Rich tables for people reading the CLI's output."""

from __future__ import annotations

from typing import Any

from rich.table import Table

from alerts.events import as_utc
from models.progressive import METRICS_WINDOW
from streams.pipeline.periods import ModelPeriods


def model_table(summary: dict[str, Any], periods: ModelPeriods) -> Table:
    table = Table(title="churnwatch model", show_header=False)
    start = as_utc(periods.start(summary["period"])).date().isoformat()
    table.add_row("version", f"{summary['version']} (learned labels known before {start})")
    table.add_row("scoring with", f"{summary['serving']}: {summary['why']}")
    for outcome, count in summary["labels_seen"].items():
        table.add_row(f"labels: {outcome}", str(count))
    online_since = summary["online_since_period"]
    if online_since is not None:
        since = as_utc(periods.start(online_since)).date().isoformat()
        table.add_row("learned model first served", f"period {online_since} ({since})")
    # the refit's, each label scored before it learns it: the areas over its latest labels
    for name, value in summary["metrics"].items():
        span = "all its labels" if name == "log_loss" else f"its last {METRICS_WINDOW:,} labels"
        # River reports 0 for a metric that has seen nothing: no labels yet is "-", not 0
        shown = f"{value:.4f}" if sum(summary["labels_seen"].values()) else "-"
        table.add_row(f"refit's {name}, {span}", shown)
    for name, baseline in (summary.get("baselines") or {}).items():
        if baseline.get("roc_auc") is not None:
            table.add_row(
                f"scorer {name}",
                f"ROC AUC {baseline['roc_auc']:.4f}, log loss {baseline['log_loss']:.4f}",
            )
    for name, model in (summary.get("models") or {}).items():
        table.add_row(f"model {name}", _standing(model))
    for drift in summary.get("drifts") or []:
        when = as_utc(periods.start(drift["period"] + 1)).date().isoformat()
        table.add_row(
            f"drift, period {drift['period']} ({when})",
            f"{drift['detector']} on {drift['signal']}: {drift['before']:.4f} -> "
            f"{drift['after']:.4f} over {drift['labels']} labels",
        )
    if summary.get("relearn_from") is not None:
        table.add_row("relearning from", f"period {summary['relearn_from']} (after a drift)")
    if summary.get("changed_at") is not None:
        table.add_row("shop changed", f"period {summary['changed_at']} (the latest drift acted on)")
    validation = summary.get("validation") or {}
    if validation:
        table.add_row(
            "last period's calibration",
            f"ECE {validation['ece']:.4f} on {validation['labels']} labels "
            f"({validation['scorer']})",
        )
    for row in value_rows(summary):
        table.add_row(*row)
    return table


def value_rows(summary: dict[str, Any]) -> list[tuple[str, str]]:
    """What the value model is, and how it foresaw the last period's buyers.

    >>> value_rows({"value": {"fitted": False, "rows": 0}})
    [('value model', 'not fitted yet: value counts one more order at the average')]
    >>> young = {"fitted": True, "rows": 80, "dropout_error": None}
    >>> young |= {"purchases": dict(r=1, alpha=9, a=1, b=2), "order_value": dict(p=1, q=2, gamma=3)}
    >>> value_rows({"value": young})[1][1]
    'not pinned down by the census yet: BG/NBD does not serve as the prior'
    """
    value = summary.get("value") or {}
    if not value.get("fitted"):
        return [("value model", "not fitted yet: value counts one more order at the average")]
    buy, order = value["purchases"], value["order_value"]
    rows = [
        (
            "value model",
            f"BG/NBD r {buy['r']:.3f}, alpha {buy['alpha']:.1f} days, a {buy['a']:.3f}, "
            f"b {buy['b']:.3f}; Gamma-Gamma p {order['p']:.2f}, q {order['q']:.2f}, "
            f"gamma {order['gamma']:.2f}; fitted on {value['rows']:,} snapshots",
        )
    ]
    error = value.get("dropout_error")
    rows.append(
        (
            "how often customers leave",
            "not pinned down by the census yet: BG/NBD does not serve as the prior"
            if error is None
            else f"pinned down by the census (standard error of its log {error:.2f})",
        )
    )
    judged = (summary.get("validation") or {}).get("value") or {}
    if judged.get("expected") is not None:
        rows.append(
            (
                "last period's buyers",
                f"{judged['buyers']:,} of {judged['labels']:,} labelled customers bought within "
                f"the horizon; the purchase model expected {judged['expected']:,.1f}",
            )
        )
    return rows


def _standing(model: dict[str, Any]) -> str:
    """A learned model's progressive ROC AUC and log loss, and against the heuristic's."""
    auc, loss = model["roc_auc_gain"], model["log_loss_gain"]
    if auc is None or loss is None:
        return "not compared yet"
    absolute = ""
    if model.get("roc_auc") is not None and model.get("log_loss") is not None:
        absolute = f"ROC AUC {model['roc_auc']:.4f}, log loss {model['log_loss']:.4f}; "
    return (
        f"{absolute}{auc:+.4f} ROC AUC and {-loss:+.4f} log loss against the heuristic on the "
        "same recent labels (+ AUC and - loss are better)"
    )


def report_table(kpis: dict[str, Any]) -> Table:
    table = Table(title="retention report", show_header=False)
    for key, value in kpis.items():
        if isinstance(value, dict):
            for inner, inner_value in value.items():
                table.add_row(f"{key}: {inner}", _cell(inner_value))
        else:
            table.add_row(key, _cell(value))
    return table


def _cell(value: Any) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k} {v}" for k, v in value.items())
    return "-" if value is None else str(value)
