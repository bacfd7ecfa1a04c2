"""Real services for integration tests, and per-test names so tests never see each other's data.

Where the broker and Redis come from, in order: ``CHURNWATCH_TEST_KAFKA_URL`` and
``CHURNWATCH_TEST_REDIS_URL``; testcontainers (apache/kafka, redis) when a Docker engine
answers; otherwise embedded ones started here: Valkey, and the Tansu broker for every test,
and Apache Kafka (from Maven Central jars) too for the tests marked ``both_brokers``. Without
Java 17 and Maven those are skipped, except under CI, where that is a failure.
"""

from __future__ import annotations

import contextlib
import os
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from operator import attrgetter
from pathlib import Path

import orjson
import pytest

from streams.dev.apache_kafka import VERSION as APACHE_KAFKA
from streams.dev.apache_kafka import MissingTool
from streams.dev.embedded import BROKERS, embedded_services
from streams.dev.runner import WorkerProcess
from streams.dev.synthetic import generate_events
from streams.pipeline.scoring import scores_csv
from streams.settings import Settings
from streams.storage.codec import encode_state
from streams.storage.connection import connect_sync
from streams.storage.customers import read_all_states
from streams.storage.keys import StateKeys
from streams.storage.progress import engine_stats, events_done
from streams.storage.scores import collect_scores


@dataclass(frozen=True)
class Services:
    kafka_url: str
    redis_url: str
    source: str


def _docker_answers() -> bool:
    try:
        import docker

        docker.from_env(timeout=3).ping()
        return True
    except Exception:
        return False


@contextlib.contextmanager
def _containers() -> Iterator[Services]:
    from testcontainers.kafka import KafkaContainer
    from testcontainers.redis import RedisContainer

    with (
        # the one Apache Kafka everywhere: the version the suite proves and compose runs
        KafkaContainer(f"apache/kafka:{APACHE_KAFKA}").with_kraft() as kafka,
        RedisContainer("redis:7-alpine") as redis_container,
    ):
        host = redis_container.get_container_host_ip()
        port = redis_container.get_exposed_port(6379)
        yield Services(
            f"kafka://{kafka.get_bootstrap_server()}", f"redis://{host}:{port}/0", "testcontainers"
        )


def _service_kinds() -> tuple[str, ...]:
    if os.environ.get("CHURNWATCH_TEST_KAFKA_URL") and os.environ.get("CHURNWATCH_TEST_REDIS_URL"):
        return ("configured",)
    if _docker_answers():
        return ("testcontainers",)
    return BROKERS  # embedded: tansu, apache-kafka


SERVICE_KINDS = _service_kinds()


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Every test on the first kind of services; ``both_brokers`` ones on each broker."""
    if "services" in metafunc.fixturenames:
        both = metafunc.definition.get_closest_marker("both_brokers") is not None
        kinds = SERVICE_KINDS if both else SERVICE_KINDS[:1]
        metafunc.parametrize("services", kinds, indirect=True, scope="session")


@pytest.fixture(scope="session")
def services(request: pytest.FixtureRequest) -> Iterator[Services]:
    kind = request.param
    if kind == "configured":
        kafka_url = os.environ["CHURNWATCH_TEST_KAFKA_URL"]
        yield Services(kafka_url, os.environ["CHURNWATCH_TEST_REDIS_URL"], kind)
    elif kind == "testcontainers":
        with _containers() as containers:
            yield containers
    else:
        with contextlib.ExitStack() as stack:
            try:
                kafka, redis_server = stack.enter_context(embedded_services(broker=kind))
            except MissingTool as exc:
                if os.environ.get("CI"):
                    raise
                pytest.skip(f"{kind}: {exc}")
            assert kafka and redis_server
            yield Services(kafka.url, redis_server.url, kind)


def unique_settings(services: Services, **overrides: object) -> Settings:
    """Settings on the real services with topics, keys and consumer group of their own."""
    run = uuid.uuid4().hex[:10]
    fields: dict[str, object] = {
        "kafka_url": services.kafka_url,
        "redis_url": services.redis_url,
        "topic_prefix": f"t{run}.",
        "redis_namespace": f"test:{run}",
        "app_id": f"churnwatch-test-{run}",
    }
    fields.update(overrides)
    return Settings(**fields)  # type: ignore[arg-type]


def pipeline_outcome(settings: Settings, alerts: list[dict]) -> dict[str, object]:
    """What a run left behind: every customer's stored state, the scores CSV, the alert ids."""
    client = connect_sync(settings)
    try:
        stored = sorted(
            read_all_states(client, StateKeys(settings.redis_namespace)),
            key=attrgetter("customer_id"),
        )
    finally:
        client.close()
    # Sorted, so that a failed comparison's diff shows the customers that differ, aligned.
    states = {s.customer_id: encode_state(s) for s in stored}
    return {
        "scores": scores_csv(collect_scores(settings)[1]),
        "alert_ids": {str(a.get("alert_id") or a.get("recovery_id")) for a in alerts},
        "states": states,
    }


