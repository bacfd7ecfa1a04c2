"""The worker's view of which partitions are its own, and from where, without a broker."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

from faust.types import TP

from streams.engine_config import engine_config
from streams.pipeline.engine import Engine
from streams.settings import Settings
from streams.worker.consumer import FaustConsumer
from streams.worker.runtime import WorkerRuntime


class _Consumer:
    """Lists an assignment the way aiokafka does: unchanged while the group re-forms."""

    def __init__(self, assignment: set[TP]) -> None:
        self.assignment_now = assignment

    def assignment(self) -> set[TP]:
        return self.assignment_now


async def _unused(*_: Any) -> Any:
    raise AssertionError("no Redis or broker in this test")


def _runtime(assignment: set[TP]) -> WorkerRuntime:
    app: Any = SimpleNamespace(consumer=_Consumer(assignment))
    consumer = FaustConsumer(app, ["purchases", "complaints"])
    return WorkerRuntime(
        consumer, lambda: Engine(engine_config(Settings()), _unused, _unused, _unused)
    )  # type: ignore[arg-type]


def _owned(runtime: WorkerRuntime) -> set[str]:
    return {str(p) for p in runtime.consumer.assigned()}


def test_revoked_partitions_are_not_owned_until_the_new_assignment():
    before = {TP("purchases", 0), TP("complaints", 0), TP("purchases", 1), TP("other", 0)}
    runtime = _runtime(before)
    assert _owned(runtime) == {"purchases:0", "complaints:0", "purchases:1"}

    asyncio.run(runtime.on_partitions_revoked(before))
    assert _owned(runtime) == set()  # the consumer still lists them: the group is re-forming
    assert runtime.engine.owned == frozenset()

    runtime.consumer.app.consumer.assignment_now = {TP("purchases", 1)}
    asyncio.run(runtime.on_partitions_assigned())
    assert _owned(runtime) == {"purchases:1"}
    assert runtime.engine.owned == frozenset({1})


def test_a_new_assignment_resumes_event_time_from_its_partitions():
    runtime = _runtime({TP("purchases", 0)})
    runtime.engine.watermark = 1_700_000_000.0  # where this worker's old partitions had reached
    asyncio.run(runtime.on_partitions_assigned())
    assert runtime.engine.watermark is None  # read again, for the new partitions, before any work


class _Seeking:
    def __init__(self) -> None:
        self.sought: list[tuple[str, int, int]] = []

    async def seek(self, tp: TP, offset: int) -> None:
        self.sought.append((tp.topic, tp.partition, offset))


class _Held:
    def __init__(self) -> None:
        self.message = SimpleNamespace(incref=lambda: setattr(self, "held", True))
        self.held = False


def _batch(*offsets: int) -> list:
    from streams.pipeline.partitions import Partition
    from streams.pipeline.ports import Message

    return [Message(Partition("purchases", 1), o, None, b"{}", _Held()) for o in offsets]


def _resume(consumer: FaustConsumer, offsets: tuple[int, ...], completed: int | None) -> list[int]:
    from streams.pipeline.partitions import Partition

    saved = {} if completed is None else {Partition("purchases", 1): completed}
    messages = _batch(*offsets)
    kept = asyncio.run(consumer.resume_where_applied(messages, saved))
    assert all(m.handle.held for m in messages if m not in kept)  # never acked: no commit past
    return [m.offset for m in kept]


def test_a_partition_resuming_past_what_was_applied_is_sought_back_and_reread():
    seeking = _Seeking()
    consumer = FaustConsumer(SimpleNamespace(consumer=seeking), ["purchases"])  # type: ignore[arg-type]
    assert _resume(consumer, (693, 694), completed=623) == []  # Faust skipped its seek
    assert seeking.sought == [("purchases", 1, 624)] * 2
    assert _resume(consumer, (695,), completed=623) == []  # fetched before our seek: again
    assert _resume(consumer, (624, 625), completed=623) == [624, 625]  # the re-read
    assert _resume(consumer, (626,), completed=None) == [626]
    assert seeking.sought == [("purchases", 1, 624)] * 3


def test_a_gap_of_control_records_is_read_through_after_one_seek():
    seeking = _Seeking()
    consumer = FaustConsumer(SimpleNamespace(consumer=seeking), ["purchases"])  # type: ignore[arg-type]
    assert _resume(consumer, (13,), completed=10) == []
    assert _resume(consumer, (13, 14), completed=10) == [13, 14]  # stepped back: re-read
    assert _resume(consumer, (11, 12), completed=10) == [11, 12]  # no gap: no seek
    assert seeking.sought == [("purchases", 1, 11)]
