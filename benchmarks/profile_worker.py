"""Where a worker's time goes on a backlog, sampled by py-spy: Faust's own cost, decoding,
state, features, scoring, assessment, labels, publishing, Redis, training.

    python -m benchmarks.profile_worker [--events 100000] [--customers 20000] [--rate 100]

Produces the throughput benchmark's population into fresh topics on embedded Tansu and
Valkey, runs `churnwatch worker` under ``py-spy record`` (pip install py-spy; it needs to be
allowed to trace the process, as root is) until every event is processed, and prints the share
of samples by stage. A sample counts for the innermost frame that names a stage, so time in a
library called by the engine's code (numpy in training, the Redis client in a save) counts
where the engine called it from, unless the library is a stage of its own.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from benchmarks.cli import parser_of
from benchmarks.throughput import population, print_report
from streams.clients.kafka_io import ensure_topics, produce_lines, route_lines
from streams.dev.demo import demo_settings
from streams.dev.runner import wait_until_processed
from streams.dev.sockets import free_port
from streams.settings import Settings
from streams.topics import TopicNames

# (stage, substrings of a frame's "function (file:line)"), innermost match wins
STAGES = [
    ("training", ("storage/trainer.py", "models/training.py", "models/logistic.py", "snapshot.py")),
    ("publishing", ("worker/publishing.py", "aiokafka/producer")),
    (
        "redis",
        ("redis/", "storage/customers.py", "storage/model_store.py", "storage/alert_days.py"),
    ),
    ("state codec", ("storage/codec.py", "storage/records.py")),
    ("decoding", ("pipeline/intake.py", "pipeline/events.py", "pipeline/dead_letters.py")),
    ("event-time ordering", ("pipeline/ordering.py",)),
    ("labels", ("models/labels.py",)),
    ("features", ("models/features.py", "models/inactivity.py", "models/lifecycle.py")),
    ("scoring", ("models/scorer.py", "models/heuristic.py", "models/refit.py", "calibration.py")),
    ("assessment and alerts", ("alerts/",)),
    ("state", ("models/state.py", "pipeline/apply.py")),
    ("engine loop", ("pipeline/",)),
    ("worker adapter", ("streams/worker/",)),
    ("Faust, aiokafka, asyncio", ("faust/", "mode/", "aiokafka/", "asyncio/", "uvloop")),
]


def stage_of(stack: str) -> str:
    for frame in reversed(stack.split(";")):
        for stage, marks in STAGES:
            if any(mark in frame for mark in marks):
                return stage
    return "other (start-up, imports, idle)"


def shares(raw: Path) -> dict[str, float]:
    counts: Counter[str] = Counter()
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if stack and count.isdigit():
            counts[stage_of(stack)] += int(count)
    total = sum(counts.values()) or 1
    return {stage: round(100 * n / total, 1) for stage, n in counts.most_common()}


def py_spy() -> str:
    """py-spy beside this interpreter (a virtualenv not on PATH), else on PATH."""
    beside = Path(sys.executable).with_name("py-spy")
    found = str(beside) if beside.exists() else shutil.which("py-spy")
    if found is None:
        sys.exit("py-spy is not installed: pip install py-spy")
    return found


class _Profiled:
    """The worker under py-spy, with what `wait_until_processed` asks of a worker."""

    def __init__(self, settings: Settings, out: Path, rate: int) -> None:
        self.log_path = out.with_suffix(".log")
        environment = {**os.environ, **settings.as_environment()}
        environment["CHURNWATCH_METRICS_PORT"] = str(free_port())
        command = [py_spy(), "record", "--format", "raw", "--rate", str(rate), "-o", str(out)]
        command += ["--", sys.executable, "-m", "streams.cli.main", "worker"]
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(command, env=environment, stdout=log, stderr=log)

    def is_running(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        # py-spy passes SIGINT on to the worker and writes its samples when the worker ends
        self.process.send_signal(2)
        self.process.wait(timeout=60)


def run(events: int, customers: int, rate: int) -> dict[str, object]:
    out = Path(tempfile.mkdtemp(prefix="churnwatch-profile-")) / "worker.raw"
    with demo_settings(Settings()) as settings:
        ensure_topics(settings)
        sent = produce_lines(
            settings, route_lines(population(events, customers), TopicNames.from_settings(settings))
        )
        worker = _Profiled(settings, out, rate)
        started = time.monotonic()
        try:
            wait_until_processed(settings, sent, worker)  # type: ignore[arg-type]
        finally:
            elapsed = time.monotonic() - started
            worker.stop()
    return {"events": events, "wall_s": round(elapsed, 1), "samples": str(out), **shares(out)}


def main() -> None:
    parser = parser_of(__doc__)
    parser.add_argument("--events", type=int, default=100_000, help="events pre-loaded")
    parser.add_argument("--customers", type=int, default=20_000, help="customers in them")
    parser.add_argument("--rate", type=int, default=100, help="py-spy samples per second")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    print_report(run(args.events, args.customers, args.rate), "worker profile (%)", args.json)


if __name__ == "__main__":
    main()
