import orjson
import pytest

from streams.pipeline.events import ComplaintEvent, PurchaseEvent, Rejection, decode_event
from tests.conftest import complaint_fields, purchase_fields


def _decode(fields: dict, limit: int = 10_000) -> PurchaseEvent | ComplaintEvent | Rejection:
    return decode_event(orjson.dumps(fields), limit)


def test_valid_events_decode():
    assert isinstance(_decode(purchase_fields(quantity=2)), PurchaseEvent)
    assert isinstance(_decode(complaint_fields(satisfaction=4)), ComplaintEvent)


@pytest.mark.parametrize(
    ("overrides", "code", "mentions"),
    [
        ({"amount": -1}, "invalid_fields", "amount"),
        ({"amount": "12.5"}, "invalid_fields", "amount"),
        ({"timestamp": "2025-03-01T10:00:00"}, "timestamp_without_zone", "timestamp"),
        ({"type": "refund"}, "unknown_type", "refund"),
        ({"quantity": 0}, "invalid_fields", "quantity"),
        ({"customer_id": ""}, "invalid_fields", "customer_id"),
    ],
)
def test_bad_purchases_are_rejected_with_a_reason(overrides, code, mentions):
    rejection = _decode(purchase_fields(**overrides))
    assert isinstance(rejection, Rejection)
    assert rejection.code == code
    assert mentions in rejection.detail or code == "unknown_type"


def test_complaint_severity_out_of_range_is_rejected():
    rejection = _decode(complaint_fields(severity=6))
    assert isinstance(rejection, Rejection) and "severity" in rejection.detail


def test_missing_fields_are_named():
    fields = purchase_fields()
    del fields["customer_id"], fields["amount"]
    rejection = _decode(fields)
    assert isinstance(rejection, Rejection)
    assert "customer_id" in rejection.detail and "amount" in rejection.detail


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        (b"{not json", "malformed_json"),
        (b"[1, 2]", "not_an_object"),
        (b'{"event_id": "e1"}', "missing_type"),
        (b"\xff\xfe\x00", "not_utf8"),
    ],
)
def test_undecodable_bytes_are_rejected(raw, code):
    assert decode_event(raw, 1000) == Rejection(code, decode_event(raw, 1000).detail)


def test_oversized_message_is_rejected_before_parsing():
    rejection = decode_event(orjson.dumps(purchase_fields(channel="x" * 150)), 100)
    assert isinstance(rejection, Rejection) and rejection.code == "oversized"
