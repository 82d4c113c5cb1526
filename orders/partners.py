"""The one interface every partner is reached through, and the registry of partners.

The outbox asks each registered partner which of its channels must hear of a status change and
what to send; dispatch asks the channel's partner to send a claimed delivery. Neither branches
on a partner's name. A partner lives in its own folder at the edge (`integrations/<partner>/`)
and is registered when its app is ready (`integrations/partners.py`), so the core imports no
partner code.

A channel is a partner's key (`choco`), or the key and an id for a partner with several
destinations (`webhook:7`): the part before the colon names the partner.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from orders.partner_errors import Exchange

if TYPE_CHECKING:
    from orders.models import Delivery, Order, StatusChange, StatusMapping

CHANNEL_SEPARATOR = ":"


class Partner(Protocol):
    """A partner the hub tells of status changes.

    `send` judges the answer itself: it returns the exchange when the partner took the message,
    raises `PartnerRejectedError` for a final refusal and any other `PartnerError` for a failure
    worth retrying. Payloads are built once, when the change happens, and sent as built.
    """

    key: str
    label: str
    # Whether it shows the order's payment: a payment change alone is then a delivery of its own.
    tells_payment: bool

    def is_configured(self) -> bool:
        """Whether the hub has what it needs to talk to this partner at all."""
        ...

    def channels(self) -> list[str]:
        """Every channel the partner has now (dashboards, pause switches)."""
        ...

    def channels_for(self, *, order: Order, mapping: StatusMapping, source: str) -> list[str]:
        """The channels of this partner that must hear of `order` reaching `mapping` ([] for none)."""
        ...

    def payload_build(
        self, *, channel: str, order: Order, mapping: StatusMapping, change: StatusChange, payment_changed: bool
    ) -> dict[str, Any]:
        """What to send. `payment_changed`: the order's payment changed with (or instead of) its status."""
        ...

    def send_prepare(self, deliveries: list[Delivery]) -> None:
        """Read now what `send` will need from the database for these claimed deliveries.

        Called on the claiming thread; `send` then runs on one of the process's sending threads,
        where a read would open a database connection for each request. `send` must still work
        unprepared (a delivery sent inside a caller's transaction is not prepared).
        """
        ...

    def send(self, delivery: Delivery) -> Exchange:
        """Send a claimed delivery's payload and judge the answer (see the class docstring)."""
        ...

    def outcome_apply(self, delivery: Delivery, *, delivered: bool, error: str) -> None:
        """What the delivery's final outcome (delivered, or failed for good) means beyond its own row."""
        ...

    def channel_label(self, channel: str) -> str:
        """How managers see one of this partner's channels."""
        ...


class PartnerRegistry:
    """The registered partners by key, in registration order."""

    def __init__(self) -> None:
        self._partners: dict[str, Partner] = {}

    def register(self, partner: Partner) -> None:
        """Add a partner; registering the same key again replaces it (app reloads, tests)."""
        if not partner.key or CHANNEL_SEPARATOR in partner.key:
            raise ValueError(f"A partner key must be non-empty and without {CHANNEL_SEPARATOR!r}: {partner.key!r}")
        self._partners[partner.key] = partner

    def unregister(self, key: str) -> None:
        self._partners.pop(key, None)

    def all(self) -> list[Partner]:
        return list(self._partners.values())

    def for_channel(self, channel: str) -> Partner | None:
        """The partner a channel belongs to, or None for a channel no registered partner owns."""
        return self._partners.get(channel.split(CHANNEL_SEPARATOR, 1)[0])

    def label(self, channel: str) -> str:
        partner = self.for_channel(channel)
        return partner.channel_label(channel) if partner is not None else channel


partners = PartnerRegistry()
