"""churnwatch's pytest plugin (entry point ``pytest11``): fixtures for engineers' suites."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import orjson
import pytest

from streams.settings import Settings
from streams.testing import Replay, replay_lines


@pytest.fixture
def churnwatch_replay() -> Callable[..., Replay]:
    """``replay(events_or_lines, **settings)``: dictionaries or JSON lines through the engine.

    Settings come from ``CHURNWATCH_*`` as usual, with these fields changed (and validated).
    """

    def replay(inputs: Iterable[dict[str, Any] | bytes | str], **changes: Any) -> Replay:
        lines = [
            item
            if isinstance(item, bytes)
            else item.encode()
            if isinstance(item, str)
            else orjson.dumps(item)
            for item in inputs
        ]
        return replay_lines(lines, Settings(**changes))

    return replay
