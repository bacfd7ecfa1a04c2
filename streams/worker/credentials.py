"""The worker's broker credentials, in Faust's terms (the kafka-python clients': security)."""

from __future__ import annotations

import ssl

import faust
from faust.types.auth import CredentialsT

from streams.clients.security import secret
from streams.settings import Settings


def _ssl_context(settings: Settings) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=settings.kafka_ca_file)


def faust_credentials(settings: Settings) -> CredentialsT | None:
    """The worker's broker credentials in Faust's terms (None for plaintext)."""
    protocol = settings.kafka_security_protocol
    if protocol.startswith("SASL"):
        return faust.SASLCredentials(
            username=settings.kafka_username,
            password=secret(settings.kafka_password),
            mechanism=settings.kafka_sasl_mechanism,
            ssl_context=_ssl_context(settings) if protocol == "SASL_SSL" else None,
        )
    if protocol == "SSL":
        return faust.SSLCredentials(_ssl_context(settings))
    return None
