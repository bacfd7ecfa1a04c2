"""The README is the user's first contact: keep its claims tied to the code."""

from __future__ import annotations

import re
from pathlib import Path

from streams.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()


def test_every_setting_is_documented():
    for name in Settings.model_fields:
        assert f"`CHURNWATCH_{name.upper()}`" in README, name


def test_documented_settings_exist():
    documented = set(re.findall(r"`CHURNWATCH_([A-Z_]+)`", README)) - {
        "TEST_KAFKA_URL",
        "TEST_REDIS_URL",
    }
    assert {d.lower() for d in documented} <= set(Settings.model_fields)


def test_ci_runs_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text()
    assert "pip install -e '.[dev]' && pytest" in README
    assert "pip install --quiet --disable-pip-version-check -e '.[dev]'" in ci
    assert ci.rstrip().endswith("pytest")
    assert "churnwatch demo" in README
