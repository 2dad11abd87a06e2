"""Validation of what the API receives, and the shapes it answers with."""

import datetime
from typing import Any

from django.core.validators import ProhibitNullCharactersValidator, RegexValidator
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import ISO_8601, serializers
from rest_framework.fields import empty

from memories.models import AbstractMemory, memory_text
from memories.representations import iso_datetime, topic_list
from memories.selectors import SORT_FIELDS, MemoryFilter
from memories.validators import (
    IDENTIFIER_REGEX,
    MAX_IDENTIFIER_LENGTH,
    TEXT_REGEX,
    holds_control_or_surrogate,
)

MAX_MEMORY_LENGTH = 5000
MAX_TOPICS = 50
MAX_TOPIC_LENGTH = 100
MAX_BULK_IDS = 1000
MAX_PAGE_SIZE = 100


class StrictCharField(serializers.CharField):
    """A CharField that refuses numbers and booleans instead of turning them into text."""

    default_error_messages = {"invalid": _("Must be a string.")}

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return str(super().to_internal_value(data))


class StrictBooleanField(serializers.BooleanField):
    """A JSON boolean, true or false, and nothing else. DRF's BooleanField also takes "n",
    "off", "0", 0, 0.0 as false (and "yes", "on", 1 as true): a request that meant otherwise
    (`"dry_run": "no"`) would delete for good."""

    default_error_messages = {"invalid": _("Must be a JSON boolean, true or false.")}

    def to_internal_value(self, data: Any) -> bool:
        if not isinstance(data, bool):
            self.fail("invalid")
        return data


class QueryBooleanField(serializers.BooleanField):
    """A boolean query parameter: exactly `true` or `false`, as JSON (and the document)
    spell them; any other spelling is refused, not read as either."""

    default_error_messages = {"invalid": _("Must be true or false.")}

    def to_internal_value(self, data: Any) -> bool:
        if data == "true":
            return True
        if data == "false":
            return False
        self.fail("invalid")


class IdentifierField(StrictCharField):
    """An id or name: 1 to 255 characters, kept exactly as given, no control characters and
    no lone surrogates (DRF's own validator)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("min_length", 1)
        kwargs.setdefault("max_length", MAX_IDENTIFIER_LENGTH)
        kwargs.setdefault("trim_whitespace", False)
        super().__init__(**kwargs)
        # Ours covers NUL too: one message per field, not two. A RegexValidator, so that the
        # OpenAPI document shows the pattern.
        self.validators = [
            validator
            for validator in self.validators
            if not isinstance(validator, ProhibitNullCharactersValidator)
        ] + [RegexValidator(IDENTIFIER_REGEX, _("Must not contain control characters."))]


class TextField(StrictCharField):
    """Text of at most max_length characters as sent, trimmed afterwards if asked: not blank
    (whitespace only), no NUL, no lone surrogates."""

    def __init__(self, *, max_length: int, **kwargs: Any) -> None:
        super().__init__(max_length=max_length, **kwargs)
        self.validators = [
            validator
            for validator in self.validators
            if not isinstance(validator, ProhibitNullCharactersValidator)
        ] + [RegexValidator(TEXT_REGEX, _("Null characters are not allowed."))]

    def run_validation(self, data: Any = empty) -> Any:
        if isinstance(data, str) and not data.strip():
            self.fail("blank")
        return super().run_validation(data)

    def to_internal_value(self, data: Any) -> str:
        # The length as sent, as the document states it: trimming never makes text valid.
        if isinstance(data, str) and self.max_length is not None and len(data) > self.max_length:
            self.fail("max_length", max_length=self.max_length)
        return super().to_internal_value(data)


class IdentifierListField(serializers.ListField):
    """A list of identifiers. A bulk request carries up to 1000: a valid list is checked in
    one pass; only an invalid one goes item by item, to name each bad item."""

    def __init__(self, **kwargs: Any) -> None:
        child = kwargs.setdefault("child", IdentifierField())
        self.longest_item: int = child.max_length
        super().__init__(**kwargs)

    def run_child_validation(self, data: list[Any]) -> list[Any]:
        longest = self.longest_item
        plain = all(isinstance(item, str) and 0 < len(item) <= longest for item in data)
        if plain and not holds_control_or_surrogate("".join(data)):
            return list(data)
        return list(super().run_child_validation(data))


class TopicsField(serializers.ListField):
    """At most 50 topics of at most 100 characters, trimmed, duplicates dropped."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("child", TextField(max_length=MAX_TOPIC_LENGTH))
        kwargs.setdefault("max_length", MAX_TOPICS)
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> list[str]:
        topics: list[str] = super().to_internal_value(data)
        return list(dict.fromkeys(topics))


