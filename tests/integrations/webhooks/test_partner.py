"""The webhook partner inside the hub: who hears a change, what each attempt carries, and what answers do."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone
from standardwebhooks import Webhook

from integrations.webhooks.models import WebhookEndpoint
from integrations.webhooks.services import GONE, endpoint_save, endpoint_secret_rotate
from orders.models import Delivery, StatusChange
from orders.partners import partners as registry
from orders.services.dispatch import deliveries_send, delivery_send
from orders.services.outbox import deliveries_resend
from orders.services.status import order_change_status
from tests.partners import SUBSCRIBER, subscribe

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_broker(monkeypatch):
    """The test sends each delivery itself."""
    monkeypatch.setattr("orders.services.outbox.deliveries_enqueue", lambda delivery_ids: None)


def subscriber_delivery(order, partners) -> Delivery:
    return order.deliveries.filter(channel=partners.subscription.channel).latest("id")


def test_each_endpoint_that_is_on_and_takes_the_status_gets_one_delivery(make_order, partners, mapping, httpserver):
    # given: the fixture's endpoint takes every status; one takes only shipping; one is off
    shipping_only = subscribe(httpserver.url_for("/crm"), name="CRM", all_statuses=False,
                              statuses=[mapping("shipping")])
    off = subscribe(httpserver.url_for("/old"), name="Old ERP", enabled=False)
    order = make_order(order_id=115)
    # when
    order_change_status(order_id=order.pk, to_status=mapping("processing"), source=StatusChange.Source.API)
    order_change_status(order_id=order.pk, to_status=mapping("shipping"), source=StatusChange.Source.SHOP_POLL)
    # then
    by_status = {change.to_status.code: sorted(change.deliveries.filter(channel__startswith="webhook:")
                                               .values_list("channel", flat=True))
                 for change in order.status_changes.all()}
    every = partners.subscription.channel
    assert by_status == {"new": [every], "processing": [every], "shipping": sorted([every, shipping_only.channel])}
    assert not Delivery.objects.filter(channel=off.channel).exists()


def test_a_channel_names_its_endpoint(partners):
    # given
    channel = partners.subscription.channel
    # then
    partner = registry.for_channel(channel)
    assert partner is not None
    assert partner.key == "webhook"
    assert registry.label(channel) == "Webhook · ERP"
    partners.unsubscribe()
    assert registry.label(channel) == "Webhook · ERP (off)"
    assert registry.label("webhook:999999") == "Webhook #999999 (deleted)"


def test_every_retry_and_resend_carries_the_first_deliverys_id_and_its_own_time(make_order, partners, httpserver,
                                                                                monkeypatch):
    # given: the subscriber is down once, then takes it
    httpserver.clear_all_handlers()
    httpserver.expect_oneshot_request(SUBSCRIBER).respond_with_data("busy", status=503)
    httpserver.expect_request(SUBSCRIBER).respond_with_handler(partners.subscriber)
    delivery = subscriber_delivery(make_order(order_id=115), partners)
    # when: the first try, the retry a minute later, then a manager's resend
    delivery_send(delivery_id=delivery.pk)
    real_time = __import__("time").time
    monkeypatch.setattr("integrations.webhooks.client.time.time", lambda: real_time() + 60)
    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
    delivery_send(delivery_id=delivery.pk)
    deliveries_resend(delivery_ids=[delivery.pk])
    resend = Delivery.objects.get(resend_of=delivery)
    delivery_send(delivery_id=resend.pk)
    # then
    requests = partners.requests_to(SUBSCRIBER)
    assert [r.headers["webhook-id"] for r in requests] == [f"msg_hub_{delivery.pk}"] * 3
    assert {json.loads(r.get_data())["id"] for r in requests} == {f"msg_hub_{delivery.pk}"}
    assert len({r.get_data() for r in requests}) == 1  # the event built at the change, sent as built
    first, retry = (int(r.headers["webhook-timestamp"]) for r in requests[:2])
    assert retry - first >= 59
    delivery.refresh_from_db()
    resend.refresh_from_db()
    assert (delivery.state, delivery.attempts, resend.state) == ("delivered", 2, "delivered")


def test_after_a_rotation_the_old_and_the_new_secret_both_verify_until_the_overlap_ends(make_order, partners,
                                                                                        settings):
    # given
    old = partners.subscriber_secret
    new = endpoint_secret_rotate(endpoint_id=partners.subscription.pk)
    delivery = subscriber_delivery(make_order(order_id=115), partners)
    # when
    delivery_send(delivery_id=delivery.pk)
    # then
    request = partners.requests_to(SUBSCRIBER)[-1]
    assert len(request.headers["webhook-signature"].split(" ")) == 2
    for secret in (old, new):
        assert Webhook(secret).verify(request.get_data(), dict(request.headers))
    # and once the overlap is over, only the new one signs
    WebhookEndpoint.objects.filter(pk=partners.subscription.pk).update(
        previous_secret_until=timezone.now() - timedelta(seconds=1))
    partners.subscriber_secret = new
    later = subscriber_delivery(make_order(order_id=116), partners)
    delivery_send(delivery_id=later.pk)
    assert len(partners.requests_to(SUBSCRIBER)[-1].headers["webhook-signature"].split(" ")) == 1
    later.refresh_from_db()
    assert later.state == "delivered"


def test_rotating_twice_keeps_the_secret_the_receiver_holds_until_its_overlap_ends(make_order, partners):
    # given: Rotate clicked twice (or the secret's page reloaded): the first new secret was never seen
    held = partners.subscriber_secret
    unseen = endpoint_secret_rotate(endpoint_id=partners.subscription.pk)
    overlap_ends = WebhookEndpoint.objects.get(pk=partners.subscription.pk).previous_secret_until
    shown = endpoint_secret_rotate(endpoint_id=partners.subscription.pk)
    delivery = subscriber_delivery(make_order(order_id=115), partners)
    # when
    delivery_send(delivery_id=delivery.pk)
    # then: the receiver, still on the secret it held, takes the event; the one shown verifies it too
    request = partners.requests_to(SUBSCRIBER)[-1]
    delivery.refresh_from_db()
    assert delivery.state == "delivered"
    for secret in (held, shown):
        assert Webhook(secret).verify(request.get_data(), dict(request.headers))
    assert len(request.headers["webhook-signature"].split(" ")) == 2  # not the unseen one
    assert unseen not in (WebhookEndpoint.objects.get(pk=partners.subscription.pk).secret,
                          WebhookEndpoint.objects.get(pk=partners.subscription.pk).previous_secret)
    # and the held secret still stops when the first rotation's overlap ends
    assert WebhookEndpoint.objects.get(pk=partners.subscription.pk).previous_secret_until == overlap_ends


def test_an_endpoint_switched_off_gets_nothing_more_and_its_waiting_delivery_fails_visibly(make_order, partners):
    # given: a delivery waits, then a manager switches the endpoint off
    delivery = subscriber_delivery(make_order(order_id=115), partners)
    partners.unsubscribe()
    # when
    delivery_send(delivery_id=delivery.pk)
    # then
    delivery.refresh_from_db()
    assert (delivery.state, delivery.last_error) == ("failed", "The status subscription 'ERP' is switched off.")
    assert partners.requests_to(SUBSCRIBER) == []


def test_attempts_keep_the_endpoints_health(make_order, partners, httpserver):
    # given
    httpserver.clear_all_handlers()
    httpserver.expect_oneshot_request(SUBSCRIBER).respond_with_data("down", status=500)
    httpserver.expect_request(SUBSCRIBER).respond_with_handler(partners.subscriber)
    delivery = subscriber_delivery(make_order(order_id=115), partners)
    # when: a failure
    delivery_send(delivery_id=delivery.pk)
    failing = WebhookEndpoint.objects.get(pk=partners.subscription.pk)
    # and then a success
    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
    delivery_send(delivery_id=delivery.pk)
    healthy = WebhookEndpoint.objects.get(pk=partners.subscription.pk)
    # then
    assert failing.failing_since is not None
    assert failing.last_success_at is None
    assert healthy.failing_since is None
    assert healthy.last_success_at is not None
    assert failing.failing_since is not None
    assert healthy.last_success_at >= failing.failing_since


def test_a_failure_after_a_success_in_one_batch_leaves_the_endpoint_failing(make_order, partners, httpserver):
    # given: two deliveries sent together; the endpoint takes the first and fails the second
    first = subscriber_delivery(make_order(order_id=115), partners)
    second = subscriber_delivery(make_order(order_id=116), partners)
    httpserver.clear_all_handlers()
    httpserver.expect_ordered_request(SUBSCRIBER).respond_with_handler(partners.subscriber)
    httpserver.expect_ordered_request(SUBSCRIBER).respond_with_data("down", status=500)
    # when
    deliveries_send(delivery_ids=[first.pk, second.pk])
    # then: the last answer was a failure, and the endpoint says so
    states = dict(Delivery.objects.filter(pk__in=[first.pk, second.pk]).values_list("pk", "state"))
    assert states == {first.pk: "delivered", second.pk: "pending"}
    endpoint = WebhookEndpoint.objects.get(pk=partners.subscription.pk)
    assert endpoint.failing_since is not None
    assert endpoint.last_success_at is not None
    assert endpoint.last_success_at <= endpoint.failing_since


def test_a_410_gone_fails_the_delivery_and_switches_the_endpoint_off(make_order, partners, httpserver):
    # given: the subscriber says it wants no more events
    httpserver.clear_all_handlers()
    httpserver.expect_request(SUBSCRIBER).respond_with_data("gone", status=410)
    delivery = subscriber_delivery(make_order(order_id=115), partners)
    # when
    delivery_send(delivery_id=delivery.pk)
    # then
    delivery.refresh_from_db()
    endpoint = WebhookEndpoint.objects.get(pk=partners.subscription.pk)
    assert delivery.state == "failed"
    assert (endpoint.enabled, endpoint.disabled_reason, endpoint.disabled_alerted) == (False, GONE, False)


def test_an_endpoint_switched_back_on_starts_its_health_afresh(partners):
    # given: the hub switched it off after days of failures
    WebhookEndpoint.objects.filter(pk=partners.subscription.pk).update(
        enabled=False, failing_since=timezone.now() - timedelta(days=4), disabled_reason="Every attempt failed",
        disabled_at=timezone.now(), disabled_alerted=True)
    endpoint = WebhookEndpoint.objects.get(pk=partners.subscription.pk)
    # when
    endpoint.enabled = True
    endpoint_save(endpoint=endpoint)
    # then
    endpoint.refresh_from_db()
    assert (endpoint.failing_since, endpoint.disabled_reason, endpoint.disabled_at) == (None, "", None)


def test_each_subscription_keeps_the_webhook_limits_on_its_own(make_order, partners, settings, httpserver):
    # given: at most one request a minute to any one subscription
    settings.CHANNEL_LIMITS = {"webhook": {"max_in_flight": 0, "per_minute": 1}}
    httpserver.expect_request("/crm").respond_with_data("", status=204)
    other = subscribe(httpserver.url_for("/crm"), name="CRM")
    order = make_order(order_id=115)
    later = make_order(order_id=116)
    ids = list(Delivery.objects.filter(order__in=[order, later], channel__startswith="webhook:")
               .order_by("pk").values_list("pk", flat=True))
    # when
    deliveries_send(delivery_ids=ids)
    # then: each subscription took one, and its second waits for the next minute
    sent = Delivery.objects.filter(pk__in=ids, state="delivered")
    waiting = Delivery.objects.filter(pk__in=ids, state="pending")
    assert sorted(sent.values_list("channel", flat=True)) == sorted([partners.subscription.channel, other.channel])
    assert sorted(waiting.values_list("channel", flat=True)) == sorted([partners.subscription.channel, other.channel])
    soon = timezone.now() + timedelta(seconds=50)
    assert all(d.next_attempt_at is not None and d.next_attempt_at > soon for d in waiting)
