import json

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from integrations.horoshop.setup import webhooks_subscribe, webhooks_unsubscribe
from integrations.models import WebhookSubscription
from orders.models import StatusMapping

pytestmark = pytest.mark.django_db

SUBSCRIBE = "/shop/api/hooks/subscribe/"
UNSUBSCRIBE = "/shop/api/hooks/unSubscribe/"
STATUSES = "/shop/api/orders/get_available_statuses/"


@pytest.fixture
def hub_public(settings, partners):
    settings.HUB_PUBLIC_URL = "https://hub.example.com/"
    return partners


def test_subscribe_registers_each_event_with_the_tokened_url(hub_public):
    # given
    for number in (7, 8, 9):
        hub_public.answer(SUBSCRIBE, "POST", status=201, body={"id": number}, once=True)
    # when
    lines = webhooks_subscribe()
    # then
    assert lines == ["order_created: subscribed (Horoshop id 7).", "order_update: subscribed (Horoshop id 8).",
                     "order_paid: subscribed (Horoshop id 9)."]
    sent = json.loads(hub_public.requests_to(SUBSCRIBE)[0].get_data())
    assert sent["event"] == "order_created"
    assert sent["target_url"] == "https://hub.example.com/api/webhooks/shop/order_created/?token=test-shop-token"


def test_subscribe_twice_is_safe(hub_public):
    # given
    for number in (7, 8, 9):
        hub_public.answer(SUBSCRIBE, "POST", status=201, body={"id": number}, once=True)
    webhooks_subscribe()
    # when
    lines = webhooks_subscribe()
    # then
    assert lines[0] == "order_created: already subscribed (Horoshop id 7)."
    assert len(hub_public.requests_to(SUBSCRIBE)) == 3
    assert WebhookSubscription.objects.count() == 3


def test_limit_and_unsupported_events_are_explained(hub_public):
    # given
    hub_public.answer(SUBSCRIBE, "POST", status=400, once=True, body={
        "status": "ERROR", "response": {"message": "Subscriptions limit for current event has been reached"}})
    hub_public.answer(SUBSCRIBE, "POST", status=400, once=True, body={
        "status": "ERROR", "response": {"message": "Unknown event"}})
    hub_public.answer(SUBSCRIBE, "POST", status=201, body={"id": 3}, once=True)
    # when
    lines = webhooks_subscribe()
    # then
    assert "at most 5 subscriptions per event" in lines[0]
    assert "polling orders/get" in lines[1]
    assert lines[2] == "order_paid: subscribed (Horoshop id 3)."


def test_unsubscribe_removes_what_the_hub_made(hub_public):
    # given
    WebhookSubscription.objects.create(event="order_created", target_url="https://h/x?token=t", subscription_id=7)
    hub_public.answer(UNSUBSCRIBE, "POST", status=410, body={"status": "OK"}, once=True)
    # when
    lines = webhooks_unsubscribe()
    # then
    assert lines == ["order_created: unsubscribed (Horoshop id 7)."]
    assert json.loads(hub_public.requests_to(UNSUBSCRIBE)[0].get_data())["id"] == 7
    assert not WebhookSubscription.objects.exists()


def test_the_command_says_what_is_missing(settings):
    # given
    settings.HOROSHOP_API_URL = ""
    # when / then
    with pytest.raises(CommandError, match="Set HOROSHOP_API_URL"):
        call_command("horoshop_webhooks", "subscribe")


def test_shop_statuses_become_mappings_that_need_setup(partners, default_mappings, capsys):
    # given
    partners.answer(STATUSES, "POST", body={"status": "OK", "response": [
        {"id": 1, "title": {"ru": "Новый"}, "is_successful": 0},
        {"id": 9, "title": {"ua": "Повернення", "ru": "Возврат"}, "is_successful": 0},
    ]})
    # when
    call_command("horoshop_statuses")
    # then
    custom = StatusMapping.objects.get(shop_status_id=9)
    assert (custom.name, custom.code, custom.needs_setup) == ("Возврат", "shop-9", True)
    assert (custom.choco_enabled, custom.imshop_enabled, custom.shop_enabled) == (False, False, False)
    assert "1 new statuses added" in capsys.readouterr().out


def test_the_admin_button_reads_the_shop_statuses(admin_client, partners, default_mappings):
    # given
    partners.answer(STATUSES, "POST", body={"status": "OK", "response": [{"id": 12, "title": {"ru": "Обмен"}}]})
    # when
    response = admin_client.post(reverse("admin:orders_statusmapping_import"), follow=True)
    # then
    assert StatusMapping.objects.filter(shop_status_id=12, name="Обмен").exists()
    assert "1 new status added, 0 already mapped." in [str(m) for m in response.context["messages"]]
