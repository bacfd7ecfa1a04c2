"""The work queue: which alerts are open, in what order, and which marks may be stored."""

from __future__ import annotations

import random
from typing import Any

import orjson

from alerts.marks import Mark
from alerts.worklist import AlertBook, QueueFilter, TooLate, work_order


def alert(alert_id: str, customer: str = "c1", **fields: Any) -> dict[str, Any]:
    return {
        "type": "churn_alert",
        "alert_id": alert_id,
        "customer_id": customer,
        "tier": "high",
        "priority": 2,
        "value_at_risk": 100.0,
        "recommended_action": "call",
        "lifecycle_stage": "at_risk",
        "holdout": False,
        **fields,
    }


def recovery(alert_id: str, customer: str = "c1") -> dict[str, Any]:
    return {"type": "customer_recovered", "alert_id": alert_id, "customer_id": customer}


def add(book: AlertBook, event: dict[str, Any], at: float = 0.0) -> str | None:
    return book.add(event, orjson.dumps(event), at)


def open_ids(book: AlertBook, chosen: QueueFilter | None = None, **marks: Mark) -> list[str]:
    return [e.alert_id for e in book.page(chosen or QueueFilter(), marks, 1, 10_000).entries]


def test_the_queue_is_in_work_order_priority_then_value_then_newest():
    book = AlertBook()
    add(book, alert("low-value", "c1", priority=1, value_at_risk=50.0), 1.0)
    add(book, alert("p2", "c2", priority=2, value_at_risk=900.0), 2.0)
    add(book, alert("high-value", "c3", priority=1, value_at_risk=80.0), 3.0)
    add(book, alert("newer", "c4", priority=1, value_at_risk=50.0), 4.0)
    assert open_ids(book) == ["high-value", "newer", "low-value", "p2"]


def test_a_recovery_closes_its_alert_even_when_it_was_read_first():
    book = AlertBook()
    add(book, alert("a1"))
    assert add(book, recovery("a1")) == "closed"
    assert open_ids(book) == []
    add(book, recovery("a2", "c2"))
    assert add(book, alert("a2", "c2")) is None
    assert open_ids(book) == []


def test_an_escalation_replaces_the_earlier_alert_of_the_customer():
    book = AlertBook()
    add(book, alert("first", tier="medium"), 1.0)
    add(book, alert("escalated", tier="critical", escalation=True), 2.0)
    assert open_ids(book) == ["escalated"]
    assert [e.alert_id for e in book.of_customer("c1")] == ["first", "escalated"]


def test_a_lapsed_customer_leaves_the_queue_whichever_topic_is_read_first():
    book = AlertBook()
    add(book, alert("a1"), at=10.0)
    assert book.lapse("c1", at=100.0) == "closed"
    late_reader = AlertBook()
    late_reader.lapse("c2", at=100.0)
    add(late_reader, alert("a2", "c2"), at=10.0)
    add(late_reader, alert("after-coming-back", "c3"), at=200.0)
    late_reader.lapse("c3", at=100.0)  # an earlier lapse does not close a later alert
    assert open_ids(book) == [] and open_ids(late_reader) == ["after-coming-back"]


def test_an_alert_whose_customer_is_silent_for_the_horizon_is_too_late_to_list():
    book = AlertBook()
    add(book, alert("stale", "c1"), at=10.0)
    add(book, alert("fresh", "c2"), at=10.0)
    add(book, alert("no-purchase-seen", "c3"), at=10.0)
    late = TooLate({"c1": 5.0, "c2": 50.0}, cutoff=20.0)
    assert book.page(QueueFilter(), {}, 1, 10, late).total == 2
    assert [e.alert_id for e in book.page(QueueFilter(), {}, 1, 10, late).entries] == [
        "fresh",
        "no-purchase-seen",
    ]


def test_a_repeated_alert_is_one_alert():
    book = AlertBook()
    assert add(book, alert("a1")) == "opened"
    assert add(book, alert("a1")) is None
    assert open_ids(book) == ["a1"]


def test_filters_and_marks_choose_what_is_listed():
    book = AlertBook()
    add(book, alert("call", "c1", recommended_action="call", tier="critical"))
    add(book, alert("offer", "c2", recommended_action="offer", priority=1))
    add(book, alert("done", "c3", lifecycle_stage="new"))
    marks = {"done": Mark("dismissed", "", 0.0), "offer": Mark("contacted", "rang", 0.0)}
    assert open_ids(book, QueueFilter(action="offer")) == ["offer"]
    assert open_ids(book, QueueFilter(tier="critical")) == ["call"]
    assert open_ids(book, QueueFilter(priority=1)) == ["offer"]
    assert open_ids(book, QueueFilter(stage="new")) == ["done"]
    assert open_ids(book, QueueFilter(), **marks) == ["offer", "call"]
    assert open_ids(book, QueueFilter(mark="unmarked"), **marks) == ["call"]
    assert open_ids(book, QueueFilter(mark="dismissed"), **marks) == ["done"]
    assert len(open_ids(book, QueueFilter(mark="all"), **marks)) == 3


def test_pages_cover_the_queue_once_in_order():
    book = AlertBook()
    rng = random.Random(3)
    for i in range(237):
        add(book, alert(f"a{i}", f"c{i}", priority=rng.randint(1, 4), value_at_risk=rng.random()))
    pages = [book.page(QueueFilter(), {}, n, 50) for n in range(1, 6)]
    listed = [e for p in pages for e in p.entries]
    assert pages[0].total == 237 and pages[0].pages == 5 and len(pages[-1].entries) == 37
    assert listed == sorted(listed, key=work_order)
    assert len({e.alert_id for e in listed}) == 237
