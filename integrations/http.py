"""The one outbound HTTP path: a shared session, enforced time-outs, masking and classification."""

from __future__ import annotations

import json
import os
import time
import urllib.request
from collections.abc import Iterable, Mapping
from dataclasses import replace
from email.utils import parsedate_to_datetime
from typing import Any

import requests
import urllib3
from django.conf import settings
from django.utils import timezone
from requests.adapters import HTTPAdapter

from hub.observability import delivery_id_get
from hub.redaction import MASK, mask_text, mask_url
from orders.partner_errors import (
    Exchange,
    PartnerNotConfiguredError,
    PartnerOverloadedError,
    PartnerRejectedError,
    PartnerTransientError,
)

# A webhook signature is not a key, but it would let anyone who reads it replay the message.
SECRET_HEADERS = frozenset({"authorization", "x-api-key", "cookie", "proxy-authorization", "webhook-signature"})
# Kept-alive connections per partner host beyond one per sending thread.
SESSION_SPARE_CONNECTIONS = 8
_session: requests.Session | None = None


def delivery_headers() -> dict[str, str]:
    """`Idempotency-Key` and `X-Hub-Delivery-Id` for the delivery being sent, or {} outside one.

    Delivery is at least once: a partner that sees a key again may drop the request. Only status
    calls carry them, never token requests (a gateway might replay a cached, expired token).
    """
    delivery_id = delivery_id_get()
    if delivery_id is None:
        return {}
    return {"Idempotency-Key": f"hub-delivery-{delivery_id}", "X-Hub-Delivery-Id": str(delivery_id)}


def _environment_read_per_call() -> bool:
    """Whether `requests` must look at the environment on each call: proxies (with their exceptions), a netrc file.

    Read here (not through settings) because it is `requests`' own contract, checked once per process.
    """
    if urllib.request.getproxies():
        return True
    netrc = os.environ.get("NETRC")
    paths = [netrc] if netrc else [os.path.expanduser(f"~/{name}") for name in (".netrc", "_netrc")]
    return any(os.path.exists(path) for path in paths)


def session_make() -> requests.Session:
    """A session as the process shares it. Connections are pooled; urllib3 retries nothing on its own."""
    session = requests.Session()
    # `requests` scans the environment on every call (a tenth of a fast partner's send). A CA
    # bundle named there is taken once, as `requests` would take it; proxies keep the scan.
    bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
    if bundle:
        session.verify = bundle
    session.trust_env = _environment_read_per_call()
    # One kept-alive connection per thread that may be waiting on a partner at once: the
    # process's sending threads, and a few more for other calls (token fetches, polling).
    adapter = HTTPAdapter(max_retries=0, pool_connections=8,
                          pool_maxsize=settings.DELIVERY_SEND_THREADS + SESSION_SPARE_CONNECTIONS)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def session_get() -> requests.Session:
    """This process's shared session (see `session_make`)."""
    global _session
    if _session is None:
        _session = session_make()
    return _session


def timeouts() -> tuple[float, float]:
    return (settings.PARTNER_CONNECT_TIMEOUT, settings.PARTNER_READ_TIMEOUT)


def mask_headers(headers: Mapping[str, str]) -> dict[str, str]:
    return {k: (MASK if k.lower() in SECRET_HEADERS else str(v)) for k, v in headers.items()}


def truncate(text: str, limit: int | None = None) -> str:
    limit = settings.ATTEMPT_BODY_LIMIT if limit is None else limit
    return text if len(text) <= limit else text[:limit] + f"… [{len(text) - limit} more characters]"


def _body_text(body: Any) -> str:
    if body is None:
        return ""
    if isinstance(body, bytes):
        return body.decode("utf-8", errors="replace")
    if isinstance(body, str):
        return body
    return json.dumps(body, ensure_ascii=False)


def _content_read(response: requests.Response) -> None:
    """Read the answer's body, at most PARTNER_RESPONSE_MAX_BYTES of it, then let the connection go.

    No partner answers a status call with megabytes; one that streams without end (hostile, or a
    broken proxy) must not fill the worker's memory. What is past the cap is not read: the answer
    is judged on its status and the part read (JSON cut short is "not JSON", retried). A body
    still arriving after PARTNER_READ_TIMEOUT is a time-out.
    """
    limit = settings.PARTNER_RESPONSE_MAX_BYTES
    # The read time-out bounds each wait for a byte; this bounds the whole body (a slow drip).
    deadline = time.monotonic() + settings.PARTNER_READ_TIMEOUT
    body = bytearray()
    try:
        while len(body) < limit:
            # read1: whatever has arrived (up to 64 KiB), so the deadline is looked at while a body drips.
            chunk = response.raw.read1(min(65536, limit - len(body)))
            if not chunk:
                break
            body += chunk
            if time.monotonic() > deadline:
                raise requests.ReadTimeout(f"the answer's body took longer than {settings.PARTNER_READ_TIMEOUT} s")
    except requests.RequestException:
        raise  # (an OSError too) the deadline's own time-out
    except (TimeoutError, urllib3.exceptions.ReadTimeoutError) as exc:
        raise requests.ReadTimeout(str(exc)) from exc
    except (urllib3.exceptions.HTTPError, OSError) as exc:
        raise requests.ConnectionError(str(exc)) from exc
    finally:
        response.close()
    response._content = bytes(body)  # what .text and .json() read from now on


