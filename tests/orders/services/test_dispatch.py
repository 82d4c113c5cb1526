import json
from datetime import datetime, timedelta
from functools import partial
from urllib.parse import parse_qs
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.utils import timezone
from werkzeug import Response

from orders.models import Delivery, DeliveryAttempt, StatusChange
from orders.services.channels import channel_set_paused
from orders.services.dispatch import delivery_send
from orders.services.status import order_change_status
from tests.concurrency import run_together
from tests.conftest import load_fixture
from tests.partners import CHOCO_AUTH, CHOCO_STATUS, HOROSHOP_UPDATE, IMSHOP_SYNC, SlowAnswer

pytestmark = pytest.mark.django_db


@pytest.fixture
def linked_order(make_order, partners):
    return make_order(order_id=115, choco_user_id=1234567, imshop_uuid="cfe64e76")


@pytest.fixture
def no_broker(monkeypatch):
    """Nothing goes on the queue: in a test that commits, only the test's own calls may send."""
    monkeypatch.setattr("orders.services.outbox.deliveries_enqueue", lambda delivery_ids: None)


def delivery_of(order, channel: str) -> Delivery:
    return order.deliveries.filter(channel=channel).latest("id")


def test_new_linked_order_gets_a_delivery_per_partner_but_not_back_to_the_shop(linked_order, partners):
    # then: the two apps and the system subscribed to every status; not the shop, which told us
    assert sorted(linked_order.deliveries.values_list("channel", flat=True)) == [
        "choco", "imshop", partners.subscription.channel]


def test_a_change_made_in_the_hub_also_goes_back_to_the_shop(linked_order, mapping):
    # when
    order_change_status(order_id=linked_order.pk, to_status=mapping("processing"), source=StatusChange.Source.API)
    # then
    shop = delivery_of(linked_order, "shop")
    assert shop.payload == {"orders": [{"order_id": 115, "status": 2}]}


def test_unlinked_order_goes_nowhere_but_imshop_when_syncing_all(make_order, partners, settings):
    # given
    settings.IMSHOP_SYNC_ALL_ORDERS = True
    # when
    order = make_order()
    # then: not Choco (no Choco user); the subscriber takes every order's status
    assert sorted(order.deliveries.values_list("channel", flat=True)) == ["imshop", partners.subscription.channel]


def test_channels_without_credentials_are_off(make_order, settings):
    # given
    settings.CHOCO_CLIENT_ID = ""
    # when
    order = make_order(choco_user_id=5)
    # then
    assert not order.deliveries.exists()


def queued(callbacks: list) -> list[list[int]]:
    return [list(cb.args[0]) for cb in callbacks
            if isinstance(cb, partial) and cb.func.__name__ == "deliveries_enqueue"]


@pytest.fixture
def published_by_request(settings) -> None:
    """The request queues its own task (DELIVERY_WAKEUP = "publish", the default; test_wakeups.py has notify)."""
    settings.DELIVERY_WAKEUP = "publish"


@pytest.mark.usefixtures("published_by_request")
def test_deliveries_are_queued_only_after_commit(make_order, partners, django_capture_on_commit_callbacks):
    # when
    with django_capture_on_commit_callbacks() as callbacks:
        order = make_order(choco_user_id=5)
    # then
    assert queued(callbacks) == [sorted(order.deliveries.values_list("pk", flat=True))]


@pytest.mark.usefixtures("published_by_request")
def test_a_change_for_several_partners_is_queued_as_one_task(
    linked_order, partners, mapping, django_capture_on_commit_callbacks, monkeypatch
):
    # given
    published: list[tuple[str, object]] = []

    def publish(name: str, argument: object, what: str) -> bool:
        published.append((name, argument))
        return True

    monkeypatch.setattr("orders.services.outbox.task_publish", publish)
    # when: a change made in the hub goes to Choco, Imshop, back to the shop and to the subscriber
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        order_change_status(order_id=linked_order.pk, to_status=mapping("processing"), source=StatusChange.Source.API)
    # then: one task carries them all
    new = sorted(linked_order.deliveries.filter(state="pending").values_list("pk", flat=True))
    assert len(new) == 4
    assert queued(callbacks) == [new]
    assert published == [("integrations.deliveries_send_batch", new)]


