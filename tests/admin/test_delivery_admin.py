import pytest
from django.urls import reverse

from integrations.models import ChannelSwitch, Delivery
from orders.models import StatusChange
from orders.services.status import order_change_status

pytestmark = pytest.mark.django_db


@pytest.fixture
def failed_delivery(make_order, partners):
    order = make_order(order_id=115, imshop_uuid="u-1")
    delivery = order.deliveries.get()
    Delivery.objects.filter(pk=delivery.pk).update(state="failed", last_error="HTTP 500")
    return delivery


def test_delivery_list_filters_by_channel_and_state(admin_client, failed_delivery):
    # when
    response = admin_client.get(reverse("admin:integrations_delivery_changelist"),
                                {"channel__exact": "imshop", "state__exact": "failed"})
    # then
    assert response.status_code == 200
    assert response.context["cl"].result_count == 1


def test_resend_makes_a_new_delivery(admin_client, failed_delivery):
    # when
    response = admin_client.post(reverse("admin:integrations_delivery_changelist"),
                                 {"action": "resend", "_selected_action": [failed_delivery.pk]}, follow=True)
    # then
    copy = Delivery.objects.get(resend_of=failed_delivery)
    assert (copy.state, copy.payload, copy.channel) == ("pending", failed_delivery.payload, "imshop")
    assert "1 deliveries queued again." in [str(m) for m in response.context["messages"]]


def test_resend_skips_a_delivery_whose_order_moved_on(admin_client, failed_delivery, mapping):
    # given
    order_change_status(order_id=failed_delivery.order_id, to_status=mapping("processing"),
                        source=StatusChange.Source.API)
    # when
    admin_client.post(reverse("admin:integrations_delivery_changelist"),
                      {"action": "resend", "_selected_action": [failed_delivery.pk]})
    # then
    assert not Delivery.objects.filter(resend_of=failed_delivery).exists()


def test_pause_and_resume_a_channel(admin_client, default_mappings):
    # given
    switch = ChannelSwitch.objects.get(channel="choco")
    url = reverse("admin:integrations_channelswitch_changelist")
    # when
    admin_client.post(url, {"action": "pause", "_selected_action": [switch.pk]})
    paused = ChannelSwitch.objects.get(pk=switch.pk).paused
    admin_client.post(url, {"action": "resume", "_selected_action": [switch.pk]})
    # then
    assert paused is True
    assert ChannelSwitch.objects.get(pk=switch.pk).paused is False


def test_inbound_events_are_listed(admin_client, send_webhook, shop_payload):
    # given
    send_webhook(shop_payload)
    # when
    response = admin_client.get(reverse("admin:integrations_inboundevent_changelist"))
    # then
    assert response.status_code == 200
    assert response.context["cl"].result_count == 1
