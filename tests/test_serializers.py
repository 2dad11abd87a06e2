"""Validation of query parameters and bodies, and the shape memories are rendered in."""

import copy
from typing import Any

import pytest
from rest_framework.exceptions import ValidationError

from memories.models import Memory
from memories.representations import iso_datetime, memory_representation
from memories.serializers import (
    MAX_BULK_IDS,
    MemoriesDeleteSerializer,
    MemoryIdQuerySerializer,
    MemoryListQuerySerializer,
    MemorySerializer,
    MemoryWriteSerializer,
)
from tests.factories import memory_create, model_of, target


def errors_of(serializer_class, data) -> dict:
    serializer = serializer_class(data=data)
    assert not serializer.is_valid()
    return {
        field: [str(message) for message in messages]
        for field, messages in serializer.errors.items()
    }


class MemoryIdQueryTests:
    """The delete endpoint's parameters: identifiers of 1 to 255 characters, kept as given."""

    @pytest.mark.parametrize(
        "value", [" padded ", "Mixed Case", "mémoire 記憶", "x" * 255, "a,b;c/d", "0"]
    )
    @pytest.mark.parametrize("name", ["memory_id", "user_id", "db_id", "table"])
    def test_valid_value_is_kept_exactly(self, name, value):
        serializer = MemoryIdQuerySerializer(data={"memory_id": "m1", name: value})

        assert serializer.is_valid(), serializer.errors
        assert serializer.validated_data[name] == value

    def test_only_memory_id_is_required(self):
        serializer = MemoryIdQuerySerializer(data={"memory_id": "m1"})

        assert serializer.is_valid()
        assert dict(serializer.validated_data) == {"memory_id": "m1"}
        assert errors_of(MemoryIdQuerySerializer, {}) == {"memory_id": ["This field is required."]}

    @pytest.mark.parametrize(
        "value, messages",
        [
            ("", ["This field may not be blank."]),
            ("x" * 256, ["Ensure this field has no more than 255 characters."]),
            ("a\x00b", ["Must not contain control characters."]),
            ("a\nb", ["Must not contain control characters."]),
            ("a\tb", ["Must not contain control characters."]),
            ("a\x1fb", ["Must not contain control characters."]),
            ("a\x7fb", ["Must not contain control characters."]),
            (
                "x" * 256 + "\x00",
                [
                    "Ensure this field has no more than 255 characters.",
                    "Must not contain control characters.",
                ],
            ),
            (None, ["This field may not be null."]),
            (12, ["Must be a string."]),
            (True, ["Must be a string."]),
            (["m1"], ["Must be a string."]),
        ],
    )
    @pytest.mark.parametrize("name", ["memory_id", "user_id", "db_id", "table"])
    def test_invalid_value_gets_one_message_per_problem(self, name, value, messages):
        data = {"memory_id": "m1", name: value}

        assert errors_of(MemoryIdQuerySerializer, data) == {name: messages}

    @pytest.mark.parametrize("value", ["\u0085", "\u00a0", "\u200b", "\u2028"])
    def test_characters_beyond_ascii_controls_are_accepted(self, value):
        # Only C0 controls and DEL are refused; other Unicode is a legitimate identifier.
        serializer = MemoryIdQuerySerializer(data={"memory_id": f"m{value}1"})

        assert serializer.is_valid(), serializer.errors


class MemoryListQueryTests:
    def test_defaults(self):
        serializer = MemoryListQuerySerializer(data={})

        assert serializer.is_valid()
        assert dict(serializer.validated_data) == {
            "limit": 20,
            "page": 1,
            "sort_by": "updated_at",
            "sort_order": "desc",
        }

    @pytest.mark.parametrize(
        "data, errors",
        [
            ({"page": "0"}, {"page": ["Ensure this value is greater than or equal to 1."]}),
            ({"limit": "101"}, {"limit": ["Ensure this value is less than or equal to 100."]}),
            ({"sort_by": "memory"}, {"sort_by": ['"memory" is not a valid choice.']}),
            ({"sort_order": "up"}, {"sort_order": ['"up" is not a valid choice.']}),
        ],
    )
    def test_out_of_range_values_are_refused(self, data, errors):
        assert errors_of(MemoryListQuerySerializer, data) == errors


class MemoryWriteTests:
    def test_topics_are_counted_after_dropping_duplicates(self):
        serializer = MemoryWriteSerializer(data={"memory": "m", "topics": ["t"] * 60})

        assert serializer.is_valid(), serializer.errors
        assert serializer.validated_data["topics"] == ["t"]

    def test_memory_is_kept_untrimmed_and_topics_are_trimmed_and_deduplicated(self):
        serializer = MemoryWriteSerializer(
            data={"memory": "  Likes tea  ", "topics": [" drinks", "drinks", "tea "]}
        )

        assert serializer.is_valid(), serializer.errors
        assert serializer.validated_data["memory"] == "  Likes tea  "
        assert serializer.validated_data["topics"] == ["drinks", "tea"]

    @pytest.mark.parametrize(
        "data, errors",
        [
            ({}, {"memory": ["This field is required."]}),
            ({"memory": "   "}, {"memory": ["This field may not be blank."]}),
            ({"memory": 42}, {"memory": ["Must be a string."]}),
            (
                {"memory": "x" * 5001},
                {"memory": ["Ensure this field has no more than 5000 characters."]},
            ),
            (
                {"memory": "m", "topics": [f"t{n}" for n in range(51)]},
                {"topics": ["Ensure this field has no more than 50 elements."]},
            ),
            (
                {"memory": "m", "user_id": "a\x00"},
                {"user_id": ["Must not contain control characters."]},
            ),
        ],
    )
    def test_invalid_body_is_refused(self, data, errors):
        assert errors_of(MemoryWriteSerializer, data) == errors


