import json
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from integrations.horoshop.polling import horoshop_orders_confirm, horoshop_poll
from integrations.models import PollRun, PollState
from orders.models import Delivery, Order, StatusChange, StatusMapping
from orders.services.dispatch import delivery_send
from orders.services.status import order_change_status
from tests.concurrency import run_together
from tests.conftest import status_code, webhook_url
from tests.partners import HOROSHOP_GET, HOROSHOP_UPDATE

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop(partners, shop_payload, default_mappings):
    """The stand-in shop holds order 115, placed just now, linked to both apps."""
    now = timezone.localtime(timezone.now(), timezone=__import__("zoneinfo").ZoneInfo("Europe/Kyiv"))
    partners.shop_has({**shop_payload, "stat_created": now.strftime("%Y-%m-%d %H:%M:%S"),
                       "choco_user_id": 1234567, "imshop_uuid": "cfe64e76"})
    return partners


def poll() -> PollRun:
    """Run a poll that is expected to run (the shop is configured, no other poll holds the lock)."""
    run = horoshop_poll()
    assert run is not None
    return run


def channels_of(change: StatusChange) -> list[str]:
    return sorted(change.deliveries.values_list("channel", flat=True))


def test_a_missed_order_is_created_by_the_poll(shop):
    # when
    run = poll()
    # then
    assert (run.ok, run.orders_seen, run.orders_created) == (True, 2, 1)  # by date, then again by id
    order = Order.objects.get(shop_order_id="115")
    assert order.items.count() == 1
    assert order.status_changes.get().source == "shop_poll"


def test_a_status_changed_only_in_the_shop_reaches_the_apps_not_the_shop(shop):
    # given
    horoshop_poll()
    shop.shop_orders["115"]["stat_status"] = 6
    # when
    run = poll()
    # then
    assert run.orders_changed == 1
    change = Order.objects.get(shop_order_id="115").status_changes.first()
    assert change is not None
    assert (change.to_status.code, change.source) == ("shipping", "shop_poll")
    assert channels_of(change) == ["choco", "imshop", shop.subscription.channel]


def test_an_unchanged_poll_changes_and_sends_nothing(shop):
    # given
    horoshop_poll()
    deliveries = Delivery.objects.count()
    # when
    run = poll()
    # then
    assert (run.orders_created, run.orders_changed) == (0, 0)
    assert Delivery.objects.count() == deliveries
    assert StatusChange.objects.count() == 1


def test_new_orders_are_read_page_by_page(shop, shop_payload, settings):
    # given
    settings.HOROSHOP_POLL_PAGE_SIZE = 2
    for number in range(200, 204):
        shop.shop_has({**shop.shop_orders["115"], "order_id": number})
    # when
    run = poll()
    # then
    assert run.orders_created == 5
    offsets = [json.loads(r.get_data()).get("offset") for r in shop.requests_to(HOROSHOP_GET)
               if "from" in json.loads(r.get_data())]
    assert offsets == [0, 2, 4]


def test_a_late_webhook_with_an_older_status_changes_nothing(shop, send_webhook, shop_payload):
    # given: the poll saw the order already shipping
    shop.shop_orders["115"]["stat_status"] = 6
    horoshop_poll()
    # when: the order_created webhook (status 1) arrives late; the shop's API is asked
    response = send_webhook({**shop_payload, "choco_user_id": 1234567})
    horoshop_orders_confirm(order_numbers=["115"])
    # then
    assert response.status_code == 200
    order = Order.objects.get(shop_order_id="115")
    assert status_code(order) == "shipping"
    assert order.status_changes.count() == 1


def test_a_webhook_status_is_applied_once_the_shop_confirms_it(shop, send_webhook, shop_payload):
    # given
    horoshop_poll()
    shop.shop_orders["115"]["stat_status"] = 2
    # when
    send_webhook({**shop_payload, "stat_status": 2}, event="order_update")
    before = status_code(Order.objects.get(shop_order_id="115"))
    horoshop_orders_confirm(order_numbers=["115"])
    # then
    assert before == "new"  # a hint until confirmed
    assert status_code(Order.objects.get(shop_order_id="115")) == "processing"


def test_a_poll_during_a_pending_back_sync_does_not_undo_the_hubs_change(shop):
    # given: a manager cancels in the hub; the back-sync has not reached the shop yet
    horoshop_poll()
    order = Order.objects.get(shop_order_id="115")
    shop.shop_orders["115"]["stat_status"] = 2  # meanwhile someone moved it in the shop
    order_change_status(order_id=order.pk, to_status=StatusMapping.objects.get(code="cancelled"),
                        source=StatusChange.Source.ADMIN)
    # when
    horoshop_poll()
    # then
    order.refresh_from_db()
    assert status_code(order) == "cancelled"
    assert "while the hub's change to 4 was still being written back" in order.out_of_step_note
    # and when the back-sync lands, the shop says what the hub said: the next poll is quiet
    delivery_send(delivery_id=order.deliveries.get(channel="shop").pk)
    assert shop.shop_orders["115"]["stat_status"] == 4
    horoshop_poll()
    order.refresh_from_db()
    assert (status_code(order), order.shop_status_id) == ("cancelled", 4)


