"""What every supported database can store: the rules strings are checked against before SQL.

PostgreSQL holds no NUL in text or jsonb, no UTF-8 encoder (so no driver, and no utf8mb4
column) takes a lone surrogate, and the id columns are varchar(255). The serializers, the
token checks and the OpenAPI document share these rules.
"""

import re

MAX_IDENTIFIER_LENGTH = 255

# C0 controls and DEL, NUL among them: no id, owner, db_id or table holds one.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")
SURROGATES = re.compile("[\ud800-\udfff]")

# Exactly the characters str.strip() removes: a text of these only is blank. Spelled out, so
# that every regular expression engine (Python's, ECMA-262's, Rust's) reads the patterns alike.
_WHITESPACE = r"\t\n\x0b\x0c\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"

# What the API accepts, as regular expressions the OpenAPI document shows with ^ and $ (here
# \Z, since Python's $ also matches before a final newline). Lone surrogates, which no
# pattern names portably, are refused besides.
IDENTIFIER_REGEX = r"\A[^\x00-\x1f\x7f]*\Z"
# Any text without NUL, which PostgreSQL cannot store.
NO_NUL_REGEX = r"\A[^\x00]*\Z"
# ... and not blank: blanks, then the first character that is not one. The two classes share
# no character, so a backtracking engine tries each character once where it failed: linear.
# (Any text, then a non-blank, then any text tried every split when a NUL came last:
# quadratic, 0.2 s for a 5000-character memory.)
BLANK = rf"[{_WHITESPACE}]"
NOT_BLANK_NOR_NUL = rf"[^\x00{_WHITESPACE}]"
TEXT_REGEX = rf"\A{BLANK}*{NOT_BLANK_NOR_NUL}[^\x00]*\Z"


def ecma_pattern(regex: str) -> str:
    """A regular expression above as a JSON Schema (ECMA-262) pattern."""
    return regex.replace(r"\A", "^").replace(r"\Z", "$")


# The ASCII characters CONTROL_CHARACTERS finds, as bytes.
_ASCII_CONTROL_BYTES = bytes(b for b in range(0x80) if CONTROL_CHARACTERS.match(chr(b)))


def holds_control_or_surrogate(text: str) -> bool:
    """Whether text holds what no id may: a C0 control, DEL or a lone surrogate.

    What CONTROL_CHARACTERS and SURROGATES find, without them for ASCII text (most ids, and
    the 1000 ids of a bulk request joined): ASCII holds no surrogate, and its encoding loses
    bytes to translate() exactly when it holds a control. Over 1000 UUIDs about 15 times
    faster than the two searches (str.isascii() reads a flag the string keeps; BENCHMARKS.md).
    """
    if text.isascii():
        encoded = text.encode("ascii")
        return len(encoded.translate(None, _ASCII_CONTROL_BYTES)) != len(encoded)
    return bool(CONTROL_CHARACTERS.search(text) or SURROGATES.search(text))


def is_identifier(value: object) -> bool:
    """Whether value is 1 to 255 characters that every supported database keeps as an id."""
    return (
        isinstance(value, str)
        and 0 < len(value) <= MAX_IDENTIFIER_LENGTH
        and not holds_control_or_surrogate(value)
    )
