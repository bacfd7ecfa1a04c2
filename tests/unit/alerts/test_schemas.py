"""The exported schemas in the repository are what the code publishes."""

from pathlib import Path

import orjson

from alerts.schemas import json_schemas
from streams.pipeline.dead_letters import DeadLetter

SCHEMAS = Path(__file__).resolve().parents[3] / "schemas"


def test_committed_schemas_match_the_models():
    current = json_schemas({"dead_letter": DeadLetter})
    committed = {
        p.name.removesuffix(".schema.json"): orjson.loads(p.read_bytes())
        for p in SCHEMAS.glob("*.schema.json")
    }
    assert committed == current, "run `churnwatch schema` and commit schemas/"


def test_alert_schema_names_the_fields_downstream_relies_on():
    properties = json_schemas()["churn_alert"]["properties"]
    for field in (
        "tier",
        "reasons",
        "recommended_action",
        "clv",
        "value_at_risk",
        "priority",
        "lifecycle_stage",
        "escalation",
        "holdout",
        "alert_id",
        "schema_version",
    ):
        assert field in properties