class TopicFilterField(serializers.ListField):
    """The `topics` query parameter: up to 50 values of at most 100 characters each, every
    value a topic or comma-separated topics, trimmed; at most 50 topics in all."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault(
            "child",
            StrictCharField(max_length=MAX_TOPIC_LENGTH, trim_whitespace=False, allow_blank=True),
        )
        kwargs.setdefault("max_length", MAX_TOPICS)
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> list[str]:
        # Counted as sent, as the document states it; the list's own validator sees the
        # topics once split.
        if isinstance(data, list) and len(data) > MAX_TOPICS:
            self.fail("max_length", max_length=MAX_TOPICS)
        values: list[str] = super().to_internal_value(data)
        topics = [topic.strip() for value in values for topic in value.split(",")]
        return [topic for topic in topics if topic]


class TargetQuerySerializer(serializers.Serializer[Any]):
    """The db_id and table every memory operation accepts."""

    db_id = IdentifierField(required=False)
    table = IdentifierField(required=False)


class OwnerQuerySerializer(TargetQuerySerializer):
    user_id = IdentifierField(required=False)


class MemoryIdQuerySerializer(OwnerQuerySerializer):
    memory_id = IdentifierField()


class PageQuerySerializer(OwnerQuerySerializer):
    limit = serializers.IntegerField(min_value=1, max_value=MAX_PAGE_SIZE, default=20)
    page = serializers.IntegerField(min_value=1, default=1)


class MemoryListQuerySerializer(PageQuerySerializer):
    agent_id = IdentifierField(required=False)
    team_id = IdentifierField(required=False)
    topics = TopicFilterField(required=False)
    search_content = TextField(max_length=MAX_MEMORY_LENGTH, required=False)
    sort_by = serializers.ChoiceField(choices=SORT_FIELDS, default="updated_at")
    sort_order = serializers.ChoiceField(choices=["asc", "desc"], default="desc")


class MemoryWriteSerializer(serializers.Serializer[Any]):
    memory = TextField(max_length=MAX_MEMORY_LENGTH, trim_whitespace=False)
    user_id = IdentifierField(required=False, allow_null=True)
    topics = TopicsField(required=False, allow_null=True)
    agent_id = IdentifierField(required=False, allow_null=True)
    team_id = IdentifierField(required=False, allow_null=True)


class MemoriesDeleteSerializer(serializers.Serializer[Any]):
    memory_ids = IdentifierListField(min_length=1, max_length=MAX_BULK_IDS)
    user_id = IdentifierField(required=False, allow_null=True)


class MemorySerializer(serializers.Serializer[AbstractMemory]):
    """A memory as Agno's AgentOS renders it, plus its creation time."""

    memory_id = serializers.CharField()
    memory = serializers.SerializerMethodField()
    topics = serializers.SerializerMethodField()
    agent_id = serializers.CharField(allow_null=True)
    team_id = serializers.CharField(allow_null=True)
    user_id = serializers.CharField(allow_null=True)
    updated_at = serializers.SerializerMethodField()
    created_at = serializers.SerializerMethodField()

    def get_memory(self, obj: AbstractMemory) -> str:
        return memory_text(obj.memory)

    def get_topics(self, obj: AbstractMemory) -> list[str] | None:
        return topic_list(obj.topics)

    @extend_schema_field({"type": ["string", "null"], "format": "date-time"})
    def get_updated_at(self, obj: AbstractMemory) -> str | None:
        return iso_datetime(obj.updated_at)

    @extend_schema_field({"type": "string", "format": "date-time"})
    def get_created_at(self, obj: AbstractMemory) -> str | None:
        return iso_datetime(obj.created_at)