@pytest.mark.usefixtures("published_by_request")
def test_a_single_delivery_is_queued_as_a_task_of_its_own(make_order, partners, monkeypatch,
                                                          django_capture_on_commit_callbacks):
    # given: Imshop alone hears of the order
    partners.unsubscribe()
    published: list[tuple[str, object]] = []

    def publish(name: str, argument: object, what: str) -> bool:
        published.append((name, argument))
        return True

    monkeypatch.setattr("orders.services.outbox.task_publish", publish)
    # when
    with django_capture_on_commit_callbacks(execute=True):
        order = make_order(imshop_uuid="u-1")
    # then
    assert published == [("integrations.delivery_send", order.deliveries.get().pk)]


def test_choco_success_is_delivered_and_recorded(linked_order, partners):
    # given
    delivery = delivery_of(linked_order, "choco")
    # when
    delivery_send(delivery_id=delivery.pk, task_id="task-1")
    # then
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts, delivery.last_error) == ("delivered", 1, "")
    attempt = delivery.attempt_log.get()
    assert (attempt.outcome, attempt.response_status, attempt.task_id) == ("delivered", 200, "task-1")
    assert attempt.request_method == "PUT"
    assert attempt.request_headers["Authorization"] == "***"
    assert json.loads(attempt.response_body)["message"] == "Статус успешно обновлён"
    sent = partners.requests_to(CHOCO_STATUS)[0]
    form = parse_qs(sent.get_data(as_text=True))
    assert form["merchant_order_id"] == ["115"]
    assert form["user_id"] == ["1234567"]
    assert form["external_status"] == ["new"]
    assert form["external_data[title_active_order_card]"] == ["Заказ принят"]
    assert form["external_data[need_timer]"] == ["0"]
    token = load_fixture("choco_auth_token_response.json")["data"]["token"]
    assert sent.headers["Authorization"] == f"Bearer {token}"


def test_choco_token_is_fetched_once_for_many_deliveries(make_order, partners):
    # given
    orders = [make_order(choco_user_id=7) for _ in range(3)]
    # when
    for order in orders:
        delivery_send(delivery_id=delivery_of(order, "choco").pk)
    # then
    assert len(partners.requests_to(CHOCO_AUTH)) == 1
    assert len(partners.requests_to(CHOCO_STATUS)) == 3


def test_imshop_success(linked_order, partners):
    # given
    delivery = delivery_of(linked_order, "imshop")
    # when
    delivery_send(delivery_id=delivery.pk)
    # then
    delivery.refresh_from_db()
    assert delivery.state == "delivered"
    sent = partners.requests_to(IMSHOP_SYNC)[0]
    assert json.loads(sent.get_data()) == {"id": "115", "code": "new", "message": "Заказ принят",
                                           "userId": "380124214214"}
    assert sent.headers["Authorization"] == "Bearer imshop-api-key"
    assert "secret-segment" not in delivery.attempt_log.get().request_url


def test_shop_back_sync_success(linked_order, partners, mapping):
    # given
    order_change_status(order_id=linked_order.pk, to_status=mapping("processing"), source=StatusChange.Source.API)
    delivery = delivery_of(linked_order, "shop")
    # when
    delivery_send(delivery_id=delivery.pk)
    # then
    delivery.refresh_from_db()
    assert delivery.state == "delivered"
    body = json.loads(partners.requests_to(HOROSHOP_UPDATE)[0].get_data())
    assert body == {"orders": [{"order_id": 115, "status": 2}], "token": "9f86d081884c7d659a2feaa0c55ad015"}
    assert "9f86d081884c7d659a2feaa0c55ad015" not in delivery.attempt_log.get().request_body


