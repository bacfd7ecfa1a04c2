"""The worker's view of which partitions are its own, and from where, without a broker."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

from faust.types import TP

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
    return WorkerRuntime(consumer, lambda: Engine(Settings(), _unused, _unused, _unused))  # type: ignore[arg-type]


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
