"""Request body parsing: DRF's JSON parser, refusing unreasonable nesting before decoding it."""

import codecs
import operator
import re
from collections.abc import Mapping
from functools import partial
from itertools import accumulate
from json import JSONDecodeError
from typing import IO, Any

from django.conf import settings
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import ParseError, UnsupportedMediaType
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.utils import json

from memories.exceptions import LengthRequired

# Far deeper than any request of the API (an object holding a list of strings is 2 levels);
# far shallower than what makes Python's decoder raise RecursionError (about 1000).
MAX_JSON_DEPTH = 32

# A JSON string: through its closing quote, or to the end of a body whose string never closes
# (a bracket inside a string counts for nothing). Possessive quantifiers: a string is read
# once, never backtracked into, and a match that starts at a quote cannot fail, so a search
# reads each character once. (A pattern that required the closing quote failed at the end of
# an unclosed string, then was tried again from each quote inside it: quadratic, 13 s for a
# 64 KB body.)
_STRING = re.compile(r'"(?:[^"\\]++|\\.)*+"?', re.DOTALL)
_NOT_BRACKETS = re.compile(r"[^\[\]{}]++")
_DEPTH_CHANGE = {"[": 1, "{": 1, "]": -1, "}": -1}


# What Python's JSON decoder says is wrong (json.decoder, _json), and what it says of bytes the
# body's encoding cannot decode (utf-8's reasons): translated, so that a parse error reads in
# one language. A message not listed stays as Python words it.
_DECODER_MESSAGES = {
    "Expecting value": _("Expecting value"),
    "Expecting property name enclosed in double quotes": _(
        "Expecting property name enclosed in double quotes"
    ),
    "Expecting ':' delimiter": _("Expecting ':' delimiter"),
    "Expecting ',' delimiter": _("Expecting ',' delimiter"),
    "Unterminated string starting at": _("Unterminated string starting at"),
    "Invalid control character at": _("Invalid control character at"),
    "Invalid \\escape": _("Invalid \\escape"),
    "Invalid \\uXXXX escape": _("Invalid \\uXXXX escape"),
    "Extra data": _("Extra data"),
    "Illegal trailing comma before end of object": _(
        "Illegal trailing comma before end of object"
    ),
    "Illegal trailing comma before end of array": _("Illegal trailing comma before end of array"),
    "invalid start byte": _("invalid start byte"),
    "invalid continuation byte": _("invalid continuation byte"),
    "unexpected end of data": _("unexpected end of data"),
}


def parse_error(error: Exception) -> ParseError:
    """The 400 for a body that is no JSON, worded as Python words it, in the active language."""
    if isinstance(error, JSONDecodeError):
        reason = gettext("%(message)s: line %(line)d column %(column)d (char %(char)d)") % {
            "message": _DECODER_MESSAGES.get(error.msg, error.msg),
            "line": error.lineno,
            "column": error.colno,
            "char": error.pos,
        }
    elif isinstance(error, UnicodeDecodeError):
        where = {
            "encoding": error.encoding,
            "byte": f"0x{error.object[error.start]:02x}",
            "start": error.start,
            "end": error.end - 1,
            "reason": _DECODER_MESSAGES.get(error.reason, error.reason),
        }
        if error.end == error.start + 1:
            template = gettext(
                "'%(encoding)s' codec can't decode byte %(byte)s in position %(start)d: %(reason)s"
            )
        else:
            template = gettext(
                "'%(encoding)s' codec can't decode bytes in position %(start)d-%(end)d: %(reason)s"
            )
        reason = template % where
    else:
        reason = str(error)
    return ParseError(gettext("JSON parse error - %(reason)s") % {"reason": reason})


def json_depth_exceeds(text: str, limit: int) -> bool:
    """Whether arrays and objects in text nest deeper than limit, found without recursion."""
    # Nesting is never deeper than the opening brackets are many (those inside strings
    # counted too, which only overestimates): a body with few of them, such as a list of
    # 1000 ids, needs no scan of its strings. (8% of a bulk delete's CPU in-process.)
    if text.count("[") + text.count("{") <= limit:
        return False
    return _scanned_depth_exceeds(text, limit)


def _scanned_depth_exceeds(text: str, limit: int) -> bool:
    """json_depth_exceeds, in passes that each read text once, all in C: the strings
    removed, then the brackets left, then the depth after each of them until one exceeds
    limit (faster than a Python loop over the tokens: BENCHMARKS.md)."""
    brackets = _NOT_BRACKETS.sub("", _STRING.sub("", text))
    depths = accumulate(map(_DEPTH_CHANGE.__getitem__, brackets))
    return any(filter(partial(operator.lt, limit), depths))


def refuse_unframed_body(request: Request) -> None:
    """A body sent without Content-Length (Transfer-Encoding: chunked) is refused with 411:
    Django's WSGI request reads only Content-Length bytes, so it would read it as empty."""
    if request.META.get("HTTP_TRANSFER_ENCODING"):
        raise LengthRequired()


def refuse_non_text_charset(request: Request) -> None:
    """A Content-Type charset that names a codec but no text encoding (zlib_codec, base64,
    hex, rot13, uu...) is refused with 415. Django keeps any codec Python knows as the
    request's encoding, and decodes the body and the query string with it, where bytes.decode
    refuses such a codec (LookupError): a 500 on every route with a body. Refused before
    anything reads the query string."""
    encoding = request.encoding  # only a codec Python knows (codecs.lookup), or None
    # What bytes.decode asks of a codec (CPython's _PyCodec_LookupTextEncoding): a codec
    # that does not say otherwise is a text encoding.
    if encoding is None or getattr(codecs.lookup(encoding), "_is_text_encoding", True):
        return
    raise UnsupportedMediaType(
        request.content_type,
        detail=gettext(
            'Unsupported charset "%(encoding)s": a JSON body must be in a text encoding, '
            "such as utf-8"
        )
        % {"encoding": encoding},
    )


class BoundedJSONParser(JSONParser):
    """JSON bodies nested at most MAX_JSON_DEPTH deep; malformed ones are a 400, not a 500."""

    # NaN and Infinity are no JSON, whatever the host's STRICT_JSON.
    strict = True

    def parse(
        self,
        stream: IO[Any],
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        # Django keeps a request's charset only when Python knows it; one that is no text
        # encoding was refused before (refuse_non_text_charset).
        encoding = (parser_context or {}).get("encoding") or settings.DEFAULT_CHARSET
        try:
            text = stream.read().decode(encoding)
        except ValueError as error:  # UnicodeDecodeError among them
            raise parse_error(error) from None
        if json_depth_exceeds(text, MAX_JSON_DEPTH):
            raise ParseError(
                gettext("JSON parse error - nested deeper than %(limit)d levels")
                % {"limit": MAX_JSON_DEPTH}
            )
        try:
            return json.loads(text, parse_constant=json.strict_constant if self.strict else None)
        except (ValueError, RecursionError) as error:
            raise parse_error(error) from None
