"""The key layout: one partition's checkpoint writes one slot, whatever it holds."""

from collections import Counter
from typing import Any

from redis.crc import key_slot

from alerts.capacity import Candidate
from alerts.recoveries import PendingRecovery
from models.features import DAY, FEATURE_NAMES
from models.labels import LabelledExample
from models.state import CustomerState
from streams.pipeline.partitions import Partition
from streams.pipeline.ports import Changes
from streams.settings import Settings
from streams.storage.customers import RedisCustomerStore
from streams.storage.keys import StateKeys


class KeysQueued:
    """Records the first argument (the key) of every command queued on it."""

    def __init__(self) -> None:
        self.keys: list[str] = []

    def __getattr__(self, command: str) -> Any:
        def queue(*args: Any, **_: Any) -> None:
            if command == "mset":
                self.keys += list(args[0])
            else:
                self.keys.append(args[0])

        return queue


def _changes(partition: int) -> Changes:
    due, unscheduled = CustomerState("C{1}"), CustomerState("C2")
    due.next_check = 10 * DAY
    label = LabelledExample("C{1}", 0.0, 30 * DAY, True, dict.fromkeys(FEATURE_NAMES, 0.0))
    candidate = Candidate("a1", "C2", DAY, 0.0, 1, 9.0, b"{}")
    return Changes(
        partition,
        states=[due, unscheduled],
        counts=Counter(processed=2),
        checks_through=5 * DAY,
        offsets={Partition("purchases", partition): 7, Partition("complaints", partition): 3},
        labels=[label],
        tallies=Counter(gaps=1),
        candidates=[candidate],
        recoveries=[PendingRecovery("r1", "c-due", 4 * DAY, 12.0)],
        applied=5 * DAY,
    )


def test_everything_a_partition_saves_is_in_the_slot_of_its_tag():
    store = RedisCustomerStore(client=None, settings=Settings(partitions=12))  # type: ignore[arg-type]
    for partition in range(12):
        pipe = KeysQueued()
        store._queue(_changes(partition), pipe)
        slots = {key_slot(k.encode()) for k in pipe.keys}
        assert len(pipe.keys) >= 10  # states, schedule, counters, labels, pulse, ... were queued
        assert store.keys.pending_recoveries(partition) in pipe.keys
        assert slots == {key_slot(store.keys.shard(partition).encode())}


def test_partitions_and_shared_data_have_their_own_slots():
    keys = StateKeys("cw")
    partitions = {key_slot(keys.customer(p, "C9").encode()) for p in range(12)}
    shared = {key_slot(k.encode()) for k in (keys.models, keys.sealed_day, keys.console_marks)}
    assert len(partitions) == 12 and len(shared) == 3 and not partitions & shared
    assert key_slot(keys.model(5).encode()) == key_slot(keys.train_lock(5).encode())
    assert key_slot(keys.progress.encode()) == key_slot(keys.models.encode())
    assert key_slot(keys.console_marks.encode()) == key_slot(keys.console_marks_version.encode())
    assert key_slot(keys.published_alerts.encode()) == key_slot(keys.sealed_day.encode())


def test_a_brace_in_a_customer_id_does_not_move_their_key():
    keys = StateKeys("cw")
    key = keys.customer(3, "{evil}")
    assert key_slot(key.encode()) == key_slot(keys.shard(3).encode())
    assert keys.customer_id_of(key.encode()) == "{evil}"