def test_server_error_is_retried_on_the_schedule(linked_order, partners, settings):
    # given
    settings.DELIVERY_RETRY_SCHEDULE = [10, 60]
    partners.answer(IMSHOP_SYNC, "POST", status=503, body={"error": "busy"}, once=True)
    delivery = delivery_of(linked_order, "imshop")
    before = timezone.now()
    # when
    delivery_send(delivery_id=delivery.pk)
    # then
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts) == ("pending", 1)
    assert delivery.next_attempt_at is not None
    assert before + timedelta(seconds=9) < delivery.next_attempt_at < before + timedelta(seconds=12)
    assert delivery.enqueued_at is None
    assert delivery.attempt_log.get().response_status == 503
    assert delivery.last_error == "HTTP 503: busy"


def test_a_retry_that_is_not_due_is_not_sent(linked_order, partners, settings):
    # given
    partners.answer(IMSHOP_SYNC, "POST", status=500, once=True)
    delivery = delivery_of(linked_order, "imshop")
    delivery_send(delivery_id=delivery.pk)
    # when
    assert delivery_send(delivery_id=delivery.pk) is None
    # then
    assert len(partners.requests_to(IMSHOP_SYNC)) == 1


def test_server_error_then_success(linked_order, partners):
    # given
    partners.answer(IMSHOP_SYNC, "POST", status=502, once=True)
    delivery = delivery_of(linked_order, "imshop")
    delivery_send(delivery_id=delivery.pk)
    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
    # when
    delivery_send(delivery_id=delivery.pk)
    # then
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts) == ("delivered", 2)
    assert list(delivery.attempt_log.values_list("outcome", flat=True)) == ["retry", "delivered"]


def test_429_honours_retry_after(linked_order, partners, settings):
    # given
    settings.DELIVERY_RETRY_SCHEDULE = [10]
    partners.answer(IMSHOP_SYNC, "POST", status=429, headers={"Retry-After": "600"}, once=True)
    delivery = delivery_of(linked_order, "imshop")
    before = timezone.now()
    # when
    delivery_send(delivery_id=delivery.pk)
    # then
    delivery.refresh_from_db()
    assert delivery.next_attempt_at is not None
    assert delivery.next_attempt_at >= before + timedelta(seconds=600)


def test_timeout_waits_at_least_the_overload_floor(linked_order, partners, settings):
    # given
    settings.DELIVERY_RETRY_SCHEDULE = [10]
    settings.PARTNER_READ_TIMEOUT = 0.2
    late = SlowAnswer(0.6, "late")
    partners.server.expect_oneshot_request(IMSHOP_SYNC, method="POST").respond_with_handler(late)
    delivery = delivery_of(linked_order, "imshop")
    before = timezone.now()
    # when
    delivery_send(delivery_id=delivery.pk)
    late.finished()
    # then
    delivery.refresh_from_db()
    assert delivery.state == "pending"
    assert delivery.next_attempt_at is not None
    assert delivery.next_attempt_at >= before + timedelta(seconds=60)
    assert delivery.attempt_log.get().error_class == "PartnerOverloadedError"


def test_client_error_is_final(linked_order, partners):
    # given
    partners.answer(IMSHOP_SYNC, "POST", status=422, body={"message": "unknown order"}, once=True)
    delivery = delivery_of(linked_order, "imshop")
    # when
    delivery_send(delivery_id=delivery.pk)
    # then
    delivery.refresh_from_db()
    assert (delivery.state, delivery.next_attempt_at) == ("failed", None)
    assert delivery.last_error == "HTTP 422: unknown order"


