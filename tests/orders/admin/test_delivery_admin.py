import pytest
from django.contrib.admin.models import LogEntry
from django.urls import reverse

from orders.models import ChannelSwitch, Delivery, StatusChange
from orders.services.status import order_change_status

pytestmark = pytest.mark.django_db


@pytest.fixture
def failed_delivery(make_order, partners):
    order = make_order(order_id=115, imshop_uuid="u-1")
    delivery = order.deliveries.get(channel="imshop")
    Delivery.objects.filter(pk=delivery.pk).update(state="failed", last_error="HTTP 500")
    return delivery


def test_delivery_list_filters_by_channel_and_state(admin_client, failed_delivery):
    # when
    response = admin_client.get(reverse("admin:orders_delivery_changelist"),
                                {"channel__exact": "imshop", "state__exact": "failed"})
    # then
    assert response.status_code == 200
    assert response.context["cl"].result_count == 1


def test_resend_makes_a_new_delivery(admin_client, failed_delivery):
    # when
    response = admin_client.post(reverse("admin:orders_delivery_changelist"),
                                 {"action": "resend", "_selected_action": [failed_delivery.pk]}, follow=True)
    # then
    copy = Delivery.objects.get(resend_of=failed_delivery)
    assert (copy.state, copy.payload, copy.channel) == ("pending", failed_delivery.payload, "imshop")
    assert "1 delivery queued again." in [str(m) for m in response.context["messages"]]
    entry = LogEntry.objects.get(object_id=str(failed_delivery.order_id))
    assert (entry.user.username, entry.get_change_message()) == (
        "admin", f"Sent again to Imshop (delivery {failed_delivery.pk}).")


def test_resend_skips_a_delivery_whose_order_moved_on(admin_client, failed_delivery, mapping):
    # given
    order_change_status(order_id=failed_delivery.order_id, to_status=mapping("processing"),
                        source=StatusChange.Source.API)
    # when
    admin_client.post(reverse("admin:orders_delivery_changelist"),
                      {"action": "resend", "_selected_action": [failed_delivery.pk]})
    # then
    assert not Delivery.objects.filter(resend_of=failed_delivery).exists()


def test_pause_and_resume_a_channel(admin_client, default_mappings):
    # given
    switch = ChannelSwitch.objects.get(channel="choco")
    url = reverse("admin:orders_channelswitch_changelist")
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


def test_channel_list_says_paused_or_running_in_words(admin_client, default_mappings):
    # given
    ChannelSwitch.objects.filter(channel="choco").update(paused=True)
    # when
    page = admin_client.get(reverse("admin:orders_channelswitch_changelist")).content.decode()
    # then: no boolean icons whose green tick meant "paused"
    assert "icon-yes.svg" not in page
    assert "icon-no.svg" not in page
    assert "Paused since" in page
    assert page.count(">Running<") == 2


def test_channel_page_pauses_and_resumes_and_the_history_says_who(admin_client, default_mappings):
    # given
    page_url = reverse("admin:orders_channelswitch_change", args=["imshop"])
    switch_url = reverse("admin:orders_channelswitch_switch", args=["imshop"])
    # when
    page = admin_client.get(page_url).content.decode()
    admin_client.post(switch_url, {"paused": "1"})
    paused = ChannelSwitch.objects.get(pk="imshop").paused
    resumed_page = admin_client.get(page_url).content.decode()
    admin_client.post(switch_url, {"paused": "0"})
    # then
    assert "Pause: hold deliveries" in page
    assert paused is True
    assert "Resume: send what waited" in resumed_page
    assert ChannelSwitch.objects.get(pk="imshop").paused is False
    assert [e.get_change_message() for e in LogEntry.objects.order_by("pk")] == ["Paused.", "Resumed."]


def test_channel_switch_refuses_get(admin_client, default_mappings):
    response = admin_client.get(reverse("admin:orders_channelswitch_switch", args=["imshop"]))
    assert response.status_code == 405


def test_deliveries_export_the_filtered_list_as_csv(admin_client, failed_delivery, make_order):
    # given: another order's delivery that the filter leaves out
    make_order(order_id=116, imshop_uuid="u-2")
    url = reverse("admin:orders_delivery_export") + "?state__exact=failed"
    # when
    response = admin_client.post(url, {"format": "0", **{f"deliveryresource_{n}": "on" for n in (
        "id", "order", "channel", "state", "attempts", "created_at", "next_attempt_at", "delivered_at",
        "last_error")}})
    # then
    assert response.status_code == 200
    rows = response.content.decode("utf-8-sig").strip().splitlines()
    assert len(rows) == 2
    assert "115,Imshop,failed" in rows[1]


def test_delivery_page_names_the_statuses_of_its_change(admin_client, failed_delivery):
    # when
    page = admin_client.get(reverse("admin:orders_delivery_change", args=[failed_delivery.pk])).content
    # then
    assert "— (order received) → Новый (shop webhook" in page.decode()