class UserMemoryStatsSerializer(serializers.Serializer[dict[str, Any]]):
    user_id = serializers.CharField()
    total_memories = serializers.IntegerField()
    last_memory_updated_at = serializers.SerializerMethodField()

    @extend_schema_field({"type": ["string", "null"], "format": "date-time"})
    def get_last_memory_updated_at(self, obj: dict[str, Any]) -> str | None:
        return iso_datetime(obj["last_memory_updated_at"])


class ExportQuerySerializer(OwnerQuerySerializer):
    all_databases = QueryBooleanField(
        default=False,
        help_text="true: export every configured db_id and table, each line then naming its "
        "own; false (the default): db_id/table only. No other spelling is accepted.",
    )


class ExportLineSerializer(MemorySerializer):
    """One line of an export: a memory as GET /memories/{id} answers it, with its db_id and
    table when the export covers every database."""

    db_id = serializers.CharField(required=False)
    table = serializers.CharField(required=False)


class InstantField(serializers.DateTimeField):
    """An ISO 8601 time (whatever the host's DATETIME_INPUT_FORMATS), kept at the offset it was
    given: it only becomes epoch seconds. Moving it to the server's time zone first, as DRF
    does, fails at the ends of the calendar (0001-01-01T00:00:00+03:04 lies before year 1 in
    UTC) for a time the document allows; epoch seconds hold any of them."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("input_formats", [ISO_8601])
        super().__init__(**kwargs)

    def enforce_timezone(self, value: datetime.datetime) -> datetime.datetime:
        if value.utcoffset() is not None:
            return value
        return super().enforce_timezone(value)


def _epoch(value: datetime.datetime | None) -> int | None:
    return None if value is None else int(value.timestamp())


# The filters of a deletion by filter: at least one is required.
FILTER_FIELDS = ("user_id", "agent_id", "team_id", "topics", "updated_before", "created_before")


class DeletionFilterSerializer(serializers.Serializer[Any]):
    """Which memories a deletion by filter takes: those matching every given filter."""

    user_id = IdentifierField(required=False)
    agent_id = IdentifierField(required=False)
    team_id = IdentifierField(required=False)
    topics = serializers.ListField(
        # Topics are matched exactly as stored: a filter trims nothing.
        child=TextField(max_length=MAX_TOPIC_LENGTH, trim_whitespace=False),
        min_length=1,
        max_length=MAX_TOPICS,
        required=False,
        help_text="Memories that have every one of these topics.",
    )
    updated_before = InstantField(
        required=False, help_text="Last written (updated, else created) before this time."
    )
    created_before = InstantField(required=False)
    db_id = IdentifierField(required=False, help_text="Only this db_id (default: every one).")
    table = IdentifierField(required=False, help_text="Only this table of db_id.")
    # Stated every time: a request that deletes says so (false), one that counts says true.
    dry_run = StrictBooleanField(
        help_text="true: only count what would be deleted; false: delete it. Only a JSON "
        "boolean is accepted."
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not any(attrs.get(name) for name in FILTER_FIELDS):
            raise serializers.ValidationError(
                gettext("A deletion by filter needs at least one of: %(fields)s")
                % {"fields": ", ".join(FILTER_FIELDS)}
            )
        return attrs


class TableCountSerializer(serializers.Serializer[Any]):
    db_id = serializers.CharField()
    table = serializers.CharField()
    count = serializers.IntegerField(help_text="Memories matched (dry run) or deleted.")


class DeletionReportSerializer(serializers.Serializer[Any]):
    dry_run = serializers.BooleanField()
    total = serializers.IntegerField()
    tables = TableCountSerializer(many=True)


def memory_filter_of(data: dict[str, Any]) -> MemoryFilter:
    """The MemoryFilter a validated request (or command line) describes."""
    return MemoryFilter(
        user_id=data.get("user_id"),
        agent_id=data.get("agent_id"),
        team_id=data.get("team_id"),
        topics=tuple(data.get("topics") or ()),
        updated_before=_epoch(data.get("updated_before")),
        created_before=_epoch(data.get("created_before")),
    )
