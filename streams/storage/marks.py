"""The team's marks on alerts, in Redis: durable, shared by every console, kept over restarts.

One hash holds them (alert id -> JSON) and a counter is bumped with every mark in the same
transaction, so a console reads the hash again only when someone, anywhere, has marked.
"""

from __future__ import annotations

import threading
from typing import cast

import orjson

from alerts.marks import Mark
from streams.storage.connection import SyncClient
from streams.storage.keys import StateKeys


def encode_mark(mark: Mark) -> bytes:
    return orjson.dumps(
        {"status": mark.status, "note": mark.note, "marked_at": mark.marked_at, "by": mark.by}
    )


def decode_mark(raw: bytes) -> Mark:
    fields = orjson.loads(raw)
    return Mark(fields["status"], fields["note"], float(fields["marked_at"]), fields.get("by"))


class RedisMarks:
    """Marks in Redis, cached until the version counter says another mark was made."""

    def __init__(self, client: SyncClient, keys: StateKeys) -> None:
        self.client = client
        self.keys = keys
        self._lock = threading.Lock()
        self._version: bytes | None = b"never read"
        self._marks: dict[str, Mark] = {}

    def all(self) -> dict[str, Mark]:
        """Every alert's mark (one GET when nothing changed since the last read)."""
        version = cast(bytes | None, self.client.get(self.keys.console_marks_version))
        with self._lock:
            if version != self._version:
                raw = cast(dict[bytes, bytes], self.client.hgetall(self.keys.console_marks))
                self._marks = {k.decode(): decode_mark(v) for k, v in raw.items()}
                self._version = version
            return self._marks

    def put(self, alert_id: str, mark: Mark) -> None:
        with self.client.pipeline(transaction=True) as pipe:
            pipe.hset(self.keys.console_marks, alert_id, encode_mark(mark))
            pipe.incr(self.keys.console_marks_version)
            pipe.execute()
