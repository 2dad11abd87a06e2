"""Bounded bodies, optional throttling per subject, and the deletion log line."""

import logging

import pytest
import yaml
from django.core.cache import cache
from django.test import override_settings

from memories.models import MemoryDeletion
from tests.conftest import deletion_log, mint
from tests.documents import generate_document
from tests.factories import memory_create, memory_ids_in
from tests.settings import HS256_KEY

pytestmark = pytest.mark.django_db(databases="__all__")

BASE = {"DATABASES": {"default": "default"}, "JWT_SIGNING_KEY": HS256_KEY}


def test_body_over_the_limit_is_413_and_stores_nothing(as_user):
    with override_settings(MEMORIES={**BASE, "MAX_BODY_SIZE": 1000}):
        response = as_user("alice").post("/memories", {"memory": "x" * 2000}, format="json")

    assert response.status_code == 413
    assert response.json() == {
        "detail": "The request body may not exceed 1000 bytes",
        "error_code": "PAYLOAD_TOO_LARGE",
    }
    assert memory_ids_in("default") == set()


def test_bulk_delete_body_over_the_limit_deletes_nothing(as_user):
    memory_create(memory_id="m1", user_id="alice")
    body = {"memory_ids": ["m1"] + [f"padding-{n}" for n in range(200)]}

    with override_settings(MEMORIES={**BASE, "MAX_BODY_SIZE": 1000}):
        response = as_user("alice").delete("/memories", body, format="json")

    assert response.status_code == 413
    assert memory_ids_in("default") == {"m1"}


class ThrottlingTests:
    @pytest.fixture(autouse=True)
    def empty_cache(self):
        cache.clear()
        yield
        cache.clear()

    def test_off_by_default(self, api):
        token = mint("alice")
        statuses = {
            api.get("/memories", HTTP_AUTHORIZATION=f"Bearer {token}").status_code
            for _ in range(30)
        }
        assert statuses == {200}

    def test_each_subject_gets_its_own_allowance(self, api, throttle_clock_stopped):
        memory_create(memory_id="m1", user_id="alice")
        alice, bob = mint("alice"), mint("bob")

        with override_settings(MEMORIES={**BASE, "THROTTLE_RATE": "2/minute"}):
            allowed = [
                api.get("/memories", HTTP_AUTHORIZATION=f"Bearer {alice}").status_code
                for _ in range(2)
            ]
            throttled = api.delete("/memories/m1", HTTP_AUTHORIZATION=f"Bearer {alice}")
            other = api.get("/memories", HTTP_AUTHORIZATION=f"Bearer {bob}")

        assert allowed == [200, 200]
        assert throttled.status_code == 429
        assert (
            throttled["Retry-After"] == "60"
        )  # the whole window left: its clock stopped at its start
        body = throttled.json()
        assert set(body) == {"detail", "error_code"}
        assert body["error_code"] == "TOO_MANY_REQUESTS"
        assert other.status_code == 200
        assert memory_ids_in("default") == {"m1"}

    @pytest.mark.parametrize("rate, documented", [(None, False), ("5/second", True)])
    def test_429_documented_only_when_throttling(self, tmp_path, rate, documented):
        path = tmp_path / "openapi.yaml"
        with override_settings(MEMORIES={**BASE, "THROTTLE_RATE": rate}):
            generate_document(path)
        operations = yaml.safe_load(path.read_text())["paths"]
        delete = operations["/memories/{memory_id}"]["delete"]["responses"]
        create = operations["/memories"]["post"]["responses"]
        assert ("429" in delete) is documented
        assert "413" in create


class DeletionLogTests:
    def test_one_small_line_per_deletion_without_content_or_token(self, api, caplog):
        memory_create(memory_id="m1", user_id="alice", memory="a very private thought")
        token = mint("alice")

        with caplog.at_level(logging.INFO, logger="memories.deletions"):
            api.delete("/memories/m1", HTTP_AUTHORIZATION=f"Bearer {token}")
            api.delete("/memories/m1", HTTP_AUTHORIZATION=f"Bearer {token}")

        record = MemoryDeletion.objects.get()
        common = {"actor": "alice", "channel": "api", "db_id": "default", "table": "agno_memories"}
        assert deletion_log(caplog) == [
            {
                **common,
                "outcome": "deleted",
                "count": 1,
                "memory_id": "m1",
                "audit_record": record.pk,
            },
            {
                **common,
                "outcome": "not_found",
                "count": 0,
                "memory_id": "m1",
                "audit_record": None,
            },
        ]
        first = next(r for r in caplog.records if r.name == "memories.deletions")
        assert first.getMessage() == (
            "memory deletion deleted: 1 from default/agno_memories by alice "
            f"(api, audit record {record.pk})"
        )
        assert "private" not in caplog.text
        assert token not in caplog.text

    def test_a_configured_but_absent_table_logs_not_found(self, as_user, caplog):
        with caplog.at_level(logging.INFO, logger="memories.deletions"):
            response = as_user("alice").delete("/memories/m1?db_id=lite&table=missing_memories")

        assert response.status_code == 404
        assert [line["outcome"] for line in deletion_log(caplog)] == ["not_found"]
        assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_query_string_over_the_limit_is_422_and_deletes_nothing(as_user):
    memory_create(memory_id="m1", user_id="alice")

    with override_settings(MEMORIES={**BASE, "MAX_QUERY_LENGTH": 100}):
        response = as_user("alice").delete(f"/memories/m1?user_id=alice&x={'y' * 100}")

    assert response.status_code == 422
    assert response.json() == {
        "detail": "The query string may not exceed 100 bytes",
        "error_code": "VALIDATION_ERROR",
    }
    assert memory_ids_in("default") == {"m1"}
