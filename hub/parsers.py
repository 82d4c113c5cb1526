"""Request parsers. Kept apart from hub.api: DRF imports parsers while hub.api imports DRF."""

import math
import re
import sys
from typing import Any

from rest_framework import exceptions, parsers

# Deeper JSON than this is no order: refuse it before any code recurses into it.
MAX_JSON_DEPTH = 64
REPLACEMENT = "\ufffd"
# NUL (PostgreSQL text and jsonb refuse it) and lone surrogates (`"\ud800"` parses, but no UTF-8
# encoder, hash or database takes it): each is kept as U+FFFD, like undecodable bytes.
UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def _storable(text: str) -> str:
    return UNSTORABLE.sub(REPLACEMENT, text)


def json_sanitize(value: Any, *, limit: int = MAX_JSON_DEPTH) -> Any:
    """`value` with NUL characters and lone surrogates in keys and strings replaced by U+FFFD.

    Raises ParseError when the value is nested deeper than `limit`, or holds a number too large for
    a float (`1e400` reads as infinity). Iterative, so it cannot
    overflow the stack itself.
    """
    root = [value]
    stack: list[tuple[Any, Any, int]] = [(root, 0, 0)]
    while stack:
        parent, key, depth = stack.pop()
        item = parent[key]
        if isinstance(item, str):
            if UNSTORABLE.search(item):
                parent[key] = _storable(item)
            continue
        if isinstance(item, float) and not math.isfinite(item):
            raise exceptions.ParseError("JSON parse error - a number is too large to read (it would be infinite).")
        if not isinstance(item, (dict, list)):
            continue
        if depth >= limit:
            raise exceptions.ParseError(f"JSON parse error - nested deeper than {limit} levels.")
        if isinstance(item, dict):
            if any(UNSTORABLE.search(k) for k in item):
                item = {_storable(k): v for k, v in item.items()}
                parent[key] = item
            stack.extend((item, k, depth + 1) for k in item)
        else:
            stack.extend((item, i, depth + 1) for i in range(len(item)))
    return root[0]


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser that reads UTF-8 only, refuses absurd nesting and makes strings storable.

    JSON exchanged between systems is UTF-8 (RFC 8259, which defines no charset parameter): a
    `charset=windows-1251` in the header would otherwise re-read UTF-8 bytes as Cyrillic mojibake
    and store it. A byte order mark is ignored, as the RFC allows. Errors are said in words.
    """

    def parse(self, stream, media_type=None, parser_context=None):  # noqa: ANN001, ANN201
        context = {**(parser_context or {}), "encoding": "utf-8-sig"}
        try:
            data = super().parse(stream, media_type, context)
        except RecursionError:
            raise exceptions.ParseError("JSON parse error - nested too deeply.") from None
        except exceptions.ParseError as exc:
            raise exceptions.ParseError(_parse_error_words(exc)) from None
        return json_sanitize(data)


def _parse_error_words(exc: exceptions.ParseError) -> str:
    cause = exc.__context__
    if isinstance(cause, UnicodeDecodeError):
        return "JSON parse error - the body is not UTF-8 text (compressed, or in another encoding?); send UTF-8 JSON."
    if isinstance(cause, ValueError) and "digits" in str(cause):
        return f"JSON parse error - a number is longer than {sys.get_int_max_str_digits()} digits."
    return str(exc.detail)
