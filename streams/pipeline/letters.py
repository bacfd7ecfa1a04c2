"""Dead letters counted once: with the first saved offset that covers them.

A dead letter is published when it is read, but its count must be saved with an input offset
at or past it. Read behind an event of its partition that is still held for event-time order,
it waits here until a checkpoint saves that partition's completed offset beyond it: a worker
killed before then reads the message again and counts it then, once (its dead letter is
published again, with the same ``dead_letter_id``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping

from streams.pipeline.partitions import Partition


class LetterCounts:
    """Dead letters read and published, waiting for a saved offset to cover them.

    >>> letters = LetterCounts()
    >>> letters.add("p", 7, "malformed_json")
    >>> letters.covered({"p": 6})
    Counter()
    >>> letters.covered({"p": 7})
    Counter({'dead_letters': 1, 'dead_letters:malformed_json': 1})
    >>> letters.covered({"p": 9})  # counted once
    Counter()
    """

    def __init__(self) -> None:
        self._waiting: dict[Partition, dict[int, str]] = {}

    def add(self, partition: Partition, offset: int, code: str) -> None:
        self._waiting.setdefault(partition, {})[offset] = code  # read twice: still one letter

    def covered(self, completed: Mapping[Partition, int]) -> Counter[str]:
        """The counts of the letters at or below ``completed`` offsets, taken off the wait."""
        counts: Counter[str] = Counter()
        for partition, offset in completed.items():
            waiting = self._waiting.get(partition, {})
            for letter in [o for o in waiting if o <= offset]:
                counts["dead_letters"] += 1
                counts[f"dead_letters:{waiting.pop(letter)}"] += 1
        return counts

    def forget(self, partitions: Iterable[Partition]) -> None:
        """Partitions taken away in a rebalance: their next owner reads and counts them."""
        for partition in partitions:
            self._waiting.pop(partition, None)
