"""How the settings' credentials reach every kafka-python client, in one place (Faust's: the
worker's credentials; Redis's: the storage connection's)."""

from __future__ import annotations

from typing import Any

from streams.settings import Settings


def kafka_client_options(settings: Settings) -> dict[str, Any]:
    """Keyword arguments for kafka-python clients (admin, producer, consumer).

    >>> kafka_client_options(Settings())
    {'security_protocol': 'PLAINTEXT'}
    >>> opts = kafka_client_options(Settings(kafka_security_protocol="SASL_SSL",
    ...     kafka_username="svc", kafka_password="pw", kafka_sasl_mechanism="SCRAM-SHA-512"))
    >>> opts["sasl_mechanism"], opts["sasl_plain_username"], opts["sasl_plain_password"]
    ('SCRAM-SHA-512', 'svc', 'pw')
    """
    protocol = settings.kafka_security_protocol
    options: dict[str, Any] = {"security_protocol": protocol}
    if protocol.startswith("SASL"):
        options |= {
            "sasl_mechanism": settings.kafka_sasl_mechanism,
            "sasl_plain_username": settings.kafka_username,
            "sasl_plain_password": secret(settings.kafka_password),
        }
    if protocol.endswith("SSL") and settings.kafka_ca_file:
        options["ssl_cafile"] = settings.kafka_ca_file
    return options


def secret(value: Any) -> str | None:
    return value.get_secret_value() if value is not None else None
