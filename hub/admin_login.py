"""Admin login protection, by django-axes: failed logins are counted in the database (so every
process sees the same count) per user name *and* address together, so one person's guesses never
lock out another. These callables let the hub's own settings drive it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.html import escape
from django.utils.translation import gettext as _


def login_failure_limit(request: HttpRequest, credentials: Any = None) -> int:
    return settings.ADMIN_LOGIN_MAX_FAILURES


def login_cool_off(request: HttpRequest | None = None) -> timedelta:
    return timedelta(seconds=settings.ADMIN_LOGIN_LOCKOUT_SECONDS)


def login_locked_response(request: HttpRequest, original_response: Any = None, credentials: Any = None) -> HttpResponse:
    """429 with the reason, in the admin's language; even the right password is refused meanwhile."""
    minutes = max(1, settings.ADMIN_LOGIN_LOCKOUT_SECONDS // 60)
    message = _("Too many failed logins. Try again in %(minutes)d minutes.") % {"minutes": minutes}
    return HttpResponse(f"<!doctype html><title>{escape(message)}</title><p>{escape(message)}</p>", status=429)
