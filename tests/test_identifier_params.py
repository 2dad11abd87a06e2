"""The identifier parameters' shortcut answers as the serializers do, on every class of input."""

import itertools

import pytest
from rest_framework.exceptions import ValidationError

from memories.identifier_params import accepted_identifiers
from memories.serializers import (
    MemoryIdQuerySerializer,
    OwnerQuerySerializer,
    PageQuerySerializer,
    TargetQuerySerializer,
)

VALID = ["m1", "a" * 255, "é日本", " padded ", "a b", "\u2028", "\x85", "x\u00a0", "-_.:/?#%"]
INVALID = ["", "a" * 256, "\x00", "a\nb", "\t", "\x7f", "\x1f", "\ud800", "x\udfff"]
NOT_TEXT = [0, 1.5, True, None, ["m1"], {"a": "b"}]
SERIALIZERS = [MemoryIdQuerySerializer, OwnerQuerySerializer, TargetQuerySerializer]


def serializer_answer(serializer_class, data):
    try:
        return dict(serializer_class().run_validation(data))
    except ValidationError:
        return None


def inputs(serializer_class):
    """Every field given each class of value alone, then pairs of fields mixing classes, and
    every required field left out."""
    names = list(serializer_class().fields)
    required = {name: "m1" for name, f in serializer_class().fields.items() if f.required}
    for name, value in itertools.product(names, VALID + INVALID + NOT_TEXT):
        yield {**required, name: value}
    for (first, second), values in itertools.product(
        itertools.combinations(names, 2), itertools.product(VALID[:3] + INVALID[:4], repeat=2)
    ):
        yield {**required, first: values[0], second: values[1]}
    yield {name: "m1" for name in names if name not in required}
    yield {}


@pytest.mark.parametrize("serializer_class", SERIALIZERS, ids=lambda c: c.__name__)
def test_the_shortcut_returns_what_the_serializer_returns_or_leaves_it_to_the_serializer(
    serializer_class,
):
    for data in inputs(serializer_class):
        accepted = accepted_identifiers(serializer_class, data)
        expected = serializer_answer(serializer_class, data)
        # Whatever the shortcut accepts, the serializer accepts the same way; what it refuses
        # is left to the serializer, whose errors the API answers.
        assert accepted is None or accepted == expected, data
        assert list(accepted or {}) == list(expected or {}) or accepted is None, data
        # And it does take the valid requests: that is its purpose.
        is_valid = all(isinstance(value, str) and value in VALID for value in data.values())
        if is_valid and expected is not None:
            assert accepted == expected, data


def test_a_serializer_with_other_fields_is_left_to_itself():
    assert accepted_identifiers(PageQuerySerializer, {"user_id": "alice"}) is None
