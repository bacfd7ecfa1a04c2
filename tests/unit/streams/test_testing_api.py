"""The public test API and the pytest fixture, as an engineer's suite would use them."""

from __future__ import annotations

from streams.dev.synthetic import generate_events

EVENTS = list(generate_events(30, 200, seed=5))


def test_the_fixture_replays_dictionaries_lines_and_garbage_alike(churnwatch_replay):
    replay = churnwatch_replay([*EVENTS, "not json", b'{"type":"purchase"}'], horizon_days=60)
    assert replay.stats["processed"] == len(EVENTS)
    assert [d["reason"] for d in replay.dead_letters] == ["malformed_json", "invalid_fields"]
    assert replay.risk_updates and len(replay.states) == 30
    assert replay.scores_csv().startswith("customer_id,risk,tier")


def test_settings_change_what_the_engine_does(churnwatch_replay):
    usual = churnwatch_replay(EVENTS).scores_csv()
    assert churnwatch_replay(EVENTS, horizon_days=30).scores_csv() != usual
