"""`churnwatch services` stopped as a supervisor stops it leaves no service running."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from redis.cluster import RedisCluster

pytestmark = pytest.mark.integration


def _descendants(pid: int) -> set[int]:
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        children = (task / "children").read_text().split() if (task / "children").exists() else []
        for child in map(int, children):
            found |= {child} | _descendants(child)
    return found


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


@pytest.mark.parametrize(
    ("broker", "cluster"),
    [("tansu", []), ("apache-kafka", []), ("tansu", ["--redis-cluster", "3"])],
)
def test_services_stopped_by_sigterm_stops_every_service_it_started(broker, cluster):
    if broker == "apache-kafka" and not (shutil.which("java") and shutil.which("mvn")):
        if os.environ.get("CI"):
            pytest.fail("Apache Kafka needs Java 17 and Maven")
        pytest.skip("Apache Kafka needs Java 17 and Maven")
    services = subprocess.Popen(
        [sys.executable, "-m", "streams.cli.main", "services", "--broker", broker, *cluster],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        assert services.stdout is not None
        printed = []
        last = "CHURNWATCH_REDIS_CLUSTER" if cluster else "CHURNWATCH_REDIS_URL"
        while not any(last in line for line in printed):
            line = services.stdout.readline().decode()
            assert line, "".join(printed)
            printed.append(line)
        time.sleep(0.5)
        started = _descendants(services.pid)
        assert len(started) >= (4 if cluster else 2), f"a broker and Valkey: {started}"
        if cluster:
            url = next(line for line in printed if "CHURNWATCH_REDIS_URL" in line).split("=")[1]
            with RedisCluster.from_url(url.strip()) as client:  # a real, whole cluster
                assert client.cluster_info()["cluster_state"] == "ok"
                assert len(client.get_primaries()) == 3
        services.send_signal(signal.SIGTERM)  # as a supervisor or `kill` stops it
        assert services.wait(timeout=60) in (0, 1)
        deadline = time.monotonic() + 10
        while any(_running(p) for p in started) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not [p for p in started if _running(p)], "services left running"
    finally:
        if services.poll() is None:
            services.kill()
