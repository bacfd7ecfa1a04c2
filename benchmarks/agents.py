"""The yardsticks beside the engine, each run as its own process until it has counted the
backlog: a Faust agent that only counts (Faust's floor), a naive per-event Faust agent, and
the Quix Streams + River peer (``benchmarks.peer``) with its count-only floor."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass

from kafka.admin import KafkaAdminClient, NewTopic
from kafka.errors import TopicAlreadyExistsError

from streams.clients.kafka_io import servers
from streams.settings import Settings
from streams.storage.connection import connect_sync
from streams.storage.keys import StateKeys
from streams.storage.progress import engine_stats, events_done
from streams.topics import TopicNames


@dataclass(frozen=True)
class Rate:
    """Events per second from the first processed event to the last, and the CPU they took."""

    eps: float
    cpu_us_per_event: float | None


def rate_while(
    poll: Callable[[], int],
    total: int,
    alive: Callable[[], bool],
    cpu: Callable[[], float] | None = None,
    timeout_s: float = 900,
) -> Rate:
    used = cpu or (lambda: 0.0)
    deadline = time.monotonic() + timeout_s
    while (first := poll()) == 0:
        _check_running(first, total, alive, deadline)
        time.sleep(0.02)
    started, cpu_started = time.perf_counter(), used()
    while (done := poll()) < total:
        _check_running(done, total, alive, deadline)
        time.sleep(0.02)
    elapsed, cpu_used = time.perf_counter() - started, used() - cpu_started
    events = max(total - first, 1)
    return Rate(events / max(elapsed, 1e-9), cpu_used / events * 1e6 if cpu else None)


def _check_running(done: int, total: int, alive: Callable[[], bool], deadline: float) -> None:
    if not alive() or time.monotonic() > deadline:
        raise RuntimeError(f"stopped at {done} of {total}")


def naive_eps(settings: Settings, total: int) -> float:
    names = TopicNames.from_settings(settings)
    environment = {
        "NAIVE_APP_ID": settings.app_id + "-naive",
        "NAIVE_KAFKA_URL": str(settings.kafka_url),
        "NAIVE_REDIS_URL": str(settings.redis_url),
        "NAIVE_TOPICS": ",".join(names.inputs),
        "NAIVE_STATS": StateKeys(settings.redis_namespace).stats(0),
    }
    return _agent_rate("benchmarks.naive_agent", environment, settings, total).eps


def faust_floor(settings: Settings, total: int) -> Rate:
    """A Faust agent taking the engine's batches of the same messages and only counting them."""
    return _agent_rate("benchmarks.floor_agent", settings.as_environment(), settings, total)


def _agent_rate(
    module: str,
    environment: dict[str, str],
    settings: Settings,
    total: int,
    arguments: tuple[str, ...] = ("worker", "-l", "warn"),
) -> Rate:
    """Run ``module`` until it has counted ``total`` events in the stats hash; if it stops
    first, the error says so with the end of what it wrote."""
    with tempfile.TemporaryFile() as errors:
        process = subprocess.Popen(
            [sys.executable, "-m", module, *arguments],
            env={**os.environ, **environment},
            stdout=subprocess.DEVNULL,
            stderr=errors,
        )
        client = connect_sync(settings)
        try:
            return rate_while(
                lambda: events_done(engine_stats(client, settings)),
                total,
                lambda: process.poll() is None,
                lambda: cpu_seconds(process.pid),
            )
        except RuntimeError as stopped:
            errors.seek(0)
            said = errors.read().decode(errors="replace")[-2000:]
            raise RuntimeError(f"{module}: {stopped}; it wrote:\n{said}") from None
        finally:
            process.terminate()
            process.wait()
            client.close()


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process so far (from /proc, in clock ticks)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def quix_peer(
    settings: Settings, total: int, output: str, poll_timeout: float, count_only: bool
) -> Rate:
    """The Quix Streams + River peer (or its count-only floor) over the same input topics."""
    names = TopicNames.from_settings(settings)
    environment = {
        "PEER_MODE": "count" if count_only else "river",
        "PEER_KAFKA": ",".join(servers(settings)),
        "PEER_REDIS_URL": str(settings.redis_url),
        "PEER_GROUP": settings.app_id + "-peer",
        "PEER_TOPICS": ",".join(names.inputs),
        "PEER_OUTPUT": output,
        "PEER_STATS": StateKeys(settings.redis_namespace).stats(0),
        "PEER_TOTAL": str(total),
        "PEER_POLL_TIMEOUT": str(poll_timeout),
    }
    return _agent_rate("benchmarks.peer", environment, settings, total, arguments=())


def peer_topics(settings: Settings) -> str:
    """Create the input topics with their retention stated, and the peer's output topic;
    return the latter's name. Quix reads every input topic's ``retention.ms``, and Tansu
    describes only the configs a topic was created with (call this before ``ensure_topics``)."""
    names = TopicNames.from_settings(settings)
    output = settings.topic("peer-risk")
    stated = {"retention.ms": "-1", "retention.bytes": "-1"}
    admin = KafkaAdminClient(bootstrap_servers=servers(settings))
    try:
        for name in (*names.inputs, output):
            with contextlib.suppress(TopicAlreadyExistsError):
                admin.create_topics([NewTopic(name, settings.partitions, 1, topic_configs=stated)])
    finally:
        admin.close()
    return output
