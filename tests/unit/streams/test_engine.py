"""The engine's view of which partitions are this worker's, and from where, without a broker."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

from faust.types import TP

from streams.settings import Settings
from streams.worker.engine import Engine, OutputTopics


class _Consumer:
    """Lists an assignment the way aiokafka does: unchanged while the group re-forms."""

    def __init__(self, assignment: set[TP]) -> None:
        self.assignment_now = assignment

    def assignment(self) -> set[TP]:
        return self.assignment_now


def _unused() -> Any:
    raise AssertionError("no Redis in this test")


def _engine(assignment: set[TP]) -> Engine:
    app: Any = SimpleNamespace(consumer=_Consumer(assignment))
    outputs = OutputTopics(alerts=_unused, risk=_unused, dead_letters=_unused)  # type: ignore[arg-type]
    return Engine(app, Settings(), _unused, _unused, outputs, ["purchases", "complaints"])


def _owned(engine: Engine) -> set[str]:
    return {f"{tp.topic}:{tp.partition}" for tp in engine._assigned()}


def test_revoked_partitions_are_not_owned_until_the_new_assignment():
    before = {TP("purchases", 0), TP("complaints", 0), TP("purchases", 1), TP("other", 0)}
    engine = _engine(before)
    assert _owned(engine) == {"purchases:0", "complaints:0", "purchases:1"}

    asyncio.run(engine.on_partitions_revoked(before))
    assert _owned(engine) == set()  # the consumer still lists them: the group is re-forming

    engine.app.consumer.assignment_now = {TP("purchases", 1)}
    asyncio.run(engine.on_partitions_assigned())
    assert _owned(engine) == {"purchases:1"}


def test_a_new_assignment_resumes_event_time_from_its_partitions():
    engine = _engine({TP("purchases", 0)})
    engine.watermark = 1_700_000_000.0  # where this worker's old partitions had reached
    asyncio.run(engine.on_partitions_assigned())
    assert engine.watermark is None  # read again, for the new partitions, before any work
