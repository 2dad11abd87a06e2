"""The models' own code (memories/models.py): the text of Agno's `memory` column."""

import pytest

from memories.models import memory_text


@pytest.mark.parametrize(
    "stored, text",
    [
        ("Likes tea", "Likes tea"),
        ({"memory": "Legacy row", "topics": []}, "Legacy row"),
        ({"other": 1}, '{"other": 1}'),
        (["a", "b"], '["a", "b"]'),
    ],
)
def test_memory_text(stored, text):
    assert memory_text(stored) == text
