"""Pausing and resuming a partner channel."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from integrations.models import Channel, ChannelSwitch, Delivery


def channel_switches_ensure() -> None:
    """One switch row per channel, so managers always see all three."""
    for channel in Channel.values:
        ChannelSwitch.objects.get_or_create(channel=channel)


def channel_set_paused(*, channel: str, paused: bool, by: str = "") -> ChannelSwitch:
    """Pause or resume a channel. Paused deliveries wait; on resume the sweeper sends them.

    Resuming makes the waiting deliveries due at once (only the newest per order is still pending:
    older ones were superseded when the newer status was created).
    """
    with transaction.atomic():
        switch, _ = ChannelSwitch.objects.select_for_update().get_or_create(channel=channel)
        switch.paused, switch.changed_by = paused, by
        switch.save()
        if not paused:
            Delivery.objects.filter(channel=channel, state=Delivery.State.PENDING).update(
                next_attempt_at=timezone.now(), enqueued_at=None
            )
    return switch
