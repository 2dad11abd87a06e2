"""Query and path parameters that are all identifiers, accepted without running the
serializer when every value is one that it accepts unchanged."""

import functools
from typing import Any

from rest_framework import serializers
from rest_framework.fields import empty

from memories.serializers import IdentifierField
from memories.validators import MAX_IDENTIFIER_LENGTH, is_identifier


@functools.cache
def _required_identifiers(
    serializer_class: type[serializers.Serializer[Any]],
) -> tuple[tuple[str, ...], frozenset[str]] | None:
    """The fields of serializer_class, in order, and the required ones, when each is a plain
    IdentifierField (its defaults: 1 to 255 characters, kept as given, no null, no default)
    and the serializer adds no validation of its own; else None."""
    if serializer_class.validate is not serializers.Serializer.validate:
        return None
    serializer = serializer_class()
    if serializer.validators:
        return None
    for name, field in serializer.fields.items():
        plain = (
            type(field) is IdentifierField
            and field.source == name
            and not field.read_only
            and not field.allow_null
            and not field.allow_blank
            and not field.trim_whitespace
            and field.default is empty  # type: ignore[comparison-overlap]
            and field.min_length == 1
            and field.max_length == MAX_IDENTIFIER_LENGTH
        )
        if not plain:
            return None
    required = frozenset(name for name, field in serializer.fields.items() if field.required)
    return tuple(serializer.fields), required


def accepted_identifiers(
    serializer_class: type[serializers.Serializer[Any]], data: dict[str, Any]
) -> dict[str, Any] | None:
    """What `serializer_class().run_validation(data)` returns, when every field of it is a
    plain identifier, every required one is given and every value is an identifier (which
    the field keeps exactly as given); None for anything else, which the serializer itself
    must validate (and word its errors).

    Running the serializer costs a tenth of a delete's own CPU for what, on a valid request,
    returns its input (BENCHMARKS.md); tests/test_identifier_params.py holds this to the
    serializer's answer on every class of input.
    """
    fields = _required_identifiers(serializer_class)
    if fields is None:
        return None
    names, required = fields
    if not required.issubset(data) or not all(map(is_identifier, data.values())):
        return None
    return {name: data[name] for name in names if name in data}
