"""The one door through which the console and the CLI read the store.

Customer states, model snapshots, the scores of everyone at a moment, the marks, and what a
daily capacity holds back, over one connection; readers never see keys or encodings.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Self

from alerts.assessment import CustomerScore
from alerts.capacity import Candidate
from models.snapshot import ModelSnapshot
from models.state import CustomerState
from streams.settings import Settings
from streams.storage.alert_days import waiting, waiting_recoveries
from streams.storage.codec import readable_state
from streams.storage.connection import SyncClient, connect_sync
from streams.storage.customers import read_states
from streams.storage.keys import StateKeys
from streams.storage.marks import RedisMarks
from streams.storage.model_store import read_snapshot, snapshot_periods
from streams.storage.scores import collect_scores, in_stage


class StoreReader:
    """Read-only access to one deployment's store (``settings``' Redis and namespace)."""

    def __init__(self, settings: Settings, client: SyncClient | None = None) -> None:
        self.settings = settings
        self.client = client or connect_sync(settings)
        self.keys = StateKeys(settings.redis_namespace)
        self.marks = RedisMarks(self.client, self.keys)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        self.client.close()

    def state(self, customer_id: str) -> CustomerState | None:
        """A customer's stored state, or None if the store has never seen them."""
        found = read_states(self.client, self.keys, self.settings.partitions, [customer_id])
        return found.get(customer_id)

    @staticmethod
    def readable(state: CustomerState) -> dict[str, Any]:
        """A state as people read it: plain data, times as ISO strings."""
        return readable_state(state)

    def snapshot_periods(self) -> list[int]:
        """The model periods that have a saved snapshot, oldest first."""
        return snapshot_periods(self.client, self.keys)

    def snapshot(self, period: int) -> ModelSnapshot | None:
        return read_snapshot(self.client, self.keys, period)

    def latest_snapshot(self) -> ModelSnapshot | None:
        """The newest saved snapshot: the model the engine serves now."""
        periods = self.snapshot_periods()
        return self.snapshot(periods[-1]) if periods else None

    def scores(self, as_of: datetime | None = None) -> tuple[float | None, list[CustomerScore]]:
        """Every customer scored as of ``as_of`` (default: the latest event time), and the cut."""
        return collect_scores(self.settings, as_of)

    def win_back(self) -> tuple[float | None, list[CustomerScore]]:
        """The lapsed customers, most value at risk first, and the cut they were scored at."""
        cut, rows = self.scores()
        return cut, in_stage(rows, "lapsed")

    def held_back(self) -> list[tuple[str, Candidate]]:
        """Alerts a daily capacity has not published: deferred, or waiting for their day."""
        return waiting(self.client, self.keys, self.settings.partitions)

    def recoveries_held_back(self) -> int:
        """Recoveries waiting for their day's seal under a daily capacity."""
        return waiting_recoveries(self.client, self.keys, self.settings.partitions)
