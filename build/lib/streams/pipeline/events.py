"""Input event schemas (the contract with producers), decoded into events or rejections."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Annotated, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    NonNegativeFloat,
    TypeAdapter,
    ValidationError,
)

ComplaintCategory = Literal["quality", "price", "delivery", "service", "billing", "other"]
ComplaintStatus = Literal["opened", "escalated", "resolved"]
OneToFive = Annotated[int, Field(ge=1, le=5)]
Identifier = Annotated[str, Field(min_length=1, max_length=200)]


class _InputEvent(BaseModel):
    # strict: "12.5" is not an amount and 4.0 is not a severity; producers are told, not guessed.
    model_config = ConfigDict(strict=True, frozen=True, extra="ignore")

    event_id: Identifier = Field(description="Unique id of this event; duplicates are ignored.")
    customer_id: Identifier = Field(description="The customer; also the Kafka message key.")
    timestamp: AwareDatetime = Field(
        description="Event time, ISO-8601 with a zone.", examples=["2026-03-01T10:15:00+00:00"]
    )

    @functools.cached_property
    def epoch_seconds(self) -> float:
        """Event time in whole epoch seconds: the engine's resolution, so replays agree exactly."""
        return float(int(self.timestamp.timestamp()))


class PurchaseEvent(_InputEvent):
    """A completed purchase."""

    type: Literal["purchase"] = "purchase"
    amount: NonNegativeFloat = Field(description="Order value.", examples=[42.5])
    quantity: int = Field(1, ge=1, description="Items in the order.")
    order_id: Identifier | None = None
    channel: Identifier | None = None


class ComplaintEvent(_InputEvent):
    """One step in a complaint's life; the steps of one complaint share ``complaint_id``."""

    type: Literal["complaint"] = "complaint"
    complaint_id: Identifier
    category: ComplaintCategory
    severity: OneToFive = Field(description="1 (minor) to 5 (severe).")
    status: ComplaintStatus
    satisfaction: OneToFive | None = Field(None, description="Customer rating, 1 to 5.")


InputEvent = PurchaseEvent | ComplaintEvent
_INPUT_EVENT: TypeAdapter[InputEvent] = TypeAdapter(
    Annotated[InputEvent, Field(discriminator="type")]
)


@dataclass(frozen=True)
class Rejection:
    """Why a message is not an event: a stable ``code`` for counters, a ``detail`` for people."""

    code: str
    detail: str


_CODE_OF_ERROR_TYPE = {
    "json_invalid": "malformed_json",
    "union_tag_not_found": "missing_type",
    "union_tag_invalid": "unknown_type",
    "dict_type": "not_an_object",
    "timezone_aware": "timestamp_without_zone",
}


def decode_event(raw: bytes, max_bytes: int) -> PurchaseEvent | ComplaintEvent | Rejection:
    """Decode one message into an input event, or say why it is not one.

    >>> decode_event(b'{"type":"purchase","event_id":"e1","customer_id":"c1",'
    ...              b'"timestamp":"2026-01-01T00:00:00Z","amount":10}', 1000).amount
    10.0
    >>> decode_event(b'{"type":"refund"}', 1000).code
    'unknown_type'
    >>> decode_event(b'\\xff\\xfe', 1000).code
    'not_utf8'
    """
    if len(raw) > max_bytes:
        return Rejection("oversized", f"{len(raw)} bytes exceeds the limit of {max_bytes}")
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return Rejection("not_utf8", f"not UTF-8 at byte {exc.start}")
    try:
        return _INPUT_EVENT.validate_json(raw)
    except ValidationError as exc:
        return _rejection_from(exc)


def _rejection_from(exc: ValidationError) -> Rejection:
    errors = exc.errors(include_url=False, include_input=False)
    code = _CODE_OF_ERROR_TYPE.get(errors[0]["type"], "invalid_fields")
    return Rejection(code, "; ".join(f"{_field_of(err['loc'])}: {err['msg']}" for err in errors))


def _field_of(location: tuple[int | str, ...]) -> str:
    # the first element of a union error's location is the event type, not a field
    fields = location[1:] if len(location) > 1 else location
    return ".".join(str(part) for part in fields) or "event"
