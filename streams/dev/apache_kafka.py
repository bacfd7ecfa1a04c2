"""Apache Kafka itself, from Maven Central jars: a single-node KRaft broker on loopback.

The jars are resolved once, with Maven, into a cache directory (``$XDG_CACHE_HOME/churnwatch``,
default ``~/.cache/churnwatch``) and reused after that. Each broker formats its storage in a
temporary directory, listens on loopback only, and is ready when it answers a metadata
request. Needs Java 17 and Maven; without them it says which is missing, in one line.
"""

from __future__ import annotations

import base64
import fcntl
import os
import re
import shutil
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from streams.dev.sockets import free_port, wait_until_answering
from streams.errors import MissingTool

# The version the suite runs on; docker-compose.yml runs the same (test_docker_compose.py).
VERSION = "4.1.1"
SLF4J = "2.0.17"
HEAP = "-Xmx512m"

POM = """<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>churnwatch</groupId>
  <artifactId>apache-kafka-runtime</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId>
      <version>{kafka}</version>
    </dependency>
    <dependency>
      <groupId>org.slf4j</groupId><artifactId>slf4j-api</artifactId><version>{slf4j}</version>
    </dependency>
    <dependency>
      <groupId>org.slf4j</groupId><artifactId>slf4j-simple</artifactId><version>{slf4j}</version>
    </dependency>
  </dependencies>
</project>
"""

SERVER_PROPERTIES = """process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:{controller}
listeners=PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller}
advertised.listeners=PLAINTEXT://127.0.0.1:{port}
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs={data}
num.partitions=1
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
group.initial.rebalance.delay.ms=0
"""


def cache_dir() -> Path:
    root = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return root / "churnwatch" / f"apache-kafka-{VERSION}"


def require_java_and_maven() -> None:
    """One clear line when Java 17 or Maven is missing."""
    java = shutil.which("java")
    if java is None:
        raise MissingTool("Apache Kafka needs Java 17 or newer: no `java` on PATH")
    found = subprocess.run([java, "-version"], capture_output=True, text=True).stderr
    major = re.search(r'version "(\d+)', found)
    if major is None or int(major.group(1)) < 17:
        raise MissingTool(f"Apache Kafka {VERSION} needs Java 17 or newer, found: {found[:80]!r}")
    if shutil.which("mvn") is None:
        raise MissingTool("Apache Kafka's jars are resolved with Maven: no `mvn` on PATH")


def runtime_jars() -> Path:
    """The directory of Apache Kafka's runtime jars, resolved from Maven Central once."""
    cache = cache_dir()
    lib, done = cache / "lib", cache / "resolved"
    if done.exists():
        return lib
    require_java_and_maven()
    cache.mkdir(parents=True, exist_ok=True)
    # The suite's test processes may all arrive here on a fresh machine: one resolves, the
    # others wait for it and find it done.
    with (cache / "resolve.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            _resolve(cache, lib)
            done.touch()
    return lib


def _resolve(cache: Path, lib: Path) -> None:
    (cache / "pom.xml").write_text(POM.format(kafka=VERSION, slf4j=SLF4J))
    log = cache / "maven.log"
    with log.open("w") as output:
        resolved = subprocess.run(
            ["mvn", "-q", "-B", "dependency:copy-dependencies", "-DincludeScope=runtime",
             f"-DoutputDirectory={lib}"],
            cwd=cache, stdout=output, stderr=subprocess.STDOUT, check=False,
        )  # fmt: skip
    if resolved.returncode != 0:
        raise RuntimeError(f"Maven could not resolve Apache Kafka {VERSION}; see {log}")


def cluster_id() -> str:
    """A KRaft cluster id: 16 random bytes, URL-safe base64 without padding, as Kafka's own.

    Like Kafka's ``Uuid.randomUuid`` it never starts with ``-``: the storage tool's
    argument parser would read such an id as an option (one id in 64 did).
    """
    while True:
        candidate = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not candidate.startswith("-"):
            return candidate


@dataclass
class ApacheKafka:
    """A running single-node KRaft broker; its log survives :meth:`restart`."""

    port: int
    directory: Path
    process: subprocess.Popen[bytes]

    @property
    def url(self) -> str:
        return f"kafka://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.directory / "broker.log"

    @classmethod
    def start(cls, port: int | None = None, timeout_s: float = 90.0) -> ApacheKafka:
        lib = runtime_jars()
        directory = Path(tempfile.mkdtemp(prefix="churnwatch-apache-kafka-"))
        port = port or free_port()
        config = directory / "server.properties"
        config.write_text(
            SERVER_PROPERTIES.format(port=port, controller=free_port(), data=directory / "data")
        )
        _java(lib, "kafka.tools.StorageTool", "format", "-t", cluster_id(), "-c", str(config))
        broker = cls(port, directory, _spawn(lib, directory))
        broker._wait_ready(timeout_s)
        return broker

    def restart(self, down_for_s: float = 0.0, timeout_s: float = 90.0) -> None:
        """Stop and start again on the same ports and log."""
        self._stop_process()
        time.sleep(down_for_s)
        self.process = _spawn(runtime_jars(), self.directory)
        self._wait_ready(timeout_s)

    def _wait_ready(self, timeout_s: float) -> None:
        try:
            wait_until_answering(self.port, self.process, self.log_path, timeout_s)
        except (RuntimeError, TimeoutError):
            self.stop()
            raise

    def _stop_process(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()  # a controlled shutdown
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def stop(self) -> None:
        self._stop_process()
        shutil.rmtree(self.directory, ignore_errors=True)


def _java(lib: Path, main: str, *args: str) -> None:
    done = subprocess.run(
        ["java", HEAP, "-cp", f"{lib}/*", main, *args], capture_output=True, text=True
    )
    if done.returncode != 0:
        raise RuntimeError(f"{main} failed: {done.stderr.strip()[-500:]}")


def _spawn(lib: Path, directory: Path) -> subprocess.Popen[bytes]:
    with (directory / "broker.log").open("ab") as log:
        return subprocess.Popen(
            ["java", HEAP, "-cp", f"{lib}/*", "kafka.Kafka", str(directory / "server.properties")],
            stdout=log,
            stderr=subprocess.STDOUT,
        )


if __name__ == "__main__":  # `python -m streams.dev.apache_kafka`: resolve the jars now
    try:
        print(runtime_jars())
    except RuntimeError as exc:
        raise SystemExit(f"Error: {exc}") from exc
