from models.features import DAY, FEATURE_NAMES
from models.labels import label_by_purchase, label_expired, next_label_due, take_snapshot
from models.state import CustomerState

X = dict.fromkeys(FEATURE_NAMES, 1.0)


def _with_snapshots(*days: float) -> CustomerState:
    state = CustomerState("c1")
    for day in days:
        take_snapshot(state, X, day * DAY, every_days=1)
    return state


def test_purchase_within_the_horizon_labels_not_churned():
    state = _with_snapshots(0, 10)
    labels = label_by_purchase(state, 50 * DAY, horizon_days=90)
    assert [(e.taken_at / DAY, e.churned, e.labelled_at / DAY) for e in labels] == [
        (0, False, 90),  # learned once the horizon has passed, like a churned label would be
        (10, False, 100),
    ]
    assert state.pending == []


def test_purchase_after_the_horizon_labels_churned():
    state = _with_snapshots(0)
    assert [e.churned for e in label_by_purchase(state, 95 * DAY, horizon_days=90)] == [True]


def test_purchase_before_a_snapshot_leaves_it_pending():
    state = _with_snapshots(20)
    assert label_by_purchase(state, 10 * DAY, horizon_days=90) == []
    assert len(state.pending) == 1


def test_silence_labels_churned_only_after_horizon_and_lateness():
    state = _with_snapshots(0, 30)
    assert next_label_due(state, 90, 3600) == 90 * DAY + 3600
    assert label_expired(state, 90 * DAY + 3599, 90, 3600) == []
    (label,) = label_expired(state, 100 * DAY, 90, 3600)
    assert (label.taken_at, label.churned, label.features) == (0.0, True, X)
    assert [p.taken_at for p in state.pending] == [30 * DAY]


def test_snapshots_fall_on_calendar_ticks_only():
    state = CustomerState("c1")
    for hour in range(0, 90 * 24, 4):
        take_snapshot(state, X, hour * 3600.0, every_days=7)
    assert [p.taken_at / DAY for p in state.pending] == [7.0 * k for k in range(13)]
