"""The core's domain errors. They name the field at fault and know nothing of HTTP.

The API's exception handler (hub/api.py) maps each to its answer; the admin and the management
commands show their message.
"""

from __future__ import annotations


class ApplicationError(Exception):
    """A request the hub cannot carry out as asked (the API answers 400)."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class NotFoundError(ApplicationError):
    """What the request names does not exist (404)."""


class StatusUnknownError(ApplicationError):
    """A status code or shop status id no mapping has (400: the request is wrong, not the URL)."""


class ConflictError(ApplicationError):
    """The order's state forbids the change, e.g. it is in a final status (409)."""
