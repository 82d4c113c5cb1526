"""Managers subscribe systems in the admin: the secret shown once, rotated on demand; a test event shows the answer."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client
from django.urls import reverse
from standardwebhooks import Webhook

from integrations.webhooks.models import WebhookEndpoint
from orders.models import ChannelSwitch
from tests.partners import SUBSCRIBER, subscribe

pytestmark = pytest.mark.django_db

ADD = reverse("admin:webhooks_webhookendpoint_add")
SECRET = re.compile(r"whsec_[A-Za-z0-9+/=]{40,}")


def change_url(endpoint: WebhookEndpoint) -> str:
    return reverse("admin:webhooks_webhookendpoint_change", args=[endpoint.pk])


def manager() -> Client:
    user = User.objects.create_user(username="olena", password="pw", is_staff=True)
    user.groups.add(Group.objects.get(name="Managers"))
    client = Client()
    client.force_login(user)
    return client


def test_a_manager_adds_an_endpoint_and_sees_its_secret_once(httpserver, default_mappings):
    # given
    client = manager()
    # when
    response = client.post(ADD, {"name": "Warehouse", "url": httpserver.url_for("/wms/hook"), "all_statuses": "on",
                                 "enabled": "on"})
    # then: the answer to the form shows the secret, and nobody keeps that page
    endpoint = WebhookEndpoint.objects.get()
    page = response.content.decode()
    assert response.status_code == 200
    assert SECRET.findall(page) == [endpoint.secret]
    assert "no-store" in response["Cache-Control"]
    assert ChannelSwitch.objects.filter(channel=endpoint.channel).exists()
    # and no other page ever shows it
    for url in (change_url(endpoint), reverse("admin:webhooks_webhookendpoint_changelist"), reverse("admin:index")):
        later = client.get(url)
        assert later.status_code == 200
        assert SECRET.findall(later.content.decode()) == []


def test_an_internal_address_is_refused_in_the_form(admin_client, settings, default_mappings):
    # given
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False
    # when
    response = admin_client.post(ADD, {"name": "Router", "url": "https://192.168.0.1/hook", "all_statuses": "on",
                                       "enabled": "on"})
    # then
    assert response.status_code == 200
    assert "internal address" in str(response.context["adminform"].form.errors["url"])
    assert not WebhookEndpoint.objects.exists()


def test_an_endpoint_needs_statuses_or_every_status(admin_client, httpserver, default_mappings):
    # when
    response = admin_client.post(ADD, {"name": "CRM", "url": httpserver.url_for("/crm"), "enabled": "on"})
    # then
    assert "Choose the statuses to send" in str(response.context["adminform"].form.errors["statuses"])


def test_rotating_shows_the_new_secret_once_and_the_old_one_still_signs(admin_client, partners):
    # given
    old = partners.subscriber_secret
    url = reverse("admin:webhooks_webhookendpoint_rotate", args=[partners.subscription.pk])
    # when
    response = admin_client.post(url)
    # then
    endpoint = WebhookEndpoint.objects.get(pk=partners.subscription.pk)
    assert SECRET.findall(response.content.decode()) == [endpoint.secret]
    assert endpoint.secret != old
    assert endpoint.previous_secret == old
    assert "signed with the old secret too" in response.content.decode()
    assert admin_client.get(url).status_code == 405  # a GET rotates nothing


def test_a_test_event_shows_the_endpoints_answer(admin_client, partners):
    # when
    response = admin_client.post(reverse("admin:webhooks_webhookendpoint_test", args=[partners.subscription.pk]),
                                 follow=True)
    # then
    text = " ".join(str(m) for m in response.context["messages"])
    assert re.search(r"Test event msg_hub_test_[0-9a-f]+ delivered\. The endpoint answered HTTP 204 in \d+ ms", text)
    request = partners.requests_to(SUBSCRIBER)[0]
    assert Webhook(partners.subscriber_secret).verify(request.get_data(), dict(request.headers))["type"] == "hub.test"


def test_the_change_page_shows_the_endpoints_health_and_no_delete(admin_client, partners):
    # when
    page = admin_client.get(change_url(partners.subscription)).content.decode()
    # then
    assert "Send a test event" in page
    assert "Rotate the secret" in page
    assert partners.subscription.channel in page
    assert reverse("admin:webhooks_webhookendpoint_delete", args=[partners.subscription.pk]) not in page


def test_a_viewer_sees_subscriptions_but_cannot_rotate_or_test(partners):
    # given
    user = User.objects.create_user(username="viewer", password="pw", is_staff=True)
    user.groups.add(Group.objects.get(name="Viewers"))
    client = Client()
    client.force_login(user)
    endpoint = partners.subscription
    # when / then
    assert client.get(change_url(endpoint)).status_code == 200
    assert client.post(reverse("admin:webhooks_webhookendpoint_rotate", args=[endpoint.pk])).status_code == 403
    assert client.post(reverse("admin:webhooks_webhookendpoint_test", args=[endpoint.pk])).status_code == 403
    assert partners.requests_to(SUBSCRIBER) == []
    assert WebhookEndpoint.objects.get(pk=endpoint.pk).secret == partners.subscriber_secret


def test_a_viewer_sees_the_url_with_its_keys_masked_and_a_manager_can_still_edit_it(partners, httpserver):
    # given: a receiver that takes a key in its URL
    url = httpserver.url_for("/erp/hooks") + "?token=rcv-Key-81d2"
    endpoint = subscribe(url, name="Keyed ERP")
    viewer = User.objects.create_user(username="viewer", password="pw", is_staff=True)
    viewer.groups.add(Group.objects.get(name="Viewers"))
    client = Client()
    client.force_login(viewer)
    # when
    page = client.get(change_url(endpoint)).content.decode()
    # then
    assert "Keyed ERP" in page
    assert "/erp/hooks?token=***" in page
    assert "rcv-Key-81d2" not in page
    # and a manager's form still holds the whole URL, to be edited
    form = manager().get(change_url(endpoint)).context["adminform"].form
    assert form["url"].value() == url


@pytest.mark.usefixtures("russian")
def test_the_subscription_page_speaks_russian(admin_client, partners):
    # when
    page = admin_client.get(change_url(partners.subscription), HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    # then
    for text in ("Отправить тестовое событие", "Заменить секрет", "Секрет подписи", "подписка на статусы"):
        assert text in page
    assert "Send a test event" not in page


def test_an_endpoint_whose_host_is_gone_can_still_be_switched_off(admin_client, settings, default_mappings):
    # given: saved when its host resolved; the receiver has since been taken down
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False
    endpoint = WebhookEndpoint.objects.create(name="Old ERP", url="https://erp.gone.invalid/hook", secret="whsec_x")
    # when
    response = admin_client.post(change_url(endpoint), {"name": "Old ERP", "url": endpoint.url, "all_statuses": "on"})
    # then
    assert response.status_code == 302
    assert WebhookEndpoint.objects.get(pk=endpoint.pk).enabled is False
    # but a new URL is checked
    response = admin_client.post(change_url(endpoint), {"name": "Old ERP", "url": "https://10.0.0.9/hook",
                                                        "all_statuses": "on"})
    assert "internal address" in str(response.context["adminform"].form.errors["url"])
