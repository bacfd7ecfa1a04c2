"""A change in the shop through the real pipeline: found, published once, and acted on."""

from __future__ import annotations

import orjson
import pytest

from alerts.events import ModelDrift
from models.features import DAY
from streams.clients.kafka_io import read_topic, route_lines
from streams.dev.runner import run_pipeline
from streams.dev.synthetic import EPOCH, Change, generate_events
from streams.storage.model_store import snapshot_at_most
from streams.topics import TopicNames

pytestmark = pytest.mark.integration

DAYS, CHANGE_DAY = 520, 400
CHANGE = Change(CHANGE_DAY, gap_factor=2.0, hazard_factor=2.0)


def _replay(settings, customers: int, change: Change | None) -> list[ModelDrift]:
    events = generate_events(customers, DAYS, seed=5, arrivals=1.0, change=change)
    names = TopicNames.from_settings(settings)
    run_pipeline(settings, route_lines((orjson.dumps(e) for e in events), names))
    return [ModelDrift.model_validate_json(v) for v in read_topic(settings, names.model_events)]


def test_a_change_in_the_shop_is_published_within_a_month_and_the_refit_relearns(
    settings_factory,
):
    settings = settings_factory()
    drifts = _replay(settings, 2000, CHANGE)

    changed_at = EPOCH.timestamp() + CHANGE_DAY * DAY
    after = [d for d in drifts if d.timestamp.timestamp() >= changed_at]
    assert after, [d.model_dump() for d in drifts]
    first = after[0]
    assert (first.timestamp.timestamp() - changed_at) / DAY <= 30
    assert len({d.drift_id for d in drifts}) == len(drifts)  # no worker died: each once
    snapshot = snapshot_at_most(settings, 2**62)
    assert snapshot is not None
    assert [d.period for d in snapshot.drifts] == [d.period for d in drifts]
    assert first.signal == "purchase_gaps" and first.response == "learned_model_serves"
    acting = [d.period for d in drifts if d.response != "reported"]
    assert snapshot.changed_at == acting[-1]
    assert snapshot.summary()["drifts"][-1]["signal"] == drifts[-1].signal


def test_an_unchanged_shop_reports_no_drift(settings_factory):
    settings = settings_factory()
    assert _replay(settings, 1000, None) == []
    snapshot = snapshot_at_most(settings, 2**62)
    assert snapshot is not None and snapshot.drifts == [] and snapshot.changed_at is None
