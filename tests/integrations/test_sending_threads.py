"""A partner's sending threads leave the database alone: a send that read it would open a connection.

Deliveries sent side by side go out on the process's pool of sending threads (orders/services/
sender.py). Django's connections are per thread, so a partner that read a token or an endpoint
there would open (and close) a database connection for every request.
"""

from __future__ import annotations

import threading

import pytest
from django.db.backends.signals import connection_created

from orders.models import Delivery, StatusChange
from orders.services.dispatch import deliveries_send
from orders.services.status import order_change_status

pytestmark = pytest.mark.django_db(transaction=True)

SENDS = 6


@pytest.fixture
def connections_opened_by_senders():
    """The database connections opened on the pool's sending threads while the test runs."""
    opened: list[str] = []

    def note(sender, connection, **kwargs):
        name = threading.current_thread().name
        if name.startswith("delivery-send"):
            opened.append(name)

    connection_created.connect(note)
    yield opened
    connection_created.disconnect(note)


@pytest.fixture
def changes_to_send(make_order, partners, mapping, monkeypatch):
    """SENDS orders linked to every partner, each moved by a manager to a status every partner sends."""
    monkeypatch.setattr("orders.services.outbox.deliveries_enqueue", lambda delivery_ids: None)
    target = mapping("processing")
    target.choco_enabled = target.imshop_enabled = target.shop_enabled = True
    target.save()
    for n in range(SENDS + 1):
        order = make_order(order_id=7100 + n, choco_user_id=1234567 + n, imshop_uuid=f"cfe64e76-{n}")
        order_change_status(order_id=order.pk, to_status=target, source=StatusChange.Source.ADMIN, reason="test")
    return partners


def _pending(channel_prefix: str) -> list[int]:
    return list(Delivery.objects.filter(channel__startswith=channel_prefix, state=Delivery.State.PENDING)
                .order_by("pk").values_list("pk", flat=True))


def _send(ids: list[int]) -> list[Delivery]:
    deliveries_send(delivery_ids=ids)
    return list(Delivery.objects.filter(pk__in=ids))


@pytest.mark.parametrize("channel", ["choco", "shop", "webhook"])
def test_a_partner_sends_on_its_threads_without_opening_a_connection_each_time(
    channel, changes_to_send, connections_opened_by_senders
):
    # given: the partner has been reached once (a token fetched, an endpoint read), as in a running worker
    first, *rest = _pending(channel)
    assert len(rest) == SENDS
    assert [d.state for d in _send([first])] == [Delivery.State.DELIVERED]
    connections_opened_by_senders.clear()
    # when: the rest are sent side by side
    sent = _send(rest)
    # then: all delivered, and no sending thread opened a connection for them
    assert {d.state for d in sent} == {Delivery.State.DELIVERED}
    assert connections_opened_by_senders == []
