"""Does the engine notice when the shop changes, and does reacting to it help?

    python -m benchmarks.drift [--customers N] [--days D] [--change-day C] [--gap-factor G]
                               [--hazard-factor F] [--json]

A generated population whose customers keep arriving (so that, past its start-up, nothing
about it changes) is replayed through the real engine twice: unchanged, and with the shop
changed from a known day on (gaps between purchases and the chance of leaving multiplied). It
reports the drift events of each (the delay from the change to the first one, and any on the
unchanged population: false alarms), and ROC AUC at 30, 60 and 90 days after the change with
the drift response (the refit relearns from the change) and without it.
"""

from __future__ import annotations

import sys
import time
from typing import Any

import orjson
from rich.console import Console
from rich.table import Table
from sklearn.metrics import roc_auc_score

from alerts.assessment import CustomerScore
from benchmarks.cli import parser_of
from benchmarks.replay import churned_after, replay_until
from models.features import DAY
from streams.dev.synthetic import EPOCH, Change, generate_events
from streams.pipeline.periods import ModelPeriods
from streams.settings import Settings

AFTER_DAYS = (30, 60, 90)


def auc_at(settings: Settings, events: list[dict[str, object]], cut: float) -> dict[str, Any]:
    result = replay_until(settings, events, cut)
    truth = churned_after(events, cut, settings.horizon_days)

    def auc(scores: list[CustomerScore]) -> float:
        judged = [(truth[s.customer_id], s.risk) for s in scores if s.customer_id in truth]
        return round(roc_auc_score([y for y, _ in judged], [r for _, r in judged]), 4)

    return {
        "roc_auc": auc(result.engine),
        "learned_models": {name: auc(scores) for name, scores in result.learned.items()},
        "model_version": result.engine[0].model_version,
        "drifts": (result.model or {}).get("drifts", []),
        "replay_s": result.elapsed_s,
    }


def drift_days(drifts: list[dict[str, Any]], settings: Settings, origin: float) -> list[float]:
    """Each drift event's time (the end of the period that showed it) in days after ``origin``."""
    periods = ModelPeriods(settings.model_update_days)
    return [round((periods.start(d["period"] + 1) - origin) / DAY, 1) for d in drifts]


def main(argv: list[str] | None = None) -> int:
    parser = parser_of(__doc__)
    parser.add_argument("--customers", type=int, default=3000, help="generated customers")
    parser.add_argument("--days", type=int, default=680, help="generated days")
    parser.add_argument("--change-day", type=int, default=400, help="day the shop changes")
    parser.add_argument("--gap-factor", type=float, default=2.0, help="gaps after the change")
    parser.add_argument("--hazard-factor", type=float, default=2.0, help="leaving, after it")
    parser.add_argument("--seed", type=int, default=7, help="generator seed")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    if not 0 < args.change_day < args.days - max(AFTER_DAYS) - 90:
        parser.error("--change-day must leave 90 days after the last cut plus the horizon")
    if EPOCH.timestamp() + args.days * DAY > time.time():
        # the engine dead-letters events stamped in the future: keep the population in the past
        parser.error(f"--days reaches past today from {EPOCH.date()}: choose fewer")

    change = Change(args.change_day, args.gap_factor, args.hazard_factor)
    steady = list(generate_events(args.customers, args.days, args.seed, arrivals=1.0))
    changed = list(
        generate_events(args.customers, args.days, args.seed, arrivals=1.0, change=change)
    )
    origin = EPOCH.timestamp() + args.change_day * DAY
    respond, ignore = Settings(), Settings(model_drift_relearn=False)
    last = origin + max(AFTER_DAYS) * DAY
    unchanged = auc_at(respond, steady, last)
    rows: list[dict[str, Any]] = []
    for after in AFTER_DAYS:
        cut = origin + after * DAY
        rows.append(
            {
                "days_after_change": after,
                "with_response": auc_at(respond, changed, cut),
                "without_response": auc_at(ignore, changed, cut),
            }
        )
    found = drift_days(rows[-1]["with_response"]["drifts"], respond, origin)
    after_change = [d for d in found if d >= 0]
    report = {
        "customers": args.customers,
        "change": {"day": args.change_day, **vars(change)},
        "events": {"unchanged": len(steady), "changed": len(changed)},
        "false_alarms": drift_days(unchanged["drifts"], respond, origin),
        "drifts_before_change": [d for d in found if d < 0],
        "detection_delay_days": after_change[0] if after_change else None,
        "drifts_after_change": after_change,
        "unchanged_auc_90d_after": unchanged["roc_auc"],
        "cuts": rows,
    }
    if args.json:
        print(orjson.dumps(report, option=orjson.OPT_INDENT_2).decode())
        return 0
    console = Console(width=160)
    table = Table(title=f"drift: {change} on {args.customers} customers")
    for column in ("days after change", "ROC AUC with response", "without", "served"):
        table.add_column(column)
    for row in rows:
        table.add_row(
            str(row["days_after_change"]),
            f"{row['with_response']['roc_auc']:.4f}",
            f"{row['without_response']['roc_auc']:.4f}",
            row["with_response"]["model_version"],
        )
    console.print(table)
    console.print(
        f"first drift {report['detection_delay_days']} days after the change "
        f"(all after it: {after_change}); before it: {report['drifts_before_change']}; "
        f"on the unchanged population (days relative to the same day): {report['false_alarms']}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