def test_business_refusal_is_final(linked_order, partners):
    # given
    partners.answer(CHOCO_STATUS, "PUT", body={"error_code": 101, "status": "error", "message": "Нет заказа"},
                    once=True)
    delivery = delivery_of(linked_order, "choco")
    # when
    delivery_send(delivery_id=delivery.pk)
    # then
    delivery.refresh_from_db()
    assert delivery.state == "failed"
    assert delivery.last_error == "Choco error 101: Нет заказа"
    assert delivery.attempt_log.get().outcome == DeliveryAttempt.Outcome.REJECTED


def test_expired_choco_token_is_refreshed_once(linked_order, partners):
    # given
    partners.answer(CHOCO_STATUS, "PUT", status=401, body={"message": "expired"}, once=True)
    delivery = delivery_of(linked_order, "choco")
    # when
    delivery_send(delivery_id=delivery.pk)
    # then
    delivery.refresh_from_db()
    assert delivery.state == "delivered"
    assert len(partners.requests_to(CHOCO_AUTH)) == 2


def test_spent_schedule_fails_the_delivery(linked_order, partners, settings):
    # given
    settings.DELIVERY_RETRY_SCHEDULE = [1]
    for _ in range(2):
        partners.answer(IMSHOP_SYNC, "POST", status=500, once=True)
    delivery = delivery_of(linked_order, "imshop")
    delivery_send(delivery_id=delivery.pk)
    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
    # when
    delivery_send(delivery_id=delivery.pk)
    # then
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts) == ("failed", 2)
    assert delivery.last_error == "Gave up after 2 attempts: HTTP 500"


def test_connection_refused_is_retried(linked_order, settings):
    # given
    settings.IMSHOP_STATUS_URL = "http://127.0.0.1:9/closed"
    delivery = delivery_of(linked_order, "imshop")
    # when
    delivery_send(delivery_id=delivery.pk)
    # then
    delivery.refresh_from_db()
    assert delivery.state == "pending"
    assert delivery.last_error == "Connection failed: ConnectionError"


def test_sending_twice_sends_once(linked_order, partners):
    # given
    delivery = delivery_of(linked_order, "imshop")
    # when
    delivery_send(delivery_id=delivery.pk)
    second = delivery_send(delivery_id=delivery.pk)
    # then
    assert second is None
    assert len(partners.requests_to(IMSHOP_SYNC)) == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_tasks_for_one_delivery_send_once(no_broker, linked_order, partners):
    # given
    delivery = delivery_of(linked_order, "imshop")

    # when
    run_together(*[lambda: delivery_send(delivery_id=delivery.pk)] * 6)
    # then
    assert len(partners.requests_to(IMSHOP_SYNC)) == 1
    assert DeliveryAttempt.objects.filter(delivery=delivery).count() == 1


def test_an_older_status_is_superseded_by_a_newer_one(linked_order, partners, mapping):
    # given
    first = delivery_of(linked_order, "imshop")
    # when
    order_change_status(order_id=linked_order.pk, to_status=mapping("processing"), source=StatusChange.Source.API)
    # then
    first.refresh_from_db()
    assert first.state == "superseded"
    assert delivery_send(delivery_id=first.pk) is None
    assert partners.requests_to(IMSHOP_SYNC) == []


def test_an_old_delivery_is_not_sent_after_a_newer_one_was_delivered(linked_order, partners, mapping):
    # given: the old one was in flight when the newer status came, and the newer went out first
    old = delivery_of(linked_order, "imshop")
    Delivery.objects.filter(pk=old.pk).update(state="sending")
    order_change_status(order_id=linked_order.pk, to_status=mapping("processing"), source=StatusChange.Source.API)
    Delivery.objects.filter(pk=old.pk).update(state="pending", lease_until=None)
    newer = delivery_of(linked_order, "imshop")
    delivery_send(delivery_id=newer.pk)
    # when
    delivery_send(delivery_id=old.pk)
    # then
    old.refresh_from_db()
    assert old.state == "superseded"
    assert len(partners.requests_to(IMSHOP_SYNC)) == 1


