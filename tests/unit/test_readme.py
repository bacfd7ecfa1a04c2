"""The README is the user's first contact, and docs/ its reference: keep their claims tied to
the code."""

from __future__ import annotations

import re
from pathlib import Path

from streams.settings import Settings
from streams.settings_doc import configuration_markdown

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()
DOCS = {path.name: path.read_text() for path in (ROOT / "docs").glob("*.md")}


def test_the_configuration_page_is_written_from_the_settings_class():
    assert DOCS["configuration.md"] == configuration_markdown(), (
        "docs/configuration.md is stale: python -m streams.settings_doc > docs/configuration.md"
    )


def test_every_setting_named_anywhere_exists():
    named = set()
    for text in (README, *DOCS.values()):
        named |= set(re.findall(r"`CHURNWATCH_([A-Z_]+)`", text))
    named -= {"TEST_KAFKA_URL", "TEST_REDIS_URL"}
    assert {n.lower() for n in named} <= set(Settings.model_fields)


def test_the_readme_is_a_front_door():
    lines = README.splitlines()
    assert len(lines) <= 200
    first_command = next(i for i, line in enumerate(lines) if "churnwatch demo" in line)
    assert first_command < 80  # on the first screen, or close to it


def test_every_link_into_the_repository_leads_somewhere():
    for text, base in [(README, ROOT), *((t, ROOT / "docs") for t in DOCS.values())]:
        for target in re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", text):
            assert (base / target).exists(), target


def test_ci_runs_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text()
    assert "pip install -e '.[dev]' && pytest" in README
    assert "pip install --quiet --disable-pip-version-check -e '.[dev]'" in ci
    assert ci.rstrip().endswith("pytest")
    assert "churnwatch demo" in README
