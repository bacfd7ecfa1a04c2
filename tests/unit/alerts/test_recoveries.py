from alerts.events import deterministic_id
from alerts.recoveries import PendingRecovery, PublishedAlert, answer
from models.features import DAY


def _bought(customer: str, day: float, key: str = "r") -> PendingRecovery:
    return PendingRecovery(f"{key}-{customer}-{day}", customer, day * DAY, 10.0)


def test_a_purchase_answers_the_published_alert_and_counts_from_its_publication():
    (recovery,), answered = answer([_bought("c1", 12.5)], {"c1": PublishedAlert("a1", 10 * DAY)})
    assert answered == {"c1"}
    assert recovery.alert_id == "a1"
    assert recovery.recovery_id == deterministic_id("c1", "recovered", "a1")
    assert recovery.days_to_recovery == 2.5


def test_a_customer_whose_alert_was_never_published_recovers_from_nothing():
    assert answer([_bought("c1", 12.0)], {}) == ([], set())


def test_an_alert_is_answered_once_by_the_first_purchase_after_it_whatever_the_order_given():
    published = {"c1": PublishedAlert("a1", 10 * DAY)}
    later, first = _bought("c1", 14.0), _bought("c1", 11.0)
    recoveries, _ = answer([later, first], published)
    assert [r.timestamp.timestamp() for r in recoveries] == [11 * DAY]


def test_a_late_purchase_from_before_the_publication_answers_nothing_and_keeps_the_alert():
    published = {"c1": PublishedAlert("a1", 10 * DAY)}
    assert answer([_bought("c1", 9.0)], published) == ([], set())
    recoveries, answered = answer([_bought("c1", 9.0), _bought("c1", 10.5)], published)
    assert [r.days_to_recovery for r in recoveries] == [0.5] and answered == {"c1"}


def test_customers_are_answered_each_from_their_own_alert_in_event_time_order():
    published = {"c1": PublishedAlert("a1", 1 * DAY), "c2": PublishedAlert("a2", 2 * DAY)}
    recoveries, answered = answer([_bought("c2", 3.0), _bought("c1", 4.0)], published)
    assert [(r.customer_id, r.alert_id) for r in recoveries] == [("c2", "a2"), ("c1", "a1")]
    assert answered == {"c1", "c2"}
