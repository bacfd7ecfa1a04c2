"""The checkpoint's order, and what a crash at each of its steps leaves done."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable

import pytest

from streams.pipeline.checkpoint import Checkpoint
from streams.pipeline.ports import Changes, Outgoing

STEPS = ("publish", "save", "seal", "publish sealed")


class Crash(Exception):
    pass


class Recorder:
    """Publish, save and seal that write down what they did, and crash at one step."""

    def __init__(self, crash_at: str | None = None) -> None:
        self.done: list[str] = []
        self.crash_at = crash_at

    def _step(self, name: str) -> None:
        if name == self.crash_at:
            raise Crash(name)
        self.done.append(name)

    async def publish(self, outgoing: list[Outgoing]) -> None:
        self._step("publish sealed" if outgoing and outgoing[0].topic == "alerts" else "publish")

    async def save(self, changes: list[Changes]) -> None:
        self._step("save")

    async def seal(self, publish: Callable[[list[bytes]], Awaitable[None]]) -> Counter[str]:
        self._step("seal")
        await publish([b'{"customer_id": "c1"}'])
        return Counter({"out:churn_alert": 1})


def _commit(recorder: Recorder) -> Counter[str]:
    checkpoint = Checkpoint([Outgoing("risk", b"c1", b"{}")], [Changes(0)])
    return asyncio.run(checkpoint.commit(recorder.publish, recorder, recorder, "alerts"))


def test_a_checkpoint_publishes_then_saves_then_seals_and_publishes_what_the_seal_chose():
    recorder = Recorder()
    assert _commit(recorder) == Counter({"out:churn_alert": 1})
    assert recorder.done == list(STEPS)


@pytest.mark.parametrize("crash_at", STEPS)
def test_a_crash_at_any_step_leaves_only_the_steps_before_it_done(crash_at):
    recorder = Recorder(crash_at)
    with pytest.raises(Crash):
        _commit(recorder)
    assert recorder.done == list(STEPS[: STEPS.index(crash_at)])


def test_without_a_capacity_nothing_is_sealed():
    recorder = Recorder()
    checkpoint = Checkpoint([Outgoing("risk", b"c1", b"{}")], [Changes(0)])
    assert asyncio.run(checkpoint.commit(recorder.publish, recorder, None, "alerts")) == Counter()
    assert recorder.done == ["publish", "save"]