def wait_for_progress(
    settings: Settings, worker: WorkerProcess, done: Callable[[int], bool], timeout_s: float = 120
) -> int:
    """Until ``done(events finished so far)``; returns that count. Fails if the worker dies."""
    client = connect_sync(settings)
    deadline = time.monotonic() + timeout_s
    try:
        while not done(finished := events_done(engine_stats(client, settings))):
            assert worker.is_running(), worker.log_tail()
            assert time.monotonic() < deadline, worker.log_tail()
            time.sleep(0.05)
        return finished
    finally:
        client.close()


@pytest.fixture
def settings_factory(services: Services) -> Callable[..., Settings]:
    """``settings_factory(alert_cooldown_days=30)``: settings on the real services, unique names."""
    return lambda **overrides: unique_settings(services, **overrides)


INVALID_LINES = [
    b"{this is not json",
    b'{"type":"purchase","event_id":"bad-1","customer_id":"C1","timestamp":"2025-03-01T00:00:00Z","amount":-5}',
    b'{"type":"purchase","event_id":"bad-2","customer_id":"C1","timestamp":"2025-03-01T00:00:00","amount":5}',
    b'{"type":"refund","event_id":"bad-3","customer_id":"C1","timestamp":"2025-03-01T00:00:00Z"}',
    b'{"type":"complaint","event_id":"bad-4","customer_id":"C2","timestamp":"2025-03-02T00:00:00Z","complaint_id":"k","category":"price","severity":9,"status":"opened"}',
    b'{"event_id":"bad-5","customer_id":"C3","timestamp":"2025-03-03T00:00:00Z","amount":5}',
    b"\xff\xfe not utf-8 \xff",
    b'{"type":"purchase","event_id":"bad-6","customer_id":"C4","timestamp":"2999-01-01T00:00:00Z","amount":5}',
    b"[1, 2, 3]",
]


@pytest.fixture
def input_file(tmp_path: Path) -> Callable[..., tuple[Path, int, int]]:
    """``input_file(customers=100, days=200)``: a generated JSONL with invalid lines mixed in.

    Returns the path, the number of valid events and the number of invalid lines; with
    ``duplicates=K``, K valid lines are each written twice in a row besides.
    """

    def build(
        customers: int = 100,
        days: int = 200,
        seed: int = 11,
        invalid: list[bytes] = INVALID_LINES,
        limit: int | None = None,
        duplicates: int = 0,
    ) -> tuple[Path, int, int]:
        valid = [orjson.dumps(e) for e in generate_events(customers, days, seed)][:limit]
        lines = list(valid)
        every = max(len(lines) // (duplicates + 1), 1)
        for index in range(duplicates, 0, -1):  # a producer's retry: the same line again, next
            lines.insert(index * every + 1, lines[index * every])
        step = max(len(lines) // (len(invalid) + 1), 1)
        for index, bad in enumerate(invalid, start=1):
            lines.insert(index * step, bad)
        path = tmp_path / "events.jsonl"
        path.write_bytes(b"\n".join(lines) + b"\n")
        return path, len(valid), len(invalid)

    return build
