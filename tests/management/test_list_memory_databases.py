"""list_memory_databases shows each db_id and table, whether it exists, and its rows."""

from io import StringIO

import pytest
from django.core.management import call_command

from tests.factories import memory_create

pytestmark = pytest.mark.django_db(databases="__all__")


def test_lists_tables_their_state_and_rows():
    memory_create("lite", memory_id="m1")
    memory_create("lite", memory_id="m2")
    out = StringIO()

    call_command("list_memory_databases", stdout=out)

    lines = out.getvalue().splitlines()
    assert lines[0].split() == ["DB_ID", "TABLE", "ALIAS", "STATE", "ROWS"]
    rows = {tuple(line.split()[:2]): line.split()[2:] for line in lines[1:]}
    assert rows[("lite", "agno_memories")] == ["lite", "present", "2"]
    assert rows[("lite", "missing_memories")] == ["lite", "missing", "-"]
    assert rows[("default", "agno_memories")] == ["default", "present", "0"]
