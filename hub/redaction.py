"""Keeping secrets out of what the hub writes down: logs, stored requests and attempts, pages.

Two nets. Known secrets (the configured tokens, keys and passwords, and the secret parts of a
partner URL) are replaced wherever they appear, in every form they take once written down (as is,
JSON-escaped, URL-encoded). Values of fields and parameters named like secrets (token, key,
password, sig, ...) are replaced whatever they are, so a partner's fresh token is caught too.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable
from urllib.parse import parse_qsl, quote, quote_plus, urlsplit, urlunsplit

from django.conf import settings

MASK = "***"
# Shorter strings are too likely to occur by chance to be replaced everywhere.
MIN_SECRET_LENGTH = 4
_NAME = r"(?:access_token|refresh_token|client_secret|api_key|apikey|token|key|password|passwd|secret|sig|signature)"
# "name": "value" in JSON, where the value may hold escaped quotes.
_JSON_FIELD = re.compile(r'(?P<k>"' + _NAME + r'"\s*:\s*")(?P<v>(?:[^"\\]|\\.)*)(?=")', re.IGNORECASE)
# name=value in a query string or form body, and name: value in loose text.
_PLAIN_FIELD = re.compile(r'(?P<k>\b' + _NAME + r'\b"?\s*[:=]\s*)(?P<v>[^"&,;}\s]+)', re.IGNORECASE)
# Credentials after an auth scheme, as an echoed Authorization header shows them.
_AUTH_SCHEME = re.compile(r"(?P<k>\b(?:Basic|Bearer)\s+)(?P<v>[A-Za-z0-9._~+/=-]{4,})")
# Every name above and every scheme contains one of these: text without any needs no field pass.
# Looked for in the case-folded text, several times quicker than a case-blind regex scan of a
# body. Folding maps "ſ" and the Kelvin sign as IGNORECASE does; "ı" and "İ" (folded to "i" and a
# combining dot) are mapped to "i" by hand, so every text the scan would pass on is passed on.
_FIELD_HINTS = ("token", "key", "pass", "secret", "sig", "basic", "bearer")
# The settings that hold a secret; IMSHOP_STATUS_URL is secret in parts (see url_secret_parts).
SECRET_SETTINGS = ("SECRET_KEY", "SHOP_WEBHOOK_TOKEN", "IMSHOP_CALLBACK_TOKEN", "HUB_API_TOKEN", "METRICS_TOKEN",
                   "CHOCO_CLIENT_SECRET", "IMSHOP_API_KEY", "HOROSHOP_PASSWORD")


def secret_forms(secret: str) -> list[str]:
    """`secret` as it may appear once written into JSON, a URL or a form body."""
    return list(dict.fromkeys([secret, json.dumps(secret, ensure_ascii=False)[1:-1], json.dumps(secret)[1:-1],
                               quote(secret, safe=""), quote_plus(secret)]))


@functools.lru_cache(maxsize=64)
def _forms_longest_first(secrets: tuple[str, ...]) -> tuple[str, ...]:
    forms = {form for secret in secrets if secret and len(secret) >= MIN_SECRET_LENGTH
             for form in secret_forms(secret)}
    return tuple(sorted(forms, key=len, reverse=True))  # longest first: a secret may contain another


def mask_text(text: str, secrets: Iterable[str] = ()) -> str:
    """`text` with every known secret (in any written form) and every secret-named value replaced by ***."""
    for form in _forms_longest_first(tuple(secrets)):
        if form in text:
            text = text.replace(form, MASK)
    if not _has_field_hint(text):  # no secret-named field or auth scheme can match: most text
        return text
    text = _JSON_FIELD.sub(lambda m: m.group("k") + MASK, text)
    text = _AUTH_SCHEME.sub(lambda m: m.group("k") + MASK, text)
    return _PLAIN_FIELD.sub(lambda m: m.group("k") + MASK, text)


def _has_field_hint(text: str) -> bool:
    folded = text.casefold()
    if not folded.isascii():
        folded = folded.replace("\u0131", "i").replace("\u0307", "")
    return any(hint in folded for hint in _FIELD_HINTS)


def _looks_like_key(segment: str) -> bool:
    # Keys are random: a digit or a capital, or long. Plain words ("v1" aside) name the endpoint.
    return len(segment) >= MIN_SECRET_LENGTH and (
        any(c.isdigit() or c.isupper() for c in segment) or len(segment) >= 12)


def url_secret_parts(url: str) -> list[str]:
    """The parts of a partner URL that may be a key: user info, query values, key-like path segments.

    The path as a whole is one too, so a partner echoing the URL back gives nothing away.
    """
    return list(_url_secret_parts(url))


@functools.lru_cache(maxsize=64)  # asked for every line the access log writes
def _url_secret_parts(url: str) -> tuple[str, ...]:
    parts = urlsplit(url)
    found = [parts.username or "", parts.password or ""]
    found += [value for _, value in parse_qsl(parts.query, keep_blank_values=True)]
    path = parts.path.strip("/")
    found += [segment for segment in path.split("/") if _looks_like_key(segment)]
    if any(_looks_like_key(segment) for segment in path.split("/")):
        found.append(path)
    return tuple(part for part in found if part and len(part) >= MIN_SECRET_LENGTH)


def mask_url(url: str, secrets: Iterable[str] = ()) -> str:
    """`url` fit to be shown: no user info, no query values, and known secrets masked in the path."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    if parts.username or parts.password:
        host = f"{MASK}@{host}"
    query = "&".join(f"{name}={MASK}" for name, _ in parse_qsl(parts.query, keep_blank_values=True))
    # Segment by segment, so the words that name the endpoint stay readable around a masked key.
    path = "/".join(mask_text(segment, secrets) for segment in parts.path.split("/"))
    return urlunsplit((parts.scheme, host, path, query, ""))


def configured_secrets() -> list[str]:
    """Every secret in the settings, and the secret parts of the partner URLs."""
    if not settings.configured:  # gunicorn's master process, before Django is set up
        return []
    values = [getattr(settings, name, "") or "" for name in SECRET_SETTINGS]
    values += url_secret_parts(getattr(settings, "IMSHOP_STATUS_URL", "") or "")
    return [value for value in values if isinstance(value, str) and len(value) >= MIN_SECRET_LENGTH]
