"""Faust's aiokafka transport with a bounded fetch wait, by subclassing its driver.

faust-streaming builds the worker's consumer with ``fetch_max_wait_ms=1500`` and has no
setting for it. A broker that answers a waiting fetch only when the wait ends (Tansu does)
then adds up to 1.5 s to every event's latency: measured on the embedded Tansu, a plain
consumer's p50 / p99 delivery latency is 383 / 744 ms at 1500 and 27 / 52 ms at 100.

Faust's documented way to change a consumer is its transport driver: ``App.transport`` is
a public, settable property, and the aiokafka driver's classes are meant to be subclassed
(``Transport.Consumer``, ``Consumer._new_consumer_thread``, the thread's
``_create_worker_consumer``). The consumer is built here as Faust builds it for an app
like churnwatch's (no tables, no transactions), with the fetch wait from settings.
"""

from __future__ import annotations

from typing import Any, ClassVar

import aiokafka
from aiokafka.coordinator.assignors.roundrobin import RoundRobinPartitionAssignor
from faust.transport.drivers import aiokafka as driver
from faust.types import AppT

from streams.worker.producer import BatchingProducer

FAUST_FETCH_WAIT_MS = 1500  # what Faust's own driver builds the consumer with


class _ConsumerThread(driver.AIOKafkaConsumerThread):
    def _create_worker_consumer(self, transport: driver.Transport) -> aiokafka.AIOKafkaConsumer:
        conf = self.app.conf
        bounded = transport if isinstance(transport, BoundedWaitTransport) else None
        wait_ms = bounded.fetch_max_wait_ms if bounded else FAUST_FETCH_WAIT_MS
        consumer = aiokafka.AIOKafkaConsumer(
            client_id=conf.broker_client_id,
            group_id=conf.id,
            group_instance_id=conf.consumer_group_instance_id,
            bootstrap_servers=driver.server_list(transport.url, transport.default_port),
            partition_assignment_strategy=[RoundRobinPartitionAssignor],
            enable_auto_commit=False,
            auto_offset_reset=conf.consumer_auto_offset_reset,
            max_poll_records=conf.broker_max_poll_records,
            max_poll_interval_ms=int((conf.broker_max_poll_interval or 0) * 1000.0),
            max_partition_fetch_bytes=conf.consumer_max_fetch_size,
            fetch_max_wait_ms=wait_ms,
            request_timeout_ms=int(conf.broker_request_timeout * 1000.0),
            check_crcs=conf.broker_check_crcs,
            session_timeout_ms=int(conf.broker_session_timeout * 1000.0),
            rebalance_timeout_ms=int(conf.broker_rebalance_timeout * 1000.0),
            heartbeat_interval_ms=int(conf.broker_heartbeat_interval * 1000.0),
            isolation_level="read_uncommitted",
            metadata_max_age_ms=conf.consumer_metadata_max_age_ms,
            connections_max_idle_ms=conf.consumer_connections_max_idle_ms,
            **driver.credentials_to_aiokafka_auth(conf.broker_credentials, conf.ssl_context),
        )
        if bounded:
            bounded.built_with_fetch_wait_ms = wait_ms  # /health shows it is in force
        return consumer


class _Consumer(driver.Consumer):
    def _new_consumer_thread(self) -> driver.AIOKafkaConsumerThread:
        return _ConsumerThread(self, loop=self.loop, beacon=self.beacon)


class BoundedWaitTransport(driver.Transport):
    """The aiokafka transport whose worker consumer waits at most ``fetch_max_wait_ms``, and
    whose producer sends outputs as record batches (:mod:`streams.worker.producer`)."""

    Consumer: ClassVar[Any] = _Consumer
    Producer: ClassVar[Any] = BatchingProducer
    fetch_max_wait_ms: ClassVar[int] = FAUST_FETCH_WAIT_MS
    # set when Faust builds the worker's consumer through this driver: None means it did not
    built_with_fetch_wait_ms: int | None = None


def fetch_wait_in_force(app: AppT) -> int | None:
    """The fetch wait the worker's consumer was built with (None: not through this driver)."""
    transport = app.transport
    return (
        transport.built_with_fetch_wait_ms if isinstance(transport, BoundedWaitTransport) else None
    )


def use_bounded_fetch_wait(app: AppT, wait_ms: int) -> None:
    """Make ``app``'s consumer wait at most ``wait_ms`` for a fetch (before it starts)."""
    transport = type("Transport", (BoundedWaitTransport,), {"fetch_max_wait_ms": wait_ms})
    app.transport = transport(app.conf.broker_consumer, app, loop=app.loop)