class MemoriesDeleteTests:
    def test_ids_are_identifiers(self):
        serializer = MemoriesDeleteSerializer(data={"memory_ids": ["m1", " m2 "]})

        assert serializer.is_valid(), serializer.errors
        assert serializer.validated_data["memory_ids"] == ["m1", " m2 "]

    @pytest.mark.parametrize(
        "memory_ids, message",
        [
            ([], "Ensure this field has at least 1 elements."),
            (["m"] * (MAX_BULK_IDS + 1), "Ensure this field has no more than 1000 elements."),
            ("m1", 'Expected a list of items but got type "str".'),
        ],
    )
    def test_list_bounds(self, memory_ids, message):
        assert errors_of(MemoriesDeleteSerializer, {"memory_ids": memory_ids}) == {
            "memory_ids": [message]
        }

    def test_invalid_item_is_reported_by_its_index(self):
        serializer = MemoriesDeleteSerializer(data={"memory_ids": ["m1", "", "m\n3"]})

        assert not serializer.is_valid()
        assert serializer.errors == {
            "memory_ids": {
                1: ["This field may not be blank."],
                2: ["Must not contain control characters."],
            }
        }


class FieldCopyTests:
    """Each serializer instance gets its own fields, bound to it, however they are copied."""

    def test_instances_get_their_own_bound_fields(self):
        first = MemoryIdQuerySerializer(data={"memory_id": "m1"})
        second = MemoryIdQuerySerializer(data={"memory_id": "m\n2"})

        assert first.fields["memory_id"] is not second.fields["memory_id"]
        assert first.fields["memory_id"].parent is first
        assert second.fields["memory_id"].parent is second
        assert first.is_valid() and not second.is_valid()
        assert first.validated_data == {"memory_id": "m1"}

    def test_a_copied_field_validates_as_the_declared_one(self):
        declared: Any = MemoryIdQuerySerializer._declared_fields["memory_id"]
        copied: Any = copy.deepcopy(MemoryIdQuerySerializer().fields["memory_id"])

        assert [copied.parent, copied.field_name, copied.source] == [None, None, None]
        assert [copied.max_length, copied.trim_whitespace] == [declared.max_length, False]
        assert copied.run_validation(" m1 ") == " m1 "
        with pytest.raises(ValidationError):
            copied.run_validation("m\x00")
        with pytest.raises(ValidationError):
            copied.run_validation("m" * 256)


class RenderingTests:
    @pytest.mark.parametrize(
        "epoch, iso",
        [(None, None), (0, "1970-01-01T00:00:00Z"), (1_700_000_000, "2023-11-14T22:13:20Z")],
    )
    def test_iso_datetime(self, epoch, iso):
        assert iso_datetime(epoch) == iso

    def test_memory_is_rendered_as_agno_does(self):
        memory = Memory(
            memory_id="m1",
            memory={"memory": "Legacy"},
            user_id="alice",
            topics=["a", 1],
            agent_id=None,
            team_id="team",
            created_at=1_700_000_000,
            updated_at=None,
        )

        assert MemorySerializer(memory).data == {
            "memory_id": "m1",
            "memory": "Legacy",
            "topics": ["a", "1"],
            "agent_id": None,
            "team_id": "team",
            "user_id": "alice",
            "updated_at": None,
            "created_at": "2023-11-14T22:13:20Z",
        }

    def test_topics_that_are_not_a_list_render_as_null(self):
        memory = Memory(memory_id="m1", memory="x", topics="a,b", created_at=0)

        assert MemorySerializer(memory).data["topics"] is None


# Rows as Agno deployments hold them: legacy objects, topics of any JSON, empty columns.
STORED_ROWS: list[dict[str, Any]] = [
    {"memory": "Likes tea 🍵", "topics": ["drinks", "mornings"], "updated_at": None},
    {"memory": {"memory": "Legacy row", "topics": ["old"]}, "topics": None, "team_id": "t"},
    {"memory": {"other": 1}, "topics": {"not": "a list"}, "agent_id": None},
    {"memory": ["a", "b"], "topics": ["a", 1, None, 2.5], "user_id": None},
    {"memory": "", "topics": "a,b", "created_at": 0, "updated_at": 0},
]


@pytest.mark.django_db(databases="__all__")
def test_the_exports_rendering_is_the_serializers_on_every_engine(db_id):
    """Exports render memories without DRF's serializer (memory_representation), and must
    render them exactly as GET /memories/{memory_id} does: same keys, same order, same
    values, for every row as its engine reads it back."""
    for number, fields in enumerate(STORED_ROWS):
        memory_create(db_id, memory_id=f"m{number}", **fields)
    stored = model_of(db_id)._default_manager.using(target(db_id).alias).order_by("memory_id")

    for memory in stored:
        expected = MemorySerializer(memory).data
        assert list(memory_representation(memory).items()) == list(expected.items())
    assert len(stored) == len(STORED_ROWS)
