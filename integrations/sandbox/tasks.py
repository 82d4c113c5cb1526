"""The sandbox's housekeeping: what it recorded is kept as long as the hub's own audit rows."""

from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from integrations.sandbox.models import SandboxRequest
from integrations.services.maintenance import rows_purge


@shared_task(name="sandbox.requests_purge", ignore_result=True)
def sandbox_requests_purge_task() -> int:
    """Delete sandbox requests older than RETENTION_DAYS; how many went."""
    cutoff = timezone.now() - timedelta(days=settings.RETENTION_DAYS)
    return rows_purge(SandboxRequest.objects.filter(created_at__lt=cutoff))