def test_paused_channel_holds_deliveries_until_resumed(linked_order, partners):
    # given
    channel_set_paused(channel="imshop", paused=True)
    delivery = delivery_of(linked_order, "imshop")
    # when
    held = delivery_send(delivery_id=delivery.pk)
    channel_set_paused(channel="imshop", paused=False)
    sent = delivery_send(delivery_id=delivery.pk)
    # then
    assert held is None
    assert sent is not None
    delivery.refresh_from_db()
    assert delivery.state == "delivered"


def test_secrets_never_reach_the_attempt_log(linked_order, partners, mapping):
    # given
    order_change_status(order_id=linked_order.pk, to_status=mapping("processing"), source=StatusChange.Source.API)
    # when
    for delivery in linked_order.deliveries.filter(state="pending"):
        delivery_send(delivery_id=delivery.pk)
    # then
    secrets = ["merchant-client-secret", "imshop-api-key", "secret-password", "secret-segment",
               "9f86d081884c7d659a2feaa0c55ad015", "c2lnbmF0dXJl"]
    for attempt in DeliveryAttempt.objects.all():
        record = json.dumps([attempt.request_url, attempt.request_headers, attempt.request_body,
                             attempt.response_body], ensure_ascii=False)
        assert not [s for s in secrets if s in record], record


def test_a_batch_sends_each_delivery_once(make_order, partners):
    # given
    from orders.services.dispatch import deliveries_send

    ids = [make_order(imshop_uuid=f"u-{n}").deliveries.get(channel="imshop").pk for n in range(3)]
    # when
    left = deliveries_send(delivery_ids=ids + ids)  # a repeated id is harmless
    # then
    assert left == []
    assert len(partners.requests_to(IMSHOP_SYNC)) == 3
    assert set(Delivery.objects.filter(pk__in=ids).values_list("state", flat=True)) == {"delivered"}


def test_a_batch_past_its_budget_hands_back_the_rest(make_order, partners, settings):
    # given: chunks of two
    from orders.services.dispatch import deliveries_send

    settings.DELIVERY_CLAIM_MAX = 2
    ids = [make_order(imshop_uuid=f"u-{n}").deliveries.get(channel="imshop").pk for n in range(5)]
    # when
    left = deliveries_send(delivery_ids=ids, budget_seconds=0)
    # then: the first chunk is always sent, so a batch always makes progress
    assert left == ids[2:]
    assert len(partners.requests_to(IMSHOP_SYNC)) == 2


def test_a_batch_that_cannot_be_queued_is_left_for_the_sweeper(make_order, partners, monkeypatch):
    # given
    from orders import tasks
    from orders.services.outbox import deliveries_enqueue_batch

    delivery = make_order(imshop_uuid="u-1").deliveries.get(channel="imshop")

    def refuse(*args, **kwargs):
        raise ConnectionRefusedError("broker down")

    monkeypatch.setattr(tasks.deliveries_send_batch_task, "delay", refuse)
    # when
    deliveries_enqueue_batch([delivery.pk])
    # then
    delivery.refresh_from_db()
    assert delivery.enqueued_at is None


PROXY_PAGES = [
    ("<html><body><h1>502 Bad Gateway</h1></body></html>", "text/html"),
    ("", "application/json"),
    ('{"success": tr', "application/json"),
]


@pytest.mark.parametrize(("body", "content_type"), PROXY_PAGES)
@pytest.mark.parametrize(("channel", "path", "method"), [
    ("choco", CHOCO_STATUS, "PUT"), ("imshop", IMSHOP_SYNC, "POST"), ("shop", HOROSHOP_UPDATE, "POST"),
])
def test_a_200_that_is_not_the_partners_json_is_retried_not_failed(
    linked_order, partners, mapping, channel, path, method, body, content_type
):
    # given: a proxy in front of the partner answers 200 with its own page, or a cut body
    order_change_status(order_id=linked_order.pk, to_status=mapping("processing"), source=StatusChange.Source.API)
    partners.server.expect_oneshot_request(path, method=method).respond_with_data(
        body, status=200, content_type=content_type)
    delivery = delivery_of(linked_order, channel)
    # when
    delivery_send(delivery_id=delivery.pk)
    # then
    delivery.refresh_from_db()
    linked_order.refresh_from_db()
    assert (delivery.state, delivery.attempts) == ("pending", 1)
    assert delivery.next_attempt_at is not None
    assert "not JSON" in delivery.last_error
    assert delivery.attempt_log.get().outcome == "retry"
    assert linked_order.out_of_step is False


