"""The base of every inbound endpoint: keep the request first, answer in the one error shape."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.db import DatabaseError, transaction
from django.http import HttpRequest
from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import exceptions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from hub.api import FailedAuthThrottle, ServiceUnavailableError
from integrations.models import InboundEvent
from integrations.services.inbound import REFUSED_BODY_BYTES, inbound_event_read, inbound_event_store

logger = logging.getLogger(__name__)


ERROR_SHAPE = inline_serializer("Error", {
    "message": serializers.CharField(),
    "fields": serializers.DictField(child=serializers.ListField(child=serializers.CharField())),
})
COMMON_ERRORS = {
    413: "Body over 1 MiB.",
    415: "Not `Content-Type: application/json`.",
    429: "Too many requests: `retry_after` says when to come back.",
    503: "Database unavailable; try again.",
}


def error_responses(**described: str) -> dict[int, OpenApiResponse]:
    """The error answers of an endpoint for its schema: `e400="..."` plus 413, 429 and 503."""
    codes = {int(name[1:]): text for name, text in described.items()}
    return {code: OpenApiResponse(ERROR_SHAPE, description=text) for code, text in {**COMMON_ERRORS, **codes}.items()}


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE

    def __init__(self) -> None:
        limit = settings.INBOUND_MAX_BODY_BYTES
        super().__init__(f"The body is larger than the hub accepts ({limit:,} bytes at most).")


class _HandlerFailed(Exception):  # noqa: N818 - a carrier, not an error of its own
    """The handler raised `error`: its transaction is rolled back before the request is kept."""

    def __init__(self, error: Exception) -> None:
        super().__init__(str(error))
        self.error = error


class InboundApiView(APIView):
    """An APIView that keeps each request as an InboundEvent, read before authenticating or parsing it.

    Subclasses set `inbound_source`, and may set `self.inbound_order_id` and
    `self.inbound_unchanged` while handling the request; the event is written with its outcome
    when the response is ready.
    """

    inbound_source = ""
    # The credentials may be in the body (Imshop's key): over the size limit they cannot be read,
    # and the answer is 413 (what is wrong), not 401.
    credentials_in_body = False
    # Set for each request by initial(): the event read, and what the handler says it did.
    inbound_event: InboundEvent | None
    inbound_order_id: int | None
    inbound_unchanged: bool

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Response:
        """The whole request in one commit: the raw request, what it changed and its outcome.

        DRF's dispatch in two steps. First, with no transaction open, the request is authenticated
        and its body read: a client sending slowly holds only its own thread, never a database lock
        (on SQLite a transaction is the one write lock) or a connection idle in a transaction. Then
        one transaction: the handler's writes, then the request with its outcome. A handler that
        fails half-way has its transaction rolled back, and the request is kept with its outcome in
        a transaction of its own. (A savepoint around the handler would do the same in one
        transaction, for two more round trips on every request; only a failure pays here.) A
        database that cannot begin or commit answers 503.
        """
        self.args, self.kwargs = args, kwargs
        drf_request = self.initialize_request(request, *args, **kwargs)
        self.request, self.headers = drf_request, self.default_response_headers
        refused: Response | None = None
        try:
            self.initial(drf_request, *args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - answered in the one error shape, and kept
            refused = self.handle_exception(exc)
        if refused is not None and getattr(self, "inbound_event", None) is None:
            # Refused with nothing to keep (an address over its failed-token budget): no transaction.
            self.response = self.finalize_response(drf_request, refused, *args, **kwargs)
            return self.response
        try:
            try:
                return self._respond_in_transaction(drf_request, refused, *args, **kwargs)
            except _HandlerFailed as failed:
                # The rollback undid what the handler wrote: the kept request points at none of it.
                self.inbound_order_id, self.inbound_unchanged = None, False
                return self._respond_in_transaction(drf_request, self.handle_exception(failed.error), *args, **kwargs)
        except DatabaseError as exc:
            # Whatever the error, nothing of the request was kept: the sender must come back.
            logger.warning("Inbound request not stored: the database failed (%s)", exc.__class__.__name__)
            self.inbound_event = None
            unavailable = self.handle_exception(ServiceUnavailableError())
            self.response = self.finalize_response(drf_request, unavailable, *args, **kwargs)
            return self.response

    def _respond_in_transaction(self, request: Request, answer: Response | None, *args: Any, **kwargs: Any) -> Response:
        """In one transaction: `answer`, or the handler's when None, and the request kept with it.

        An exception from the handler leaves as _HandlerFailed once the transaction is rolled back.
        """
        with transaction.atomic():
            if answer is None:
                try:
                    answer = self._handler(request)(request, *args, **kwargs)
                except Exception as exc:  # noqa: BLE001 - answered in the one error shape, and kept
                    raise _HandlerFailed(exc) from exc
            self.response = self.finalize_response(request, answer, *args, **kwargs)
            return self.response

    def _handler(self, request: Request) -> Any:
        method = (request.method or "").lower()
        return getattr(self, method, self.http_method_not_allowed) if method in self.http_method_names \
            else self.http_method_not_allowed

    def handle_exception(self, exc: Exception) -> Response:
        """DRF's answer; an error nobody expected is a 500 in the one error shape (the request is kept)."""
        try:
            return super().handle_exception(exc)
        except Exception:  # noqa: BLE001 - the request and its outcome must still be written
            logger.exception("Inbound request failed unexpectedly")
            return Response({"message": "The hub could not process this request; it is kept for an operator.",
                             "fields": {}}, status=status.HTTP_500_INTERNAL_SERVER_ERROR)

    def inbound_event_name(self, request: Request, **kwargs: Any) -> str:
        return str(kwargs.get("event", ""))

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        self.inbound_event = None
        self.inbound_order_id = None
        self.inbound_unchanged = False
        self._authenticate_or_refuse(request, **kwargs)
        self.inbound_event, oversize = inbound_event_read(
            request=request._request, source=self.inbound_source, event=self.inbound_event_name(request, **kwargs)
        )
        if oversize:
            raise PayloadTooLarge()
        super().initial(request, *args, **kwargs)

    def _authenticate_or_refuse(self, request: Request, **kwargs: Any) -> None:
        """Authenticate before anything heavy happens (a token compare; Imshop's key may need the body).

        A failure is kept with its headers and only the head of its body; an address over its budget
        of failures (THROTTLE_UNAUTHENTICATED) gets 429 and nothing is stored. The right token is
        never held back by failures from its address.
        """
        try:
            self.perform_authentication(request)
        except (exceptions.NotAuthenticated, exceptions.AuthenticationFailed, exceptions.PermissionDenied):
            throttle = FailedAuthThrottle()
            wait = throttle.blocked_for(request)
            if wait is not None:
                raise exceptions.Throttled(wait) from None
            throttle.failure_record(request)
            self.inbound_event, oversize = inbound_event_read(
                request=request._request, source=self.inbound_source,
                event=self.inbound_event_name(request, **kwargs), body_limit=REFUSED_BODY_BYTES,
            )
            if oversize and self.credentials_in_body:
                raise PayloadTooLarge() from None
            raise

    def finalize_response(self, request: Request, response: Response, *args: Any, **kwargs: Any) -> Response:
        response = super().finalize_response(request, response, *args, **kwargs)
        event: InboundEvent | None = getattr(self, "inbound_event", None)  # unset when initial() never ran
        if event is not None:
            error = ""
            if response.status_code >= 400 and isinstance(response.data, dict):
                error = str(response.data.get("message", ""))
            # A failure here propagates: dispatch rolls the request back and answers 503, so the
            # sender retries (a 200 for a request the database did not keep would lose it).
            self.inbound_event = None
            inbound_event_store(
                event=event, status_code=response.status_code, error=error,
                order_id=self.inbound_order_id, unchanged=self.inbound_unchanged,
            )
        return response
