"""A thread that reads ``churn-alerts`` and ``customer-risk`` from the beginning into the index,
and then follows them: a restarted console knows everything again, and new alerts reach open
pages as soon as the worker publishes them."""

from __future__ import annotations

import logging
import threading
import time

from kafka import KafkaConsumer, TopicPartition
from kafka.errors import KafkaError

from streams.clients.kafka_io import ensure_topics, read_to_end, servers
from streams.clients.security import kafka_client_options
from streams.console.index import ConsoleIndex
from streams.settings import Settings
from streams.topics import TopicNames

log = logging.getLogger(__name__)
POLL_MS = 100  # how long a poll waits for new messages: well inside the 2 s a page may lag


class TopicFeed(threading.Thread):
    """Feeds ``index`` until :meth:`stop`; ``index.caught_up`` once the first read is done."""

    def __init__(self, settings: Settings, index: ConsoleIndex) -> None:
        super().__init__(name="churnwatch-console-feed", daemon=True)
        self.settings = settings
        self.index = index
        self.names = TopicNames.from_settings(settings)
        self._stopping = threading.Event()
        self._next: dict[TopicPartition, int] = {}  # where a reconnect resumes

    def stop(self) -> None:
        self._stopping.set()

    def run(self) -> None:
        while not self._stopping.is_set():
            try:
                self._follow()
            except KafkaError as exc:
                log.warning("console: reading the topics failed (%s); retrying in 2 s", exc)
                self._stopping.wait(2.0)
            except Exception:
                # the pages keep answering from what was read; the feed must not die silently
                log.exception("console: the topic feed failed; retrying in 2 s")
                self._stopping.wait(2.0)

    def _follow(self) -> None:
        ensure_topics(self.settings)
        consumer = KafkaConsumer(
            bootstrap_servers=servers(self.settings),
            enable_auto_commit=False,
            max_poll_records=5000,
            fetch_max_wait_ms=POLL_MS,
            **kafka_client_options(self.settings),
        )
        try:
            partitions = [
                TopicPartition(topic, p)
                for topic in (self.names.alerts, self.names.risk)
                for p in sorted(consumer.partitions_for_topic(topic) or ())
            ]
            consumer.assign(partitions)
            # a reconnect resumes where this console got to; a first read starts at the beginning
            for tp in partitions:
                if tp in self._next:
                    consumer.seek(tp, self._next[tp])
                else:
                    consumer.seek_to_beginning(tp)
            started = time.monotonic()
            while not self._stopping.is_set():
                for tp, records in consumer.poll(timeout_ms=POLL_MS).items():
                    for record in records:
                        if tp.topic == self.names.alerts:
                            self.index.take_alert_message(record.value)
                        else:
                            self.index.take_risk_message(record.key, record.value)
                        self._next[tp] = record.offset + 1
                if not self.index.caught_up and read_to_end(consumer, partitions):
                    self.index.caught_up = True
                    log.info("console: read the topics in %.1f s", time.monotonic() - started)
        finally:
            consumer.close()
