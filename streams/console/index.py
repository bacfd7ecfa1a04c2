"""What the console knows from the topics: every alert and recovery, every customer's risk.

The feed thread writes; request handlers read. One lock keeps them apart, and every change
is announced to the open pages' event streams (one queue each) from the thread, through the
event loop's thread-safe callback.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from alerts.risk_history import RiskHistory
from alerts.worklist import AlertBook

log = logging.getLogger(__name__)
MAX_WAITING_CHANGES = 1000  # a page that stops reading its stream loses changes, not memory


@dataclass(frozen=True)
class Change:
    """One change to the queue, as the event stream sends it."""

    sequence: int
    kind: str  # opened | closed | marked
    alert_id: str
    customer_id: str

    def data(self) -> str:
        return orjson.dumps(
            {"kind": self.kind, "alert_id": self.alert_id, "customer_id": self.customer_id}
        ).decode()


class ConsoleIndex:
    """The alert book and the risk history, fed from the output topics."""

    def __init__(self) -> None:
        self.book = AlertBook()
        self.history = RiskHistory()
        self.unreadable = 0  # messages on the output topics the console could not read
        self.caught_up = False  # read every topic to the end it had when the console started
        self._lock = threading.RLock()
        self._sequence = itertools.count(1)
        self._listeners: set[tuple[asyncio.AbstractEventLoop, asyncio.Queue[Change]]] = set()

    @contextmanager
    def reading(self) -> Iterator[ConsoleIndex]:
        with self._lock:
            yield self

    def take_alert_message(self, value: bytes | None) -> None:
        """One message of ``churn-alerts``."""
        event = self._parse(value)
        if event is None:
            return
        try:
            at = epoch_of(event["timestamp"])
            with self._lock:
                kind = self.book.add(event, value or b"", at)
        except (KeyError, TypeError, ValueError) as exc:
            self._unreadable(f"alert message without {exc}")
            return
        if kind is not None:
            self._announce(
                Change(next(self._sequence), kind, str(event["alert_id"]), event["customer_id"])
            )

    def take_risk_message(self, key: bytes | None, value: bytes | None) -> None:
        """One message of ``customer-risk``; a tombstone erases the customer's history."""
        if value is None:
            if key is not None:
                with self._lock:
                    self.history.forget(key.decode(errors="replace"))
            return
        update = self._parse(value)
        if update is None:
            return
        try:
            at = epoch_of(update["timestamp"])
            with self._lock:
                self.history.add(update, at)
                lapsed = update["lifecycle_stage"] == "lapsed"
                kind = self.book.lapse(update["customer_id"], at) if lapsed else None
        except (KeyError, TypeError, ValueError) as exc:
            self._unreadable(f"risk update without {exc}")
            return
        if kind is not None:
            alert_id = self.book.latest_of_customer[update["customer_id"]]
            self._announce(Change(next(self._sequence), kind, alert_id, update["customer_id"]))

    def _parse(self, value: bytes | None) -> dict[str, Any] | None:
        try:
            event = orjson.loads(value or b"")
        except orjson.JSONDecodeError:
            event = None
        if not isinstance(event, dict):
            self._unreadable("not a JSON object")
            return None
        return event

    def _unreadable(self, why: str) -> None:
        self.unreadable += 1
        if self.unreadable <= 10:
            log.warning("console: skipped an output message: %s", why)

    def subscribe(self) -> asyncio.Queue[Change]:
        """A queue of the changes from now on, for one open page (call from the event loop)."""
        queue: asyncio.Queue[Change] = asyncio.Queue(MAX_WAITING_CHANGES)
        with self._lock:
            self._listeners.add((asyncio.get_running_loop(), queue))
        return queue

    def unsubscribe(self, queue: asyncio.Queue[Change]) -> None:
        with self._lock:
            self._listeners = {(lp, q) for lp, q in self._listeners if q is not queue}

    def marked(self, alert_id: str, customer_id: str) -> None:
        """Someone marked an alert: every open page shows it without a reload."""
        self._announce(Change(next(self._sequence), "marked", alert_id, customer_id))

    def _announce(self, change: Change) -> None:
        with self._lock:
            listeners = list(self._listeners)
        for loop, queue in listeners:
            loop.call_soon_threadsafe(_offer, queue, change)


def _offer(queue: asyncio.Queue[Change], change: Change) -> None:
    if not queue.full():
        queue.put_nowait(change)


def epoch_of(timestamp: Any) -> float:
    """An event's ISO-8601 ``timestamp`` as epoch seconds."""
    return datetime.fromisoformat(str(timestamp)).timestamp()
