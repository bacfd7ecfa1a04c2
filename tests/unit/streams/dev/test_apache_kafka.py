import uuid

from streams.dev import apache_kafka


def test_a_cluster_id_never_starts_with_a_dash(monkeypatch):
    # 0xF8 encodes to "-" as the first URL-safe base64 character.
    drawn = iter([uuid.UUID(bytes=b"\xf8" + bytes(15)), uuid.UUID(bytes=b"\x01" + bytes(15))])
    monkeypatch.setattr(apache_kafka.uuid, "uuid4", lambda: next(drawn))

    chosen = apache_kafka.cluster_id()

    assert chosen == "AQAAAAAAAAAAAAAAAAAAAA"
    assert len(chosen) == 22
