"""The CLI as a user runs it: a separate process, configured by environment variables."""

from __future__ import annotations

import csv
import os
import subprocess
import sys

import orjson
import pytest

from streams.clients.kafka_io import route_lines
from streams.dev.runner import run_pipeline
from streams.topics import TopicNames

pytestmark = pytest.mark.integration


def _churnwatch(*args: str, settings=None, timeout: float = 300) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("CHURNWATCH_")}
    if settings is not None:
        environment.update(settings.as_environment())
    return subprocess.run(
        [sys.executable, "-m", "streams.cli.main", *args],
        env=environment,
        capture_output=True,
        timeout=timeout,
        check=False,
    )


def test_demo_reports_valid_events_processed_duplicates_and_invalid_dead_lettered(
    services, settings_factory, input_file, tmp_path
):
    path, valid, invalid = input_file(customers=300, days=365, limit=2000 - 9, duplicates=10)
    assert valid + invalid == 2000 and path.read_bytes().count(b"\n") == 2010
    scores_out, alerts_out = tmp_path / "scores.csv", tmp_path / "alerts.jsonl"

    done = _churnwatch(
        "demo",
        "--input",
        str(path),
        "--json",
        "--scores-out",
        str(scores_out),
        "--alerts-out",
        str(alerts_out),
        settings=settings_factory(),
    )

    assert done.returncode == 0, done.stderr.decode()
    summary = orjson.loads(done.stdout)
    counts = ("events_in", "events_processed", "duplicates", "dead_letters")
    assert tuple(summary[c] for c in counts) == (2010, valid, 10, invalid)
    assert summary["elapsed_s"] > 0  # alerts: a shop's first months may rightly have none
    with scores_out.open() as scores:
        rows = list(csv.DictReader(scores))
    assert len(rows) == summary["customers"]
    assert list(rows[0])[:3] == ["customer_id", "risk", "tier"]
    alerts = [orjson.loads(line) for line in alerts_out.read_bytes().splitlines()]
    assert sum(a["type"] == "churn_alert" for a in alerts) == summary["alerts"]


def test_scores_as_of_a_later_date_see_more_silence(settings_factory, input_file):
    settings = settings_factory()
    path, _, _ = input_file(customers=60, days=200, invalid=[])
    with path.open("rb") as lines:
        run_pipeline(settings, route_lines(lines, TopicNames.from_settings(settings)))

    early = _churnwatch("scores", "--as-of", "2025-07-20T00:00:00+00:00", settings=settings)
    late = _churnwatch("scores", "--as-of", "2026-06-01T00:00:00+00:00", settings=settings)

    assert early.returncode == late.returncode == 0, early.stderr.decode() + late.stderr.decode()
    early_rows = {r["customer_id"]: r for r in csv.DictReader(early.stdout.decode().splitlines())}
    late_rows = {r["customer_id"]: r for r in csv.DictReader(late.stdout.decode().splitlines())}
    assert early_rows.keys() == late_rows.keys() and len(early_rows) == 60
    for customer, row in late_rows.items():
        later, earlier = float(row["recency_days"]), float(early_rows[customer]["recency_days"])
        assert later > earlier
    assert sum(float(r["risk"]) for r in late_rows.values()) > sum(
        float(r["risk"]) for r in early_rows.values()
    )

    customer = next(iter(late_rows))
    shown = _churnwatch("inspect", customer, settings=settings)
    assert shown.returncode == 0, shown.stderr.decode()
    description = orjson.loads(shown.stdout)
    assert description["customer_id"] == customer
    assert description["state"]["purchases"] == int(late_rows[customer]["frequency"])
    missing = _churnwatch("inspect", "nobody", settings=settings)
    assert missing.returncode == 1 and b"no customer 'nobody'" in missing.stderr
