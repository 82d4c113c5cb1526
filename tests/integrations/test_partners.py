"""The contract every registered partner keeps, run over the registry (a new partner is checked too).

Each partner is pointed at the loopback stand-ins of `tests.partners.partners`; a partner added
to the registry must make that fixture configure it and answer as its documents say.
"""

import json
import re

import pytest
from pytest_httpserver import HTTPServer

from orders.models import Delivery, DeliveryAttempt, StatusChange
from orders.partners import Partner, partners
from orders.services.dispatch import delivery_send
from orders.services.status import order_change_status

pytestmark = pytest.mark.django_db

REGISTERED = partners.all()


@pytest.fixture
def change_every_partner_hears(make_order, partners, mapping, monkeypatch):
    """An order linked to every partner, moved by a manager to a status every partner sends."""
    monkeypatch.setattr("orders.services.outbox.deliveries_enqueue", lambda delivery_ids: None)
    order = make_order(order_id=4242, choco_user_id=1234567, imshop_uuid="cfe64e76")
    target = mapping("processing")
    target.choco_enabled = target.imshop_enabled = target.shop_enabled = True
    target.save()
    order_change_status(order_id=order.pk, to_status=target, source=StatusChange.Source.ADMIN, reason="contract")
    return order


def _deliveries_of(order, partner: Partner) -> list[Delivery]:
    newest = order.status_changes.order_by("-created_at", "-id").first()
    return [d for d in order.deliveries.filter(status_change=newest) if partners.for_channel(d.channel) is partner]


@pytest.mark.usefixtures("partners")
@pytest.mark.parametrize("partner", REGISTERED, ids=[p.key for p in REGISTERED])
def test_a_partner_owns_its_channels_and_names_them(partner: Partner):
    # then: once configured (a partner with several destinations has none before), it has a channel
    assert partner.channels(), "a configured partner has at least one channel"
    for channel in partner.channels():
        assert partners.for_channel(channel) is partner
        assert str(partner.channel_label(channel)).strip()
    assert isinstance(partner.tells_payment, bool)


@pytest.mark.parametrize("partner", REGISTERED, ids=[p.key for p in REGISTERED])
def test_a_configured_partner_hears_a_change_and_takes_it(partner, change_every_partner_hears):
    # given
    assert partner.is_configured()
    deliveries = _deliveries_of(change_every_partner_hears, partner)
    assert deliveries, f"{partner.key} was not told of a change made in the hub"
    for delivery in deliveries:
        json.dumps(delivery.payload)  # built once, stored as JSON
        # when
        delivery_send(delivery_id=delivery.pk)
        # then
        delivery.refresh_from_db()
        assert delivery.state == Delivery.State.DELIVERED, delivery.last_error
        assert delivery.attempt_log.get().outcome == DeliveryAttempt.Outcome.DELIVERED


@pytest.mark.parametrize("partner", REGISTERED, ids=[p.key for p in REGISTERED])
def test_a_partner_that_answers_503_is_tried_again(partner, change_every_partner_hears, httpserver: HTTPServer):
    # given: every address of the stand-ins is down for maintenance
    httpserver.clear_all_handlers()
    httpserver.expect_request(re.compile(".*")).respond_with_data("<html>maintenance</html>", status=503,
                                                                 content_type="text/html")
    delivery = _deliveries_of(change_every_partner_hears, partner)[0]
    # when
    delivery_send(delivery_id=delivery.pk)
    # then
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempt_log.get().outcome) == (Delivery.State.PENDING,
                                                                    DeliveryAttempt.Outcome.RETRY)
    assert delivery.next_attempt_at is not None


@pytest.mark.parametrize("partner", REGISTERED, ids=[p.key for p in REGISTERED])
def test_a_partner_that_refuses_the_request_is_not_asked_again(partner, change_every_partner_hears,
                                                               httpserver: HTTPServer):
    # given: every address of the stand-ins refuses what it is sent
    httpserver.clear_all_handlers()
    httpserver.expect_request(re.compile(".*")).respond_with_json({"message": "bad request"}, status=400)
    delivery = _deliveries_of(change_every_partner_hears, partner)[0]
    # when
    delivery_send(delivery_id=delivery.pk)
    # then
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempt_log.get().outcome) == (Delivery.State.FAILED,
                                                                    DeliveryAttempt.Outcome.REJECTED)


def test_a_channel_no_partner_owns_fails_visibly_instead_of_raising(change_every_partner_hears):
    # given: a delivery left behind by a partner since removed from the registry
    delivery = change_every_partner_hears.deliveries.first()
    Delivery.objects.filter(pk=delivery.pk).update(channel="gone")
    # when
    delivery_send(delivery_id=delivery.pk)
    # then
    delivery.refresh_from_db()
    assert delivery.state == Delivery.State.FAILED
    assert "gone" in delivery.last_error
