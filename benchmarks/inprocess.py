"""How much faster the in-process driver is than the broker run, on the same file.

    python -m benchmarks.inprocess [--customers N] [--days D] [--repeat K] [--json]

Each repeat runs the same generated file (with garbage and repeated lines) through the
broker run (embedded Tansu and Valkey, started once, a worker process per run; the run is
timed from producing the file to reading the alerts back) and through the in-process driver
(from reading the file to its last output). It checks on every repeat that both gave the
same scores and alert ids, and prints median seconds and their ratio.
"""

from __future__ import annotations

import statistics
import sys
import time
from typing import Any

import orjson

from benchmarks.cli import parser_of
from benchmarks.throughput import print_report
from streams.clients.kafka_io import route_lines
from streams.dev.demo import demo_settings
from streams.dev.inprocess import replay_lines
from streams.dev.runner import run_pipeline
from streams.dev.synthetic import generate_events
from streams.pipeline.scoring import scores_csv
from streams.settings import Settings
from streams.storage.scores import collect_scores
from streams.topics import TopicNames

GARBAGE = [b"not json", b'{"type":"purchase"}', b"[1]"]


def population(customers: int, days: int) -> list[bytes]:
    lines = [orjson.dumps(e) for e in generate_events(customers, days, seed=17)]
    lines += lines[:: max(len(lines) // 50, 1)]  # repeated lines, as a producer's retries
    for index, bad in enumerate(GARBAGE * 5):
        lines.insert((index + 1) * len(lines) // 16, bad)
    return lines


def _ids(alerts: list[dict[str, Any]]) -> list[str]:
    return sorted(str(a.get("alert_id") or a.get("recovery_id")) for a in alerts)


def run(customers: int, days: int, repeat: int) -> dict[str, Any]:
    lines = population(customers, days)
    broker_s, in_process_s = [], []
    with demo_settings(Settings()) as shared:
        for _ in range(repeat):
            with demo_settings(shared) as settings:  # fresh names on the same services
                started = time.monotonic()
                run_ = run_pipeline(
                    settings, route_lines(lines, TopicNames.from_settings(settings))
                )
                _, scores = collect_scores(settings)
                broker_s.append(time.monotonic() - started)
            started = time.monotonic()
            replay = replay_lines(lines, Settings())
            in_process_csv = replay.scores_csv()
            in_process_s.append(time.monotonic() - started)
            if in_process_csv != scores_csv(scores) or _ids(replay.alerts) != _ids(run_.alerts):
                raise SystemExit("the in-process driver and the broker run disagree")
    broker, in_process = statistics.median(broker_s), statistics.median(in_process_s)
    return {
        "lines": len(lines),
        "customers": customers,
        "repeats": repeat,
        "broker_run_median_s": round(broker, 2),
        "in_process_median_s": round(in_process, 2),
        "speedup": round(broker / in_process, 1),
        "identical": True,
    }


def main(argv: list[str] | None = None) -> int:
    parser = parser_of(__doc__)
    parser.add_argument("--customers", type=int, default=3000, help="generated customers")
    parser.add_argument("--days", type=int, default=400, help="generated days")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each; medians printed")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    print_report(run(args.customers, args.days, args.repeat), "in-process vs broker", args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
