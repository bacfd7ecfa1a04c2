"""What learning costs: CPU per label of every learned model, on the engine's own labels.

    python -m benchmarks.learning_cost [--customers N] [--days D] [--json]

The labels come from a generated population replayed in process (the engine's own buckets,
as the trainer reads them). Each period's bucket is scored and learned by each model as a
snapshot would; the CPU time of each is summed over all periods and divided by the labels.
"""

from __future__ import annotations

import sys
import time
from typing import Any

import orjson
from rich.console import Console
from rich.table import Table

from benchmarks.cli import parser_of
from models.challengers import default_challengers
from models.refit import LogisticChurnModel
from models.training import TrainingWindow
from streams.dev.inprocess import replay_events
from streams.dev.synthetic import generate_events
from streams.settings import Settings
from streams.storage.records import decode_label


def main(argv: list[str] | None = None) -> int:
    parser = parser_of(__doc__)
    parser.add_argument("--customers", type=int, default=3000, help="generated customers")
    parser.add_argument("--days", type=int, default=540, help="generated days")
    parser.add_argument("--seed", type=int, default=7, help="generator seed")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)

    settings = Settings()
    replay = replay_events(generate_events(args.customers, args.days, args.seed), settings)
    window = TrainingWindow(26, settings.model_labels_per_period)
    buckets = sorted(replay.store.buckets)
    refit, challengers = LogisticChurnModel(), default_challengers()
    spent = dict.fromkeys(["logreg", *challengers], 0.0)
    labels = 0
    for period in buckets:
        bucket = window.add(period, [decode_label(raw) for raw in replay.store.buckets[period]])
        data = window.data(period)
        labels += len(bucket)
        if len(bucket) == 0:
            continue
        started = time.process_time()
        refit.predict_proba_rows(bucket.rows)
        if data.churned.any() and not data.churned.all():
            refit.fit(data.rows, data.churned)
        spent["logreg"] += time.process_time() - started
        for name, challenger in challengers.items():
            started = time.process_time()
            raw = challenger.raw_risk(bucket.rows)
            challenger.learn(period, bucket, raw, window.periods)
            spent[name] += time.process_time() - started
    report: dict[str, Any] = {
        "customers": args.customers,
        "periods": len(buckets),
        "labels": labels,
        "cpu_us_per_label": {name: round(s / labels * 1e6, 1) for name, s in spent.items()},
        "cpu_s_total": {name: round(s, 2) for name, s in spent.items()},
    }
    if args.json:
        print(orjson.dumps(report, option=orjson.OPT_INDENT_2).decode())
        return 0
    table = Table(title=f"learning cost: {labels} labels over {len(buckets)} periods")
    for column in ("model", "CPU µs per label (score + learn)", "CPU s in all"):
        table.add_column(column)
    for name in spent:
        table.add_row(name, str(report["cpu_us_per_label"][name]), str(report["cpu_s_total"][name]))
    Console().print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
