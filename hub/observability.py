"""What an operator needs at night: a request id in every log line, JSON logs, and no secret in any of them."""

from __future__ import annotations

import json
import logging
import re
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.functional import Promise as StrPromise
from django.utils.log import AdminEmailHandler

from hub.redaction import configured_secrets, mask_text

REQUEST_ID_HEADER = "X-Request-ID"
REQUEST_ID_ATTR = "request_id"
_SAFE_ID = re.compile(r"^[A-Za-z0-9._\-]{1,64}$")
_request_id: ContextVar[str] = ContextVar("request_id", default="-")
# The delivery being sent, for the id partners use to drop duplicates (integrations.http.delivery_headers).
_delivery_id: ContextVar[int | None] = ContextVar("delivery_id", default=None)
# LogRecord attributes that are not "extra" fields.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime", "request_id"}


def request_id_get() -> str:
    return _request_id.get()


@contextmanager
def request_id_bound(value: str) -> Iterator[None]:
    """Log lines inside the block carry `value` as their request id (tasks use the delivery's)."""
    token = _request_id.set(value or "-")
    try:
        yield
    finally:
        _request_id.reset(token)


def delivery_id_get() -> int | None:
    return _delivery_id.get()


@contextmanager
def delivery_bound(delivery_id: int) -> Iterator[None]:
    """Status calls inside the block carry this delivery's id (the same on every retry)."""
    token = _delivery_id.set(delivery_id)
    try:
        yield
    finally:
        _delivery_id.reset(token)


class RequestIdMiddleware:
    """Take the caller's X-Request-ID (if sane) or make one; echo it on the response."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        given = request.headers.get(REQUEST_ID_HEADER, "")
        value = given if _SAFE_ID.match(given) else uuid.uuid4().hex
        setattr(request, REQUEST_ID_ATTR, value)  # request.request_id, for views that want it
        with request_id_bound(value):
            response = self.get_response(request)
        response[REQUEST_ID_HEADER] = value
        return response


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id_get()
        return True


def _loggable(value: object) -> object:
    # Django's request records carry the request, whose repr holds the query string (?token=...).
    if isinstance(value, HttpRequest):
        return f"{value.method} {value.path}"
    return value


class PlainFormatter(logging.Formatter):
    """Readable lines, with every configured secret and secret-named value masked."""

    def format(self, record: logging.LogRecord) -> str:
        if not hasattr(record, "request_id"):
            record.request_id = request_id_get()
        return mask_text(super().format(record), configured_secrets())


class MaskingAdminEmailHandler(AdminEmailHandler):
    """Django's error mail to ADMINS, with every configured secret masked.

    The mail carries the request as Django reports it: its URL (Horoshop's `?token=`), headers and
    settings. Every part is masked before it is sent.
    """

    def send_mail(self, subject: str | StrPromise, message: str | StrPromise, *args: Any, **kwargs: Any) -> None:
        secrets = configured_secrets()
        html = kwargs.get("html_message")
        if html is not None:
            kwargs["html_message"] = mask_text(str(html), secrets)
        super().send_mail(mask_text(str(subject), secrets), mask_text(str(message), secrets), *args, **kwargs)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id, and any `extra` fields.

    Every configured secret and every secret-named value is masked in the finished line.
    """

    def format(self, record: logging.LogRecord) -> str:
        return mask_text(self._format(record), configured_secrets())

    def _format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", request_id_get()),
        }
        entry.update({k: _loggable(v) for k, v in vars(record).items() if k not in _STANDARD})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)
