import faust

from streams.clients.security import kafka_client_options
from streams.settings import Settings
from streams.storage.connection import redis_client_options
from streams.worker.credentials import faust_credentials


def test_plaintext_kafka_needs_no_credentials():
    assert faust_credentials(Settings()) is None
    assert kafka_client_options(Settings()) == {"security_protocol": "PLAINTEXT"}


def test_sasl_ssl_reaches_faust_and_kafka_python(tmp_path):
    settings = Settings(
        kafka_security_protocol="SASL_SSL",
        kafka_sasl_mechanism="SCRAM-SHA-256",
        kafka_username="svc",
        kafka_password="pw",
    )
    credentials = faust_credentials(settings)
    assert isinstance(credentials, faust.SASLCredentials)
    assert (credentials.username, credentials.password) == ("svc", "pw")
    assert credentials.ssl_context is not None
    assert kafka_client_options(settings)["sasl_mechanism"] == "SCRAM-SHA-256"


def test_tls_only_kafka():
    assert isinstance(
        faust_credentials(Settings(kafka_security_protocol="SSL")), faust.SSLCredentials
    )


def test_redis_acl_user_password_and_ca():
    options = redis_client_options(
        Settings(redis_username="engine", redis_password="pw", redis_ca_file="/etc/ca.pem")
    )
    assert options == {"username": "engine", "password": "pw", "ssl_ca_certs": "/etc/ca.pem"}


def test_no_secret_shows_in_settings_output():
    settings = Settings(redis_password="redis-secret", kafka_password="kafka-secret")
    shown = repr(settings) + str(settings) + settings.model_dump_json()
    assert "redis-secret" not in shown and "kafka-secret" not in shown
