"""The retention team's marks on alerts, and which marks may be stored.

A mark is the team's own record (``contacted``, ``dismissed``, a note); it never changes what
the engine published. A holdout customer is the control group: marking them contacted would
spoil the uplift measured against them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

MarkStatus = Literal["contacted", "dismissed"]
MARK_STATUSES: tuple[str, ...] = get_args(MarkStatus)
MAX_NOTE_CHARS = 1000


@dataclass(frozen=True, slots=True)
class Mark:
    """A team member's mark on an alert. ``marked_at`` is wall-clock time: a person's act."""

    status: MarkStatus
    note: str
    marked_at: float
    by: str | None = None


class MarkRefused(ValueError):
    """A mark that must not be stored; the message says why, for the person who tried."""


def check_mark(alert_id: str, holdout: bool | None, status: str, note: str) -> MarkStatus:
    """The mark's status if it may be stored, else :class:`MarkRefused` with the reason;
    ``holdout`` is None for an alert that does not exist.

    >>> check_mark("a1", None, "contacted", "")
    Traceback (most recent call last):
    ...
    alerts.marks.MarkRefused: no alert 'a1'
    """
    if holdout is None:
        raise MarkRefused(f"no alert {alert_id!r}")
    if status not in MARK_STATUSES:
        raise MarkRefused(f"status must be one of {', '.join(MARK_STATUSES)}, got {status!r}")
    if len(note) > MAX_NOTE_CHARS:
        raise MarkRefused(f"a note is at most {MAX_NOTE_CHARS} characters, got {len(note)}")
    if holdout and status == "contacted":
        raise MarkRefused(
            "this customer is in the holdout (control) group: do not contact them, so that "
            "the uplift of acting can be measured"
        )
    return status  # type: ignore[return-value]
