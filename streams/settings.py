"""All of churnwatch's configuration: one frozen settings class read from ``CHURNWATCH_*``."""

from __future__ import annotations

import json
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from streams.alert_settings import AlertSettings, env


class Settings(AlertSettings):
    """Settings for the worker, the CLI and the demo; each field names its environment variable.

    The alert policy's fields are declared in :class:`~streams.alert_settings.AlertSettings`.
    """

    model_config = SettingsConfigDict(env_prefix="CHURNWATCH_", frozen=True, extra="ignore")

    kafka_url: str | None = Field(
        None,
        description=env(
            "kafka_url",
            "Kafka bootstrap URL, e.g. kafka://127.0.0.1:9092. Unset: `demo` starts an "
            "embedded broker; other commands refuse to guess.",
        ),
    )
    embedded_broker: Literal["tansu", "apache-kafka"] = Field(
        "tansu",
        description=env(
            "embedded_broker",
            "The broker `demo` and `services` start when CHURNWATCH_KAFKA_URL is unset: "
            "'tansu' (needs nothing else) or 'apache-kafka' (Apache Kafka from Maven Central "
            "jars; needs Java 17 and Maven).",
        ),
    )
    redis_url: str | None = Field(
        None,
        description=env(
            "redis_url",
            "Redis URL, e.g. redis://127.0.0.1:6379/0. Unset: `demo` starts an embedded Valkey.",
        ),
    )
    redis_cluster: bool = Field(
        False,
        description=env(
            "redis_cluster",
            "CHURNWATCH_REDIS_URL names one node of a Redis (or Valkey) Cluster: each input "
            "partition's keys live in one slot and save in one transaction on its primary.",
        ),
    )
    redis_password: SecretStr | None = Field(
        None, description=env("redis_password", "Redis password (never logged).")
    )
    redis_username: str | None = Field(
        None, description=env("redis_username", "Redis ACL user (with the password).")
    )
    redis_ca_file: str | None = Field(
        None, description=env("redis_ca_file", "CA bundle for a rediss:// (TLS) Redis URL.")
    )
    kafka_security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = Field(
        "PLAINTEXT", description=env("kafka_security_protocol", "How to talk to Kafka.")
    )
    kafka_sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] = Field(
        "PLAIN", description=env("kafka_sasl_mechanism", "SASL mechanism for SASL_* protocols.")
    )
    kafka_username: str | None = Field(None, description=env("kafka_username", "SASL user name."))
    kafka_password: SecretStr | None = Field(
        None, description=env("kafka_password", "SASL password (never logged).")
    )
    kafka_ca_file: str | None = Field(
        None, description=env("kafka_ca_file", "CA bundle for SSL and SASL_SSL.")
    )
    topic_prefix: str = Field(
        "", description=env("topic_prefix", "Prefix for every topic name, e.g. 'shop1.'.")
    )
    redis_namespace: str = Field(
        "churnwatch",
        description=env("redis_namespace", "Prefix of every Redis key the engine writes."),
    )
    app_id: str = Field(
        "churnwatch", description=env("app_id", "Faust app id, also the Kafka consumer group.")
    )
    partitions: int = Field(
        4, ge=1, description=env("partitions", "Partitions of every topic churnwatch creates.")
    )
    horizon_days: int = Field(
        90,
        ge=1,
        description=env(
            "horizon_days", "Churn horizon H: risk is P(no purchase in the next H days)."
        ),
    )
    batch_max_events: int = Field(
        1000, ge=1, description=env("batch_max_events", "Most events taken in one batch.")
    )
    batch_max_wait_ms: int = Field(
        10,
        ge=1,
        description=env(
            "batch_max_wait_ms", "Longest an event waits for its batch to fill, in ms."
        ),
    )
    fetch_max_wait_ms: int = Field(
        20,
        gt=0,
        description=env(
            "fetch_max_wait_ms",
            "Longest a consumer fetch waits at the broker for new data, in ms (Faust's own "
            "1500 adds that much latency on brokers that do not answer early).",
        ),
    )
    fetch_max_bytes: int = Field(
        1_048_576,
        ge=1024,
        description=env(
            "fetch_max_bytes",
            "Most bytes a consumer fetch returns per partition (Faust's consumer_max_fetch_size).",
        ),
    )
    max_message_bytes: int = Field(
        65536,
        ge=256,
        description=env("max_message_bytes", "Larger input messages are dead-lettered."),
    )
    max_future_skew_hours: float = Field(
        48.0,
        ge=0,
        description=env(
            "max_future_skew_hours",
            "Events stamped this far past the wall clock are dead-lettered (a broken clock). "
            "The only use of the wall clock: validation, never business logic.",
        ),
    )
    allowed_lateness_minutes: float = Field(
        60.0,
        ge=0,
        description=env(
            "allowed_lateness_minutes",
            "How long past its horizon a pending example waits for a late purchase before it "
            "is labelled churned.",
        ),
    )
    example_every_days: float = Field(
        28.0,
        gt=0,
        description=env(
            "example_every_days",
            "Calendar spacing of training examples: every customer not long dormant is "
            "snapshotted at each such tick (days since the epoch), then labelled by what follows.",
        ),
    )
    model_update_days: float = Field(
        7.0,
        gt=0,
        description=env(
            "model_update_days",
            "Event-time length of a model period: every worker scores a period with the model "
            "that learned all labels known before it.",
        ),
    )
    min_labels: int = Field(
        200,
        ge=1,
        description=env(
            "min_labels", "Labels of each class before the learned model may replace the heuristic."
        ),
    )
    model_window_days: float = Field(
        180.0,
        gt=0,
        description=env(
            "model_window_days",
            "Event time of labels each model period's fit sees: the labels that became known "
            "in the last this many days.",
        ),
    )
    model_drift_relearn: bool = Field(
        True,
        description=env(
            "model_drift_relearn",
            "Respond to a change the drift detectors find: for a horizon after it the refit "
            "serves even where the guard preferred the hand-set heuristic, and after a rise in "
            "its loss it learns only from labels since the change (at least a horizon of them).",
        ),
    )
    model_labels_per_period: int = Field(
        5000,
        ge=100,
        description=env(
            "model_labels_per_period",
            "Most labels of one model period a fit uses (a deterministic uniform sample beyond "
            "it), so the cost of learning is bounded at any population size.",
        ),
    )
    max_due_checks_per_batch: int = Field(
        2000,
        ge=1,
        description=env(
            "max_due_checks_per_batch", "Most inactivity checks per partition in one batch."
        ),
    )
    broker_session_timeout_s: float = Field(
        6.0,
        gt=0,
        description=env("broker_session_timeout_s", "Kafka consumer session timeout, seconds."),
    )
    broker_rebalance_timeout_s: float = Field(
        3.0,
        gt=0,
        description=env("broker_rebalance_timeout_s", "Kafka rebalance timeout, seconds."),
    )
    metrics_port: int = Field(
        6066,
        ge=1,
        le=65535,
        description=env("metrics_port", "Port of the worker's /health and /metrics pages."),
    )
    metrics_host: str = Field(
        "127.0.0.1",
        description=env("metrics_host", "Address the /health and /metrics pages listen on."),
    )
    console_host: str = Field(
        "127.0.0.1",
        description=env(
            "console_host",
            "Address `churnwatch console` listens on. Anything but loopback needs "
            "CHURNWATCH_CONSOLE_TOKEN.",
        ),
    )
    console_port: int = Field(
        8050, ge=0, le=65535, description=env("console_port", "Port of the retention console.")
    )
    console_token: SecretStr | None = Field(
        None,
        description=env(
            "console_token",
            "Token every console page and its live stream require (a Bearer header, HTTP Basic "
            "with any user and the token as password, or a sign-in form that sets a cookie). "
            "Required when the console binds beyond loopback.",
        ),
    )
    currency: str = Field(
        "",
        max_length=8,
        description=env(
            "currency",
            "Shown before every amount the console and the CLI show, e.g. '€' or 'USD ' "
            "(amounts are in the shop's own currency, as its events give them).",
        ),
    )
    log_level: str = Field("warn", description=env("log_level", "crit|error|warn|info|debug."))
    event_loop: Literal["uvloop", "aio"] = Field(
        "uvloop",
        description=env(
            "event_loop",
            "The worker's asyncio event loop: uvloop (measured: 6 to 32% less worker CPU per "
            "event) or aio, Python's own (uvloop has no Windows build).",
        ),
    )

    def topic(self, name: str) -> str:
        """The full name of one of churnwatch's topics.

        >>> Settings(topic_prefix="t1.").topic("purchases")
        't1.purchases'
        """
        return f"{self.topic_prefix}{name}"

    def as_environment(self) -> dict[str, str]:
        """These settings as ``CHURNWATCH_*`` variables, to hand to a worker process."""
        environment: dict[str, str] = {}
        for name, value in self.model_dump(mode="json").items():
            secret = getattr(self, name)
            if isinstance(secret, SecretStr):
                value = secret.get_secret_value()
            if value is None:
                continue
            # lists and tuples go as JSON, which is how pydantic-settings reads them back
            text = json.dumps(value) if isinstance(value, list | dict) else str(value)
            environment[f"CHURNWATCH_{name.upper()}"] = text
        return environment

    def with_services(self, kafka_url: str, redis_url: str) -> Settings:
        """A copy of these settings pointed at the given services."""
        return self.model_copy(update={"kafka_url": kafka_url, "redis_url": redis_url})
