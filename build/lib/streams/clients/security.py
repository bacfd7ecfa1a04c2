"""How the settings' credentials reach every Kafka and Redis client, in one place."""

from __future__ import annotations

import ssl
from typing import Any

import faust
from faust.types.auth import CredentialsT

from streams.settings import Settings


def _ssl_context(settings: Settings) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=settings.kafka_ca_file)


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
            "sasl_plain_password": _secret(settings.kafka_password),
        }
    if protocol.endswith("SSL") and settings.kafka_ca_file:
        options["ssl_cafile"] = settings.kafka_ca_file
    return options


def faust_credentials(settings: Settings) -> CredentialsT | None:
    """The worker's broker credentials in Faust's terms (None for plaintext)."""
    protocol = settings.kafka_security_protocol
    if protocol.startswith("SASL"):
        return faust.SASLCredentials(
            username=settings.kafka_username,
            password=_secret(settings.kafka_password),
            mechanism=settings.kafka_sasl_mechanism,
            ssl_context=_ssl_context(settings) if protocol == "SASL_SSL" else None,
        )
    if protocol == "SSL":
        return faust.SSLCredentials(_ssl_context(settings))
    return None


def redis_client_options(settings: Settings) -> dict[str, Any]:
    """Keyword arguments for redis-py: ACL user, password, and the CA for ``rediss://`` URLs."""
    options: dict[str, Any] = {"password": _secret(settings.redis_password)}
    if settings.redis_username:
        options["username"] = settings.redis_username
    if settings.redis_ca_file:
        options["ssl_ca_certs"] = settings.redis_ca_file
    return options


def _secret(value: Any) -> str | None:
    return value.get_secret_value() if value is not None else None
