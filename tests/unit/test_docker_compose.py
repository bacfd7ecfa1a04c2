"""docker-compose.yml cannot run here (no Docker engine), so it is kept honest by reading it."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse

import pytest
import yaml

from streams.dev.apache_kafka import VERSION as APACHE_KAFKA
from streams.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_services_are_kafka_redis_a_worker_and_the_console(compose):
    services = compose["services"]
    default = {name for name, service in services.items() if "profiles" not in service}
    assert default == {"kafka", "redis", "worker", "console"}
    assert services["kafka"]["image"] == f"apache/kafka:{APACHE_KAFKA}"  # the version tested
    assert services["kafka"]["environment"]["KAFKA_PROCESS_ROLES"] == "broker,controller"


def test_worker_settings_are_real_settings(compose):
    environment = compose["services"]["worker"]["environment"]
    fields = {f"CHURNWATCH_{name.upper()}" for name in Settings.model_fields}
    assert set(environment) <= fields, set(environment) - fields
    settings = Settings(
        **{
            k.removeprefix("CHURNWATCH_").lower(): v
            for k, v in environment.items()
            if "${" not in v
        }
    )
    kafka_environment = compose["services"]["kafka"]["environment"]
    assert settings.partitions == kafka_environment["KAFKA_NUM_PARTITIONS"]


def test_worker_addresses_match_the_services(compose):
    services = compose["services"]
    environment = services["worker"]["environment"]
    kafka = urlparse(environment["CHURNWATCH_KAFKA_URL"])
    assert (
        f"INTERNAL://{kafka.hostname}:{kafka.port}"
        in services["kafka"]["environment"]["KAFKA_ADVERTISED_LISTENERS"]
    )
    redis_url = urlparse(environment["CHURNWATCH_REDIS_URL"])
    assert redis_url.hostname == "redis" and redis_url.port == 6379


def test_redis_keeps_an_append_only_file_and_needs_a_password(compose):
    command = compose["services"]["redis"]["command"]
    assert command[command.index("--appendonly") + 1] == "yes"
    assert "--requirepass" in command
    assert "CHURNWATCH_REDIS_PASSWORD" in compose["services"]["worker"]["environment"]


def test_worker_can_be_scaled(compose):
    worker = compose["services"]["worker"]
    assert "container_name" not in worker and "ports" not in worker
    assert 'CMD ["churnwatch", "worker"]' in (ROOT / "Dockerfile").read_text()


def test_the_console_listens_beyond_loopback_only_with_a_token(compose):
    console = compose["services"]["console"]
    environment = console["environment"]
    fields = {f"CHURNWATCH_{name.upper()}" for name in Settings.model_fields}
    assert set(environment) <= fields, set(environment) - fields
    assert environment["CHURNWATCH_CONSOLE_HOST"] == "0.0.0.0"
    assert environment["CHURNWATCH_CONSOLE_TOKEN"]
    assert console["ports"] == ["127.0.0.1:8050:8050"]  # published on the host's loopback


def test_the_cluster_profile_joins_three_masters_for_its_worker_and_console(compose):
    services = compose["services"]
    profiled = {name for name, service in services.items() if "profiles" in service}
    nodes = {f"redis-node-{n}" for n in (1, 2, 3)}
    assert profiled == {*nodes, "redis-cluster-init", "worker-cluster", "console-cluster"}
    assert all(services[name]["profiles"] == ["cluster"] for name in profiled)
    for node in nodes:
        command = services[node]["command"]
        assert command[command.index("--cluster-enabled") + 1] == "yes"
        assert command[command.index("--appendonly") + 1] == "yes"
    joining = services["redis-cluster-init"]["command"][0]
    assert "--cluster create" in joining and all(f"{n}:6379" in joining for n in nodes)
    fields = {f"CHURNWATCH_{name.upper()}" for name in Settings.model_fields}
    for name in ("worker-cluster", "console-cluster"):
        environment = services[name]["environment"]
        assert set(environment) <= fields, set(environment) - fields
        assert environment["CHURNWATCH_REDIS_CLUSTER"] == "true"
        assert urlparse(environment["CHURNWATCH_REDIS_URL"]).hostname in nodes
        init = services[name]["depends_on"]["redis-cluster-init"]
        assert init == {"condition": "service_completed_successfully"}


def test_testcontainers_run_the_same_kafka():
    conftest = (Path(__file__).resolve().parents[1] / "integration" / "conftest.py").read_text()
    assert 'KafkaContainer(f"apache/kafka:{APACHE_KAFKA}")' in conftest