def send(
    method: str,
    url: str,
    *,
    json_body: Any = None,
    form_body: str | None = None,
    raw_body: str | None = None,
    headers: Mapping[str, str] | None = None,
    secrets: Iterable[str] = (),
    session: requests.Session | None = None,
    allow_http: bool | None = None,
) -> tuple[requests.Response, Exchange]:
    """Send one request and return the response with its masked record.

    `raw_body` is sent byte for byte as given (a signed body must not be serialised again), with
    the Content-Type the headers name. `session` replaces the shared one; `allow_http` replaces
    PARTNER_ALLOW_HTTP for this request. Raises PartnerOverloadedError on a time-out and
    PartnerTransientError on a connection error. HTTP status codes are not judged here: see
    `raise_for_status`.
    """
    secrets = tuple(secrets)
    allow_http = settings.PARTNER_ALLOW_HTTP if allow_http is None else allow_http
    if not url.lower().startswith("https://") and not allow_http:
        # Partner credentials must not cross the network in clear text.
        raise PartnerNotConfiguredError(f"Refusing a plain-HTTP partner URL ({mask_url(url, secrets)}): use https://.")
    headers = dict(headers or {})
    if form_body is not None:
        headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
    text_body = form_body if form_body is not None else raw_body
    request_body = text_body if text_body is not None else _body_text(json_body)
    sent = Exchange(
        method=method,
        url=mask_url(url, secrets),
        request_headers=mask_headers(headers),
        request_body=truncate(mask_text(request_body, secrets)),
    )
    started = time.monotonic()
    try:
        response = (session or session_get()).request(
            method,
            url,
            json=json_body if text_body is None else None,
            data=text_body.encode() if text_body is not None else None,
            headers=headers,
            timeout=timeouts(),
            allow_redirects=False,
            stream=True,
        )
        _content_read(response)
    except requests.Timeout as exc:
        exchange = replace(sent, duration_ms=_ms_since(started))
        raise PartnerOverloadedError(f"Time-out: {exc.__class__.__name__}", exchange=exchange) from exc
    except requests.RequestException as exc:
        exchange = replace(sent, duration_ms=_ms_since(started))
        raise PartnerTransientError(f"Connection failed: {exc.__class__.__name__}", exchange=exchange) from exc
    exchange = replace(
        sent,
        response_status=response.status_code,
        response_body=truncate(mask_text(response.text, secrets)),
        duration_ms=_ms_since(started),
    )
    return response, exchange


def raise_for_status(response: requests.Response, exchange: Exchange, detail: str = "") -> None:
    """Classify a non-2xx answer: 408, 429 and 5xx are transient, any other 4xx or 3xx is final."""
    status = response.status_code
    if 200 <= status < 300:
        return
    if status == 429:
        raise PartnerOverloadedError.from_exchange(exchange, detail, retry_after=retry_after_seconds(response))
    if status == 408 or status >= 500:
        raise PartnerTransientError.from_exchange(exchange, detail, retry_after=retry_after_seconds(response))
    raise PartnerRejectedError.from_exchange(exchange, detail)


def retry_after_seconds(response: requests.Response) -> float | None:
    """The Retry-After header in seconds (both forms), or None."""
    value = response.headers.get("Retry-After", "").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - timezone.now()).total_seconds())


def json_answer(response: requests.Response, exchange: Exchange) -> dict[str, Any]:
    """The JSON object of a 2xx answer.

    A 2xx whose body is not a JSON object (a proxy's HTML page, an empty or cut body) says
    nothing about what the partner did: it is transient, and the delivery is tried again.
    """
    try:
        data = response.json()
    except ValueError:
        data = None
    if not isinstance(data, dict):
        kind = response.headers.get("Content-Type", "").split(";")[0] or "no content type"
        raise PartnerTransientError(
            f"HTTP {response.status_code} but the answer is not JSON ({kind}, {len(response.content)} bytes): "
            "perhaps a proxy's page.",
            exchange=exchange,
        )
    return data


def json_or_empty(response: requests.Response) -> dict[str, Any]:
    """The answer's JSON object, or {} when it is not one."""
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _ms_since(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
