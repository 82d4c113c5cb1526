"""`manage.py check --deploy`: what Django's own deploy checks do not know about the hub."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Tags, Warning, register

PER_PROCESS_CACHES = ("django.core.cache.backends.locmem.LocMemCache", "django.core.cache.backends.dummy.DummyCache")


@register(Tags.security, deploy=True)
def shared_cache_check(app_configs: Any = None, **kwargs: Any) -> list[Warning]:
    """Throttle counters must be shared by every process, or each gunicorn worker counts on its own."""
    backend = settings.CACHES["default"]["BACKEND"]
    if settings.DEBUG or backend not in PER_PROCESS_CACHES:
        return []
    return [Warning(
        "CACHE_URL is a per-process cache: every web process keeps its own throttle counts, so the "
        "limits multiply by the number of processes.",
        hint="Set CACHE_URL to a shared cache, e.g. redis://redis:6379/1 (not the broker's database).",
        id="hub.W001",
    )]


@register(Tags.security, deploy=True)
def webhook_targets_check(app_configs: Any = None, **kwargs: Any) -> list[Warning]:
    """Status subscriptions may reach the hub's own network only in development (the sandbox subscriber)."""
    if settings.DEBUG or not settings.WEBHOOK_ALLOW_PRIVATE_TARGETS:
        return []
    return [Warning(
        "WEBHOOK_ALLOW_PRIVATE_TARGETS is on: a status subscription may send to loopback, private or "
        "link-local addresses and over plain http:// (server-side request forgery).",
        hint="Turn it off in production; it follows HUB_SANDBOX unless set.",
        id="hub.W002",
    )]
