"""The rules strings are checked against before SQL, and the databases that need them."""

import re
import sys

import pytest
from django.db import DataError, transaction
from django.db.backends.postgresql.psycopg_any import is_psycopg3
from hypothesis import given
from hypothesis import strategies as st

from memories.validators import (
    BLANK,
    CONTROL_CHARACTERS,
    IDENTIFIER_REGEX,
    MAX_IDENTIFIER_LENGTH,
    NO_NUL_REGEX,
    NOT_BLANK_NOR_NUL,
    SURROGATES,
    TEXT_REGEX,
    ecma_pattern,
    holds_control_or_surrogate,
    is_identifier,
)
from tests.conftest import require_db_id
from tests.factories import memory_create, model_of, target

# Values at the edges of what is accepted: the longest id, in characters of 1 to 4 UTF-8
# bytes; the characters just outside the refused ranges (US, DEL, the C1 block, a surrogate).
LONGEST_IDS = [c * MAX_IDENTIFIER_LENGTH for c in ("x", "é", "€", "😀")]
EDGE_IDS = [" ", "\x20\x7e", "\x80\x9f\xa0", "\ud7ff\ue000", "\U0010ffff"]


class IsIdentifierTests:
    @pytest.mark.parametrize("value", [*LONGEST_IDS, *EDGE_IDS, "a"], ids=repr)
    def test_accepts_1_to_255_characters_without_c0_controls_del_or_surrogates(self, value):
        assert is_identifier(value)
        assert re.match(IDENTIFIER_REGEX, value)

    @pytest.mark.parametrize(
        "value",
        ["", "x" * 256, "😀" * 256, "a\x00", "\x1f", "a\x7f", "\n", "line\n", "\ud800", "a\udfff"],
        ids=repr,
    )
    def test_refuses_empty_too_long_control_and_surrogate(self, value):
        assert not is_identifier(value)

    @pytest.mark.parametrize("value", [None, 1, b"alice", ["alice"]], ids=repr)
    def test_refuses_what_is_not_a_string(self, value):
        assert not is_identifier(value)


def found_by_the_searches(text: str) -> bool:
    """The plain way holds_control_or_surrogate takes a shortcut past on ASCII text."""
    return bool(CONTROL_CHARACTERS.search(text) or SURROGATES.search(text))


class HoldsControlOrSurrogateTests:
    @pytest.mark.parametrize("neighbour", ["", "id-", "é"], ids=["alone", "in ASCII", "beside é"])
    def test_every_character_of_the_basic_plane_as_the_searches_find_it(self, neighbour):
        disagree = [
            n
            for n in range(0x10000)
            for text in [neighbour + chr(n), chr(n) + neighbour]
            if holds_control_or_surrogate(text) != found_by_the_searches(text)
        ]

        assert disagree == []
        assert holds_control_or_surrogate(neighbour + "\x7f")
        assert holds_control_or_surrogate(neighbour + "\ud800")

    @given(text=st.text(alphabet=st.sampled_from("a-9 ~\x00\x1f\x7f\x80\xa0é😀\ud800\udfff")))
    def test_any_text_as_the_searches_find_it(self, text):
        assert holds_control_or_surrogate(text) is found_by_the_searches(text)

    def test_a_thousand_ids_joined_with_one_control_at_either_end(self):
        ids = [f"{n:08x}-4a1c-9e2f-3b5d7c9e1f20" for n in range(1000)]

        assert not holds_control_or_surrogate("".join(ids))
        assert holds_control_or_surrogate("".join(ids) + "\x1f")
        assert holds_control_or_surrogate("\x00" + "".join(ids))


class RegexTests:
    def test_blank_means_exactly_what_str_strip_removes(self):
        text = re.compile(TEXT_REGEX)
        refused = {chr(n) for n in range(sys.maxunicode + 1) if not text.match(chr(n))}
        removed = {chr(n) for n in range(sys.maxunicode + 1) if not chr(n).strip()}
        assert refused == removed | {"\x00"}

    def test_text_goes_on_after_its_blanks_in_one_way_only(self):
        # What keeps TEXT_REGEX linear: no character is both a blank and the first other
        # one, so a failed match never tries another split of the same characters.
        blank, first = re.compile(BLANK), re.compile(NOT_BLANK_NOR_NUL)
        both = [
            n for n in range(sys.maxunicode + 1) if blank.match(chr(n)) and first.match(chr(n))
        ]

        assert both == []
        assert rf"\A{BLANK}*{NOT_BLANK_NOR_NUL}[^\x00]*\Z" == TEXT_REGEX

    @given(text=st.text(alphabet=" \t\u3000\x1fa\x00é\n\x7f", max_size=30))
    def test_text_is_exactly_what_has_no_nul_and_is_not_blank(self, text):
        accepted = re.match(TEXT_REGEX, text) is not None

        assert accepted is ("\x00" not in text and text.strip() != "")

    @pytest.mark.parametrize("text", ["x", " x ", "\tx\n", "\x01", "\u00a0\x7fa"], ids=repr)
    def test_text_is_anything_without_nul_that_is_not_blank(self, text):
        assert re.match(TEXT_REGEX, text)
        assert re.match(NO_NUL_REGEX, text)

    @pytest.mark.parametrize("text", ["", " ", "\n", "\u3000\u2028", "x\x00", "\x00"], ids=repr)
    def test_text_refuses_blank_or_nul(self, text):
        assert not re.match(TEXT_REGEX, text)

    def test_a_final_newline_is_no_way_past_the_anchors(self):
        assert not re.match(IDENTIFIER_REGEX, "a\x00\n")
        assert not re.match(NO_NUL_REGEX, "\x00\n")
        assert re.match(NO_NUL_REGEX, "") and not re.match(NO_NUL_REGEX, "\x00")

    def test_ecma_pattern_anchors_with_caret_and_dollar(self):
        assert ecma_pattern(IDENTIFIER_REGEX) == "^[^\\x00-\\x1f\\x7f]*$"
        assert ecma_pattern(NO_NUL_REGEX) == "^[^\\x00]*$"
        assert not re.search(r"\\[AZ]", ecma_pattern(TEXT_REGEX))


@pytest.mark.django_db(databases="__all__")
class EngineTests:
    @pytest.mark.parametrize("value", [*LONGEST_IDS, *EDGE_IDS], ids=repr)
    def test_every_accepted_edge_value_is_stored_and_read_back_intact(self, db_id, value):
        memory_create(db_id, memory_id=value, user_id=value, memory="\x01\t" + value)

        stored = model_of(db_id)._default_manager.using(target(db_id).alias).get()
        assert (stored.memory_id, stored.user_id, stored.memory) == (
            value,
            value,
            "\x01\t" + value,
        )

    def test_a_lone_surrogate_no_engine_takes(self, db_id):
        with pytest.raises(UnicodeEncodeError), transaction.atomic(using=target(db_id).alias):
            memory_create(db_id, memory_id="a\ud800")

        assert not model_of(db_id)._default_manager.using(target(db_id).alias).exists()

    @pytest.mark.parametrize("field", ["memory_id", "user_id", "memory"])
    def test_nul_postgresql_does_not_store(self, field):
        require_db_id("pg")
        # psycopg2 refuses a NUL in a text parameter before sending it; the memory is JSON,
        # where it is written as \u0000, which the server refuses.
        refused = ValueError if field != "memory" and not is_psycopg3 else DataError
        with pytest.raises(refused, match=r"NUL|\\u0000"), transaction.atomic(using="pg"):
            memory_create("pg", **{field: "a\x00b"})

        assert not model_of("pg")._default_manager.using("pg").exists()
