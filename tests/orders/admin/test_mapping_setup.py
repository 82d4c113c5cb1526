"""A status the shop used before anyone mapped it: once a manager sets it up, the orders in it are told."""

from __future__ import annotations

import pytest
from django.urls import reverse

from orders.models import Delivery, Order, StatusChange, StatusMapping
from orders.services import catch_up
from orders.services.catch_up import status_catch_up
from orders.services.status import order_change_status
from tests.conftest import change_form_data

pytestmark = pytest.mark.django_db

UNKNOWN = 9  # a status the shop added: no mapping ships for it


@pytest.fixture
def orders_in_a_new_status(make_order, partners, monkeypatch):
    """Three orders the shop moved to a status nobody had mapped: it got a placeholder that sends nothing."""
    monkeypatch.setattr("orders.services.outbox.deliveries_enqueue", lambda delivery_ids: None)
    orders = [make_order(order_id=9100 + n, stat_status=UNKNOWN, imshop_uuid=f"u-{n}") for n in range(3)]
    placeholder = StatusMapping.objects.get(shop_status_id=UNKNOWN)
    assert placeholder.needs_setup
    assert not Delivery.objects.filter(order__in=orders).exists()
    return orders


def _set_up(placeholder: StatusMapping) -> None:
    placeholder.needs_setup = False
    placeholder.imshop_enabled, placeholder.imshop_code, placeholder.imshop_message = True, "handed", "Передан курьеру"
    placeholder.save()


def _channels(order: Order) -> list[str]:
    return sorted(order.deliveries.values_list("channel", flat=True))


def test_setting_up_the_status_tells_each_partner_of_every_order_in_it_once(
    orders_in_a_new_status, partners, monkeypatch, django_capture_on_commit_callbacks
):
    # given: the manager sets the placeholder up for Imshop (the subscription takes every status)
    placeholder = StatusMapping.objects.get(shop_status_id=UNKNOWN)
    _set_up(placeholder)
    queued: list[list[int]] = []
    monkeypatch.setattr(catch_up, "deliveries_enqueue_batch", queued.append)
    # when: the orders in it are told, twice (a task may run twice)
    with django_capture_on_commit_callbacks(execute=True):
        created = status_catch_up(mapping_id=placeholder.pk)
        again = status_catch_up(mapping_id=placeholder.pk)
    # then: one delivery per order and partner, for the change that brought the order there, queued together
    assert (created, again) == (6, 0)
    assert [sorted(ids) for ids in queued] == [sorted(Delivery.objects.filter(
        order__in=orders_in_a_new_status).values_list("pk", flat=True))]
    for order in orders_in_a_new_status:
        assert _channels(order) == sorted(["imshop", partners.subscription.channel])
        change = order.status_changes.get(to_status=placeholder)
        assert set(order.deliveries.values_list("status_change_id", flat=True)) == {change.pk}
        assert order.deliveries.get(channel="imshop").payload["code"] == "handed"


def test_an_order_that_moved_on_is_not_told_of_the_status_it_left(orders_in_a_new_status, mapping):
    # given: one order left the placeholder for a mapped status before the manager set it up
    moved, *_ = orders_in_a_new_status
    order_change_status(order_id=moved.pk, to_status=mapping("shipping"), source=StatusChange.Source.SHOP_POLL)
    sent_for_shipping = _channels(moved)
    placeholder = StatusMapping.objects.get(shop_status_id=UNKNOWN)
    _set_up(placeholder)
    # when
    status_catch_up(mapping_id=placeholder.pk)
    # then: it has only what its newer status sent
    assert _channels(moved) == sent_for_shipping
    assert not moved.deliveries.filter(status_change__to_status=placeholder).exists()


def test_a_placeholder_still_waiting_for_setup_tells_nobody(orders_in_a_new_status):
    placeholder = StatusMapping.objects.get(shop_status_id=UNKNOWN)
    assert status_catch_up(mapping_id=placeholder.pk) == 0


@pytest.mark.parametrize("broker_up", [True, False], ids=["queued", "broker-down-runs-at-once"])
def test_the_manager_saving_the_setup_starts_it_and_is_told(
    admin_client, orders_in_a_new_status, monkeypatch, django_capture_on_commit_callbacks, broker_up
):
    # given: the placeholder's page, filled in as a manager would
    queued: list[tuple] = []

    def publish(*args: object, what: str) -> bool:
        queued.append(args)
        return broker_up

    monkeypatch.setattr(catch_up, "task_publish", publish)
    placeholder = StatusMapping.objects.get(shop_status_id=UNKNOWN)
    url = reverse("admin:orders_statusmapping_change", args=[placeholder.pk])
    form = change_form_data(admin_client.get(url))
    form.pop("needs_setup", None)
    form.update(imshop_enabled="on", imshop_code="handed", imshop_message="Передан курьеру")
    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(url, form, follow=True)
    # then: the manager is told, and the orders are queued to be told (or told at once without a broker)
    assert response.status_code == 200
    assert "3 orders are already in this status" in " ".join(str(m) for m in response.context["messages"])
    assert queued == [(catch_up.STATUS_CATCH_UP_TASK, placeholder.pk)]
    told = Delivery.objects.filter(order__in=orders_in_a_new_status, channel="imshop").count()
    assert told == (0 if broker_up else 3)
