"""The in-process driver equals the broker run; a recording of a replay replays the same."""

from __future__ import annotations

import orjson
import pytest

from streams.dev.demo import DemoRequest, run_demo
from tests.integration.test_cli import _churnwatch

pytestmark = pytest.mark.integration


def _ids(path) -> list[str]:
    records = [orjson.loads(line) for line in path.read_bytes().splitlines()]
    return sorted(str(r.get("alert_id") or r.get("recovery_id")) for r in records)


def _demo(settings, path, out, in_process: bool) -> dict:
    scores, alerts = out / "scores.csv", out / "alerts.jsonl"
    request = DemoRequest(str(path), scores_out=str(scores), alerts_out=str(alerts))
    out.mkdir()
    summary = run_demo(
        settings, DemoRequest(**{**request.__dict__, "in_process": in_process}), None
    )
    return {"summary": summary, "scores": scores.read_bytes(), "alert_ids": _ids(alerts)}


@pytest.mark.both_brokers
def test_demo_in_process_equals_the_broker_run_with_garbage_and_duplicates(
    settings_factory, input_file, tmp_path
):
    path, valid, invalid = input_file(customers=300, days=400, duplicates=12)
    broker = _demo(settings_factory(), path, tmp_path / "broker", in_process=False)
    in_process = _demo(settings_factory(), path, tmp_path / "in-process", in_process=True)

    assert in_process["scores"] == broker["scores"]  # byte for byte
    assert in_process["alert_ids"] == broker["alert_ids"]
    assert len(broker["alert_ids"]) > 20
    for figure in ("events_processed", "duplicates", "dead_letters", "dead_letters_by_reason"):
        assert in_process["summary"][figure] == broker["summary"][figure], figure
    assert broker["summary"]["events_processed"] == valid
    assert broker["summary"]["dead_letters"] == invalid and broker["summary"]["duplicates"] == 12


def test_replay_then_record_then_demo_in_process_gives_the_same_scores(
    settings_factory, input_file, tmp_path
):
    path, _, invalid = input_file(customers=200, days=300, duplicates=5)
    settings = settings_factory()
    replayed = _churnwatch("replay", str(path), settings=settings)
    assert replayed.returncode == 0, replayed.stderr.decode()
    recorded_path = tmp_path / "recorded.jsonl"
    recorded = _churnwatch(
        "record",
        "--out",
        str(recorded_path),
        "--from-beginning",
        "--until-idle",
        "3",
        settings=settings,
    )
    assert recorded.returncode == 0, recorded.stderr.decode()
    assert recorded_path.read_bytes().count(b"\n") == path.read_bytes().count(b"\n")

    original = _demo(settings_factory(), path, tmp_path / "original", in_process=True)
    again = _demo(settings_factory(), recorded_path, tmp_path / "again", in_process=True)
    assert again["scores"] == original["scores"]
    assert again["alert_ids"] == original["alert_ids"]
    assert again["summary"]["dead_letters"] == original["summary"]["dead_letters"] == invalid