def test_horoshop_answering_in_the_documented_log_shape_is_delivered(linked_order, partners, mapping):
    # given: `response.log[]` entries carry only `status` and `message`, one per order sent
    order_change_status(order_id=linked_order.pk, to_status=mapping("processing"), source=StatusChange.Source.API)
    partners.answer(HOROSHOP_UPDATE, "POST", once=True, body={
        "status": "OK", "response": {"log": [{"status": "OK", "message": "Order updated"}]}})
    delivery = delivery_of(linked_order, "shop")
    # when
    delivery_send(delivery_id=delivery.pk)
    # then
    delivery.refresh_from_db()
    linked_order.refresh_from_db()
    assert delivery.state == "delivered"
    assert (linked_order.out_of_step, linked_order.shop_status_id) == (False, 2)


def test_horoshop_refusing_in_the_documented_log_shape_fails_with_its_message(linked_order, partners, mapping):
    # given
    order_change_status(order_id=linked_order.pk, to_status=mapping("processing"), source=StatusChange.Source.API)
    partners.answer(HOROSHOP_UPDATE, "POST", once=True, body={
        "status": "WARNING", "response": {"log": [{"status": "ERROR", "message": "Status is not available"}]}})
    delivery = delivery_of(linked_order, "shop")
    # when
    delivery_send(delivery_id=delivery.pk)
    # then
    delivery.refresh_from_db()
    assert delivery.state == "failed"
    assert "Status is not available" in delivery.last_error


def choco_expired_at(request) -> datetime:
    value = parse_qs(request.get_data(as_text=True))["external_data[expired_at]"][0]
    return datetime.strptime(value, "%Y-%m-%d %H:%M:%S").replace(tzinfo=ZoneInfo("Asia/Almaty"))


def test_every_choco_attempt_carries_an_expiry_computed_when_it_is_sent(linked_order, partners, monkeypatch):
    # given: the "new" card lasts as its mapping says; the first try fails and the retry comes hours later
    minutes = linked_order.status.choco_expires_in_minutes
    delivery = delivery_of(linked_order, "choco")
    partners.answer(CHOCO_STATUS, "PUT", status=503, body={"error": "busy"}, once=True)
    delivery_send(delivery_id=delivery.pk)
    later = timezone.now() + timedelta(minutes=minutes + 150)
    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=later)
    monkeypatch.setattr(timezone, "now", lambda: later)
    # when
    delivery_send(delivery_id=delivery.pk)
    # then
    first, retry = partners.requests_to(CHOCO_STATUS)
    assert choco_expired_at(retry) > later
    assert abs((choco_expired_at(retry) - later) - timedelta(minutes=minutes)) < timedelta(seconds=5)
    assert choco_expired_at(first) < later
    delivery.refresh_from_db()
    assert delivery.state == "delivered"


def imshop_bodies(partners) -> list[dict]:
    return [json.loads(r.get_data()) for r in partners.requests_to(IMSHOP_SYNC)]


def send_all(order) -> None:
    for delivery in order.deliveries.filter(state="pending").order_by("id"):
        delivery_send(delivery_id=delivery.pk)


