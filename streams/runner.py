"""Running the whole pipeline to a stopping point: the machinery of `demo` and of the tests.

A real worker process consumes from a real broker and writes to a real Redis; this module
starts it, replays input into the topics, waits until every message has been processed or
dead-lettered, and collects what came out.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import orjson
import redis

from streams.embedded import free_port
from streams.kafka_io import InputLine, ensure_topics, produce_lines, read_topic
from streams.settings import Settings
from streams.store import StateKeys, connect_sync
from streams.topics import TopicNames


class WorkerProcess:
    """`churnwatch worker` as a child process, with its output kept in a log file."""

    def __init__(self, settings: Settings) -> None:
        # each worker its own metrics port, so several can run side by side on one machine
        self.settings = settings.model_copy(update={"metrics_port": free_port()})
        self.log_path = Path(tempfile.mkdtemp(prefix="churnwatch-worker-")) / "worker.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> WorkerProcess:
        environment = {**os.environ, **self.settings.as_environment()}
        with self.log_path.open("ab") as log_file:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "streams.cli", "worker"],
                env=environment,
                stdout=log_file,
                stderr=subprocess.STDOUT,
            )
        return self

    @property
    def metrics_url(self) -> str:
        return f"http://{self.settings.metrics_host}:{self.settings.metrics_port}"

    def is_running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def log_tail(self, lines: int = 30) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self, timeout_s: float = 15.0) -> None:
        if not self.is_running() or self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def kill(self) -> None:
        if self.process is not None and self.is_running():
            self.process.kill()
            self.process.wait()


def engine_stats(client: redis.Redis, settings: Settings) -> dict[str, int]:
    raw = client.hgetall(StateKeys(settings.redis_namespace).stats)
    return {k.decode(): int(v) for k, v in raw.items()}  # type: ignore[union-attr]


def events_done(stats: dict[str, int]) -> int:
    """Input messages finished for good: applied once, or dead-lettered.

    A worker killed after applying but before committing re-reads some messages; those are
    counted as redelivered or duplicates, never twice here.
    """
    return stats.get("processed", 0) - stats.get("duplicates", 0) + stats.get("dead_letters", 0)


def checks_behind_watermark(client: redis.Redis, settings: Settings) -> int:
    """Inactivity checks already due at the watermark but not yet run."""
    keys = StateKeys(settings.redis_namespace)
    watermark = client.zscore(keys.watermark, "event_time")
    if watermark is None:
        return 0
    return sum(
        int(client.zcount(keys.due(p), "-inf", watermark)) for p in range(settings.partitions)
    )


def wait_until_processed(
    settings: Settings,
    expected: int,
    worker: WorkerProcess,
    timeout_s: float,
    on_progress: Callable[[int], None] | None = None,
) -> dict[str, int]:
    """Block until the worker has processed or dead-lettered ``expected`` messages."""
    client = connect_sync(settings)
    deadline = time.monotonic() + timeout_s
    try:
        while True:
            stats = engine_stats(client, settings)
            done = events_done(stats)
            if on_progress:
                on_progress(done)
            if done >= expected and checks_behind_watermark(client, settings) == 0:
                return stats
            if not worker.is_running():
                raise RuntimeError(f"the worker stopped early:\n{worker.log_tail()}")
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"{done} of {expected} messages processed after {timeout_s:.0f} s; "
                    f"worker log:\n{worker.log_tail()}"
                )
            time.sleep(0.2)
    finally:
        client.close()


@dataclass
class PipelineRun:
    """What one run of the pipeline took in and gave out."""

    events_in: int
    stats: dict[str, int]
    alerts: list[dict[str, object]] = field(default_factory=list)
    elapsed_s: float = 0.0


def run_pipeline(
    settings: Settings,
    lines: Sequence[InputLine],
    on_sent: Callable[[int], None] | None = None,
    on_processed: Callable[[int], None] | None = None,
    timeout_s: float | None = None,
    expected_total: int | None = None,
) -> PipelineRun:
    """Start a worker, replay ``lines``, wait for all of them, stop, and read the alerts topic.

    ``expected_total`` is for a store that already holds earlier runs: the count to wait for.
    """
    started = time.monotonic()
    ensure_topics(settings)
    worker = WorkerProcess(settings).start()
    try:
        produce_lines(settings, lines, on_progress=on_sent)
        stats = wait_until_processed(
            settings,
            expected_total or len(lines),
            worker,
            timeout_s or 120 + len(lines) / 200,
            on_processed,
        )
    finally:
        worker.stop()
    alerts = [
        orjson.loads(v) for v in read_topic(settings, TopicNames.from_settings(settings).alerts)
    ]
    return PipelineRun(len(lines), stats, alerts, round(time.monotonic() - started, 2))
