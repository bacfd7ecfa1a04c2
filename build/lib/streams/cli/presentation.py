"""Rich tables for people reading the CLI's output."""

from __future__ import annotations

from typing import Any

from rich.table import Table

from alerts.events import as_utc
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
    for name, value in summary["metrics"].items():
        table.add_row(f"progressive {name}", f"{value:.4f}")
    validation = summary.get("validation") or {}
    if validation:
        table.add_row(
            "last period's calibration",
            f"ECE {validation['ece']:.4f} on {validation['labels']} labels "
            f"({validation['scorer']})",
        )
    return table


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
