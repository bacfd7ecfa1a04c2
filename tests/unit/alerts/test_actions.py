import orjson
import pytest

from alerts.actions import DEFAULT_ACTION_RULES, load_action_rules, recommend_action
from alerts.events import Reason


def _reason(code: str) -> Reason:
    return Reason(code=code, weight=1.0, text="...")


@pytest.mark.parametrize(
    ("codes", "priority", "stage", "categories", "action"),
    [
        (["open_complaint", "overdue"], 1, "at_risk", ["delivery"], "service_recovery"),
        (["overdue"], 2, "at_risk", ["price"], "price_offer"),
        (["overdue"], 1, "at_risk", [], "personal_call"),
        (["spend_decline"], 2, "active", [], "personalised_offer"),
        (["overdue"], 3, "lapsed", [], "automated_winback"),
        (["one_time_buyer"], 4, "new", [], "onboarding_nudge"),
        (["slow_rhythm"], 4, "active", [], "reminder_message"),
    ],
)
def test_default_table(codes, priority, stage, categories, action):
    reasons = [_reason(c) for c in codes]
    assert recommend_action(reasons, 100.0, priority, stage, frozenset(categories)) == action


def test_a_team_can_replace_the_table(tmp_path):
    path = tmp_path / "actions.json"
    path.write_bytes(
        orjson.dumps(
            [
                {"action": "vip_desk", "min_clv": 100.0, "lifecycle_stages": ["at_risk"]},
                {"action": "email"},
            ]
        )
    )
    rules = load_action_rules(str(path))
    assert recommend_action([_reason("overdue")], 150.0, 2, "at_risk", frozenset(), rules) == (
        "vip_desk"
    )
    assert recommend_action([_reason("overdue")], 150.0, 2, "lapsed", frozenset(), rules) == "email"


@pytest.mark.parametrize(
    "table",
    [
        [{"action": "vip_desk", "min_clv": 100.0}],
        [{"action": "vip_desk", "max_priority": 1}],
        [{"action": "email", "when": "always"}],
        [],
    ],
)
def test_a_table_without_fallback_or_with_unknown_fields_is_refused(tmp_path, table):
    path = tmp_path / "actions.json"
    path.write_bytes(orjson.dumps(table))
    with pytest.raises(ValueError):
        load_action_rules(str(path))


def test_default_table_ends_with_a_fallback():
    assert DEFAULT_ACTION_RULES[-1].is_fallback
