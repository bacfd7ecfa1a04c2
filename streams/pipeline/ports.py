"""What the engine needs from the world: storage, outputs and message handles, as protocols.

Redis implements the stores for the worker (``streams.storage``), dictionaries implement them
for the in-process driver (``streams.storage.memory``); Faust implements outputs and handles
for the worker (``streams.worker``), lists for the driver. The engine sees only these.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from alerts.capacity import Candidate
from alerts.recoveries import PendingRecovery
from models.drift import Drift
from models.labels import LabelledExample
from models.snapshot import ModelSnapshot
from models.state import CustomerState
from streams.pipeline.events import InputEvent
from streams.pipeline.partitions import Partition
from streams.pipeline.processor import DueCheck


@dataclass(frozen=True)
class Message:
    """An input message as read: where it sits, its bytes, and what acknowledges it."""

    partition: Partition
    offset: int
    key: bytes | None
    value: bytes | None
    handle: Any = None


@dataclass(frozen=True)
class Held:
    """A valid event waiting for event time to reach it, with the message it came in."""

    event: InputEvent
    message: Message


@dataclass(frozen=True)
class Outgoing:
    """One output message."""

    topic: str
    key: bytes | None
    value: bytes


# counters per input partition number
Tally = dict[int, Counter[str]]


@dataclass
class Changes:
    """Everything one checkpoint saves for one input partition number, in one transaction.

    ``partition`` is the shard of customers (the same number in every input topic) whose
    ``states`` these are; ``checks_through`` is how far its inactivity checks have run (its
    watermark); ``applied`` is the event time of the latest event the worker applied;
    ``offsets`` its topics' offsets up to which everything is applied; ``labels`` go to the
    bucket of the period they became known in, never before ``labels_not_before``, and
    ``tallies`` (the purchases' gap ratios, :mod:`models.pulse`, and the census of the
    ticks' snapshots, :mod:`models.census`) to the period
    ``labels_not_before`` itself. With a daily capacity, ``candidates`` (alerts) and
    ``recoveries`` wait for their day's seal.
    """

    partition: int
    states: list[CustomerState] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)
    checks_through: float | None = None
    offsets: dict[Partition, int] = field(default_factory=dict)
    labels: list[LabelledExample] = field(default_factory=list)
    labels_not_before: int = 0
    tallies: Counter[str] = field(default_factory=Counter)
    candidates: list[Candidate] = field(default_factory=list)
    recoveries: list[PendingRecovery] = field(default_factory=list)
    applied: float | None = None


class CustomerStore(Protocol):
    """Customer states, their inactivity schedules, counters and input progress."""

    async def load(self, customers: Mapping[str, int]) -> dict[str, CustomerState]:
        """The state of each customer id (new if none), given their partition number."""

    async def watermark(self) -> float | None:
        """The furthest watermark any worker has saved."""

    async def applied(self) -> float | None:
        """The event time of the latest event any worker has applied."""

    async def resume_point(self, partitions: Iterable[int]) -> float | None:
        """The least saved watermark of ``partitions``: where event time resumes for them."""

    async def completed_offsets(self, partitions: Iterable[Partition]) -> dict[Partition, int]:
        """Per input partition, the offset up to which every message is applied."""

    async def due_checks(
        self, partitions: Iterable[int], up_to: float, limit: int
    ) -> list[tuple[int, DueCheck]]:
        """Checks due by ``up_to``, at most ``limit`` per partition: partition by partition
        as given, each in (due, customer) order."""

    async def save(self, changes: Sequence[Changes]) -> None:
        """Save each partition's ``changes`` atomically: after a crash, each is saved whole
        or not at all (on a single Redis, all of them together)."""


Announce = Callable[[Sequence[Drift]], Awaitable[None]]


class ModelStore(Protocol):
    """Model snapshots, one per period of event time, shared by every worker."""

    async def snapshot_for(
        self, period: int, owned: Iterable[int], announce: Announce
    ) -> ModelSnapshot:
        """Snapshot ``period``: trained once every partition has reached it.

        The worker that trains it calls ``announce`` with the drifts training found before
        saving the snapshot, so a crash between the two repeats the announcement, never
        loses it.
        """

    async def mark_progress(self, partitions: Iterable[int], until: float) -> None:
        """Everything before ``until`` in these partitions is processed and saved."""

    async def furthest_progress(self) -> float | None: ...


Publish = Callable[[Sequence[Outgoing]], Awaitable[None]]


class AlertDays(Protocol):
    """The daily alert capacity: candidates wait for their day to be sealed."""

    async def seal(self, publish: Callable[[list[bytes]], Awaitable[None]]) -> Counter[str]:
        """Select every day all partitions have passed; publish its alerts and recoveries;
        return their counters (``streams.pipeline.processor.output_counters``)."""


class Acks(Protocol):
    """Holding a message keeps its offset uncommitted until it is acknowledged."""

    def hold(self, handle: Any) -> None: ...

    def ack(self, handle: Any) -> None: ...


class NoAcks:
    """For a runtime with no offsets to commit (the in-process driver)."""

    def hold(self, handle: Any) -> None:
        pass

    def ack(self, handle: Any) -> None:
        pass


class Observer:
    """What the engine reports as it works; the worker turns it into metrics."""

    def counted(self, counts: Counter[str]) -> None:
        pass

    def serving(self, snapshot: ModelSnapshot) -> None:
        pass