def test_a_back_sync_refused_by_the_shop_flags_the_order(shop):
    # given
    horoshop_poll()
    order = Order.objects.get(shop_order_id="115")
    order_change_status(order_id=order.pk, to_status=StatusMapping.objects.get(code="processing"),
                        source=StatusChange.Source.API)
    shop.answer(HOROSHOP_UPDATE, "POST", once=True, body={
        "status": "OK", "response": {"log": [{"order_id": 115, "status": "ERROR", "message": "Order locked"}]}})
    # when
    delivery_send(delivery_id=order.deliveries.get(channel="shop").pk)
    # then
    order.refresh_from_db()
    assert order.out_of_step is True
    assert "Order locked" in order.out_of_step_note


def test_a_horoshop_outage_is_recorded_and_the_next_poll_recovers(shop):
    # given
    shop.answer(HOROSHOP_GET, "POST", status=502, body={"error": "bad gateway"}, once=True)
    # when
    failed = poll()
    recovered = poll()
    # then
    assert (failed.ok, failed.errors) == (False, 1)
    assert "HTTP 502" in failed.error
    assert recovered.ok
    assert recovered.window_from == failed.window_from  # the window did not move past the outage
    assert Order.objects.filter(shop_order_id="115").exists()


def test_the_lock_keeps_two_polls_apart(shop):
    # given: another worker's poll holds the lease
    PollState.objects.update_or_create(name="horoshop",
                                       defaults={"locked_until": timezone.now() + timedelta(minutes=5)})
    # when
    run = horoshop_poll()
    # then
    assert run is None
    assert PollRun.objects.count() == 0


def test_a_lease_left_by_a_dead_worker_expires(shop):
    # given
    PollState.objects.update_or_create(name="horoshop",
                                       defaults={"locked_until": timezone.now() - timedelta(seconds=1)})
    # when / then
    assert poll().ok


def test_no_poll_without_the_shops_api(settings):
    # given
    settings.HOROSHOP_API_URL = ""
    # when / then
    assert horoshop_poll() is None


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_poll_and_a_webhook_racing_for_one_order_make_one_change(shop, shop_payload):
    # given
    horoshop_poll()
    shop.shop_orders["115"]["stat_status"] = 6

    def webhook_then_confirm() -> None:
        APIClient().put(webhook_url("order_update"), data=json.dumps({**shop_payload, "stat_status": 6}),
                        content_type="application/json")
        horoshop_orders_confirm(order_numbers=["115"])

    # when
    run_together(horoshop_poll, webhook_then_confirm)
    # then
    order = Order.objects.get(shop_order_id="115")
    assert list(order.status_changes.values_list("to_status__code", flat=True)) == ["shipping", "new"]


def test_a_webhook_announcing_the_shops_own_body_is_confirmed_and_sent_on(shop, api_client):
    # given: the hub holds order 115 as the shop does, at "new"
    shop.shop_sends(api_client, "order_created", 115)
    # when: the shop moves it to "shipping" and announces it; the confirmation reads back the same body
    shop.shop_orders["115"]["stat_status"] = 6
    response = shop.shop_sends(api_client, "order_update", 115)
    horoshop_orders_confirm(order_numbers=["115"])
    # then
    assert response.status_code == 200
    order = Order.objects.get(shop_order_id="115")
    assert (status_code(order), order.shop_status_id) == ("shipping", 6)
    latest = order.status_changes.first()
    assert latest is not None
    assert channels_of(latest) == ["choco", "imshop", shop.subscription.channel]


def test_a_poll_applies_a_status_whose_confirmation_never_ran(shop, api_client):
    # given: the webhook's status is held for confirmation, and the confirmation task was lost
    shop.shop_sends(api_client, "order_created", 115)
    shop.shop_orders["115"]["stat_status"] = 6
    shop.shop_sends(api_client, "order_update", 115)
    # when
    run = poll()
    # then
    assert run.orders_changed == 1
    assert status_code(Order.objects.get(shop_order_id="115")) == "shipping"


def test_php_empty_objects_are_taken_as_empty(shop):
    # given: PHP's json_encode writes an empty associative array as []
    shop.shop_orders["115"].update({"delivery_type": [], "payment_type": []})
    # when
    run = poll()
    # then
    assert (run.ok, run.orders_created, run.orders_skipped) == (True, 1, 0)
    order = Order.objects.get(shop_order_id="115")
    assert (order.delivery_type_id, order.delivery_type_title, order.payment_type_title) == (None, "", "")


def test_an_order_the_poll_cannot_take_is_skipped_recorded_and_the_window_moves_on(shop, shop_payload):
    # given: one good order and one the hub cannot store
    shop.shop_has({**shop.shop_orders["115"], "order_id": 116, "stat_status": "shipped"})
    first = poll()
    # when
    second = poll()
    # then
    assert (first.ok, first.orders_created, first.orders_skipped) == (True, 1, 1)
    assert first.skipped == "Order 116: stat_status: A valid integer is required."
    assert Order.objects.filter(shop_order_id="115").exists()
    assert second.window_from > first.window_from  # the window moved past the first poll
    assert PollState.objects.get(name="horoshop").last_success_started_at == second.started_at


def test_what_is_no_shop_order_number_is_never_sent_to_the_shop(shop):
    # given: an order stored before numbers were checked
    horoshop_poll()
    Order.objects.filter(shop_order_id="115").update(shop_order_id="../x")
    # when
    run = poll()
    counts = horoshop_orders_confirm(order_numbers=["abc", "../x"])
    # then
    assert run.ok
    asked = [json.loads(r.get_data()).get("ids") for r in shop.requests_to(HOROSHOP_GET)]
    assert all(ids is None or all(isinstance(i, int) for i in ids) for ids in asked)
    assert counts.seen == 0