def test_a_payment_tells_imshop_with_the_payment_block(linked_order, partners, send_webhook, shop_payload):
    # given: the order's first status went out
    send_all(linked_order)
    # when: the shop's order_paid webhook: the same order, now paid
    response = send_webhook({**shop_payload, "order_id": 115, "payed": 1}, event="order_paid")
    send_all(linked_order)
    # then
    assert response.status_code == 200
    assert imshop_bodies(partners)[-1] == {
        "id": "115", "code": "new", "message": "Заказ принят", "userId": "380124214214",
        "payment": {"paid": True, "paymentId": "115"}}
    assert len(partners.requests_to(CHOCO_STATUS)) == 1  # Choco's card does not show payment


def test_a_payment_and_a_status_change_together_make_one_imshop_request(linked_order, partners, send_webhook,
                                                                       shop_payload, settings):
    # given: without the shop's API, a webhook's status is applied at once
    settings.HOROSHOP_API_URL = ""
    send_all(linked_order)
    # when
    send_webhook({**shop_payload, "order_id": 115, "payed": 1, "stat_status": 2}, event="order_update")
    send_all(linked_order)
    # then
    bodies = imshop_bodies(partners)
    assert len(bodies) == 2
    assert (bodies[-1]["code"], bodies[-1]["payment"]) == ("processing", {"paid": True, "paymentId": "115"})


def test_a_payment_held_for_the_shops_confirmation_still_reaches_imshop(linked_order, partners, api_client,
                                                                       shop_payload):
    # given: the shop's API is on, so the webhook's status waits for confirmation
    from integrations.horoshop.polling import horoshop_orders_confirm

    send_all(linked_order)
    partners.shop_has({**shop_payload, "order_id": 115, "choco_user_id": 1234567, "imshop_uuid": "cfe64e76",
                       "payed": 1, "stat_status": 2})
    # when
    partners.shop_sends(api_client, "order_update", 115)
    horoshop_orders_confirm(order_numbers=["115"])
    send_all(linked_order)
    # then
    bodies = imshop_bodies(partners)
    assert (bodies[-1]["code"], bodies[-1]["payment"]) == ("processing", {"paid": True, "paymentId": "115"})


def test_no_payment_block_when_payment_did_not_change(linked_order, partners, mapping):
    # when
    order_change_status(order_id=linked_order.pk, to_status=mapping("processing"), source=StatusChange.Source.API)
    send_all(linked_order)
    # then
    assert all("payment" not in body for body in imshop_bodies(partners))


def imshop_deliveries(make_order, count: int) -> list[int]:
    return [make_order(imshop_uuid=f"u-{n}").deliveries.get(channel="imshop").pk for n in range(count)]


def test_a_channel_at_its_in_flight_cap_holds_the_next_delivery(make_order, partners, settings):
    # given: two Imshop requests are in flight (another worker's), and the cap is two
    settings.CHANNEL_LIMITS = {"imshop": {"max_in_flight": 2, "per_minute": 0}}
    busy, waiting = imshop_deliveries(make_order, 3)[:2], None
    Delivery.objects.filter(pk__in=busy).update(state="sending", lease_until=timezone.now() + timedelta(minutes=1))
    waiting = Delivery.objects.filter(channel="imshop", state="pending").get()
    # when
    sent = delivery_send(delivery_id=waiting.pk)
    # then
    waiting.refresh_from_db()
    assert sent is None
    assert partners.requests_to(IMSHOP_SYNC) == []
    assert (waiting.state, waiting.attempts, waiting.enqueued_at) == ("pending", 0, None)
    assert waiting.next_attempt_at is not None
    assert timezone.now() < waiting.next_attempt_at < timezone.now() + timedelta(seconds=5)
    # and once one of them is done, it goes
    Delivery.objects.filter(pk=busy[0]).update(state="delivered", lease_until=None)
    Delivery.objects.filter(pk=waiting.pk).update(next_attempt_at=timezone.now())
    assert delivery_send(delivery_id=waiting.pk) is not None


