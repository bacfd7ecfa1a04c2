"""Testing with churnwatch: the real engine in your test process, events in, outputs out.

    from streams.testing import replay_events

    def test_a_silent_customer_is_alerted_once():
        replay = replay_events(my_events)
        assert [a["customer_id"] for a in replay.alerts if a["type"] == "churn_alert"] == ["c1"]

:func:`replay_lines` takes JSON lines as recorded by ``churnwatch record`` (garbage
included); :func:`replay_events` takes dictionaries. Both run the engine the worker runs, on
in-memory stores, and give a :class:`Replay`: ``alerts`` (churn alerts and recoveries),
``risk_updates``, ``dead_letters``, ``states``, ``stats`` and ``scores_csv()``, the same
bytes a broker run gives for the same input.

Installed with churnwatch, :mod:`streams.pytest_plugin` adds the ``churnwatch_replay``
fixture to pytest: it replays with settings of your choosing, e.g.
``churnwatch_replay(lines, horizon_days=60)``.
"""

from __future__ import annotations

from streams.dev.inprocess import Replay, replay_events, replay_lines

__all__ = ["Replay", "replay_events", "replay_lines"]
