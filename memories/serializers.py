"""Validation of what the API receives: identifiers in paths and query strings."""

import re
from typing import Any

from django.core.validators import ProhibitNullCharactersValidator
from rest_framework import serializers

_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")


def no_control_characters(value: str) -> None:
    if _CONTROL_CHARACTERS.search(value):
        raise serializers.ValidationError("Must not contain control characters.")


class IdentifierField(serializers.CharField):
    """An id or name: 1 to 255 characters, kept exactly as given, no control characters."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 255)
        kwargs.setdefault("trim_whitespace", False)
        super().__init__(**kwargs)
        # Ours covers NUL too: one message per field, not two.
        self.validators = [
            validator
            for validator in self.validators
            if not isinstance(validator, ProhibitNullCharactersValidator)
        ] + [no_control_characters]


class TargetQuerySerializer(serializers.Serializer[Any]):
    """The db_id and table every memory operation accepts."""

    db_id = IdentifierField(required=False, help_text="Database ID to use")
    table = IdentifierField(required=False, help_text="Table to use")


class MemoryDeleteQuerySerializer(TargetQuerySerializer):
    memory_id = IdentifierField()
    user_id = IdentifierField(required=False)
