import uuid

from hypothesis import given
from hypothesis import strategies as st

from alerts.events import deterministic_id


@given(st.lists(st.text(), min_size=1, max_size=4))
def test_deterministic_ids_are_the_uuid5_of_the_joined_parts(parts):
    expected = uuid.uuid5(uuid.UUID("6c3f7a2e-1b0d-4e59-9a8e-2f51c6b0d417"), "|".join(parts))
    assert deterministic_id(*parts) == str(expected)
