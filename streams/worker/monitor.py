"""Faust's monitor without its per-message bookkeeping.

Faust's default monitor times and counts every message and event for its own stats page;
churnwatch exports its figures from the engine (``streams.worker.metrics``), so that work
is paid for nothing on the hot path. This monitor, set through Faust's ``Monitor`` setting,
keeps only what Faust itself reads back: when each partition's stream last took an event,
for its check of stalled partitions.
"""

from __future__ import annotations

from time import monotonic
from typing import Any

from faust.sensors.monitor import Monitor


class QuietMonitor(Monitor):
    def on_message_in(self, tp: Any, offset: int, message: Any) -> None:
        return None

    def on_stream_event_in(self, tp: Any, offset: int, stream: Any, event: Any) -> None:
        self.stream_inbound_time[tp] = monotonic()  # read by Faust's stalled-partition check

    def on_stream_event_out(
        self, tp: Any, offset: int, stream: Any, event: Any, state: Any = None
    ) -> None:
        return None

    def on_message_out(self, tp: Any, offset: int, message: Any) -> None:
        return None
