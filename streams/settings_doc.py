"""The configuration reference, written from the settings class itself: one source of truth.

    python -m streams.settings_doc > docs/configuration.md

``tests/unit/test_docs.py`` fails when the committed page and this output differ.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import SecretStr

from streams.settings import Settings

INTRO = """# Configuration

Every setting is an environment variable, read once into one frozen pydantic-settings class
(`streams/settings.py`); secrets are `SecretStr` and never printed. The engine, the CLI and
the console read the same class. This page is written from it
(`python -m streams.settings_doc > docs/configuration.md`).

| variable | default | meaning |
| --- | --- | --- |
"""


def _default(value: Any) -> str:
    if value is None or isinstance(value, SecretStr):
        return "unset"
    if value == "":
        return "empty"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, tuple | list):
        return f"`{json.dumps([v if v != int(v) else int(v) for v in value])}`"
    return f"`{value}`"


def _meaning(description: str | None) -> str:
    text = (description or "").rsplit(" Env: CHURNWATCH_", 1)[0]
    return text.replace("|", "\\|")


def configuration_markdown() -> str:
    """The configuration page: one row per setting, in the class's order.

    >>> page = configuration_markdown()
    >>> "| `CHURNWATCH_HORIZON_DAYS` | `90` |" in page
    True
    """
    rows = [
        f"| `CHURNWATCH_{name.upper()}` | {_default(f.default)} | {_meaning(f.description)} |"
        for name, f in Settings.model_fields.items()
    ]
    return INTRO + "\n".join(rows) + "\n"


if __name__ == "__main__":
    print(configuration_markdown(), end="")
