"""The partners the hub tells of status changes: one line each (the interface is orders.partners.Partner)."""

from __future__ import annotations

from integrations.choco.partner import ChocoPartner
from integrations.horoshop.partner import ShopPartner
from integrations.imshop.partner import ImshopPartner
from integrations.webhooks.partner import WebhookPartner
from orders.partners import Partner, partners

PARTNERS: tuple[Partner, ...] = (
    ChocoPartner(),
    ImshopPartner(),
    ShopPartner(),
    WebhookPartner(),
)


def partners_register() -> None:
    """Put every partner above in the core's registry (called once, when the app is ready)."""
    for partner in PARTNERS:
        partners.register(partner)
