"""What every API endpoint shares: one error shape (domain errors mapped to HTTP here), token authentication."""

from __future__ import annotations

import hmac
import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import Http404, HttpRequest
from rest_framework import exceptions, status
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle, SimpleRateThrottle
from rest_framework.views import exception_handler as drf_exception_handler

from orders.errors import ApplicationError, ConflictError, NotFoundError, StatusUnknownError

logger = logging.getLogger(__name__)


# Each domain error's answer; the first match wins, so subclasses come before their parents.
DOMAIN_ERROR_STATUS: tuple[tuple[type[ApplicationError], int], ...] = (
    (NotFoundError, status.HTTP_404_NOT_FOUND),
    (ConflictError, status.HTTP_409_CONFLICT),
    (StatusUnknownError, status.HTTP_400_BAD_REQUEST),
    (ApplicationError, status.HTTP_400_BAD_REQUEST),
)


def domain_error_status(exc: ApplicationError) -> int:
    return next(code for kind, code in DOMAIN_ERROR_STATUS if isinstance(exc, kind))


class ServiceUnavailableError(exceptions.APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "The database is unavailable; try again later."


def _flatten(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested error detail as {"field.sub.0": ["message", ...]}."""
    if isinstance(detail, dict):
        out: dict[str, list[str]] = {}
        for key, value in detail.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            out.update(_flatten(value, "" if name == "non_field_errors" else name))
        return out
    if isinstance(detail, list):
        if all(not isinstance(item, (dict, list)) for item in detail):
            return {prefix or "non_field_errors": [str(item) for item in detail]}
        out = {}
        for index, item in enumerate(detail):
            if item:
                out.update(_flatten(item, f"{prefix}.{index}" if prefix else str(index)))
        return out
    return {prefix or "non_field_errors": [str(detail)]}


def _message(fields: dict[str, list[str]]) -> str:
    parts = []
    for name, problems in fields.items():
        text = "; ".join(problems)
        parts.append(text if name == "non_field_errors" else f"{name}: {text}")
    return " | ".join(parts) or "Invalid request."


def error_message(detail: Any) -> str:
    """A DRF error detail as one line naming each field: `stat_status: A valid integer is required.`"""
    return _message(_flatten(detail))


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Every API error as `{"message": "<field>: <problem>", "fields": {...}}`."""
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        exc = exceptions.ValidationError(detail)
    elif isinstance(exc, ApplicationError):
        fields = {exc.field or "non_field_errors": [exc.message]}
        return Response({"message": _message(fields), "fields": fields}, status=domain_error_status(exc))
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound(str(exc) or None)
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, (OperationalError, InterfaceError)) or type(exc) is DatabaseError:
        logger.error("Database unavailable while handling a request: %s", exc.__class__.__name__)
        exc = ServiceUnavailableError()

    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    fields = _flatten(exc.detail) if isinstance(exc, exceptions.ValidationError) else {}
    if isinstance(exc, exceptions.UnsupportedMediaType):
        given = context["request"].content_type if context.get("request") is not None else ""
        fields = {"Content-Type": [f"Send application/json (this request sent {given or 'none'})."]}
    message = _message(fields) if fields else str(getattr(exc, "detail", exc))
    response.data = {"message": message, "fields": fields}
    if isinstance(exc, exceptions.Throttled):
        wait: float | None = exc.wait  # type: ignore[attr-defined]  # DRF sets it in __init__; the stub omits it
        if wait:
            response.data["retry_after"] = int(wait)
    return response


class TokenUser:
    """The caller a token stands for: enough for DRF's IsAuthenticated."""

    is_authenticated = True
    is_staff = False

    def __init__(self, name: str) -> None:
        self.name = name
        self.pk = f"token:{name}"  # throttles count per caller

    def __str__(self) -> str:
        return self.name


def secret_matches(given: str, expected: str) -> bool:
    return bool(expected) and hmac.compare_digest(given.encode(), expected.encode())


def bearer_token(request: Request) -> str:
    """The token of an `Authorization: Bearer <token>` header, or ""."""
    header = get_authorization_header(request).decode("latin-1")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


class SettingTokenAuthentication(BaseAuthentication):
    """Compare the caller's token with a setting in constant time.

    Missing token: 401. Wrong token: 403. Setting empty: 403 saying the hub refuses until it is set.
    """

    setting_name = ""
    caller = ""

    def expected(self) -> str:
        return getattr(settings, self.setting_name)

    def given(self, request: Request) -> str:
        return bearer_token(request)

    def authenticate(self, request: Request) -> tuple[TokenUser, None]:
        expected = self.expected()
        if not expected:
            raise exceptions.PermissionDenied(f"{self.setting_name} is not set on the hub: these requests are refused.")
        given = self.given(request)
        if not given:
            raise exceptions.NotAuthenticated("token: missing.")
        if not secret_matches(given, expected):
            raise exceptions.PermissionDenied("token: wrong token.")
        return TokenUser(self.caller), None

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="hub"'


class HubApiTokenAuthentication(SettingTokenAuthentication):
    setting_name = "HUB_API_TOKEN"
    caller = "api"



def client_address(request: HttpRequest | Request) -> str:
    """The caller's address: REMOTE_ADDR, or the entry NUM_PROXIES from the right of X-Forwarded-For."""
    # get_ident reads only request.META, which a plain HttpRequest (axes passes one) has too.
    return BaseThrottle().get_ident(request) or ""  # type: ignore[arg-type]  # the stub wants a DRF Request


class FailedAuthThrottle(SimpleRateThrottle):
    """Failed authentications per client address, limited by THROTTLE_UNAUTHENTICATED.

    Only failures count, so a caller with the right token is never held back by others' guesses.
    An address over the limit is refused before its request is read, parsed or stored.
    """

    scope = "unauthenticated"
    # Set by SimpleRateThrottle.__init__ from the rate (None for no limit); the stub does not declare them.
    num_requests: int | None
    duration: int | None

    def get_rate(self) -> str | None:
        # Read now: tests change it. The stub types the rates as numbers; they are strings like "10/min".
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)  # type: ignore[return-value]

    def get_cache_key(self, request: Request, view: Any) -> str:
        return self.cache_format % {"scope": self.scope, "ident": client_address(request)}

    def blocked_for(self, request: Request) -> float | None:
        """Seconds until the address may try again, or None when it may try now."""
        if self.rate is None or self.num_requests is None or self.duration is None:
            return None  # no limit: the rate is unset (then so are the other two)
        self.key = self.get_cache_key(request, None)
        self.now = self.timer()
        self.history = [t for t in self.cache.get(self.key, []) if t > self.now - self.duration]
        return self.wait() if len(self.history) >= self.num_requests else None

    def failure_record(self, request: Request) -> None:
        if self.rate is None:
            return
        if self.blocked_for(request) is None:
            self.history.insert(0, self.now)
            self.cache.set(self.key, self.history, self.duration)
