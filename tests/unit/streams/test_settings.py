import pytest
from pydantic import ValidationError

from streams.settings import Settings


def test_environment_round_trips_every_setting(monkeypatch):
    original = Settings(
        kafka_url="kafka://h:1",
        redis_password="s3cret",
        holdout_share=0.1,
        priority_value_bands=(500.0, 20.0),
        topic_prefix="x.",
    )
    for name, value in original.as_environment().items():
        monkeypatch.setenv(name, value)
    assert Settings() == original
    assert Settings().redis_password.get_secret_value() == "s3cret"


def test_secrets_never_show_in_repr():
    assert "s3cret" not in repr(Settings(redis_password="s3cret"))


@pytest.mark.parametrize(
    "fields",
    [
        {"alert_medium": 0.8, "alert_high": 0.7},
        {"alert_percentiles": [90, 80, 95]},
        {"priority_value_bands": (10.0, 100.0)},
        {"priority_order_bands": (1.0, 3.0)},
    ],
)
def test_inconsistent_thresholds_are_refused(fields):
    with pytest.raises(ValidationError):
        Settings(**fields)


def test_settings_are_frozen():
    with pytest.raises(ValidationError):
        Settings().horizon_days = 30
