"""Where partner access tokens are kept between calls, so each process does not log in every time."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Protocol

from django.utils import timezone

from integrations.models import PartnerToken

# A token is dropped this long before the partner would expire it: min(this, a tenth of its life).
TOKEN_REFRESH_MARGIN_SECONDS = 300.0


def usable_seconds(ttl_seconds: float) -> float:
    """How long a token given for `ttl_seconds` is handed out: its life minus the refresh margin."""
    return ttl_seconds - min(TOKEN_REFRESH_MARGIN_SECONDS, ttl_seconds / 10)


class TokenStore(Protocol):
    def get(self, name: str) -> str | None:
        """The token, or None when there is none or it is about to expire."""

    def put(self, name: str, token: str, ttl_seconds: float) -> None:
        """Keep `token`, which the partner says lives `ttl_seconds`."""

    def forget(self, name: str, token: str | None = None) -> None:
        """Drop the token the partner refused (`token`; None: whatever is kept), not one renewed since."""


class MemoryTokenStore:
    """A TokenStore in a dict, for tests. `clock` returns seconds (time.time by default)."""

    def __init__(self, *, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._tokens: dict[str, tuple[str, float]] = {}

    def get(self, name: str) -> str | None:
        token, expires_at = self._tokens.get(name, ("", 0.0))
        return token if token and expires_at > self._clock() else None

    def put(self, name: str, token: str, ttl_seconds: float) -> None:
        self._tokens[name] = (token, self._clock() + usable_seconds(ttl_seconds))

    def forget(self, name: str, token: str | None = None) -> None:
        if token is None or self._tokens.get(name, ("", 0.0))[0] == token:
            self._tokens.pop(name, None)


class DatabaseTokenStore:
    """A TokenStore in the PartnerToken table, shared by every worker process."""

    def get(self, name: str) -> str | None:
        found = self.get_with_expiry(name)
        return found[0] if found else None

    def get_with_expiry(self, name: str) -> tuple[str, datetime] | None:
        return PartnerToken.objects.filter(name=name, expires_at__gt=timezone.now()).values_list(
            "token", "expires_at").first()

    def put(self, name: str, token: str, ttl_seconds: float) -> None:
        expires_at = timezone.now() + timedelta(seconds=usable_seconds(ttl_seconds))
        PartnerToken.objects.update_or_create(name=name, defaults={"token": token, "expires_at": expires_at})

    def forget(self, name: str, token: str | None = None) -> None:
        """Drop the stored token; with `token`, only if it is still that one (another process may have renewed it)."""
        stored = PartnerToken.objects.filter(name=name)
        (stored.filter(token=token) if token is not None else stored).delete()


class CachedTokenStore:
    """The PartnerToken table, with each token kept in this process until it expires.

    A partner's requests go out on the process's sending threads, which would open a database
    connection to read the token for each one; this reads it once per process and token. A token
    the partner refused is forgotten here and in the table only if it is still the one kept: a
    thread or a process that renewed it first keeps its new token.
    """

    def __init__(self, database: DatabaseTokenStore | None = None) -> None:
        self._database = database or DatabaseTokenStore()
        self._tokens: dict[str, tuple[str, datetime]] = {}

    def get(self, name: str) -> str | None:
        token, expires_at = self._tokens.get(name, ("", None))
        if token and expires_at is not None and expires_at > timezone.now():
            return token
        found = self._database.get_with_expiry(name)
        if found is None:
            self._tokens.pop(name, None)
            return None
        self._tokens[name] = found
        return found[0]

    def put(self, name: str, token: str, ttl_seconds: float) -> None:
        self._database.put(name, token, ttl_seconds)
        self._tokens[name] = (token, timezone.now() + timedelta(seconds=usable_seconds(ttl_seconds)))

    def forget(self, name: str, token: str | None = None) -> None:
        kept, _ = self._tokens.get(name, ("", None))
        if token is None or kept == token:
            self._tokens.pop(name, None)
        self._database.forget(name, token=token if token is not None else kept or None)

    def clear(self) -> None:
        """Forget every token this process holds (the table keeps them), as a new process starts (tests)."""
        self._tokens.clear()


# The process's tokens: every client of a partner that logs in shares them.
process_tokens = CachedTokenStore()
