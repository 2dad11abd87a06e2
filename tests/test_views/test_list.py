"""GET /memories (MemoryViewSet.list_memories): owned, filtered, searched, paged, sorted."""

import time

import pytest

from tests.factories import memory_create
from tests.test_views.conftest import (
    ids,
    ids_of,
)

pytestmark = pytest.mark.django_db(databases="__all__")


class ListTests:
    def test_regular_token_lists_only_its_own(self, as_user, db_id):
        memory_create(db_id, memory_id="a1", user_id="alice")
        memory_create(db_id, memory_id="b1", user_id="bob")

        response = as_user("alice").get(f"/memories?db_id={db_id}")

        assert response.status_code == 200
        assert ids(response) == ["a1"]
        assert response.json()["meta"] == {
            "page": 1,
            "limit": 20,
            "total_count": 1,
            "total_pages": 1,
        }

    def test_regular_token_asking_for_another_user_gets_nothing(self, as_user):
        memory_create(memory_id="b1", user_id="bob")

        response = as_user("alice").get("/memories?user_id=bob")

        assert response.status_code == 200
        assert response.json()["data"] == []
        assert response.json()["meta"]["total_count"] == 0

    def test_admin_lists_everyone_and_filters_by_user(self, as_user):
        memory_create(memory_id="a1", user_id="alice")
        memory_create(memory_id="b1", user_id="bob")
        admin = as_user("root", admin=True)

        assert sorted(ids(admin.get("/memories"))) == ["a1", "b1"]
        assert ids(admin.get("/memories?user_id=bob")) == ["b1"]
        assert ids(admin.get("/memories?user_id=Bob")) == []

    def test_memory_shape(self, as_user):
        memory_create(
            memory_id="a1",
            user_id="alice",
            memory="Likes tea",
            topics=["drinks"],
            agent_id="agent",
            team_id="team",
            created_at=1_700_000_000,
            updated_at=1_700_000_060,
        )

        response = as_user("alice").get("/memories")

        assert response.json()["data"] == [
            {
                "memory_id": "a1",
                "memory": "Likes tea",
                "topics": ["drinks"],
                "agent_id": "agent",
                "team_id": "team",
                "user_id": "alice",
                "updated_at": "2023-11-14T22:14:20Z",
                "created_at": "2023-11-14T22:13:20Z",
            }
        ]

    def test_filters_combine_with_and(self, as_user, db_id):
        memory_create(db_id, memory_id="m1", agent_id="a", team_id="t", topics=["x", "y"])
        memory_create(db_id, memory_id="m2", agent_id="a", team_id="u", topics=["x", "y"])
        memory_create(db_id, memory_id="m3", agent_id="b", team_id="t", topics=["x"])
        client = as_user("alice")

        assert ids(client.get(f"/memories?db_id={db_id}&agent_id=a&team_id=t")) == ["m1"]
        both = sorted(ids(client.get(f"/memories?db_id={db_id}&topics=x,y")))
        repeated = sorted(ids(client.get(f"/memories?db_id={db_id}&topics=x&topics=y")))
        assert both == repeated == ["m1", "m2"]
        assert ids(client.get(f"/memories?db_id={db_id}&topics=y&agent_id=a&team_id=u")) == ["m2"]
        assert ids(client.get(f"/memories?db_id={db_id}&topics=X")) == []

    @pytest.mark.parametrize(
        "query, detail",
        [
            (
                "&".join(["topics="] * 51),
                "topics: Ensure this field has no more than 50 elements.",
            ),
            (
                "topics="
                + ",".join("abcdefghijklmnopqrstuvwxyz")
                + "&topics="
                + ",".join("ABCDEFGHIJKLMNOPQRSTUVWXYZ"),
                "topics: Ensure this field has no more than 50 elements.",
            ),
            (
                f"topics={'t' * 101}",
                "topics[0]: Ensure this field has no more than 100 characters.",
            ),
            ("search_content=%20%09", "search_content: This field may not be blank."),
            ("search_content=a%00", "search_content: Null characters are not allowed."),
        ],
        ids=["51 values", "51 topics", "long value", "blank search", "nul search"],
    )
    def test_topic_and_search_limits_as_documented(self, as_user, query, detail):
        response = as_user("alice").get(f"/memories?{query}")

        assert response.status_code == 422
        assert response.json() == {"detail": detail, "error_code": "VALIDATION_ERROR"}

    def test_search_content_may_hold_control_characters_but_nul(self, as_user):
        memory_create(memory_id="m1", memory="line one\nline two")

        response = as_user("alice").get("/memories?search_content=one%0Aline")

        assert ids(response) == ["m1"]

    def test_search_content_ignores_case_on_every_database(self, as_user, db_id):
        memory_create(db_id, memory_id="plain", memory="Enjoys Green TEA at dawn")
        memory_create(db_id, memory_id="legacy", memory={"memory": "green tea, legacy row"})
        memory_create(db_id, memory_id="other", memory="Coffee person")

        response = as_user("alice").get(f"/memories?db_id={db_id}&search_content=green%20tea")

        assert sorted(ids(response)) == ["legacy", "plain"]
        legacy = next(m for m in response.json()["data"] if m["memory_id"] == "legacy")
        assert legacy["memory"] == "green tea, legacy row"

    def test_pages_are_exact_and_ties_break_by_memory_id(self, as_user, db_id):
        for number in range(7):
            memory_create(db_id, memory_id=f"m{number}", updated_at=1000, created_at=1000)
        client = as_user("alice")

        pages = [
            client.get(f"/memories?db_id={db_id}&limit=3&page={page}").json()
            for page in (1, 2, 3, 4)
        ]

        assert [ids_of(page) for page in pages] == [
            ["m6", "m5", "m4"],
            ["m3", "m2", "m1"],
            ["m0"],
            [],
        ]
        assert all(page["meta"]["total_count"] == 7 for page in pages)
        assert all(page["meta"]["total_pages"] == 3 for page in pages)

    @pytest.mark.parametrize("sort_by", ["updated_at", "created_at", "memory_id", "user_id"])
    def test_sort_by_each_field_both_ways(self, as_user, sort_by):
        memory_create(memory_id="b", user_id="alice", created_at=2, updated_at=3)
        memory_create(memory_id="a", user_id="alice", created_at=1, updated_at=1)
        memory_create(memory_id="c", user_id="alice", created_at=3, updated_at=2)
        admin = as_user("root", admin=True)

        ascending = ids(admin.get(f"/memories?sort_by={sort_by}&sort_order=asc"))
        descending = ids(admin.get(f"/memories?sort_by={sort_by}&sort_order=desc"))

        expected = {
            "updated_at": ["a", "c", "b"],
            "created_at": ["a", "b", "c"],
            "memory_id": ["a", "b", "c"],
            "user_id": ["a", "b", "c"],
        }[sort_by]
        assert ascending == expected
        assert descending == list(reversed(expected))

    def test_ascending_pages_stay_exact_while_memories_are_added(self, as_user):
        for number in range(10):
            memory_create(memory_id=f"old{number:02}", created_at=1000 + number)
        client = as_user("alice")
        seen: list[str] = []

        for page in range(1, 6):
            url = f"/memories?sort_by=created_at&sort_order=asc&limit=3&page={page}"
            seen += ids(client.get(url))
            memory_create(memory_id=f"new{page}", created_at=int(time.time()) + page)

        assert seen[:10] == [f"old{number:02}" for number in range(10)]
        assert len(seen) == len(set(seen))

    @pytest.mark.parametrize(
        "query, detail",
        [
            ("page=0", "page: Ensure this value is greater than or equal to 1."),
            ("page=-1", "page: Ensure this value is greater than or equal to 1."),
            ("limit=0", "limit: Ensure this value is greater than or equal to 1."),
            ("limit=101", "limit: Ensure this value is less than or equal to 100."),
            ("limit=ten", "limit: A valid integer is required."),
            ("sort_by=memory", 'sort_by: "memory" is not a valid choice.'),
            ("sort_order=up", 'sort_order: "up" is not a valid choice.'),
        ],
    )
    def test_invalid_parameters_are_422(self, as_user, query, detail):
        response = as_user("alice").get(f"/memories?{query}")

        assert response.status_code == 422
        assert response.json() == {"detail": detail, "error_code": "VALIDATION_ERROR"}

    def test_page_past_the_end_reports_the_true_total(self, as_user):
        memory_create(memory_id="m1")

        response = as_user("alice").get("/memories?page=9")

        assert response.json() == {
            "data": [],
            "meta": {"page": 9, "limit": 20, "total_count": 1, "total_pages": 1},
        }
