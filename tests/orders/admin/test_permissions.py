"""Who may do what in the admin: viewers read, managers act, and every action checks its permission."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import Group, User
from django.core import serializers
from django.test import Client, RequestFactory
from django.urls import reverse

from integrations.models import InboundEvent
from orders.models import ChannelSwitch, Delivery, DeliveryAttempt, StatusMapping

pytestmark = pytest.mark.django_db

PARTNER_BODY = '{"echo": "partner-body-only-managers-see"}'


def make_staff(group: str, username: str) -> User:
    user = User.objects.create_user(username=username, password="pw-" + username, is_staff=True)
    user.groups.add(Group.objects.get(name=group))
    return user


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def world(make_order, partners):
    """An order with a delivery that has an attempt, an inbound event, and the channel switches."""
    order = make_order(order_id=115, imshop_uuid="u-1")
    delivery = order.deliveries.get(channel="imshop")
    Delivery.objects.filter(pk=delivery.pk).update(state="failed", last_error="HTTP 500")
    DeliveryAttempt.objects.create(
        delivery=delivery, number=1, outcome=DeliveryAttempt.Outcome.REJECTED, request_method="POST",
        request_url="https://imshop.example/sync", request_body=PARTNER_BODY, response_status=500,
        response_body=PARTNER_BODY, started_at=delivery.created_at)
    InboundEvent.objects.create(source="shop", method="PUT", path="/api/webhooks/shop/order_created/",
                                body=PARTNER_BODY)
    return delivery


def database_snapshot() -> str:
    """Every row of the hub's own apps, serialised: any side effect shows up as a difference."""
    models = [m for label in ("orders", "integrations") for m in apps.get_app_config(label).get_models()]
    return "".join(serializers.serialize("json", m._default_manager.order_by("pk")) for m in models)


def every_admin_action() -> list[tuple[str, str]]:
    """(changelist url name, action name) for every action a superuser is offered."""
    superuser = User(username="su", is_superuser=True, is_staff=True, is_active=True)
    request = RequestFactory().get("/admin/")
    request.user = superuser
    found = []
    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label not in ("orders", "integrations", "sandbox"):
            continue
        url = f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist"
        found += [(url, name) for name in model_admin.get_actions(request)]
    return found


def test_the_shipped_groups_exist():
    # then
    assert set(Group.objects.values_list("name", flat=True)) >= {"Managers", "Viewers"}


def test_every_admin_action_is_refused_to_a_viewer(world):
    # given
    viewer = client_for(make_staff("Viewers", "viewer"))
    actions = every_admin_action()
    assert {name for _, name in actions} >= {"resend", "pause", "resume", "delete_selected"}
    assert any(name.startswith("set_status_") for _, name in actions)
    before = database_snapshot()
    # when
    for url, name in actions:
        ids = _ids_for(url)
        # as a confirmed submission ("post" for Django's delete, "confirm" and a reason for status changes)
        response = viewer.post(reverse(url), {"action": name, "_selected_action": ids, "index": "0", "post": "yes",
                                              "confirm": "yes", "reason": "viewer tries"})
        # then: refused (no such action offered) or forbidden, never carried out
        assert response.status_code in (200, 302, 403), (url, name, response.status_code)
    assert database_snapshot() == before


def _ids_for(url: str) -> list[int]:
    app_label, model_name = url.split(":")[1].removesuffix("_changelist").split("_", 1)
    return list(apps.get_model(app_label, model_name).objects.values_list("pk", flat=True))


def test_a_viewer_cannot_change_an_order_or_a_mapping(world, mapping):
    # given
    viewer = client_for(make_staff("Viewers", "viewer"))
    order = world.order
    mapping_row = StatusMapping.objects.first()
    assert mapping_row is not None
    before = database_snapshot()
    # when
    order_post = viewer.post(reverse("admin:orders_order_change", args=[order.pk]),
                             {"new_status": mapping("processing").pk, "status_reason": "x"})
    mapping_post = viewer.post(reverse("admin:orders_statusmapping_change", args=[mapping_row.pk]), {"name": "x"})
    import_post = viewer.post(reverse("admin:orders_statusmapping_import"))
    # then
    assert order_post.status_code == 403
    assert mapping_post.status_code == 403
    assert import_post.status_code in (302, 403)
    assert database_snapshot() == before


def test_a_viewer_reads_deliveries_without_partner_bodies(world):
    # given
    viewer = client_for(make_staff("Viewers", "viewer"))
    # when
    page = viewer.get(reverse("admin:orders_delivery_change", args=[world.pk]))
    inbound = viewer.get(reverse("admin:integrations_inboundevent_changelist"))
    # then
    assert page.status_code == 200
    assert "HTTP 500" in page.content.decode()
    assert "partner-body-only-managers-see" not in page.content.decode()
    assert inbound.status_code == 403


def test_a_manager_resends_pauses_and_sees_the_exchange(world):
    # given
    manager = client_for(make_staff("Managers", "manager"))
    switch = ChannelSwitch.objects.get(channel="imshop")
    # when
    manager.post(reverse("admin:orders_delivery_changelist"),
                 {"action": "resend", "_selected_action": [world.pk]})
    manager.post(reverse("admin:orders_channelswitch_changelist"),
                 {"action": "pause", "_selected_action": [switch.pk]})
    page = manager.get(reverse("admin:orders_delivery_change", args=[world.pk]))
    # then
    assert Delivery.objects.filter(resend_of=world).count() == 1
    assert ChannelSwitch.objects.get(pk=switch.pk).paused is True
    assert "partner-body-only-managers-see" in page.content.decode()


def test_a_manager_changes_statuses_in_bulk(world, mapping):
    # given
    manager = client_for(make_staff("Managers", "manager"))
    target = mapping("processing")
    # when
    manager.post(reverse("admin:orders_order_changelist"),
                 {"action": f"set_status_{target.pk}", "_selected_action": [world.order_id], "index": "0",
                  "confirm": "yes", "reason": "Bulk"})
    # then
    world.order.refresh_from_db()
    assert world.order.status_id == target.pk
