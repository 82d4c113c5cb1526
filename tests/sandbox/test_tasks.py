"""The sandbox's own housekeeping (the hub's purge no longer knows the sandbox exists)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from integrations.sandbox.models import SandboxRequest
from integrations.sandbox.tasks import sandbox_requests_purge_task

pytestmark = pytest.mark.django_db


def test_requests_older_than_the_retention_are_purged_and_newer_kept(settings):
    # given
    settings.RETENTION_DAYS = 30
    fields = {"partner": "choco", "method": "PUT", "endpoint": "status", "body": "{}", "response_status": 200}
    old = SandboxRequest.objects.create(**fields)
    SandboxRequest.objects.create(**fields)
    SandboxRequest.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=31))
    # when
    purged = sandbox_requests_purge_task()
    # then
    assert purged == 1
    assert SandboxRequest.objects.count() == 1
    assert not SandboxRequest.objects.filter(pk=old.pk).exists()
