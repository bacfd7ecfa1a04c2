"""The worker's runtime: takes the agent's batches, orders them and runs them through the engine.

Effects happen in a fixed order per released batch: publish outputs and flush the producer,
then save states, schedules and counters in one MULTI/EXEC, then ack the input offsets. A
crash at any point therefore repeats work (deduplicated by event id) and never loses it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import Any

import orjson
from faust.types import TP, AppT, EventT, TopicT

from alerts.assessment import AssessmentConfig
from alerts.events import ChurnAlert, OutputEvent, as_utc
from models.registry import ModelSnapshot
from models.scorer import ChurnScorer
from streams.pipeline.apply import InputEvent, event_time, order_key
from streams.pipeline.dead_letters import dead_letter
from streams.pipeline.events import Rejection, decode_event
from streams.pipeline.ordering import EventTimeMerger
from streams.pipeline.processor import Work, assessment_config, for_period, process_batch
from streams.settings import Settings
from streams.storage.alert_days import AlertDays, candidate_fields, candidate_of
from streams.storage.customers import CustomerStore
from streams.storage.models import ModelPeriods, ModelStore
from streams.worker import metrics
from streams.worker.publishing import Outgoing, publish

log = logging.getLogger(__name__)

EARLIEST_EVENT_TIME = 0.0  # 1970
# How long events may wait for a partition whose consumer has fetched to its end but delivered
# nothing: only control records (a transactional producer's commit markers) end such a
# partition. Long, so that a slow machine's fetched-but-undelivered messages are never passed.
MAX_HOLD_SECONDS = 30.0


@dataclass(frozen=True)
class Held:
    """A valid event waiting in the merger, with the Faust event to ack once it is applied."""

    event: InputEvent
    source: EventT


@dataclass(frozen=True)
class Step:
    """One step of a model period's work: its scorer and tiers, how far checks run, and the
    input partition of each customer."""

    period: int
    scorer: ChurnScorer
    config: AssessmentConfig
    checks_until: float
    partition_of: dict[str, int]


@dataclass(frozen=True)
class OutputTopics:
    alerts: TopicT
    risk: TopicT
    dead_letters: TopicT


class Engine:
    """Everything the agent delegates to: decode, order, process, publish, save, ack."""

    def __init__(
        self,
        app: AppT,
        settings: Settings,
        store_factory: Callable[[], CustomerStore],
        model_store_factory: Callable[[], ModelStore],
        outputs: OutputTopics,
        input_topics: Iterable[str],
    ) -> None:
        self.app = app
        self.settings = settings
        self.store_factory = store_factory
        self.model_store_factory = model_store_factory
        self.outputs = outputs
        self.input_topics = frozenset(input_topics)
        self.config = assessment_config(settings)
        self.merger: EventTimeMerger[tuple[str, int], Held] = EventTimeMerger()
        self.lock = asyncio.Lock()
        self.watermark: float | None = None
        self.checked_through: float | None = None  # inactivity checks have run up to here
        self.checks_pending = False
        self.held_since: float | None = None
        # partitions given up in a rebalance still in progress: the consumer lists them as
        # assigned until the group has agreed on the new assignment
        self.revoked: set[tuple[str, int]] = set()
        self._store: CustomerStore | None = None
        self._models: ModelStore | None = None
        self._alert_days: AlertDays | None = None
        self.snapshot: ModelSnapshot | None = None
        self.periods = ModelPeriods(settings.model_update_days)

    @property
    def store(self) -> CustomerStore:
        if self._store is None:
            self._store = self.store_factory()
        return self._store

    @property
    def models(self) -> ModelStore:
        if self._models is None:
            self._models = self.model_store_factory()
        return self._models

    async def intake(self, batch: Sequence[EventT]) -> None:
        """Decode a batch from the agent: valid events wait in the merger, the rest dead-letter."""
        async with self.lock:
            intake: Counter[str] = Counter()
            letters: list[Outgoing] = []
            batch = self._current_generation(batch)
            # partitions with dead letters: their offsets are saved with the count even when no
            # event of theirs is applied (never those only re-read: that could lower an offset)
            lettered: set[tuple[str, int]] = set()
            completed = await self.store.completed_offsets({_field(s) for s in batch})
            for source in batch:
                partition = (source.message.topic, source.message.partition)
                if source.message.offset <= completed.get(_field(source), -1):
                    intake["redelivered"] += 1  # applied before a restart: acked, not redone
                    self.merger.observe(partition, source.message.offset)
                    continue
                outcome = self._decode(source)
                if isinstance(outcome, Rejection):
                    self.merger.observe(partition, source.message.offset)
                    intake["dead_letters"] += 1
                    intake[f"dead_letters:{outcome.code}"] += 1
                    letters.append(self._dead_letter(source, outcome))
                    lettered.add(partition)
                    continue
                source.message.incref()  # keep the offset uncommitted until the event is applied
                self.merger.push(
                    (source.message.topic, source.message.partition),
                    source.message.offset,
                    order_key(outcome),
                    Held(outcome, source),
                )
            if self.held_since is None and len(self.merger):
                self.held_since = time.monotonic()
            await publish(self.app.producer, letters)  # before their offsets can count as done
            await self._drain(self.merger.release(self._highwaters()), intake, lettered)

    def _current_generation(self, batch: Sequence[EventT]) -> list[EventT]:
        """``batch`` without events of partitions this worker may no longer own.

        Events fetched before a rebalance (an older generation), or of a partition revoked
        since (its new generation id is only known once partitions are assigned again), wait
        in the agent's batch while their partition is taken away; its owner reads them again
        from the last committed offset, so they are left unacked here. Applied anyway, they
        would also save progress for a partition another worker now owns.
        """
        generation = self.app.consumer_generation_id
        owned = {(tp.topic, tp.partition) for tp in self._assigned()}
        current = [
            s
            for s in batch
            if s.message.generation_id in (None, generation)
            and (s.message.topic, s.message.partition) in owned
        ]
        if len(current) < len(batch):
            log.info(
                "%s events fetched before a rebalance left to their partitions' owner",
                len(batch) - len(current),
            )
        return current

    async def on_partitions_revoked(self, revoked: Iterable[Any]) -> None:
        """Forget held events of partitions taken away in a rebalance.

        Held events were neither applied nor acked; their partition's next owner (maybe this
        worker again) reads them again from the last committed offset, and skips what was
        applied by the completed offsets saved in Redis. Taking the lock first lets a batch
        in progress finish. Until the new assignment, the revoked partitions are not this
        worker's: no events of theirs are applied and none of their checks run.
        """
        async with self.lock:
            self.revoked |= {(tp.topic, tp.partition) for tp in revoked}
            dropped = self.merger.forget((tp.topic, tp.partition) for tp in revoked)
            self.held_since = time.monotonic() if len(self.merger) else None
            if dropped:
                log.info("rebalance: %s held events left to the partitions' next owner", dropped)

    async def on_partitions_assigned(self) -> None:
        """The rebalance is over: the consumer's assignment is this worker's again.

        Event time resumes from the new partitions' own watermarks: a partition taken over
        from a worker that was behind must not have its checks run past its unread events.
        """
        async with self.lock:
            self.revoked.clear()
            self.watermark = None

    async def tick(self) -> None:
        """Called on a timer: release what is now safe."""
        async with self.lock:
            highwaters = self._highwaters()
            self._report_lag(highwaters)
            released = self.merger.release(highwaters)
            # also with nothing held: a worker restarted after its last event must still see
            # that it is caught up, and settle the checks of that event's second
            idle = await self._partitions_with_nothing_to_deliver(highwaters)
            if idle:
                log.info("partitions with nothing to deliver stop holding others: %s", idle)
                self.merger.mark_unseen_caught_up(idle)
                released += self.merger.release(highwaters)
            await self._drain(released, Counter())
            if not released and self._caught_up(highwaters):
                await self._settle()
                await self._follow_other_workers()

    async def _settle(self) -> None:
        """Every partition is read to its end: run the checks of the latest event's second.

        No event of that second can still come (a later one is applied late anyway). The
        latest event applied may be from before a restart, which resumed at the checks' mark.
        """
        applied = await self.store.applied()
        target = max((t for t in (self.watermark, applied) if t is not None), default=None)
        if target is not None and self.checked_through != target:
            await self._process_released([], Counter(), follow=target, settle=True)

    async def _partitions_with_nothing_to_deliver(
        self, highwaters: dict[tuple[str, int], int | None]
    ) -> dict[tuple[str, int], int]:
        """Partitions that have delivered nothing and never will, though their end is ahead.

        After a restart, a partition whose every message is applied (its saved completed offset
        is at its end) delivers nothing: a fact of the store, not of timing, so a recorded
        backlog is ordered the same however fast the machine is. A partition whose consumer
        has fetched to its end but delivered nothing for ``MAX_HOLD_SECONDS`` ends in control
        records only. Partitions that delivered anything are never passed.
        """
        unseen = {
            tp: high
            for tp, high in highwaters.items()
            if high is not None
            and high > 0
            and not self.merger.next_offset(tp)
            and not self.merger.is_passed(tp)
        }
        if not unseen:
            return {}
        saved = await self.store.completed_offsets(f"{t}:{p}" for t, p in unseen)
        idle = {tp: h for tp, h in unseen.items() if saved.get(f"{tp[0]}:{tp[1]}", -1) + 1 >= h}
        held_long = (
            self.held_since is not None and time.monotonic() - self.held_since > MAX_HOLD_SECONDS
        )
        for tp, high in unseen.items():
            if held_long and tp not in idle:
                position = await self.app.consumer.position(TP(*tp))
                if position is not None and position >= high:
                    idle[tp] = high
        return idle

    def _caught_up(self, highwaters: dict[tuple[str, int], int | None]) -> bool:
        """Nothing held, and every assigned partition read to its end (or known to have
        nothing to deliver, as after a restart with everything applied)."""
        return (
            bool(highwaters)
            and not len(self.merger)
            and all(
                high is not None
                and (self.merger.next_offset(tp) >= high or self.merger.is_passed(tp))
                for tp, high in highwaters.items()
            )
        )

    async def _follow_other_workers(self) -> None:
        """Move an idle worker's event time up to where the other workers are.

        With several workers, one whose partitions have nothing more to read must still run
        its inactivity checks as event time passes, and mark its partitions' progress, or a
        model period would wait for it forever. This is what a single worker does for its
        partitions that have been read to the end.
        """
        shared = await self.store.watermark()
        furthest = await self.models.furthest_progress()
        done_before = None if furthest is None else furthest - 1  # progress p: all before p done
        target = max((t for t in (shared, done_before) if t is not None), default=None)
        if target is None or (self.watermark is not None and target <= self.watermark):
            return
        await self._process_released([], Counter(), follow=target, settle=True)
        await self.models.mark_progress(self._owned_partitions(), target + 1)

    def _decode(self, source: EventT) -> InputEvent | Rejection:
        raw = source.message.value
        if not isinstance(raw, bytes | bytearray):
            return Rejection("malformed_json", "message has no value")
        decoded = decode_event(bytes(raw), self.settings.max_message_bytes)
        if isinstance(decoded, Rejection):
            return decoded
        at = event_time(decoded)
        latest_plausible = time.time() + self.settings.max_future_skew_hours * 3600
        if not EARLIEST_EVENT_TIME <= at <= latest_plausible:
            return Rejection(
                "timestamp_out_of_range",
                f"{decoded.timestamp.isoformat()} is before 1970 or more than "
                f"{self.settings.max_future_skew_hours:g} h in the future",
            )
        return decoded

    def _report_lag(self, highwaters: dict[tuple[str, int], int | None]) -> None:
        metrics.HELD.set(len(self.merger))
        if self.watermark is not None:
            metrics.WATERMARK.set(self.watermark)
        for (topic, partition), high in highwaters.items():
            if high is not None:
                read = self.merger.next_offset((topic, partition))
                metrics.CONSUMER_LAG.labels(topic, str(partition)).set(max(high - read, 0))

    def _assigned(self) -> list[Any]:
        return [
            tp
            for tp in self.app.consumer.assignment()
            if tp.topic in self.input_topics and (tp.topic, tp.partition) not in self.revoked
        ]

    def _owned_partitions(self) -> set[int]:
        return {tp.partition for tp in self._assigned()}

    def _highwaters(self) -> dict[tuple[str, int], int | None]:
        return {
            (tp.topic, tp.partition): self.app.consumer.highwater(tp) for tp in self._assigned()
        }

    async def _drain(
        self,
        released: list[Held],
        intake: Counter[str],
        read: AbstractSet[tuple[str, int]] = frozenset(),
    ) -> None:
        """Process released events and due checks, period by period of the model.

        ``intake`` counts what decoding decided; the offsets of the partitions ``read`` (with
        dead letters) are saved with it. All work of model period k,
        events and due checks alike, is done with snapshot k, whatever the batches: every
        period the watermark moves through is processed in turn.
        """
        if not released and not intake and not self.checks_pending:
            return
        with metrics.BATCH_SECONDS.time():
            await self._process_released(released, intake, read=read)

    async def _process_released(
        self,
        released: list[Held],
        intake: Counter[str],
        follow: float | None = None,
        read: AbstractSet[tuple[str, int]] = frozenset(),
        settle: bool = False,
    ) -> None:
        """Process ``released`` events; with ``follow``, move event time at least that far.

        Inactivity checks run up to the second before the watermark: an event of the
        watermark's own second may still be held for another partition, and a check comes
        after every event of its second. With ``settle`` (nothing more can arrive, or other
        workers have finished that far), they run through the watermark itself.
        """
        self.held_since = time.monotonic() if len(self.merger) else None
        ordered = sorted(released, key=lambda held: order_key(held.event))
        events = [held.event for held in ordered]
        if self.watermark is None:  # (re)started or reassigned: resume where its partitions stopped
            self.watermark = await self.store.resume_point(self._owned_partitions())
        previous = self.watermark
        reached = [t for t in (previous, follow) if t is not None]
        reached += [event_time(events[-1])] if events else []
        self.watermark = max(reached, default=None)
        partition_of = {h.event.customer_id: h.source.message.partition for h in released}
        touched = read | {(h.source.message.topic, h.source.message.partition) for h in released}
        if self.watermark is None:  # nothing valid seen yet: only dead letters to count
            await self.store.save(
                (), intake, completed_offsets=self._completed_offsets(touched, [])
            )
            return
        starts = [event_time(events[0])] if events else [self.watermark]
        first = self.periods.period_of(min([*starts, *([previous] if previous else [])]))
        counts = intake
        last = self.periods.period_of(self.watermark)
        for period in range(first, last + 1):
            period_end = self.periods.start(period + 1)
            in_period = [e for e in events if event_time(e) < period_end]
            events = events[len(in_period) :]
            progress = self._completed_offsets(touched, ordered[len(ordered) - len(events) :])
            await self._process_period(period, in_period, partition_of, counts, progress, settle)
            counts = Counter()
        for held in released:
            held.source.ack()

    def _completed_offsets(
        self, touched: AbstractSet[tuple[str, int]], unapplied: list[Held]
    ) -> dict[str, int]:
        """Per input partition, the offset up to which every event is applied and saved.

        Saved with each model period's work, never past an event of a later period: a worker
        killed between periods re-reads exactly what it had not saved (the event-id memory
        of 16 per customer cannot absorb a whole period's re-delivery).
        """
        completed = {partition: self.merger.completed_offset(partition) for partition in touched}
        for held in unapplied:  # a subset of what touched these partitions
            partition = (held.source.message.topic, held.source.message.partition)
            completed[partition] = min(completed[partition], held.source.message.offset - 1)
        return {f"{t}:{p}": offset for (t, p), offset in completed.items()}

    async def _process_period(
        self,
        period: int,
        events: list[InputEvent],
        partition_of: dict[str, int],
        counts: Counter[str],
        offsets: dict[str, int],
        settle: bool,
    ) -> None:
        snapshot = await self._snapshot(period)
        watermark = self.watermark or 0.0
        checks_until = min(
            watermark if settle else watermark - 1, self.periods.start(period + 1) - 1
        )
        self.checked_through = checks_until
        config = for_period(self.config, self.settings, snapshot)
        step = Step(period, snapshot.scorer(), config, checks_until, partition_of)
        work: list[Work] = [*events, *await self._due_checks(checks_until, partition_of)]
        while True:
            await self._process_step(step, work, counts, offsets)
            if not self.checks_pending:
                return
            # More checks are due in this period than one step loads: run them in further steps
            # of this same period, never in the next, so that they are scored by this period's
            # model and their labels land in its bucket however the stream was batched.
            work, counts = await self._due_checks(checks_until, partition_of), Counter()

    async def _process_step(
        self, step: Step, work: list[Work], counts: Counter[str], offsets: dict[str, int]
    ) -> None:
        states = await self.store.load(item.customer_id for item in work)
        result = process_batch(states, work, step.scorer, step.config, step.checks_until)
        alerts, candidates = result.alerts, []
        if self.settings.alert_daily_capacity is not None:  # alerts wait for their day's end
            alerts = [a for a in result.alerts if not isinstance(a, ChurnAlert)]
            candidates = [
                candidate_of(a, result.silent_days[a.alert_id])
                for a in result.alerts
                if isinstance(a, ChurnAlert)
            ]
        await publish(
            self.app.producer,
            [
                *_outgoing(self.outputs.risk, result.risk_updates),
                *_outgoing(self.outputs.alerts, alerts),
            ],
        )
        metrics.record_counts(result.counts + counts)
        await self.store.save(
            ((step.partition_of[cid], state) for cid, state in result.states.items()),
            result.counts + counts,
            step.checks_until,  # what this chunk finished: a restart resumes exactly there
            offsets,
            self.models.label_buckets(result.labels, not_before=step.period),
            self._owned_partitions(),
            applied=self.watermark,
            hash_fields=candidate_fields(self.store.keys, candidates),
        )
        if self.settings.alert_daily_capacity is not None:
            await self.alert_days.seal(self._publish_alerts)

    @property
    def alert_days(self) -> AlertDays:
        if self._alert_days is None:
            self._alert_days = AlertDays(
                self.store.client,
                self.store.keys,
                self.store,
                self.settings.alert_daily_capacity or 0,
                self.settings.horizon_days,
                self.settings.partitions,
            )
        return self._alert_days

    async def _publish_alerts(self, payloads: list[bytes]) -> None:
        topic = self.outputs.alerts.get_topic_name()
        await publish(
            self.app.producer,
            [Outgoing(topic, orjson.loads(p)["customer_id"].encode(), p) for p in payloads],
        )

    async def _snapshot(self, period: int) -> ModelSnapshot:
        if self.snapshot is None or self.snapshot.period != period:
            self.snapshot = await self.models.snapshot_for(period, self._owned_partitions())
            metrics.MODEL_PERIOD.set(period)
            metrics.MODEL_ONLINE.set(1 if self.snapshot.serves_model else 0)
            for outcome, count in self.snapshot.labels_seen.items():
                metrics.LABELS_SEEN.labels(outcome).set(count)
        return self.snapshot

    def health(self) -> dict[str, object]:
        """What /health reports: alive, how far in event time, and with which model."""
        return {
            "status": "ok",
            "watermark": as_utc(self.watermark).isoformat() if self.watermark else None,
            "model_version": self.snapshot.version if self.snapshot else None,
            "held_events": len(self.merger),
            "assigned_partitions": sorted(f"{tp.topic}:{tp.partition}" for tp in self._assigned()),
        }

    async def _due_checks(self, up_to: float, partition_of: dict[str, int]) -> list[Work]:
        """Checks due by ``up_to`` in this worker's partitions.

        Checks run at the watermark itself, not behind it: released events are in event-time
        order, so everything up to the watermark is known and a check lands in its exact place.
        """
        limit = self.settings.max_due_checks_per_batch
        due = await self.store.due_checks(self._owned_partitions(), up_to, limit)
        self.checks_pending = len(due) >= limit
        for partition, check in due:
            partition_of.setdefault(check.customer_id, partition)
        return [check for _, check in due]

    def _dead_letter(self, source: EventT, rejection: Rejection) -> Outgoing:
        message = source.message
        letter = dead_letter(
            bytes(message.value or b""), rejection, message.topic, message.partition, message.offset
        )
        log.info(
            "dead letter %s from %s[%s]@%s: %s",
            rejection.code,
            message.topic,
            message.partition,
            message.offset,
            rejection.detail,
        )
        key = message.key if isinstance(message.key, bytes) else None
        topic = self.outputs.dead_letters.get_topic_name()
        return Outgoing(topic, key, letter.model_dump_json().encode())


def _field(source: EventT) -> str:
    return f"{source.message.topic}:{source.message.partition}"


def _outgoing(topic: TopicT, events: Sequence[OutputEvent]) -> list[Outgoing]:
    name = topic.get_topic_name()
    return [Outgoing(name, e.customer_id.encode(), e.model_dump_json().encode()) for e in events]
