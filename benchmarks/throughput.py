"""Throughput, latency and memory of the engine, against Faust alone and a Quix + River peer.

    python -m benchmarks.throughput [--events N] [--customers C] [--rate R]
        [--redis-cluster MASTERS] [--json]

Starts the embedded broker and Valkey (or uses CHURNWATCH_KAFKA_URL / CHURNWATCH_REDIS_URL),
pre-loads N purchase and complaint events, then measures in one run:
raw_consume_eps (aiokafka decoding the same messages, the ceiling), faust_floor_eps (a Faust
agent taking the engine's batches and only counting them: what Faust itself costs, see
benchmarks/floor_agent.py), quix_floor_eps and peer_eps (what a user would build instead: a
Quix Streams app that only counts, and one with River scoring every event, see
benchmarks/peer.py; peer_default_poll_eps with Quix's default poll timeout of 1 s),
naive_eps (a per-event Faust agent, see benchmarks/naive_agent.py), pipeline_eps (the real
engine end to end, worker start-up excluded), p50_ms/p99_ms (live event to risk update at a
fixed offered load, after catching up on a history moved to end now; the live load is sent
with aiokafka),
redis_bytes_per_customer (MEMORY USAGE of the customer values), worker_rss_mb, the same
with two workers sharing the partitions (two_workers_eps), and worker_rss_mb_by_customers:
the worker's RSS after as many events over a tenth and ten times the customers asked (the
generator caps how far apart they can be: 8,000 and 64,089 customers for 100,000 events).
worker_cpu_us_per_event (and faust_floor_cpu_us_per_event, the same for the floor agent) is
CPU time per event, steadier than events/s on a shared machine; pipeline_vs_faust_floor and
worker_cpu_vs_faust_floor compare the engine with Faust alone, in the same run (the share of
the worker's time spent training comes from `python -m benchmarks.profile_worker`);
pipeline_vs_peer and worker_cpu_vs_peer compare it with the peer.
With --redis-cluster N the engine also runs on an embedded Valkey cluster of N masters (one
and two workers over the same backlog, and the latency phase), reported as cluster_*.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import statistics
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from kafka import KafkaConsumer
from rich.console import Console
from rich.table import Table

from alerts.events import as_utc
from benchmarks.agents import (
    Rate,
    cpu_seconds,
    faust_floor,
    naive_eps,
    peer_topics,
    quix_peer,
    rate_while,
    rss_mb,
)
from benchmarks.cli import parser_of
from benchmarks.replay import event_seconds
from streams.clients.kafka_io import Produced, ensure_topics, produce_lines, route_lines, servers
from streams.dev.embedded import embedded_services
from streams.dev.redis_cluster import EmbeddedRedisCluster
from streams.dev.runner import WorkerProcess, wait_until_processed
from streams.dev.synthetic import generate_events
from streams.settings import Settings
from streams.storage.connection import connect_sync
from streams.storage.keys import StateKeys
from streams.storage.progress import engine_stats, events_done
from streams.topics import TopicNames


def fresh(settings: Settings, name: str) -> Settings:
    run = f"{name}-{uuid.uuid4().hex[:6]}"
    return settings.model_copy(
        update={"topic_prefix": f"bench-{run}.", "redis_namespace": f"bench:{run}", "app_id": run}
    )


def population(events: int, customers: int) -> list[bytes]:
    """``events`` generated events of about ``customers`` customers.

    The history grows to at most four years; beyond that, more customers make up the count
    (generated customers churn, so a longer history stops adding events).
    """
    days, generated = 180, list[bytes]()
    while len(generated) < events:
        generated = [orjson.dumps(e) for e in generate_events(customers, days, seed=1)]
        if days < 1440:
            days *= 2
        else:
            customers *= 2
    return generated[:events]


async def raw_consume_eps(settings: Settings, total: int) -> float:
    names = TopicNames.from_settings(settings)
    consumer = AIOKafkaConsumer(
        *names.inputs,
        bootstrap_servers=servers(settings),
        group_id=f"raw-{uuid.uuid4().hex[:6]}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    try:
        seen, started = 0, None
        while seen < total:
            for records in (await consumer.getmany(timeout_ms=500)).values():
                started = started or time.perf_counter()
                for record in records:
                    orjson.loads(record.value)
                seen += len(records)
        return seen / (time.perf_counter() - (started or time.perf_counter()))
    finally:
        await consumer.stop()


@dataclass(frozen=True)
class PipelineFigures:
    rate: Rate
    redis_bytes_per_customer: float
    worker_rss_mb: float


def pipeline_eps(settings: Settings, total: int, workers: int = 1) -> PipelineFigures:
    """Engine throughput with ``workers`` worker processes sharing the input partitions."""
    running = [WorkerProcess(settings).start() for _ in range(workers)]
    pids = [worker.process.pid for worker in running if worker.process]
    client = connect_sync(settings)
    try:
        rate = rate_while(
            lambda: events_done(engine_stats(client, settings)),
            total,
            lambda: all(worker.is_running() for worker in running),
            lambda: sum(cpu_seconds(pid) for pid in pids),
        )
        rss = max(rss_mb(pid) for pid in pids)
        keys = StateKeys(settings.redis_namespace)
        sample = [
            k
            for _, k in zip(
                range(2000),
                client.scan_iter(match=keys.customer_pattern(), count=1000),
                strict=False,
            )
        ]
        per_customer = statistics.mean(int(client.memory_usage(k) or 0) for k in sample)
    finally:
        for worker in running:
            worker.stop()
        client.close()
    return PipelineFigures(rate, per_customer, rss)


def ending_now(lines: list[bytes], before_s: float = 60.0) -> list[bytes]:
    """``lines`` moved in event time so that the last one happened ``before_s`` ago."""
    events = [orjson.loads(line) for line in lines]
    shift = time.time() - before_s - max(event_seconds(e) for e in events)
    return [orjson.dumps({**e, "timestamp": _stamp(event_seconds(e) + shift)}) for e in events]


def live_event(rnd: random.Random, customers: int, index: int) -> bytes:
    """A purchase (or, one time in seven, a complaint) of a known customer, stamped now."""
    common = {
        "event_id": f"live-{index}",
        "customer_id": f"C{rnd.randrange(customers):06d}",
        "timestamp": _stamp(time.time()),
    }
    if rnd.random() < 1 / 7:
        return orjson.dumps(
            {
                "type": "complaint",
                **common,
                "complaint_id": f"live-k{index}",
                "category": rnd.choice(["delivery", "quality", "price", "service"]),
                "severity": rnd.randint(1, 5),
                "status": "opened",
            }
        )
    return orjson.dumps({"type": "purchase", **common, "amount": round(rnd.uniform(5, 200), 2)})


def _stamp(at: float) -> str:
    return as_utc(at).isoformat(timespec="milliseconds")


# The load runs on the worker's 2 cores: sent in bursts every 2 ms with aiokafka, it costs
# about 100 µs of CPU per event, against 250-460 for kafka-python sending each one at once.
BURST_SECONDS = 0.002


async def offer_live(
    settings: Settings, customers: int, rate: float, seconds: float
) -> tuple[dict[str, float], Produced]:
    """Send live events at ``rate`` for ``seconds``; when each was sent, by event id."""
    names = TopicNames.from_settings(settings)
    producer = AIOKafkaProducer(bootstrap_servers=servers(settings), linger_ms=5)
    await producer.start()
    rnd, sent_at, total = random.Random(7), dict[str, float](), int(rate * seconds)
    acks: list[asyncio.Future[Any]] = []
    started = time.perf_counter()
    try:
        while len(sent_at) < total:
            due = min(total, int((time.perf_counter() - started) * rate) + 1)
            for index in range(len(sent_at), due):
                line = route_lines([live_event(rnd, customers, index)], names)[0]
                sent_at[f"live-{index}"] = time.time()  # before the producer's 5 ms linger
                acks.append(await producer.send(line.topic, key=line.key, value=line.value))
            await asyncio.sleep(BURST_SECONDS)
        await producer.flush()
        metadata = await asyncio.gather(*acks)
    finally:
        await producer.stop()
    return sent_at, Produced.of((m.topic, m.partition, m.offset) for m in metadata)


def latency_ms(
    settings: Settings, history: list[bytes], customers: int, rate: float, seconds: float = 20
) -> tuple[float, float]:
    """p50 and p99 from producing a live event to its risk update, at ``rate`` events/s.

    Live means stamped as sent, after the worker has caught up on ``history`` (moved to end
    now). Replaying history at this rate instead would pass weeks of event time per second,
    with a calendar tick, which rescores every customer, every few seconds: that is replay
    speed, measured by pipeline_eps, not the delay a live event sees.
    """
    names = TopicNames.from_settings(settings)
    ensure_topics(settings)
    produced = produce_lines(settings, route_lines(ending_now(history), names))
    worker = WorkerProcess(settings).start()
    try:
        wait_until_processed(settings, produced, worker)
        sent_at, live = asyncio.run(offer_live(settings, customers, rate, seconds))
        wait_until_processed(settings, live, worker)
    finally:
        worker.stop()
    consumer = KafkaConsumer(
        names.risk,
        bootstrap_servers=servers(settings),
        auto_offset_reset="earliest",
        consumer_timeout_ms=3000,
    )
    delays = []
    for record in consumer:
        update = orjson.loads(record.value)
        event_id = update["trigger"]["event_id"]
        if event_id in sent_at:
            delays.append(record.timestamp - sent_at[event_id] * 1000)
    consumer.close()
    delays.sort()
    return delays[len(delays) // 2], delays[int(len(delays) * 0.99)]


# the peer and its floor polling every 0.05 s; the peer also at Quix's default of 1 s
PEER_RUNS = (("quix_floor", 0.05, True), ("peer", 0.05, False), ("peer_default_poll", 1.0, False))


def run(
    settings: Settings, total: int, customers: int, rate: float, masters: int | None = None
) -> dict[str, Any]:
    events = population(total, customers)
    loaded = fresh(settings, "load")
    peer_output = peer_topics(loaded)
    ensure_topics(loaded)
    produce_lines(loaded, route_lines(events, TopicNames.from_settings(loaded)))
    raw = asyncio.run(raw_consume_eps(loaded, len(events)))
    floor = faust_floor(_same_topics(loaded, "floor"), len(events))
    quix = {
        name: quix_peer(_same_topics(loaded, name), len(events), peer_output, poll, count_only)
        for name, poll, count_only in PEER_RUNS
    }
    naive = naive_eps(_same_topics(loaded, "naive"), len(events))
    one = pipeline_eps(loaded, len(events))
    two = pipeline_eps(_same_topics(loaded, "two-workers"), len(events), workers=2)
    memory = [_rss_for(settings, population(total, c)) for c in (customers // 10, customers * 10)]
    history = population(int(rate * 20), customers)
    p50, p99 = latency_ms(fresh(settings, "latency"), history, customers, rate)
    cluster = (
        {}
        if masters is None
        else on_cluster(loaded, len(events), masters, history, customers, rate)
    )
    return {
        "events": len(events),
        "customers": _distinct_customers(events),
        "raw_consume_eps": round(raw),
        "faust_floor_eps": round(floor.eps),
        "faust_floor_cpu_us_per_event": _rounded(floor.cpu_us_per_event),
        "quix_floor_eps": round(quix["quix_floor"].eps),
        "quix_floor_cpu_us_per_event": _rounded(quix["quix_floor"].cpu_us_per_event),
        "peer_eps": round(quix["peer"].eps),
        "peer_cpu_us_per_event": _rounded(quix["peer"].cpu_us_per_event),
        "peer_default_poll_eps": round(quix["peer_default_poll"].eps),
        "naive_eps": round(naive),
        "pipeline_eps": round(one.rate.eps),
        "pipeline_vs_naive": round(one.rate.eps / naive, 2),
        # the ratios that matter (issue 25): the engine against what Faust alone costs
        "pipeline_vs_faust_floor": round(one.rate.eps / floor.eps, 2),
        "worker_cpu_vs_faust_floor": _ratio(one.rate.cpu_us_per_event, floor.cpu_us_per_event),
        "worker_cpu_us_per_event": _rounded(one.rate.cpu_us_per_event),
        # what a user would build instead (issue 39): the Quix Streams + River peer
        "pipeline_vs_peer": round(one.rate.eps / quix["peer"].eps, 2),
        "worker_cpu_vs_peer": _ratio(one.rate.cpu_us_per_event, quix["peer"].cpu_us_per_event),
        "faust_floor_vs_quix_floor": round(floor.eps / quix["quix_floor"].eps, 2),
        "two_workers_eps": round(two.rate.eps),
        "two_workers_cpu_us_per_event": _rounded(two.rate.cpu_us_per_event),
        "offered_load_eps": rate,
        "p50_ms": round(p50, 1),
        "p99_ms": round(p99, 1),
        "redis_bytes_per_customer": round(one.redis_bytes_per_customer),
        "worker_rss_mb": round(one.worker_rss_mb, 1),
        "worker_rss_mb_by_customers": dict(memory),
        **cluster,
    }


def on_cluster(
    loaded: Settings, total: int, masters: int, history: list[bytes], customers: int, rate: float
) -> dict[str, Any]:
    """The engine on a Valkey cluster of ``masters``: the same backlog with one and two
    workers, and the same live load; each phase on a cluster cut for its namespace."""
    figures: dict[str, Any] = {"redis_cluster_masters": masters}
    for workers in (1, 2):
        settings = _same_topics(loaded, f"cluster-{workers}")
        with _cluster_for(settings, masters) as clustered:
            done = pipeline_eps(clustered, total, workers)
        key = "cluster_pipeline" if workers == 1 else "cluster_two_workers"
        figures[f"{key}_eps"] = round(done.rate.eps)
        figures[f"{key}_cpu_us_per_event"] = _rounded(done.rate.cpu_us_per_event)
        if workers == 1:
            figures["cluster_redis_bytes_per_customer"] = round(done.redis_bytes_per_customer)
    with _cluster_for(fresh(loaded, "cluster-latency"), masters) as clustered:
        p50, p99 = latency_ms(clustered, history, customers, rate)
    figures["cluster_p50_ms"], figures["cluster_p99_ms"] = round(p50, 1), round(p99, 1)
    return figures


@contextlib.contextmanager
def _cluster_for(settings: Settings, masters: int) -> Iterator[Settings]:
    cluster = EmbeddedRedisCluster.start(masters, settings.redis_namespace, settings.partitions)
    try:
        yield settings.model_copy(update={"redis_url": cluster.url, "redis_cluster": True})
    finally:
        cluster.stop()


def _ratio(part: float | None, whole: float | None) -> float | None:
    return round(part / whole, 2) if part is not None and whole else None


def _rss_for(settings: Settings, lines: list[bytes]) -> tuple[str, float]:
    """How many customers ``lines`` has, and the worker's RSS after processing them."""
    loaded = fresh(settings, "memory")
    ensure_topics(loaded)
    produce_lines(loaded, route_lines(lines, TopicNames.from_settings(loaded)))
    return str(_distinct_customers(lines)), round(pipeline_eps(loaded, len(lines)).worker_rss_mb, 1)


