"""Keeping every inbound request: read before anything about it is validated, written with its outcome."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone

from integrations.http import mask_headers, mask_text
from integrations.models import InboundEvent
from orders.services.statements import insert

# Of a body over the size limit, this much is kept.
OVERSIZE_HEAD_BYTES = 64 * 1024
# Of a request that failed authentication, only this much: anyone can send one.
REFUSED_BODY_BYTES = 4 * 1024
# The columns' bounds: a method of any length and a Content-Length of any size are still kept.
METHOD_MAX = 10
BODY_SIZE_MAX = 2**31 - 1


def _inbound_secrets() -> list[str]:
    return [settings.SHOP_WEBHOOK_TOKEN, settings.IMSHOP_CALLBACK_TOKEN, settings.HUB_API_TOKEN]


def _request_headers(request: HttpRequest) -> dict[str, str]:
    return mask_headers({k: v for k, v in request.headers.items() if k.lower() != "cookie"})


def request_body_size(request: HttpRequest) -> int:
    try:
        return max(0, int(request.META.get("CONTENT_LENGTH") or 0))
    except ValueError:
        return 0


def _decode(raw: bytes) -> str:
    # PostgreSQL text cannot hold NUL; everything else is kept, undecodable bytes as U+FFFD.
    return raw.decode("utf-8", errors="replace").replace("\x00", "\ufffd")


def _body_head(request: HttpRequest, limit: int) -> bytes:
    """The first `limit` bytes of the body, reading no more of it than that when it is still unread."""
    if getattr(request, "_body", None) is not None or getattr(request, "_read_started", False):
        try:
            return request.body[:limit]
        except Exception:  # noqa: BLE001 - a half-read or too large body: keep what is known (nothing)
            return b""
    return request.read(limit)


def inbound_event_read(
    *, request: HttpRequest, source: str, event: str = "", body_limit: int | None = None
) -> tuple[InboundEvent, bool]:
    """The request as it arrived (secrets masked), as an event not yet written: `inbound_event_store` writes it.

    Returns the event and whether the body is over INBOUND_MAX_BODY_BYTES (then only its head is
    read and kept, and the caller answers 413). With `body_limit`, at most that much of the body is
    read and kept (a request that failed authentication).
    """
    size = request_body_size(request)
    oversize = size > settings.INBOUND_MAX_BODY_BYTES
    if body_limit is not None:
        raw = _body_head(request, body_limit)
    else:
        raw = request.read(OVERSIZE_HEAD_BYTES) if oversize else request.body
    secrets = _inbound_secrets()
    event_row = InboundEvent(
        source=source,
        event=_decode(event.encode("utf-8", errors="replace"))[:64],
        method=(request.method or "")[:METHOD_MAX],
        path=mask_text(request.get_full_path(), secrets)[:500],
        headers=_request_headers(request),
        body=mask_text(_decode(raw), secrets),
        body_size=min(size or len(raw), BODY_SIZE_MAX),
        remote_addr=(request.META.get("REMOTE_ADDR") or "")[:64],
        created_at=timezone.now(),
    )
    return event_row, oversize


def inbound_event_store(
    *, event: InboundEvent, status_code: int, error: str = "", order_id: int | None = None, unchanged: bool = False
) -> None:
    """Write the request with its outcome: one INSERT, in the request's transaction."""
    if status_code >= 500:
        event.outcome = InboundEvent.Outcome.FAILED
    elif status_code >= 400:
        event.outcome = InboundEvent.Outcome.REFUSED
    elif unchanged:
        event.outcome = InboundEvent.Outcome.UNCHANGED
    else:
        event.outcome = InboundEvent.Outcome.ACCEPTED
    event.response_status, event.error = status_code, error[:2000]
    if order_id is not None:
        event.order_id = order_id
    insert([event])
