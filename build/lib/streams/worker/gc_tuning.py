"""Garbage-collector settings for the worker process.

CPython runs its cyclic collector every 700 net allocations, and a full collection walks every
live object. A worker allocates a great deal per event (decoded events, states, outputs) while
holding tens of thousands of events in the event-time merger, so with the defaults the
collector took 5.5 to 7.4 s of 50,000-event replays that ran in 22 to 30 s. The engine makes
few reference cycles, so collecting rarely frees the same memory late, not more memory.
"""

from __future__ import annotations

import gc

# Allocations between young collections, then young collections per middle one, and middle
# ones per full collection (the defaults are 700, 10, 10).
THRESHOLDS = (100_000, 50, 100)


def tune_gc() -> None:
    """Collect rarely, and never walk what exists once the worker is set up.

    >>> before = gc.get_threshold()
    >>> tune_gc()
    >>> gc.get_threshold() == THRESHOLDS
    True
    >>> gc.unfreeze(); gc.set_threshold(*before)
    """
    gc.collect()
    gc.freeze()  # modules, settings and the app: alive for the whole run
    gc.set_threshold(*THRESHOLDS)
