"""validated_params and validated_body: one serializer per class serves every request,
sharing nothing, deciding as a fresh serializer does."""

import threading

import pytest
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from memories.serializers import (
    DeletionFilterSerializer,
    MemoriesDeleteSerializer,
    MemoryIdQuerySerializer,
    MemoryListQuerySerializer,
    MemoryWriteSerializer,
)
from memories.views import validated_body, validated_params


def request(query: str) -> Request:
    return Request(APIRequestFactory().get(f"/memories{query}"))


def fresh_errors(serializer_class, data) -> dict:
    serializer = serializer_class(data=data)
    assert not serializer.is_valid()
    return dict(serializer.errors)


def test_errors_are_those_of_a_fresh_serializer():
    data = {"memory_id": "m1", "user_id": "x" * 256, "table": "t\x00"}
    query = "?user_id=" + "x" * 256 + "&table=t%00"

    with pytest.raises(ValidationError) as raised:
        validated_params(MemoryIdQuerySerializer, request(query), memory_id="m1")

    assert raised.value.detail == fresh_errors(MemoryIdQuerySerializer, data)


def test_a_refused_request_leaves_nothing_for_the_next():
    with pytest.raises(ValidationError):
        validated_params(MemoryListQuerySerializer, request("?limit=0&user_id=alice"))

    params = validated_params(MemoryListQuerySerializer, request("?page=2"))

    assert params == {"limit": 20, "page": 2, "sort_by": "updated_at", "sort_order": "desc"}


def test_concurrent_requests_each_get_their_own_values():
    failures: list[str] = []

    def validate(n: int) -> None:
        for _ in range(200):
            params = validated_params(
                MemoryIdQuerySerializer, request(f"?user_id=u{n}&db_id=d{n}"), memory_id=f"m{n}"
            )
            if params != {"memory_id": f"m{n}", "user_id": f"u{n}", "db_id": f"d{n}"}:
                failures.append(f"{n}: {params}")

    threads = [threading.Thread(target=validate, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert failures == []


def body_request(body: object) -> Request:
    return Request(
        APIRequestFactory().post("/memories", body, format="json"),
        parsers=[JSONParser()],
    )


BODIES = [
    (MemoriesDeleteSerializer, {"memory_ids": ["m1", "m2"], "user_id": "alice"}),
    (MemoriesDeleteSerializer, {"memory_ids": []}),
    (MemoriesDeleteSerializer, {"memory_ids": ["ok", "", "x" * 256, "a\x00"], "user_id": 3}),
    (MemoriesDeleteSerializer, {"memory_ids": "m1"}),
    (MemoriesDeleteSerializer, {}),
    (MemoryWriteSerializer, {"memory": "Likes tea", "topics": ["drinks", " drinks "]}),
    (MemoryWriteSerializer, {"memory": "  ", "topics": [""] * 51}),
    (DeletionFilterSerializer, {"user_id": "alice", "dry_run": True}),
    (DeletionFilterSerializer, {"dry_run": False}),
    (DeletionFilterSerializer, {"topics": [], "created_before": "yesterday"}),
]


@pytest.mark.parametrize(("serializer_class", "body"), BODIES)
def test_a_body_is_decided_as_a_fresh_serializer_decides(serializer_class, body):
    fresh = serializer_class(data=body)
    if fresh.is_valid():
        assert validated_body(serializer_class, body_request(body)) == fresh.validated_data
        return
    with pytest.raises(ValidationError) as raised:
        validated_body(serializer_class, body_request(body))
    assert raised.value.detail == fresh.errors


def test_a_refused_body_leaves_nothing_for_the_next():
    with pytest.raises(ValidationError):
        validated_body(MemoriesDeleteSerializer, body_request({"memory_ids": [""]}))

    body = validated_body(MemoriesDeleteSerializer, body_request({"memory_ids": ["m1"]}))

    assert body == {"memory_ids": ["m1"]}
