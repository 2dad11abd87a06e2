"""GET /memory_topics and /user_memory_stats (MemoryViewSet.topics and .stats)."""

import pytest

from tests.factories import memory_create

pytestmark = pytest.mark.django_db(databases="__all__")


class TopicsAndStatsTests:
    def test_topics_are_distinct_sorted_and_owned(self, as_user, db_id):
        memory_create(db_id, memory_id="a1", user_id="alice", topics=["b", "a"])
        memory_create(db_id, memory_id="a2", user_id="alice", topics=["a", "c"])
        memory_create(db_id, memory_id="a3", user_id="alice", topics=None)
        memory_create(db_id, memory_id="b1", user_id="bob", topics=["secret"])

        own = as_user("alice").get(f"/memory_topics?db_id={db_id}")
        foreign = as_user("alice").get(f"/memory_topics?db_id={db_id}&user_id=bob")
        everyone = as_user("root", admin=True).get(f"/memory_topics?db_id={db_id}")

        assert own.json() == ["a", "b", "c"]
        assert foreign.json() == []
        assert everyone.json() == ["a", "b", "c", "secret"]

    def test_stats_count_per_user(self, as_user, db_id):
        memory_create(db_id, memory_id="a1", user_id="alice", updated_at=100)
        memory_create(db_id, memory_id="a2", user_id="alice", updated_at=300)
        memory_create(db_id, memory_id="b1", user_id="bob", updated_at=200)

        own = as_user("alice").get(f"/user_memory_stats?db_id={db_id}").json()
        everyone = as_user("root", admin=True).get(f"/user_memory_stats?db_id={db_id}").json()

        assert own["data"] == [
            {
                "user_id": "alice",
                "total_memories": 2,
                "last_memory_updated_at": "1970-01-01T00:05:00Z",
            }
        ]
        assert [row["user_id"] for row in everyone["data"]] == ["alice", "bob"]
        assert everyone["meta"] == {"page": 1, "limit": 20, "total_count": 2, "total_pages": 1}

    def test_stats_pages_each_carry_the_number_of_users_past_the_last_too(self, as_user, db_id):
        for number in range(5):
            memory_create(db_id, memory_id=f"m{number}", user_id=f"u{number}", updated_at=number)
        memory_create(db_id, memory_id="m5", user_id="u0", updated_at=10)
        admin = as_user("root", admin=True)

        pages = [
            admin.get(f"/user_memory_stats?db_id={db_id}&limit=2&page={page}").json()
            for page in (1, 2, 3, 4)
        ]
        nobody = as_user("nobody").get(f"/user_memory_stats?db_id={db_id}").json()

        assert [[row["user_id"] for row in page["data"]] for page in pages] == [
            ["u0", "u4"],
            ["u3", "u2"],
            ["u1"],
            [],
        ]
        assert [row["total_memories"] for row in pages[0]["data"]] == [2, 1]
        assert [(page["meta"]["total_count"], page["meta"]["total_pages"]) for page in pages] == [
            (5, 3)
        ] * 4
        assert (nobody["data"], nobody["meta"]["total_count"]) == ([], 0)

    @pytest.mark.parametrize(
        ("limit", "page"),
        [(1, 2**63 - 1), (100, 10**17)],
        ids=["the largest offset any engine takes", "past it"],
    )
    def test_a_page_far_past_the_last_is_empty_with_the_number_of_users(
        self, as_user, db_id, limit, page
    ):
        memory_create(db_id, memory_id="a1", user_id="alice")
        memory_create(db_id, memory_id="b1", user_id="bob")

        response = as_user("root", admin=True).get(
            f"/user_memory_stats?db_id={db_id}&limit={limit}&page={page}"
        )

        assert response.status_code == 200
        assert (response.json()["data"], response.json()["meta"]["total_count"]) == ([], 2)

    def test_stats_tell_users_apart_as_exactly_as_ownership(self, as_user, db_id):
        # MariaDB's usual collation would merge these three into one user.
        for number, owner in enumerate(["x", "X", "x ", "x"]):
            memory_create(db_id, memory_id=f"m{number}", user_id=owner, updated_at=100)

        stats = as_user("root", admin=True).get(f"/user_memory_stats?db_id={db_id}").json()
        own = as_user("X").get(f"/user_memory_stats?db_id={db_id}").json()

        assert sorted((row["user_id"], row["total_memories"]) for row in stats["data"]) == [
            ("X", 1),
            ("x", 2),
            ("x ", 1),
        ]
        assert stats["meta"]["total_count"] == 3
        assert [(row["user_id"], row["total_memories"]) for row in own["data"]] == [("X", 1)]