def test_a_per_minute_limit_spaces_requests_across_calls(make_order, partners, settings):
    # given: at most six a minute, one every ten seconds
    from orders.services.dispatch import deliveries_send

    settings.CHANNEL_LIMITS = {"imshop": {"max_in_flight": 0, "per_minute": 6}}
    ids = imshop_deliveries(make_order, 3)
    before = timezone.now()
    # when
    deliveries_send(delivery_ids=ids)
    again = deliveries_send(delivery_ids=ids)
    # then
    assert (again, len(partners.requests_to(IMSHOP_SYNC))) == ([], 1)
    waiting = list(Delivery.objects.filter(pk__in=ids, state="pending").order_by("next_attempt_at"))
    assert len(waiting) == 2
    offsets = []
    for d in waiting:
        assert d.next_attempt_at is not None
        offsets.append((d.next_attempt_at - before).total_seconds())
    assert 9 < offsets[0] < 12
    assert 19 < offsets[1] < 22
    assert all(d.enqueued_at is None and d.attempts == 0 for d in waiting)


@pytest.mark.django_db(transaction=True)
def test_the_attempt_is_written_before_the_request_leaves(make_order, partners):
    # given: the partner looks in the hub's database when the request reaches it
    delivery = make_order(order_id=115, imshop_uuid="cfe64e76").deliveries.get(channel="imshop")
    seen: list[tuple[int, str]] = []  # (number, outcome) of the attempts the partner saw

    def imshop(request):
        try:
            seen.extend(DeliveryAttempt.objects.filter(delivery_id=delivery.pk).values_list("number", "outcome"))
        finally:
            connection.close()  # the server's thread outlives the test: its connection must not
        return Response(json.dumps(load_fixture("imshop_status_response.json")), content_type="application/json")

    partners.server.expect_oneshot_request(IMSHOP_SYNC, method="POST").respond_with_handler(imshop)
    # when
    delivery_send(delivery_id=delivery.pk)
    # then
    assert seen == [(1, "sending")]
    assert list(delivery.attempt_log.values_list("number", "outcome")) == [(1, "delivered")]


def test_a_send_cut_short_by_a_dead_worker_leaves_its_attempt_marked(make_order, partners):
    # given: a worker claimed the row and opened its attempt, then died before the answer
    from orders.services.claims import deliveries_claim
    from orders.services.sweeper import deliveries_sweep

    delivery = make_order(imshop_uuid="u-1").deliveries.get(channel="imshop")
    deliveries_claim(delivery_ids=[delivery.pk])
    DeliveryAttempt.objects.create(delivery=delivery, number=1, started_at=timezone.now(), outcome="sending")
    # when: its lease runs out
    deliveries_sweep(now=timezone.now() + timedelta(hours=1))
    # then
    delivery.refresh_from_db()
    attempt = delivery.attempt_log.get()
    assert (delivery.state, attempt.outcome) == ("pending", "interrupted")
    assert "may have received it" in attempt.error


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_batches_over_the_same_deliveries_send_each_once(no_broker, make_order, partners):
    # given
    from orders.services.dispatch import deliveries_send

    ids = imshop_deliveries(make_order, 12)
    # when
    run_together(*[lambda: deliveries_send(delivery_ids=ids)] * 4)
    # then
    assert len(partners.requests_to(IMSHOP_SYNC)) == 12
    assert DeliveryAttempt.objects.count() == 12
    assert set(Delivery.objects.filter(pk__in=ids).values_list("state", flat=True)) == {"delivered"}


@pytest.mark.parametrize(("channel", "expected"), [
    ("imshop", (3, 6)),  # its own
    ("webhook:7", (5, 0)),  # its partner's
    ("newpartner", (64, 0)),  # the default cap
])
def test_every_channel_has_a_cap(settings, channel, expected):
    # given
    from orders.services.claims import channel_limits

    settings.PARTNER_MAX_IN_FLIGHT = 64
    settings.CHANNEL_LIMITS = {"imshop": {"max_in_flight": 3, "per_minute": 6}, "webhook": {"max_in_flight": 5}}
    # then
    assert channel_limits(channel) == expected
