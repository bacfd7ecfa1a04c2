"""The engine on a three-master Valkey cluster gives exactly what it gives on one Valkey.

The cluster is real: three ``valkey-server`` processes in cluster mode, joined by
``churnwatch``'s own dev code, each with its append-only file. Every test picks a namespace
whose partitions fall on all three masters, so each run writes to every master.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import uuid
from collections.abc import Iterator

import orjson
import pytest
from redis.cluster import RedisCluster
from redis.crc import key_slot

from streams.clients.kafka_io import ensure_topics, produce_lines, read_topic, route_lines
from streams.dev.redis_cluster import EmbeddedRedisCluster
from streams.dev.runner import WorkerProcess, run_pipeline, wait_until_processed
from streams.dev.synthetic import generate_events
from streams.settings import Settings
from streams.storage.connection import connect_sync
from streams.storage.keys import StateKeys
from streams.storage.progress import engine_stats
from streams.topics import TopicNames
from tests.integration.conftest import INVALID_LINES, pipeline_outcome, wait_for_progress
from tests.integration.test_scale_out import _wait_for_split

pytestmark = pytest.mark.integration

GENERATED = [orjson.dumps(e) for e in generate_events(350, 365, seed=13)]
# garbage, and every tenth event sent twice: dead letters and duplicates on the cluster too
EVENTS = [*GENERATED, *INVALID_LINES, *GENERATED[::10]]


@pytest.fixture(scope="module")
def cluster() -> Iterator[EmbeddedRedisCluster]:
    started = EmbeddedRedisCluster.start(3, partitions=4, appendonly=True)
    try:
        yield started
    finally:
        started.stop()


def _masters_of(cluster: EmbeddedRedisCluster, settings: Settings) -> set[int]:
    """Which masters (by port) own the slots of this namespace's partitions."""
    keys = StateKeys(settings.redis_namespace)
    with RedisCluster.from_url(cluster.url) as client:
        return {
            int(client.get_node_from_key(keys.shard(p)).port) for p in range(settings.partitions)
        }


@pytest.fixture
def on_cluster(cluster, settings_factory):
    """``on_cluster(**overrides)``: unique settings on the cluster, spread over every master."""

    def make(**overrides: object) -> Settings:
        rnd = random.Random()
        for _ in range(500):
            settings = settings_factory(
                redis_url=cluster.url,
                redis_cluster=True,
                redis_namespace=f"test:{uuid.UUID(int=rnd.getrandbits(128)).hex[:10]}",
                **overrides,
            )
            if len(_masters_of(cluster, settings)) == len(cluster.nodes):
                return settings
        raise AssertionError("no namespace spread over every master")

    return make


def _single_node(services, **overrides: object) -> dict[str, object]:
    """The same events through one worker on the single Valkey of the test services."""
    run_id = uuid.uuid4().hex[:6]
    settings = Settings(
        kafka_url=services.kafka_url,
        redis_url=services.redis_url,
        topic_prefix=f"single-{run_id}.",
        redis_namespace=f"test:single-{run_id}",
        app_id=f"churnwatch-test-single-{run_id}",
        **overrides,  # type: ignore[arg-type]
    )
    run = run_pipeline(settings, route_lines(EVENTS, TopicNames.from_settings(settings)))
    return {**pipeline_outcome(settings, run.alerts), "stats": run.stats, "alerts": _when(run)}


def _when(run) -> dict[str, str]:
    """Each published alert's and recovery's id and timestamp (a deferred alert is published on
    a later day). A recovery carries the id of the alert it answers too: it is keyed by its own,
    or whichever of the two came last in the topic (an order that timing decides) would win."""
    return {str(a.get("recovery_id") or a["alert_id"]): a["timestamp"] for a in run.alerts}


@pytest.fixture(scope="module")
def single_node(services) -> dict[str, object]:
    return _single_node(services)


def test_a_daily_alert_capacity_on_a_cluster_chooses_what_one_valkey_chooses(services, on_cluster):
    # candidates wait in each partition's slot; the day's choice is saved under its own tag
    capacity = {"alert_daily_capacity": 1}
    alone = _single_node(services, **capacity)
    settings = on_cluster(**capacity)
    run = run_pipeline(settings, route_lines(EVENTS, TopicNames.from_settings(settings)))
    outcome = pipeline_outcome(settings, run.alerts)

    assert _when(run) == alone["alerts"]
    assert outcome["scores"] == alone["scores"]
    assert run.stats == alone["stats"]
    deferred = [at for at in _when(run).values() if at.endswith("T00:00:00Z")]
    assert deferred, "the capacity never deferred an alert to a later day"


