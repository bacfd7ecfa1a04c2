"""The engine: messages in, in event-time order, through each model period's work, saved.

It decodes input messages (dead-lettering what is not an event), holds valid events until no
partition could still deliver an earlier one, and processes what it releases period by
period of the model: all work of period k, events and due inactivity checks alike, is done
with snapshot k, however the stream was batched. Every step ends in a
:class:`~streams.pipeline.checkpoint.Checkpoint`.

The runtime around it (the Faust worker, or the in-process driver) says which partitions are
owned and how far each has been written (``highwaters``), and holds and acknowledges the
messages through :class:`Acks`.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass

from alerts.assessment import AssessmentConfig
from alerts.capacity import Candidate, candidate_of
from alerts.events import ChurnAlert, CustomerRecovered
from alerts.recoveries import PendingRecovery, pending_of
from models.drift import Drift
from models.scorer import ChurnScorer
from models.snapshot import ModelSnapshot
from streams.pipeline.apply import event_time, order_key
from streams.pipeline.checkpoint import Checkpoint, model_events, outgoing
from streams.pipeline.config import EngineConfig, for_period
from streams.pipeline.events import InputEvent, Rejection
from streams.pipeline.intake import decode, letter_of
from streams.pipeline.letters import LetterCounts
from streams.pipeline.ordering import EventTimeMerger
from streams.pipeline.partitions import Partition
from streams.pipeline.periods import ModelPeriods
from streams.pipeline.ports import (
    Acks,
    AlertDays,
    Changes,
    CustomerStore,
    Held,
    Message,
    ModelStore,
    NoAcks,
    Observer,
    Outgoing,
    Publish,
    Tally,
)
from streams.pipeline.processor import BatchResult, Work, merged, process_batch, without_outputs

log = logging.getLogger(__name__)
Highwaters = Mapping[Partition, int | None]


@dataclass(frozen=True)
class Step:
    """One step of a model period's work: its scorer and tiers, how far checks run, and the
    input partition of each customer."""

    period: int
    scorer: ChurnScorer
    config: AssessmentConfig
    checks_until: float
    partition_of: dict[str, int]


class Engine:
    """Decode, order, process period by period, checkpoint; see the module docstring."""

    def __init__(
        self,
        config: EngineConfig,
        store: CustomerStore,
        models: ModelStore,
        publish: Publish,
        alert_days: AlertDays | None = None,
        acks: Acks | None = None,
        observer: Observer | None = None,
    ) -> None:
        self.config = config
        self.topics = config.topics
        self.store = store
        self.models = models
        self.publish = publish
        self.alert_days = alert_days
        self.acks = acks or NoAcks()
        self.observer = observer or Observer()
        self.periods = ModelPeriods(config.period_days)
        self.merger: EventTimeMerger[Partition, Held] = EventTimeMerger()
        self.letters = LetterCounts()  # counted once a saved offset covers them
        self.watermark: float | None = None
        self.checked_through: float | None = None  # inactivity checks have run up to here
        self.checks_pending = False
        self.snapshot: ModelSnapshot | None = None
        self.owned: frozenset[int] = frozenset()  # the runtime's input partition numbers
        self.worked = False  # set by each processing; the runtime clears it

    async def intake(self, messages: Sequence[Message], highwaters: Highwaters) -> Counter[str]:
        """Hold valid events, dead-letter the rest, then process what can be released."""
        intake: Tally = {}
        letters: list[Outgoing] = []
        # partitions with dead letters: their offsets are saved with the count even when no
        # event of theirs is applied (never those only re-read: that could lower an offset)
        lettered: set[Partition] = set()
        completed = await self.store.completed_offsets({m.partition for m in messages})
        for message in messages:
            counts = intake.setdefault(message.partition.partition, Counter())
            if message.offset <= completed.get(message.partition, -1):
                counts["redelivered"] += 1  # applied before a restart: acked, not redone
                self.merger.observe(message.partition, message.offset)
                continue
            outcome = decode(message, self.config)
            if isinstance(outcome, Rejection):
                self.merger.observe(message.partition, message.offset)
                self.letters.add(message.partition, message.offset, outcome.code)
                letters.append(letter_of(message, outcome, self.topics.dead_letters))
                lettered.add(message.partition)
                continue
            self.acks.hold(message.handle)  # uncommitted until the event is applied
            self.merger.push(
                message.partition, message.offset, order_key(outcome), Held(outcome, message)
            )
        await self.publish(letters)  # before their offsets can count as done
        await self.drain(self.merger.release(highwaters), intake, lettered)
        return sum(intake.values(), Counter())

    async def drain(
        self,
        released: list[Held],
        intake: Tally,
        read: AbstractSet[Partition] = frozenset(),
    ) -> None:
        """Process released events and due checks, unless there is nothing to do."""
        if released or intake or self.checks_pending:
            await self.process(released, intake, read=read)

    async def settle(self) -> None:
        """Every partition is read to its end: run the checks of the latest event's second.

        No event of that second can still come (a later one is applied late anyway). The
        latest event applied may be from before a restart, which resumed at the checks' mark.
        """
        applied = await self.store.applied()
        target = max((t for t in (self.watermark, applied) if t is not None), default=None)
        if target is not None and self.checked_through != target:
            await self.process([], {}, follow=target, settle=True)

    async def follow_other_workers(self) -> None:
        """Move an idle worker's event time up to where the other workers are.

        With several workers, one whose partitions have nothing more to read must still run
        its inactivity checks as event time passes, and mark its partitions' progress, or a
        model period would wait for it forever.
        """
        shared = await self.store.watermark()
        furthest = await self.models.furthest_progress()
        done_before = None if furthest is None else furthest - 1  # progress p: all before p done
        target = max((t for t in (shared, done_before) if t is not None), default=None)
        if target is None or (self.watermark is not None and target <= self.watermark):
            return
        await self.process([], {}, follow=target, settle=True)
        await self.models.mark_progress(self.owned, target + 1)

    async def process(
        self,
        released: list[Held],
        intake: Tally,
        follow: float | None = None,
        read: AbstractSet[Partition] = frozenset(),
        settle: bool = False,
    ) -> None:
        """Process ``released`` events; with ``follow``, move event time at least that far.

        Inactivity checks run up to the second before the watermark: an event of the
        watermark's own second may still be held for another partition, and a check comes
        after every event of its second. With ``settle`` (nothing more can arrive, or other
        workers have finished that far), they run through the watermark itself.
        """
        self.worked = True
        ordered = sorted(released, key=lambda held: order_key(held.event))
        events = [held.event for held in ordered]
        if self.watermark is None:  # (re)started or reassigned: resume where its partitions stopped
            self.watermark = await self.store.resume_point(self.owned)
        previous = self.watermark
        reached = [t for t in (previous, follow) if t is not None]
        reached += [event_time(events[-1])] if events else []
        self.watermark = max(reached, default=None)
        partition_of = {h.event.customer_id: h.message.partition.partition for h in released}
        touched = read | {h.message.partition for h in released}
        if self.watermark is None:  # nothing valid seen yet: only dead letters to count
            offsets = self._completed_offsets(touched, [])
            shards = {p.partition for p in offsets} | intake.keys()
            await self.store.save(
                [
                    Changes(s, counts=self._counts(s, intake, offsets), offsets=only(s, offsets))
                    for s in shards
                ]
            )
            return
        starts = [event_time(events[0])] if events else [self.watermark]
        first = self.periods.period_of(min([*starts, *([previous] if previous else [])]))
        counts = intake
        for period in range(first, self.periods.period_of(self.watermark) + 1):
            period_end = self.periods.start(period + 1)
            in_period = [e for e in events if event_time(e) < period_end]
            events = events[len(in_period) :]
            progress = self._completed_offsets(touched, ordered[len(ordered) - len(events) :])
            await self._process_period(period, in_period, partition_of, counts, progress, settle)
            counts = {}
        for held in released:  # 4: every period of the release is saved
            self.acks.ack(held.message.handle)

    def _completed_offsets(
        self, touched: AbstractSet[Partition], unapplied: list[Held]
    ) -> dict[Partition, int]:
        """Per input partition, the offset up to which every event is applied and saved.

        Saved with each model period's work, never past an event of a later period: a worker
        killed between periods re-reads exactly what it had not saved (the event-id memory
        of 16 per customer cannot absorb a whole period's re-delivery).
        """
        completed = {partition: self.merger.completed_offset(partition) for partition in touched}
        for held in unapplied:  # a subset of what touched these partitions
            partition = held.message.partition
            completed[partition] = min(completed[partition], held.message.offset - 1)
        return completed

    async def _process_period(
        self,
        period: int,
        events: list[InputEvent],
        partition_of: dict[str, int],
        counts: Tally,
        offsets: dict[Partition, int],
        settle: bool,
    ) -> None:
        snapshot = await self.snapshot_of(period)
        watermark = self.watermark or 0.0
        checks_until = min(
            watermark if settle else watermark - 1, self.periods.start(period + 1) - 1
        )
        self.checked_through = checks_until
        config = for_period(self.config, snapshot)
        step = Step(period, snapshot.scorer(), config, checks_until, partition_of)
        work: list[Work] = [*events, *await self._due_checks(checks_until, partition_of)]
        while True:
            await self._process_step(step, work, counts, offsets)
            if not self.checks_pending:
                return
            # More checks are due in this period than one step loads: run them in further steps
            # of this same period, never in the next, so that they are scored by this period's
            # model and their labels land in its bucket however the stream was batched.
            work, counts = await self._due_checks(checks_until, partition_of), {}

    async def _process_step(
        self, step: Step, work: list[Work], counts: Tally, offsets: dict[Partition, int]
    ) -> None:
        """One step, partition by partition: each partition's changes save on their own (on
        a cluster, in its slot), so the counters go with the offsets they complete.

        A customer's work touches only their partition's state, and the outputs are merged
        back into one work order: the same as one batch of everything.
        """
        partition_of = step.partition_of
        states = await self.store.load(
            {item.customer_id: partition_of[item.customer_id] for item in work}
        )
        shards: dict[int, list[Work]] = {p: [] for p in self.owned | counts.keys()}
        for item in work:
            shards.setdefault(partition_of[item.customer_id], []).append(item)
        results, saved = [], []
        for shard, items in sorted(shards.items()):
            mine = {item.customer_id: states[item.customer_id] for item in items}
            result = process_batch(mine, items, step.scorer, step.config, step.checks_until)
            results.append(result)
            saved.append(
                Changes(
                    shard,
                    states=list(result.states.values()),
                    counts=result.counts + self._counts(shard, counts, offsets),
                    checks_through=step.checks_until,  # what this step finished: resume here
                    offsets=only(shard, offsets),
                    labels=result.labels,
                    labels_not_before=step.period,
                    tallies=result.tallies,
                    candidates=self._candidates(result),
                    recoveries=self._recoveries(result),
                    applied=self.watermark,
                )
            )
        risk_updates, alerts = merged(results)
        if self.alert_days is not None:  # alerts and recoveries wait for their day's end
            alerts = []
        outputs = [*outgoing(self.topics.risk, risk_updates), *outgoing(self.topics.alerts, alerts)]
        tally = sum((c.counts for c in saved), Counter())
        published = await Checkpoint(outputs, saved).commit(
            self.publish, self.store, self.alert_days, self.topics.alerts
        )
        if self.alert_days is not None:  # alerts and recoveries count once published
            tally = without_outputs(tally) + published
        self.observer.counted(tally)

    def _counts(self, shard: int, intake: Tally, offsets: Mapping[Partition, int]) -> Counter[str]:
        """A partition's intake counters, and the dead letters its saved offsets now cover."""
        return intake.get(shard, Counter()) + self.letters.covered(only(shard, offsets))

    def _candidates(self, result: BatchResult) -> list[Candidate]:
        """With a daily capacity, the step's alerts wait for their day's end as candidates."""
        if self.alert_days is None:
            return []
        return [
            candidate_of(a, result.silent_days[a.alert_id])
            for a in result.alerts
            if isinstance(a, ChurnAlert)
        ]

    def _recoveries(self, result: BatchResult) -> list[PendingRecovery]:
        """With a daily capacity, a recovery waits for its day's end to find the alert the
        team was sent (:mod:`alerts.recoveries`)."""
        if self.alert_days is None:
            return []
        return [pending_of(a) for a in result.alerts if isinstance(a, CustomerRecovered)]

    async def snapshot_of(self, period: int) -> ModelSnapshot:
        if self.snapshot is None or self.snapshot.period != period:
            self.snapshot = await self.models.snapshot_for(period, self.owned, self._announce)
            self.observer.serving(self.snapshot)
        return self.snapshot

    async def _announce(self, drifts: Sequence[Drift]) -> None:
        """Publish the drifts this worker's training found, before their snapshot is saved."""
        await self.publish(model_events(self.topics.model_events, drifts, self.periods))
        for drift in drifts:
            log.warning(
                "model drift in period %s: %s %s %.4f -> %.4f (%s labels)",
                drift.period, drift.detector, drift.signal, drift.before, drift.after, drift.labels,
            )  # fmt: skip

    async def _due_checks(self, up_to: float, partition_of: dict[str, int]) -> list[Work]:
        """Checks due by ``up_to`` in this worker's partitions.

        Checks run at the watermark itself, not behind it: released events are in event-time
        order, so everything up to the watermark is known and a check lands in its exact place.
        """
        limit = self.config.max_due_checks
        due = await self.store.due_checks(self.owned, up_to, limit)
        self.checks_pending = len(due) >= limit
        for partition, check in due:
            partition_of.setdefault(check.customer_id, partition)
        return [check for _, check in due]


def only(shard: int, offsets: Mapping[Partition, int]) -> dict[Partition, int]:
    """The offsets of one input partition number's topics."""
    return {p: o for p, o in offsets.items() if p.partition == shard}
