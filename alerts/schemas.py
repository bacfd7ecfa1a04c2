"""JSON Schemas of every event churnwatch publishes, for downstream services to validate."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
from pydantic import BaseModel

from alerts.events import ChurnAlert, CustomerRecovered, ModelDrift, RiskUpdate

PUBLISHED: dict[str, type[BaseModel]] = {
    "churn_alert": ChurnAlert,
    "customer_recovered": CustomerRecovered,
    "model_drift": ModelDrift,
    "risk_update": RiskUpdate,
}


def json_schemas(extra: dict[str, type[BaseModel]] | None = None) -> dict[str, dict[str, Any]]:
    """Each published event's JSON Schema, by its ``type``."""
    models = {**PUBLISHED, **(extra or {})}
    return {name: model.model_json_schema() for name, model in sorted(models.items())}


def write_schemas(directory: Path, schemas: dict[str, dict[str, Any]]) -> list[Path]:
    """Write ``<type>.schema.json`` files; the same models always give the same bytes."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, schema in schemas.items():
        path = directory / f"{name}.schema.json"
        path.write_bytes(
            orjson.dumps(schema, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n"
        )
        written.append(path)
    return written
