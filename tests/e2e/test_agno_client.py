"""Agno's own AgentOS client, unchanged, against this server: every memory method, and a clear
501 for optimize_memories and the AgentOS routes this server does not provide."""

import asyncio
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import httpx
import pytest
from agno.client import AgentOSClient
from agno.utils.http import aclose_default_clients

from tests.servers import Server, project_server


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return tmp_path_factory.mktemp("agno-client")


@pytest.fixture(scope="module")
def server(folder) -> Iterator[Server]:
    with project_server(folder) as running:
        yield running


@pytest.fixture(scope="module")
def client(server) -> AgentOSClient:
    return AgentOSClient(base_url=server.base, timeout=20)


def rows(folder: Path) -> dict[str, tuple[Any, ...]]:
    with closing(sqlite3.connect(folder / "db.sqlite3")) as connection:
        found = connection.execute("SELECT memory_id, user_id, memory, topics FROM agno_memories")
        return {row[0]: row[1:] for row in found}


def run(coroutine: Any) -> Any:
    """The call in an event loop of its own. Agno's client shares one pooled httpx client,
    whose kept-alive connections belong to the loop that opened them: close it with the loop."""

    async def once() -> Any:
        try:
            return await coroutine
        finally:
            await aclose_default_clients()

    return asyncio.run(once())


def test_every_memory_method_round_trips(server, client, folder):
    alice = server.bearer("alice")
    bob = server.bearer("bob")
    admin = server.bearer("root", admin=True)

    # create_memory: the token's subject owns it, whatever user_id the call names.
    tea = run(client.create_memory("Likes green tea", "alice", ["drinks"], headers=alice))
    soup = run(client.create_memory("Likes soup", "mallory", ["food"], headers=alice))
    bobs = run(client.create_memory("Plays chess", "bob", ["games"], headers=bob))
    assert (tea.memory, tea.user_id, tea.topics) == ("Likes green tea", "alice", ["drinks"])
    assert soup.user_id == "alice"
    assert rows(folder)[tea.memory_id] == ("alice", '"Likes green tea"', '["drinks"]')

    # get_memory: own memories only.
    assert run(client.get_memory(tea.memory_id, headers=alice)).memory == "Likes green tea"
    with pytest.raises(httpx.HTTPStatusError) as refused:
        run(client.get_memory(bobs.memory_id, headers=alice))
    assert refused.value.response.status_code == 404

    # list_memories: filters, search and pagination.
    page = run(client.list_memories(headers=alice))
    assert {m.memory_id for m in page.data} == {tea.memory_id, soup.memory_id}
    assert (page.meta.total_count, page.meta.page, page.meta.total_pages) == (2, 1, 1)
    found = run(client.list_memories(search_content="GREEN", topics=["drinks"], headers=alice))
    assert [m.memory_id for m in found.data] == [tea.memory_id]
    everyone = run(client.list_memories(limit=1, page=2, sort_order="asc", headers=admin))
    assert (len(everyone.data), everyone.meta.total_count) == (1, 3)
    assert run(client.list_memories(user_id="bob", headers=admin)).data[0].user_id == "bob"

    # update_memory: text and topics change, the owner does not.
    updated = run(
        client.update_memory(tea.memory_id, "Loves green tea", "alice", ["tea"], headers=alice)
    )
    assert (updated.memory, updated.topics, updated.user_id) == (
        "Loves green tea",
        ["tea"],
        "alice",
    )
    with pytest.raises(httpx.HTTPStatusError) as foreign:
        run(client.update_memory(bobs.memory_id, "hijacked", "alice", headers=alice))
    assert foreign.value.response.status_code == 404
    assert rows(folder)[bobs.memory_id][1] == '"Plays chess"'

    # get_memory_topics and get_user_memory_stats.
    assert sorted(run(client.get_memory_topics(headers=alice))) == ["food", "tea"]
    assert sorted(run(client.get_memory_topics(headers=admin))) == ["food", "games", "tea"]
    stats = run(client.get_user_memory_stats(headers=admin))
    assert {s.user_id: s.total_memories for s in stats.data} == {"alice": 2, "bob": 1}
    own_stats = run(client.get_user_memory_stats(headers=bob))
    assert [(s.user_id, s.total_memories) for s in own_stats.data] == [("bob", 1)]

    # delete_memory and delete_memories: only what the caller owns.
    run(client.delete_memories([soup.memory_id, bobs.memory_id], headers=alice))
    assert set(rows(folder)) == {tea.memory_id, bobs.memory_id}
    run(client.delete_memory(tea.memory_id, headers=alice))
    with pytest.raises(httpx.HTTPStatusError) as gone:
        run(client.delete_memory(tea.memory_id, headers=alice))
    assert gone.value.response.status_code == 404
    run(client.delete_memories([bobs.memory_id], user_id="bob", headers=admin))
    assert rows(folder) == {}


@pytest.mark.parametrize(
    "call, what",
    [
        (
            lambda client, headers: client.optimize_memories("alice", headers=headers),
            "memory optimization (Agno's optimize_memories), which needs a model",
        ),
        (lambda client, headers: client.aget_config(headers=headers), "Agno AgentOS the AgentOS"),
        (lambda client, headers: client.list_agents(headers=headers), "Agno AgentOS agents"),
        (
            lambda client, headers: client.get_sessions(headers=headers),
            "Agno AgentOS sessions",
        ),
    ],
)
def test_what_this_server_does_not_provide_is_a_501_that_says_so(
    server, client, folder, call, what
):
    before = rows(folder)

    with pytest.raises(httpx.HTTPStatusError) as refused:
        run(call(client, server.bearer("root", admin=True)))

    response = refused.value.response
    assert response.status_code == 501
    assert response.headers["Content-Type"] == "application/json"
    assert response.json()["error_code"] == "NOT_IMPLEMENTED"
    assert response.json()["detail"].startswith(
        f"This server administers memories only; it does not provide {what}"
    )
    assert rows(folder) == before
