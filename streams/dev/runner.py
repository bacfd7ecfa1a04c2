"""Running the whole pipeline to a stopping point: the machinery of `demo` and of the tests.

A real worker process consumes from a real broker and writes to a real Redis; this module
starts it, replays input into the topics, waits until every message has been processed or
dead-lettered, and collects what came out.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Self

import orjson

from streams.clients.kafka_io import InputLine, Produced, ensure_topics, produce_lines, read_topic
from streams.dev.sockets import free_port
from streams.errors import PipelineIncomplete
from streams.pipeline.partitions import Partition
from streams.settings import Settings
from streams.storage.connection import connect
from streams.storage.customers import RedisCustomerStore
from streams.topics import TopicNames


class CommandProcess:
    """A `churnwatch` command as a child process on ``settings``, its output in a log file."""

    def __init__(self, settings: Settings, command: str) -> None:
        self.settings = settings
        self.command = command
        self.log_path = Path(tempfile.mkdtemp(prefix=f"churnwatch-{command}-")) / f"{command}.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> Self:
        environment = {**os.environ, **self.settings.as_environment()}
        with self.log_path.open("ab") as log_file:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "streams.cli.main", self.command],
                env=environment,
                stdout=log_file,
                stderr=subprocess.STDOUT,
            )
        return self

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


class WorkerProcess(CommandProcess):
    """`churnwatch worker` as a child process."""

    def __init__(self, settings: Settings) -> None:
        # each worker its own metrics port, so several can run side by side on one machine
        super().__init__(settings.model_copy(update={"metrics_port": free_port()}), "worker")

    @property
    def metrics_url(self) -> str:
        return f"http://{self.settings.metrics_host}:{self.settings.metrics_port}"


async def checks_behind_watermark(store: RedisCustomerStore, partitions: int) -> int:
    """Inactivity checks due by the latest event applied that have not run yet.

    Checks due in the second of the latest event wait until nothing more can arrive in it
    (the engine then saves its watermark through that second); until then they count here.
    """
    applied = await store.applied()
    if applied is None:
        return 0
    checked = await store.watermark()
    due = await store.checks_due(range(partitions), applied)
    return max(due, 1 if checked is None or checked < applied else 0)


@dataclass(frozen=True)
class Completion:
    """How far the worker has got through what was sent: by saved input offsets, exactly."""

    sent: Produced
    saved: dict[Partition, int]

    @property
    def accounted(self) -> int:
        """Messages sent that are at or below their partition's saved offset."""
        first = self.sent.first_offsets
        return sum(
            max(0, min(self.saved.get(partition, -1), last) - first[partition] + 1)
            for partition, last in self.sent.last_offsets.items()
        )

    @property
    def missing(self) -> dict[Partition, int]:
        """Per partition still short of its end, how many messages are unaccounted for."""
        return {
            partition: last - self.saved.get(partition, -1)
            for partition, last in sorted(self.sent.last_offsets.items())
            if self.saved.get(partition, -1) < last
        }


async def completion(store: RedisCustomerStore, sent: Produced) -> Completion:
    return Completion(sent, await store.completed_offsets(sent.last_offsets))


# How long the worker may go without saving anything before a run is declared stuck. Long:
# training a model period on many labels saves nothing for a while.
STALL_SECONDS = 120.0


def wait_until_processed(
    settings: Settings,
    sent: Produced,
    worker: WorkerProcess,
    stall_s: float = STALL_SECONDS,
    on_progress: Callable[[int], None] | None = None,
) -> dict[str, int]:
    """Block until every message sent is applied or dead-lettered and every due check has run.

    Done is decided by the input offsets the worker saved, not by counting: duplicates,
    redeliveries and dead letters cannot make it miss the end or reach it early. Fails with
    :class:`PipelineIncomplete` when the worker dies, or saves nothing for ``stall_s``.
    """
    return asyncio.run(_wait(settings, sent, worker, stall_s, on_progress))


async def _wait(
    settings: Settings,
    sent: Produced,
    worker: WorkerProcess,
    stall_s: float,
    on_progress: Callable[[int], None] | None,
) -> dict[str, int]:
    client = connect(settings)
    store = RedisCustomerStore(client, settings)
    last_seen: tuple[object, ...] = ()
    last_change = time.monotonic()
    try:
        while True:
            stats = await store.stats()
            done = await completion(store, sent)
            if on_progress:
                on_progress(done.accounted)
            behind = await checks_behind_watermark(store, settings.partitions)
            if not done.missing and behind == 0:
                return stats
            seen = (done.accounted, behind, tuple(sorted(stats.items())))
            if seen != last_seen:
                last_seen, last_change = seen, time.monotonic()
            if not worker.is_running():
                raise PipelineIncomplete(_incomplete("the worker stopped", done, behind, worker))
            if time.monotonic() - last_change > stall_s:
                raise PipelineIncomplete(
                    _incomplete(f"no progress for {stall_s:g} s", done, behind, worker)
                )
            await asyncio.sleep(0.2)
    finally:
        await client.aclose()


def _incomplete(why: str, done: Completion, behind: int, worker: WorkerProcess) -> str:
    missing = ", ".join(f"{n} in {p}" for p, n in done.missing.items()) or "none"
    return (
        f"{why}: {done.accounted} of {done.sent.count} messages processed; "
        f"missing {missing}; {behind} inactivity checks due; worker log: {worker.log_path}"
    )


@dataclass
class PipelineRun:
    """What one run of the pipeline took in and gave out."""

    events_in: int
    stats: dict[str, int]
    alerts: list[dict[str, object]] = field(default_factory=list)
    elapsed_s: float = 0.0
    read_back_s: float = 0.0  # of elapsed_s, reading the alerts topic back


def run_pipeline(
    settings: Settings,
    lines: Sequence[InputLine],
    on_sent: Callable[[int], None] | None = None,
    on_processed: Callable[[int], None] | None = None,
    stall_s: float = STALL_SECONDS,
) -> PipelineRun:
    """Start a worker, replay ``lines``, wait for all of them, stop, and read the alerts topic."""
    started = time.monotonic()
    ensure_topics(settings)
    # Everything is in the topics before the worker starts: a recorded backlog. A worker
    # racing the producer could find one partition read to its end while the producer's
    # next batch for it is still in flight, pass it, and apply that batch late.
    sent = produce_lines(settings, lines, on_progress=on_sent)
    worker = WorkerProcess(settings).start()
    try:
        stats = wait_until_processed(settings, sent, worker, stall_s, on_processed)
    finally:
        worker.stop()
    reading = time.monotonic()
    alerts = [
        orjson.loads(v) for v in read_topic(settings, TopicNames.from_settings(settings).alerts)
    ]
    done = time.monotonic()
    return PipelineRun(
        len(lines), stats, alerts, round(done - started, 2), round(done - reading, 2)
    )
