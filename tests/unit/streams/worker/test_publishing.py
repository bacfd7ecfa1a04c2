import asyncio

import pytest

from streams.pipeline.ports import Outgoing
from streams.worker import publishing
from streams.worker.publishing import publish


class FlakyProducer:
    """Refuses the messages whose values are in ``refuse`` the first time they are sent."""

    def __init__(self, refuse: set[bytes]) -> None:
        self.refuse = set(refuse)
        self.sent: list[bytes] = []

    async def send_batches(self, messages):
        return [self._send(m.value) for m in messages]

    def _send(self, value: bytes) -> asyncio.Future:
        future: asyncio.Future = asyncio.get_running_loop().create_future()
        self.sent.append(value)
        if value in self.refuse:
            self.refuse.discard(value)
            future.set_exception(RuntimeError("broker went away"))
        else:
            future.set_result(len(self.sent))
        return future


@pytest.fixture(autouse=True)
def no_waiting(monkeypatch):
    monkeypatch.setattr(publishing, "FIRST_RETRY_SECONDS", 0.0)


def _messages(*values: bytes) -> list[Outgoing]:
    return [Outgoing("risk", b"c1", v) for v in values]


def test_every_message_is_sent_once_when_all_land():
    producer = FlakyProducer(refuse=set())
    asyncio.run(publish(producer, _messages(b"1", b"2")))
    assert producer.sent == [b"1", b"2"]


def test_a_refused_message_resends_the_whole_batch_in_order():
    producer = FlakyProducer(refuse={b"1"})
    asyncio.run(publish(producer, _messages(b"1", b"2")))
    # the key's newest value (2) is sent last again, so a compacted topic keeps it
    assert producer.sent == [b"1", b"2", b"1", b"2"]
