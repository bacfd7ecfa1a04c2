"""Does the engine learn churn from its own stream? AUC at a cut on a planted population.

    python -m benchmarks.learning [--customers N] [--days D] [--seed S] [--json]

Generates a population whose churners are planted (complaints and a slowing rhythm raise the
chance of leaving), replays everything before the cut through the real engine, and judges the
scores at the cut against who actually bought nothing in the next H days.
"""

from __future__ import annotations

import sys
from typing import Any

import orjson
from rich.console import Console
from rich.table import Table
from sklearn.metrics import average_precision_score, roc_auc_score

from benchmarks.cli import parser_of
from benchmarks.replay import CutResult, churned_after, event_seconds, replay_until
from models.features import DAY
from streams.dev.synthetic import generate_events
from streams.settings import Settings


def judge(result: CutResult, truth: dict[str, bool]) -> dict[str, Any]:
    rows: dict[str, Any] = {
        "cut": result.cut,
        "customers": len(truth),
        "churn_rate": round(sum(truth.values()) / len(truth), 4),
    }
    for name, scores in (("engine", result.engine), ("heuristic", result.heuristic)):
        judged = [(truth[s.customer_id], s.risk) for s in scores if s.customer_id in truth]
        y, risk = [y for y, _ in judged], [r for _, r in judged]
        rows[name] = {
            "roc_auc": round(roc_auc_score(y, risk), 4),
            "average_precision": round(average_precision_score(y, risk), 4),
            "model_version": scores[0].model_version if scores else None,
        }
    rows["model"] = result.model
    rows["elapsed_s"] = result.elapsed_s
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = parser_of(__doc__)
    parser.add_argument("--customers", type=int, default=2000, help="generated customers")
    parser.add_argument("--days", type=int, default=540, help="generated days")
    parser.add_argument("--seed", type=int, default=7, help="generator seed")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)

    settings = Settings()
    events = list(generate_events(args.customers, args.days, args.seed))
    last = max(event_seconds(e) for e in events)
    cut = float(int(last - settings.horizon_days * DAY))
    truth = churned_after(events, cut, settings.horizon_days)
    report = {
        "events": len(events),
        "horizon_days": settings.horizon_days,
        **judge(replay_until(settings, events, cut), truth),
    }

    if args.json:
        print(orjson.dumps(report, option=orjson.OPT_INDENT_2).decode())
        return 0
    table = Table(title=f"churn at a cut, horizon {settings.horizon_days} days")
    for column in ("scorer", "version", "ROC AUC", "avg precision"):
        table.add_column(column)
    for name in ("engine", "heuristic"):
        row = report[name]
        table.add_row(
            name,
            str(row["model_version"]),
            f"{row['roc_auc']:.3f}",
            f"{row['average_precision']:.3f}",
        )
    console = Console()
    console.print(table)
    model = report["model"] or {}
    console.print(
        f"customers {report['customers']}, churn rate {report['churn_rate']:.1%}, "
        f"labels seen {model.get('labels_seen')}, online since period "
        f"{model.get('online_since_period')}, replay {report['elapsed_s']} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
