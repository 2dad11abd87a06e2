"""Export (GET /memory_export) and deletion by filter (POST /memory_deletions)."""

import json

import pytest

from memories.models import Channel, MemoryDeletion, MemoryExport
from memories.targets import all_targets
from tests.factories import memory_create, memory_ids_in

pytestmark = pytest.mark.django_db(databases="__all__")


def lines_of(response) -> list[dict]:
    body = b"".join(response.streaming_content).decode()
    assert body.endswith("\n") or body == ""
    return [json.loads(line) for line in body.splitlines()]


class ExportTests:
    def test_streams_the_tokens_own_memories_with_the_fields_of_a_read(self, as_user, db_id):
        memory_create(db_id, memory_id="a1", user_id="alice", memory="likes tea", topics=["t"])
        memory_create(db_id, memory_id="a2", user_id="alice")
        memory_create(db_id, memory_id="b1", user_id="bob")
        memory_create(db_id, memory_id="A3", user_id="Alice")  # another owner, however collated
        client = as_user("alice")

        response = client.get(f"/memory_export?db_id={db_id}")

        assert response.status_code == 200
        assert response["Content-Type"] == "application/x-ndjson"
        lines = lines_of(response)
        assert [line["memory_id"] for line in lines] == ["a1", "a2"]
        assert lines[0] == client.get(f"/memories/a1?db_id={db_id}").json()
        record = MemoryExport.objects.get()
        assert (record.actor, record.channel, record.db_id, record.table_name) == (
            "alice",
            Channel.API,
            db_id,
            "agno_memories",
        )
        assert (record.user_id, record.count, record.finished) == ("alice", 2, True)
        assert memory_ids_in(db_id) == {"a1", "a2", "b1", "A3"}

    def test_another_users_memories_are_not_exported_to_a_regular_token(self, as_user):
        memory_create(memory_id="b1", user_id="bob")

        response = as_user("alice").get("/memory_export?user_id=bob")

        assert response.status_code == 200
        assert lines_of(response) == []
        assert not MemoryExport.objects.exists()

    def test_an_admin_exports_one_user_or_everyone(self, as_user):
        memory_create(memory_id="a1", user_id="alice")
        memory_create(memory_id="b1", user_id="bob")
        admin = as_user("root", admin=True)

        bob = lines_of(admin.get("/memory_export?user_id=bob"))
        everyone = lines_of(admin.get("/memory_export"))

        assert [line["memory_id"] for line in bob] == ["b1"]
        assert [line["memory_id"] for line in everyone] == ["a1", "b1"]
        records = MemoryExport.objects.order_by("id")
        assert [(r.user_id, r.count) for r in records] == [("bob", 1), (None, 2)]

    def test_all_databases_names_each_lines_db_id_and_table(self, as_user):
        present = [t for t in all_targets() if t.table != "missing_memories"]
        for number, where in enumerate(present):
            memory_create(where.db_id, where.table, memory_id=f"m{number}", user_id="alice")

        lines = lines_of(as_user("alice").get("/memory_export?all_databases=true"))

        assert sorted(
            (line["db_id"], line["table"], line["memory_id"]) for line in lines
        ) == sorted(
            (where.db_id, where.table, f"m{number}") for number, where in enumerate(present)
        )
        assert MemoryExport.objects.count() == len(present)

    @pytest.mark.parametrize(
        ("query", "status", "code"),
        [
            ("all_databases=true&db_id=lite", 400, "BAD_REQUEST"),
            ("db_id=nope", 404, "NOT_FOUND"),
            ("db_id=lite&table=missing_memories", 404, "NOT_FOUND"),
            ("table=agno_memories", 400, "BAD_REQUEST"),
            ("user_id=%00", 422, "VALIDATION_ERROR"),
        ],
    )
    def test_bad_parameters_answer_in_the_error_shape(self, as_user, query, status, code):
        response = as_user("alice").get(f"/memory_export?{query}")

        assert response.status_code == status
        assert response.json()["error_code"] == code
        assert not MemoryExport.objects.exists()

    def test_without_a_token_is_401(self, api):
        response = api.get("/memory_export")

        assert response.status_code == 401
        assert response.json()["error_code"] == "UNAUTHENTICATED"

    @pytest.mark.parametrize(
        ("query", "status"),
        [
            ("", 200),
            ("db_id=nope", 404),
            ("all_databases=true&db_id=lite", 400),
            ("user_id=%00", 422),
        ],
    )
    def test_head_answers_as_get_without_reading_or_recording(
        self, as_user, query, status, monkeypatch
    ):
        # A served HEAD that ran GET would read every row for a server to drop, and record an
        # export nobody received (tests/e2e/test_served_export.py holds a real server to it;
        # the test client drops a HEAD's body unread, so here the export must not even start).
        def no_export(**kwargs):
            raise AssertionError("HEAD started an export")

        monkeypatch.setattr("memories.bulk_views.memories_export", no_export)
        memory_create(memory_id="a1", user_id="alice")

        response = as_user("alice").head(f"/memory_export?{query}")

        assert response.status_code == status
        if status == 200:
            assert response["Content-Type"] == "application/x-ndjson"
            assert response["Content-Disposition"] == 'attachment; filename="memories.ndjson"'
            assert not response.has_header("Content-Length")
        assert not MemoryExport.objects.exists()
        assert memory_ids_in("default") == {"a1"}

    def test_head_without_a_token_is_401(self, api):
        assert api.head("/memory_export").status_code == 401


