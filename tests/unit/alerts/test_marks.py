"""Which marks the team may store, and why others are refused."""

from __future__ import annotations

import pytest

from alerts.marks import MAX_NOTE_CHARS, MarkRefused, check_mark


def test_marks_are_refused_with_a_reason():
    assert check_mark("a1", False, "contacted", "left a voicemail") == "contacted"
    assert check_mark("held", True, "dismissed", "") == "dismissed"
    for holdout, status, note, why in (
        (None, "contacted", "", "no alert"),
        (False, "called", "", "status must be one of"),
        (False, "contacted", "x" * (MAX_NOTE_CHARS + 1), "at most"),
        (True, "contacted", "", "holdout"),
    ):
        with pytest.raises(MarkRefused, match=why):
            check_mark("a1", holdout, status, note)
