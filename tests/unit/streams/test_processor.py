"""The batch step, driven the way the engine drives it but with a dict for Redis."""

from __future__ import annotations

import itertools

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from models.heuristic import HeuristicScorer
from streams.dev.synthetic import generate_events
from streams.pipeline.apply import event_time
from streams.pipeline.config import assessment_config
from streams.pipeline.events import PurchaseEvent, decode_event
from streams.pipeline.processor import DueCheck, process_batch, work_order
from streams.settings import Settings
from streams.storage.codec import decode_state, encode_state

CONFIG = assessment_config(Settings())
EVENTS = [decode_event(orjson.dumps(e), 10_000) for e in generate_events(40, 300, seed=3)]


def _replay(batches: list[list]) -> tuple[list[str], dict[str, dict]]:
    """Process batches in turn, saving states between them as the engine does."""
    saved: dict[str, bytes] = {}
    published: list[str] = []
    watermark = None
    for batch in batches:
        watermark = max([watermark or 0.0, *(event_time(e) for e in batch)])
        due = [
            DueCheck(cid, s.next_check)
            for cid, s in ((cid, decode_state(cid, f)) for cid, f in saved.items())
            if s.next_check is not None and s.next_check <= watermark
        ]
        work = [*batch, *due]
        states = {
            i.customer_id: decode_state(i.customer_id, saved.get(i.customer_id)) for i in work
        }
        result = process_batch(states, work, HeuristicScorer(), CONFIG, watermark)
        published += [a.model_dump_json() for a in result.alerts]
        for cid, state in result.states.items():
            saved[cid] = encode_state(state)
    return sorted(published), saved


ONE_BATCH = _replay([EVENTS])


def test_the_population_produces_alerts_of_both_kinds():
    kinds = {orjson.loads(a)["type"] for a in ONE_BATCH[0]}
    assert kinds == {"churn_alert", "customer_recovered"}


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(1, len(EVENTS) - 1), max_size=12, unique=True))
def test_any_cut_into_batches_gives_the_same_alerts_and_state(cuts):
    bounds = [0, *sorted(cuts), len(EVENTS)]
    batches = [EVENTS[a:b] for a, b in itertools.pairwise(bounds)]
    assert _replay(batches) == ONE_BATCH


def test_producer_retries_change_nothing_and_publish_nothing():
    # a retrying producer re-sends its last few events; the engine's offset guard covers
    # Kafka redelivery of whole uncommitted batches (tests/integration)
    again = _replay([EVENTS, EVENTS[-40:]])
    assert again == ONE_BATCH


def test_every_alert_is_caused_by_an_event_or_a_due_check():
    for alert in map(orjson.loads, ONE_BATCH[0]):
        if alert["type"] == "churn_alert":
            assert alert["trigger"]["kind"] in {"purchase", "complaint", "inactivity"}
            assert alert["reasons"], alert


def _purchase(event_id: str, timestamp: str) -> PurchaseEvent:
    line = {"type": "purchase", "event_id": event_id, "customer_id": "c1", "amount": 5.0}
    event = decode_event(orjson.dumps({**line, "timestamp": timestamp}), 10_000)
    assert isinstance(event, PurchaseEvent)
    return event


def test_events_of_one_second_are_ordered_by_their_fraction_of_it_then_checked():
    early = _purchase("z-early", "2026-03-01T10:15:00.120+00:00")
    late = _purchase("a-late", "2026-03-01T10:15:00.980+00:00")
    check = DueCheck("c1", event_time(late))

    assert event_time(early) == event_time(late)  # state keeps whole seconds
    assert sorted([check, late, early], key=work_order) == [early, late, check]
