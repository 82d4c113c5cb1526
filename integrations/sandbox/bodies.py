"""How the sandbox partners read a request body: JSON, or PHP-style form keys (`a[0][link]=...`).

Pure functions: a body that does not parse comes back as problems naming the field, never as an
exception.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
MAX_FORM_FIELDS = 1000
MAX_FORM_DEPTH = 64  # PHP's max_input_nesting_level

_FORM_KEY = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")
_FORM_PART = re.compile(r"\[([^\[\]]*)\]")


@dataclass
class Body:
    """A request body as the partner's framework reads it. `data` is None when it cannot be read."""

    data: Any = None
    problems: list[str] = field(default_factory=list)


def body_parse(*, raw: bytes, content_type: str, allowed: tuple[str, ...]) -> Body:
    """Decode `raw` by its Content-Type, which must be one of `allowed` (FORM, JSON).

    A form is read like PHP does (bracket keys become nested dicts and lists). Never raises:
    a body that is not UTF-8, not JSON or not an object comes back with `data` None and a problem.
    """
    kind = content_type.split(";", 1)[0].strip().lower()
    if kind not in allowed:
        return Body(problems=[f"Content-Type: must be {' or '.join(allowed)}, not {kind or 'missing'}"])
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return Body(problems=["body: not UTF-8"])
    if kind == FORM:
        data, problems = form_parse(text)
        return Body(data=data, problems=problems)
    try:
        data = json.loads(text) if text.strip() else {}
        # A lone surrogate (\ud800) is valid JSON but no text: it could be neither stored nor echoed.
        json.dumps(data, ensure_ascii=False).encode("utf-8")
    except ValueError:
        return Body(problems=["body: not valid JSON"])
    except RecursionError:
        return Body(problems=["body: nested too deeply"])
    except UnicodeEncodeError:
        return Body(problems=["body: a \\u escape is not a character"])
    if not isinstance(data, dict):
        return Body(problems=["body: must be a JSON object"])
    return Body(data=data)


def form_parse(text: str) -> tuple[dict[str, Any], list[str]]:
    """`a[0][b]=1&c=2` as `{"a": [{"b": "1"}], "c": "2"}`, plus problems (bad keys, bad encoding).

    Like PHP: a repeated key keeps its last value, `a[]` appends, and a group whose keys are
    0..n-1 is a list. A key used both as a value and as a group is a problem, not a guess.
    """
    try:
        pairs = parse_qsl(text, keep_blank_values=True, errors="strict", max_num_fields=MAX_FORM_FIELDS)
    except UnicodeDecodeError:
        return {}, ["body: a %-escape is not UTF-8"]
    except ValueError:
        return {}, [f"body: more than {MAX_FORM_FIELDS} fields"]
    data: dict[str, Any] = {}
    problems = []
    for key, value in pairs:
        match = _FORM_KEY.match(key)
        path = [match.group(1), *_FORM_PART.findall(match.group(2))] if match else []
        if match is None:
            problems.append(f"{field_name(key)}: malformed key")
        elif len(path) > MAX_FORM_DEPTH:
            problems.append(f"{field_name(path[0])}: nested deeper than {MAX_FORM_DEPTH} levels")
        elif not _form_put(data, path, value):
            problems.append(f"{field_name(key)}: used both as a value and as a group")
    return _listify(data), problems


def _form_put(node: dict[str, Any], path: list[str], value: str) -> bool:
    for part in path[:-1]:
        child = node.setdefault(part or str(len(node)), {})
        if not isinstance(child, dict):
            return False
        node = child
    last = path[-1] or str(len(node))
    if isinstance(node.get(last), dict):
        return False
    node[last] = value
    return True


def _listify(value: Any) -> Any:
    if not isinstance(value, dict):
        return value
    items = {key: _listify(item) for key, item in value.items()}
    if items and sorted(items) == sorted(str(i) for i in range(len(items))):
        return [items[str(i)] for i in range(len(items))]
    return items


# Field checks: each returns a problem or None. -------------------------------------------------


def shown(value: Any) -> str:
    """`value` as a problem quotes it: short, and with control characters escaped."""
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def field_name(key: str) -> str:
    """A field name from the request, as a problem names it (quoted when it is not a plain name)."""
    return key if re.fullmatch(r"[\w\-\[\]]{1,64}", key) else shown(key)
