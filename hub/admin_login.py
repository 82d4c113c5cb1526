"""The admin login, with failed attempts limited per user name and per address."""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

logger = logging.getLogger(__name__)


class RateLimitedAuthenticationForm(AdminAuthenticationForm):
    """After ADMIN_LOGIN_MAX_FAILURES failures for a user name or an address, refuse every try for
    ADMIN_LOGIN_LOCKOUT_SECONDS, even with the right password (so guessing cannot go on)."""

    def _keys(self) -> list[str]:
        username = (self.data.get("username") or "").strip().lower()[:150]
        address = self.request.META.get("REMOTE_ADDR", "") if self.request else ""
        return [f"admin-login:user:{username}", f"admin-login:addr:{address}"]

    def clean(self) -> dict:
        keys = self._keys()
        if any((cache.get(key) or 0) >= settings.ADMIN_LOGIN_MAX_FAILURES for key in keys):
            minutes = max(1, settings.ADMIN_LOGIN_LOCKOUT_SECONDS // 60)
            raise ValidationError(
                _("Too many failed logins. Try again in %(minutes)d minutes.") % {"minutes": minutes},
                code="locked",
            )
        try:
            return super().clean()
        except ValidationError:
            for key in keys:
                cache.add(key, 0, timeout=settings.ADMIN_LOGIN_LOCKOUT_SECONDS)
                cache.incr(key)
            logger.warning("Failed admin login for %r", keys[0].rsplit(":", 1)[-1])
            raise