def _distinct_customers(lines: list[bytes]) -> int:
    return len({orjson.loads(line)["customer_id"] for line in lines})


def _same_topics(settings: Settings, name: str) -> Settings:
    """A fresh consumer group and Redis namespace reading the topics ``settings`` loaded."""
    return fresh(settings, name).model_copy(update={"topic_prefix": settings.topic_prefix})


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value)


def main(argv: list[str] | None = None) -> int:
    parser = parser_of(__doc__)
    parser.add_argument("--events", type=int, default=100_000, help="events pre-loaded")
    parser.add_argument("--customers", type=int, default=20_000, help="customers in them")
    parser.add_argument(
        "--rate",
        type=float,
        default=2000.0,
        help="offered live load for the latency phase, events/s",
    )
    parser.add_argument(
        "--redis-cluster",
        type=int,
        metavar="MASTERS",
        help="also run the engine on an embedded Valkey cluster of this many masters",
    )
    parser.add_argument("--json", action="store_true", help="one JSON object instead of a table")
    args = parser.parse_args(argv)
    settings = Settings()
    with embedded_services(not settings.kafka_url, not settings.redis_url) as (kafka, redis):
        if kafka or redis:
            settings = settings.with_services(
                kafka.url if kafka else str(settings.kafka_url),
                redis.url if redis else str(settings.redis_url),
            )
        report = run(settings, args.events, args.customers, args.rate, args.redis_cluster)
    print_report(report, "churnwatch throughput", args.json)
    return 0


def print_report(report: dict[str, Any], title: str, as_json: bool) -> None:
    """One JSON object, or a readable two-column table."""
    if as_json:
        print(orjson.dumps(report).decode())
        return
    table = Table(title=title, show_header=False)
    for key, value in report.items():
        table.add_row(key, str(value))
    Console().print(table)


if __name__ == "__main__":
    sys.exit(main())
