"""The stores in a process's memory: what the in-process driver runs the engine on.

Each store keeps what Redis keeps, in the same encodings (``codec`` for states, ``records``
for labels, pickles for snapshots) and with the same ordering rules (schedules by due time,
then customer id), so the engine on it gives the same bytes as on Redis. One object serves
as the customer store and the model store: the model store learns from the label buckets
the customer store saves.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence

from models.labels import LabelledExample
from models.snapshot import ModelSnapshot
from models.state import CustomerState
from streams.pipeline.partitions import Partition
from streams.pipeline.periods import ModelPeriods
from streams.pipeline.ports import Announce, Changes
from streams.pipeline.processor import DueCheck
from streams.settings import Settings
from streams.storage.codec import decode_state, encode_state
from streams.storage.records import decode_label, decode_snapshot, encode_label, encode_snapshot
from streams.storage.trainer import Trainer


class MemoryStore:
    """A single worker's customer and model stores, owning every partition."""

    def __init__(self, settings: Settings) -> None:
        self.partitions = settings.partitions
        self.periods = ModelPeriods(settings.model_update_days)
        self.trainer = Trainer(settings)
        self.values: dict[str, bytes] = {}
        self.due: dict[int, dict[str, float]] = {}
        self.stats: Counter[str] = Counter()
        self.offsets: dict[Partition, int] = {}
        self.partition_watermarks: dict[int, float] = {}
        self.latest_applied: dict[int, float] = {}
        self.buckets: dict[int, set[bytes]] = {}
        self.tallies: dict[int, Counter[str]] = {}
        self.snapshots: dict[int, bytes] = {}
        self.progress: dict[int, float] = {}

    # the customer store

    async def load(self, customers: Mapping[str, int]) -> dict[str, CustomerState]:
        return {cid: decode_state(cid, self.values.get(cid)) for cid in customers}

    async def watermark(self) -> float | None:
        return max(self.partition_watermarks.values(), default=None)

    async def applied(self) -> float | None:
        return max(self.latest_applied.values(), default=None)

    async def resume_point(self, partitions: Iterable[int]) -> float | None:
        saved = [self.partition_watermarks[p] for p in partitions if p in self.partition_watermarks]
        return min(saved, default=None)

    async def completed_offsets(self, partitions: Iterable[Partition]) -> dict[Partition, int]:
        return {p: self.offsets[p] for p in partitions if p in self.offsets}

    async def due_checks(
        self, partitions: Iterable[int], up_to: float, limit: int
    ) -> list[tuple[int, DueCheck]]:
        found = []
        for partition in partitions:
            schedule = self.due.get(partition, {})
            # Redis orders a sorted set by score, then by the member's bytes
            due = sorted(
                ((at, cid) for cid, at in schedule.items() if at <= up_to),
                key=lambda item: (item[0], item[1].encode()),
            )
            found += [(partition, DueCheck(cid, at)) for at, cid in due[:limit]]
        return found

    async def save(self, changes: Sequence[Changes]) -> None:
        for each in changes:
            self._save(each)

    def _save(self, changes: Changes) -> None:
        partition = changes.partition
        schedule = self.due.setdefault(partition, {})
        for state in changes.states:
            self.values[state.customer_id] = encode_state(state)
            if state.next_check is None:
                schedule.pop(state.customer_id, None)
            else:
                schedule[state.customer_id] = state.next_check
        self.stats.update({name: n for name, n in changes.counts.items() if n})
        for label in changes.labels:
            bucket = self.periods.bucket_of(label, changes.labels_not_before)
            self.buckets.setdefault(bucket, set()).add(encode_label(label))
        if changes.tallies:
            self.tallies.setdefault(changes.labels_not_before, Counter()).update(changes.tallies)
        self.offsets.update(changes.offsets)
        if changes.checks_through is not None:
            self.partition_watermarks[partition] = _furthest(
                self.partition_watermarks.get(partition), changes.checks_through
            )
        if changes.applied is not None:
            self.latest_applied[partition] = _furthest(
                self.latest_applied.get(partition), changes.applied
            )
        if changes.candidates or changes.recoveries:
            raise NotImplementedError("a daily alert capacity needs the Redis store")

    def states(self) -> list[CustomerState]:
        """Every customer, by id."""
        return [decode_state(cid, self.values[cid]) for cid in sorted(self.values)]

    # the model store

    async def snapshot_for(
        self, period: int, owned: Iterable[int], announce: Announce
    ) -> ModelSnapshot:
        await self.mark_progress(owned, self.periods.start(period))
        if period not in self.snapshots:
            behind = [p for p in range(self.partitions) if p not in self.progress]
            if behind:
                raise RuntimeError(f"partitions {behind} have no owner in this process")
            previous = self.latest_at_most(period - 1)
            snapshot, drifts = await self.trainer.train(
                period, previous, self._read_bucket, self._read_tallies
            )
            await announce(drifts)
            self.snapshots[period] = encode_snapshot(snapshot)
        return decode_snapshot(self.snapshots[period])

    async def mark_progress(self, partitions: Iterable[int], until: float) -> None:
        self.progress.update(dict.fromkeys(partitions, until))

    async def furthest_progress(self) -> float | None:
        return max(self.progress.values(), default=None)

    def latest_at_most(self, period: int) -> ModelSnapshot | None:
        """The newest snapshot not after ``period``."""
        saved = [p for p in self.snapshots if p <= period]
        return decode_snapshot(self.snapshots[max(saved)]) if saved else None

    async def _read_bucket(self, period: int) -> list[LabelledExample]:
        return [decode_label(raw) for raw in self.buckets.get(period, ())]

    async def _read_tallies(self, period: int) -> dict[str, int]:
        return dict(self.tallies.get(period, {}))


def _furthest(current: float | None, new: float) -> float:
    """Redis's ``ZADD GT``: a watermark only moves forward."""
    return new if current is None else max(current, new)