def _assert_as_on_one_valkey(outcome: dict[str, object], single: dict[str, object]) -> None:
    assert outcome["states"] == single["states"]
    assert outcome["scores"] == single["scores"]
    assert outcome["alert_ids"] == single["alert_ids"]


def _owner(cluster: EmbeddedRedisCluster, key: str) -> int:
    """The index of the master that owns ``key``'s slot now."""
    with RedisCluster.from_url(cluster.url) as client:
        port = int(client.get_node_from_key(key).port)
    return next(i for i, node in enumerate(cluster.nodes) if node.port == port)


def _alerts(settings: Settings) -> list[dict]:
    topic = TopicNames.from_settings(settings).alerts
    return [orjson.loads(v) for v in read_topic(settings, topic)]


def test_the_pipeline_on_a_cluster_gives_what_one_valkey_gives(cluster, on_cluster, single_node):
    settings = on_cluster()
    run = run_pipeline(settings, route_lines(EVENTS, TopicNames.from_settings(settings)))
    outcome = pipeline_outcome(settings, run.alerts)

    _assert_as_on_one_valkey(outcome, single_node)
    assert run.stats == single_node["stats"]
    assert run.stats["dead_letters"] == len(INVALID_LINES)
    assert run.stats["duplicates"] == len(GENERATED[::10])
    # every master holds some of the customers: the work really was spread
    keys = StateKeys(settings.redis_namespace)
    for node in cluster.nodes:
        with node.client() as client:
            assert any(client.scan_iter(match=keys.customer_pattern(), count=1000))


def test_sigkill_three_times_on_a_cluster_changes_nothing(on_cluster, single_node):
    settings = on_cluster()
    ensure_topics(settings)
    sent = produce_lines(settings, route_lines(EVENTS, TopicNames.from_settings(settings)))
    rnd = random.Random(5)
    kill_points = sorted(int(len(EVENTS) * rnd.uniform(low, low + 0.2)) for low in (0.1, 0.4, 0.7))
    for point in kill_points:
        worker = WorkerProcess(settings).start()
        wait_for_progress(settings, worker, lambda done, point=point: done >= point)
        worker.kill()
    worker = WorkerProcess(settings).start()
    try:
        wait_until_processed(settings, sent, worker)
    finally:
        worker.stop()

    outcome = pipeline_outcome(settings, _alerts(settings))
    _assert_as_on_one_valkey(outcome, single_node)
    # each counter is saved with the offsets it completes: work repeated after a kill, dead
    # letters read behind a held event included, is counted once
    with connect_sync(settings) as client:
        stats = engine_stats(client, settings)
    for counter in ("processed", "duplicates", "dead_letters", "scheduled_checks"):
        assert stats[counter] == single_node["stats"][counter], counter


