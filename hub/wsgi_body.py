"""WSGI: make a chunked request body readable by Django."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class ChunkedBodyMiddleware:
    """Give a `Transfer-Encoding: chunked` body the Content-Length Django reads it by.

    Gunicorn de-chunks the body but, as WSGI allows, sets no CONTENT_LENGTH; Django then reads
    an empty body and the request would be answered "order_id required" with nothing kept.
    At most INBOUND_MAX_BODY_BYTES + 1 bytes are read, so a body over the limit is still
    answered 413 with its head kept.
    """

    def __init__(self, app: WSGIApp) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
        if chunked and not environ.get("CONTENT_LENGTH"):
            body = environ["wsgi.input"].read(settings.INBOUND_MAX_BODY_BYTES + 1)
            environ["wsgi.input"] = io.BytesIO(body)
            environ["CONTENT_LENGTH"] = str(len(body))
        return self.app(environ, start_response)
