"""How counts of memories read: the noun agrees with the number."""

import pytest

from memories.wording import memories_counted


@pytest.mark.parametrize(
    "count, words",
    [(0, "0 memories"), (1, "1 memory"), (2, "2 memories"), (21, "21 memories")],
)
def test_the_noun_agrees_with_the_count(count, words):
    assert memories_counted(count) == words