def test_a_master_restarted_mid_run_loses_nothing(cluster, on_cluster, single_node):
    settings = on_cluster()
    keys = StateKeys(settings.redis_namespace)
    # the master holding partition 0's slot: the worker writes to it in every checkpoint
    restarted = _owner(cluster, keys.shard(0))
    ensure_topics(settings)
    sent = produce_lines(settings, route_lines(EVENTS, TopicNames.from_settings(settings)))
    worker = WorkerProcess(settings).start()
    try:
        wait_for_progress(settings, worker, lambda done: done >= len(EVENTS) // 3)
        cluster.restart(restarted, down_for_s=1.0)
        at_restart = wait_for_progress(settings, worker, lambda done: True)
        assert at_restart < len(EVENTS), "the worker finished before the master came back"
        wait_until_processed(settings, sent, worker)
        assert worker.is_running(), worker.log_tail()
    finally:
        worker.stop()

    outcome = pipeline_outcome(settings, _alerts(settings))
    _assert_as_on_one_valkey(outcome, single_node)


def test_a_reshard_mid_run_loses_nothing(cluster, on_cluster, single_node):
    """Partition 0's slot moves to another master, key by key, while the worker writes to it:
    transactions that meet a moved key abort whole and are retried on the new owner."""
    settings = on_cluster()
    shard = StateKeys(settings.redis_namespace).shard(0)
    ensure_topics(settings)
    sent = produce_lines(settings, route_lines(EVENTS, TopicNames.from_settings(settings)))
    worker = WorkerProcess(settings).start()
    try:
        wait_for_progress(settings, worker, lambda done: done >= len(EVENTS) // 3)
        to = (_owner(cluster, shard) + 1) % len(cluster.nodes)
        # one key every 20 ms: the slot is half moved for seconds, as a big slot would be
        moved = cluster.move_slot(key_slot(shard.encode()), to, keys_at_a_time=1, pause_s=0.02)
        at_move = wait_for_progress(settings, worker, lambda done: True)
        assert moved > 0 and at_move < len(EVENTS), "the reshard came after the work"
        wait_until_processed(settings, sent, worker)
        assert worker.is_running(), worker.log_tail()
        # the worker met the half-moved slot, waited, and carried on
        assert "is moving or down" in worker.log_tail(100_000)
    finally:
        worker.stop()
    assert _owner(cluster, shard) == to

    outcome = pipeline_outcome(settings, _alerts(settings))
    _assert_as_on_one_valkey(outcome, single_node)


def test_two_workers_on_three_masters_equal_one_worker_on_one_valkey(on_cluster, single_node):
    settings = on_cluster()
    ensure_topics(settings)
    sent = produce_lines(settings, route_lines(EVENTS, TopicNames.from_settings(settings)))
    workers = [WorkerProcess(settings).start(), WorkerProcess(settings).start()]
    try:
        _wait_for_split(settings, workers)
        wait_until_processed(settings, sent, workers[0])
        assert all(w.is_running() for w in workers), workers[1].log_tail()
    finally:
        for worker in workers:
            worker.stop()

    outcome = pipeline_outcome(settings, _alerts(settings))
    _assert_as_on_one_valkey(outcome, single_node)


def test_a_worker_refuses_a_namespace_written_with_another_partition_count(on_cluster):
    settings = on_cluster()
    run_pipeline(settings, route_lines(GENERATED[:200], TopicNames.from_settings(settings)))
    client = connect_sync(settings)
    try:
        layout = client.hgetall(StateKeys(settings.redis_namespace).layout)
    finally:
        client.close()
    assert layout == {b"version": b"2", b"partitions": b"4"}

    # the same namespace, new topics of six partitions: the worker must not start
    six = settings.model_copy(update={"partitions": 6, "topic_prefix": f"six-{uuid.uuid4().hex}."})
    refused = subprocess.run(
        [sys.executable, "-m", "streams.cli.main", "worker"],
        env={**os.environ, **six.as_environment()},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert refused.returncode != 0
    assert "written with 4 input partitions, and CHURNWATCH_PARTITIONS is 6" in refused.stderr


def _cli(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    """`churnwatch ARGS` as a user runs it, configured by the environment only."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("CHURNWATCH_")}
    environment.update(settings.as_environment())
    command = [sys.executable, "-m", "streams.cli.main", *args]
    return subprocess.run(command, env=environment, capture_output=True, text=True, timeout=120)


def test_the_cli_and_the_console_read_a_cluster(on_cluster, single_node):
    settings = on_cluster(min_labels=50)
    run_pipeline(settings, route_lines(EVENTS, TopicNames.from_settings(settings)))

    scores = _cli(settings, "scores")
    assert scores.returncode == 0, scores.stderr
    rows = scores.stdout.splitlines()
    assert len(rows) == 1 + len(single_node["states"])  # SCAN found every customer on 3 masters
    customer = rows[1].split(",")[0]
    inspected = _cli(settings, "inspect", customer)
    assert inspected.returncode == 0 and customer in inspected.stdout, inspected.stderr
    assert _cli(settings, "model").returncode == 0
    assert _cli(settings, "report").returncode == 0

    from starlette.testclient import TestClient

    from streams.console.app import create_console

    with TestClient(create_console(settings)) as console:
        page = console.get(f"/customers/{customer}")
        assert page.status_code == 200 and customer in page.text
        assert console.get("/model").status_code == 200

    erased = _cli(settings, "erase", customer)
    assert erased.returncode == 0, erased.stderr
    assert _cli(settings, "inspect", customer).returncode != 0