class DeletionByFilterTests:
    def test_a_regular_token_is_refused(self, as_user):
        memory_create(memory_id="a1", user_id="alice")

        response = as_user("alice").post("/memory_deletions", {"user_id": "alice"}, format="json")

        assert response.status_code == 403
        assert response.json()["error_code"] == "FORBIDDEN"
        assert memory_ids_in("default") == {"a1"}

    def test_at_least_one_filter_is_required(self, as_user):
        memory_create(memory_id="a1", user_id="alice")

        response = as_user("root", admin=True).post(
            "/memory_deletions", {"db_id": "default", "dry_run": False}, format="json"
        )

        assert response.status_code == 422
        assert "at least one of" in response.json()["detail"]
        assert memory_ids_in("default") == {"a1"}

    def test_dry_run_counts_and_deletes_nothing(self, as_user, db_id):
        memory_create(db_id, memory_id="c1", agent_id="chef", topics=["food", "tea"])
        memory_create(db_id, memory_id="c2", agent_id="chef", topics=["food"])
        memory_create(db_id, memory_id="k1", agent_id="Chef", topics=["food", "tea"])

        response = as_user("root", admin=True).post(
            "/memory_deletions",
            {"agent_id": "chef", "topics": ["food", "tea"], "db_id": db_id, "dry_run": True},
            format="json",
        )

        assert response.status_code == 200
        assert response.json() == {
            "dry_run": True,
            "total": 1,
            "tables": [{"db_id": db_id, "table": "agno_memories", "count": 1}],
        }
        assert memory_ids_in(db_id) == {"c1", "c2", "k1"}
        assert not MemoryDeletion.objects.exists()

    def test_deletes_exactly_what_matches_with_audit_records(self, as_user, db_id):
        memory_create(db_id, memory_id="c1", agent_id="chef", team_id="kitchen")
        memory_create(db_id, memory_id="c2", agent_id="chef", team_id="gym")
        memory_create(db_id, memory_id="k1", agent_id="chef ", team_id="kitchen")

        response = as_user("root", admin=True).post(
            "/memory_deletions",
            {"agent_id": "chef", "team_id": "kitchen", "db_id": db_id, "dry_run": False},
            format="json",
        )

        assert response.status_code == 200
        assert response.json()["total"] == 1
        assert memory_ids_in(db_id) == {"c2", "k1"}
        record = MemoryDeletion.objects.get()
        assert (record.memory_ids, record.channel, record.actor) == (["c1"], "api", "root")

    # Valid ISO 8601 times whose offset puts them past an end of the calendar in UTC (where
    # DRF's own field, moving them to the server's time zone, answered 422).
    @pytest.mark.parametrize(
        ("field", "moment", "deleted"),
        [
            ("updated_before", "0001-01-01T00:00:00+03:04", set()),
            ("created_before", "0001-01-01T00:00:00+14:00", set()),
            ("updated_before", "9999-12-31T23:59:59-05:00", {"old", "new"}),
            ("created_before", "9999-12-31T23:59:59.999999-23:59", {"old", "new"}),
        ],
    )
    def test_times_at_the_ends_of_the_calendar_at_any_offset(
        self, as_user, db_id, field, moment, deleted
    ):
        memory_create(db_id, memory_id="old", created_at=0, updated_at=0)
        memory_create(db_id, memory_id="new", created_at=2_000_000_000, updated_at=2_000_000_000)

        response = as_user("root", admin=True).post(
            "/memory_deletions", {field: moment, "db_id": db_id, "dry_run": False}, format="json"
        )

        assert response.status_code == 200, response.json()
        assert response.json()["total"] == len(deleted)
        assert memory_ids_in(db_id) == {"old", "new"} - deleted
        assert MemoryDeletion.objects.count() == (1 if deleted else 0)

    def test_a_table_without_its_db_id_is_the_usual_400(self, as_user):
        response = as_user("root", admin=True).post(
            "/memory_deletions",
            {"table": "agno_memories", "agent_id": "x", "dry_run": False},
            format="json",
        )

        assert response.status_code == 400
        assert response.json() == {
            "detail": "The db_id query parameter is required when passing a table",
            "error_code": "BAD_REQUEST",
        }

    def test_topics_match_exactly_as_stored(self, as_user, db_id):
        memory_create(db_id, memory_id="spaced", topics=[" food "])
        memory_create(db_id, memory_id="plain", topics=["food"])

        response = as_user("root", admin=True).post(
            "/memory_deletions",
            {"topics": [" food "], "db_id": db_id, "dry_run": False},
            format="json",
        )

        assert response.json()["total"] == 1
        assert memory_ids_in(db_id) == {"plain"}

    def test_dry_run_must_be_stated(self, as_user):
        memory_create(memory_id="a1", user_id="alice")

        response = as_user("root", admin=True).post(
            "/memory_deletions", {"user_id": "alice"}, format="json"
        )

        assert response.status_code == 422
        assert response.json()["detail"] == "dry_run: This field is required."
        assert memory_ids_in("default") == {"a1"}

    # What DRF's BooleanField reads as false or true; each would have deleted for good.
    @pytest.mark.parametrize(
        "dry_run",
        ["n", "off", "0", 0, 0.0, "false", "no", "f", "yes", "true", "on", 1, 1.0, "", None, []],
        ids=repr,
    )
    def test_dry_run_is_a_json_boolean_or_nothing_is_deleted(self, as_user, db_id, dry_run):
        memory_create(db_id, memory_id="c1", agent_id="chef")
        memory_create(db_id, memory_id="c2", agent_id="chef")

        response = as_user("root", admin=True).post(
            "/memory_deletions",
            {"agent_id": "chef", "db_id": db_id, "dry_run": dry_run},
            format="json",
        )

        assert response.status_code == 422
        assert response.json() == {
            "detail": "dry_run: "
            + (
                "This field may not be null."
                if dry_run is None
                else "Must be a JSON boolean, true or false."
            ),
            "error_code": "VALIDATION_ERROR",
        }
        assert memory_ids_in(db_id) == {"c1", "c2"}
        assert not MemoryDeletion.objects.exists()


class AllDatabasesParameterTests:
    """all_databases is exactly `true` or `false`: any other spelling is a 422, not a guess."""

    @pytest.mark.parametrize("value", ["True", "1", "yes", "on", "t", "TRUE", "", "0", "no"])
    def test_other_spellings_are_refused(self, as_user, value):
        memory_create(memory_id="a1", user_id="alice")

        response = as_user("alice").get(f"/memory_export?all_databases={value}")

        assert response.status_code == 422
        assert response.json() == {
            "detail": "all_databases: Must be true or false.",
            "error_code": "VALIDATION_ERROR",
        }
        assert not MemoryExport.objects.exists()

    @pytest.mark.parametrize(("value", "named"), [("true", True), ("false", False)])
    def test_true_and_false(self, as_user, value, named):
        memory_create(memory_id="a1", user_id="alice")

        lines = lines_of(as_user("alice").get(f"/memory_export?all_databases={value}"))

        assert [line["memory_id"] for line in lines] == ["a1"]
        assert ("db_id" in lines[0]) is named
