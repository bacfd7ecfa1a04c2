"""Dead letters: input that could not be processed, kept with its original bytes and the reason."""

from __future__ import annotations

import base64
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from alerts.events import SCHEMA_VERSION, deterministic_id
from streams.pipeline.events import Rejection


class DeadLetter(BaseModel):
    """Published to ``dead-letters``; ``original_base64`` is the message value exactly as read."""

    model_config = ConfigDict(frozen=True)

    type: Literal["dead_letter"] = "dead_letter"
    schema_version: int = SCHEMA_VERSION
    dead_letter_id: str
    source_topic: str
    partition: int
    offset: int
    reason: str = Field(description="Stable code, e.g. malformed_json, invalid_fields.")
    detail: str = Field(description="What exactly is wrong, for a person.")
    original_base64: str

    @property
    def original(self) -> bytes:
        return base64.b64decode(self.original_base64)


def dead_letter(
    raw: bytes, rejection: Rejection, source_topic: str, partition: int, offset: int
) -> DeadLetter:
    """The dead letter for one rejected message; its id is stable across redeliveries.

    >>> dl = dead_letter(b"{oops", Rejection("malformed_json", "..."), "purchases", 0, 7)
    >>> (dl.reason, dl.original)
    ('malformed_json', b'{oops')
    """
    return DeadLetter(
        dead_letter_id=deterministic_id("dead-letter", source_topic, str(partition), str(offset)),
        source_topic=source_topic,
        partition=partition,
        offset=offset,
        reason=rejection.code,
        detail=rejection.detail,
        original_base64=base64.b64encode(raw).decode("ascii"),
    )
