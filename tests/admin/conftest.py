"""What the admin's tests share: the memory changelist's address, its messages, and the
memories most of them start from."""

import pytest
from django.contrib.messages import get_messages

from tests.factories import memory_create

CHANGELIST = "/admin/memories/memory/"


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def cannot_be_reached(db_id: str) -> str:
    return f"Database {db_id} cannot be reached ("


@pytest.fixture
def twins():
    """The same memory_id in two databases."""
    memory_create("default", memory_id="twin", user_id="alice", memory="default copy")
    memory_create("lite", memory_id="twin", user_id="alice", memory="lite copy")


@pytest.fixture
def alice():
    """alice's memories in two databases, one memory each."""
    memory_create("lite", memory_id="a1", user_id="alice", memory="alice in lite")
    memory_create("default", memory_id="a2", user_id="alice", memory="alice in default")
