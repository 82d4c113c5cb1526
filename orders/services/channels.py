"""Pausing and resuming a partner channel."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from orders.models import ChannelSwitch, Delivery
from orders.partners import partners


def channel_switches_ensure() -> None:
    """One switch row per registered partner's channel, so managers always see them all."""
    for channel in [channel for partner in partners.all() for channel in partner.channels()]:
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
