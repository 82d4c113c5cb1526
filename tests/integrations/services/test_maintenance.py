import json
from datetime import timedelta

import pytest
from django.utils import timezone

from integrations.models import InboundEvent
from integrations.services.maintenance import deliveries_alert, retention_purge
from orders.models import Delivery, DeliveryAttempt, Order, StatusChange

pytestmark = pytest.mark.django_db


def test_purge_removes_old_events_and_attempts_but_never_orders(make_order, partners, send_webhook, shop_payload):
    # given
    order = make_order(imshop_uuid="u-1")
    from orders.services.dispatch import delivery_send

    delivery_send(delivery_id=order.deliveries.get(channel="imshop").pk)
    send_webhook(shop_payload)
    old = timezone.now() - timedelta(days=91)
    InboundEvent.objects.update(created_at=old)
    DeliveryAttempt.objects.update(started_at=old)
    Order.objects.update(created_at=old)
    deliveries = Delivery.objects.count()
    # when
    purged = retention_purge()
    # then
    assert purged == {"inbound_events": 1, "delivery_attempts": 1}
    assert Order.objects.count() == 2
    assert StatusChange.objects.count() == 2
    assert Delivery.objects.count() == deliveries


def test_a_failed_delivery_is_alerted_once(make_order, partners, settings, mailoutbox):
    # given
    settings.ADMINS = [("Ops", "ops@example.com")]
    order = make_order(imshop_uuid="u-1")
    Delivery.objects.filter(order=order, channel="imshop").update(state="failed", last_error="HTTP 422: unknown order")
    # when
    first = deliveries_alert()
    second = deliveries_alert()
    # then
    assert [p.level for p in first] == ["failed"]
    assert second == []
    assert len(mailoutbox) == 1
    assert "unknown order" in mailoutbox[0].body


def test_a_late_delivery_is_alerted_then_again_when_it_fails(make_order, partners, settings):
    # given
    order = make_order(imshop_uuid="u-1")
    Delivery.objects.filter(order=order, channel="imshop").update(created_at=timezone.now() - timedelta(hours=1))
    # when
    late = deliveries_alert()
    quiet = deliveries_alert()
    Delivery.objects.filter(order=order, channel="imshop").update(state="failed")
    failed = deliveries_alert()
    # then
    assert ([p.level for p in late], quiet, [p.level for p in failed]) == (["late"], [], ["failed"])


def test_alerts_go_to_the_alert_webhook(make_order, partners, settings):
    # given
    settings.ALERT_WEBHOOK_URL = partners.server.url_for("/alerts")
    partners.answer("/alerts", "POST", body={"ok": True})
    order = make_order(imshop_uuid="u-1")
    Delivery.objects.filter(order=order).update(state="failed", last_error="HTTP 500")
    # when
    deliveries_alert()
    # then
    sent = json.loads(partners.requests_to("/alerts")[0].get_data())
    assert sent["problems"][0]["level"] == "failed"
    assert sent["problems"][0]["order"] == order.shop_order_id
