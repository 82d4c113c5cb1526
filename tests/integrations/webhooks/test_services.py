"""Status subscriptions over time: switched off after days of failures (operators told once), tested by hand."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from standardwebhooks import Webhook

from integrations.tasks import deliveries_alert_task
from integrations.webhooks.models import WebhookEndpoint
from integrations.webhooks.services import (
    endpoint_sandbox_ensure,
    endpoint_save,
    endpoint_test_send,
    webhook_endpoints_check,
)
from orders.models import ChannelSwitch
from orders.services.channels import channel_set_paused
from tests.partners import SUBSCRIBER

pytestmark = pytest.mark.django_db

DAY = timedelta(days=1)


def failing_for(endpoint: WebhookEndpoint, duration: timedelta) -> None:
    """Every attempt has failed for `duration`; the subscription and its channel were running before that."""
    since = timezone.now() - duration
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(failing_since=since)
    ChannelSwitch.objects.filter(channel=endpoint.channel).update(changed_at=since - timedelta(minutes=1))


def test_an_endpoint_that_only_failed_for_three_days_is_switched_off_and_operators_are_told_once(
        partners, settings, mailoutbox):
    # given
    settings.ADMINS = [("Ops", "ops@example.com")]
    failing_for(partners.subscription, 3 * DAY + timedelta(minutes=1))
    # when
    first = webhook_endpoints_check()
    second = webhook_endpoints_check()
    # then
    endpoint = WebhookEndpoint.objects.get(pk=partners.subscription.pk)
    assert endpoint.enabled is False
    assert endpoint.disabled_reason.startswith("Every attempt failed for 3.0 days")
    assert [e.pk for e in first] == [endpoint.pk]
    assert second == []
    assert len(mailoutbox) == 1
    assert "Webhook · ERP" in mailoutbox[0].body
    assert "switch it on again" in mailoutbox[0].body


def test_the_alert_goes_to_the_alert_webhook_too(partners, settings, httpserver):
    # given
    settings.ALERT_WEBHOOK_URL = httpserver.url_for("/alerts/T0KEN-secret")
    httpserver.expect_request("/alerts/T0KEN-secret").respond_with_json({"ok": True})
    failing_for(partners.subscription, 4 * DAY)
    # when
    webhook_endpoints_check()
    # then
    alert = json.loads(partners.requests_to("/alerts/T0KEN-secret")[0].get_data())
    assert alert["problems"] == [{"level": "switched_off", "channel": partners.subscription.channel,
                                  "endpoint": partners.subscription.pk, "name": "ERP",
                                  "error": WebhookEndpoint.objects.get().disabled_reason}]


def test_the_periodic_alerts_task_runs_the_check(partners):
    # given
    failing_for(partners.subscription, 4 * DAY)
    # when
    deliveries_alert_task()
    # then
    assert WebhookEndpoint.objects.get(pk=partners.subscription.pk).enabled is False


@pytest.mark.parametrize("failing", [None, 3 * DAY - timedelta(minutes=5)])
def test_an_endpoint_healthy_or_failing_for_less_stays_on(partners, failing):
    # given
    if failing:
        failing_for(partners.subscription, failing)
    # when
    switched = webhook_endpoints_check()
    # then
    assert switched == []
    assert WebhookEndpoint.objects.get(pk=partners.subscription.pk).enabled is True


def test_the_time_is_a_setting(partners, settings):
    # given
    settings.WEBHOOK_DISABLE_AFTER = 3600
    failing_for(partners.subscription, timedelta(hours=2))
    # when
    webhook_endpoints_check()
    # then
    endpoint = WebhookEndpoint.objects.get(pk=partners.subscription.pk)
    assert (endpoint.enabled, endpoint.disabled_reason.split(" (")[0]) == (False, "Every attempt failed for 2 hours")


def test_a_paused_endpoint_is_not_switched_off_while_nothing_is_tried(partners):
    # given: paused by a manager while it was failing
    failing_for(partners.subscription, 5 * DAY)
    ChannelSwitch.objects.filter(channel=partners.subscription.channel).update(paused=True)
    # when
    webhook_endpoints_check()
    # then
    assert WebhookEndpoint.objects.get(pk=partners.subscription.pk).enabled is True


def test_a_resumed_endpoint_gets_its_time_again_before_it_is_switched_off(partners, settings):
    # given: failing for five days, paused while its receiver was fixed, and just resumed
    channel = partners.subscription.channel
    failing_for(partners.subscription, 5 * DAY)
    channel_set_paused(channel=channel, paused=True)
    channel_set_paused(channel=channel, paused=False)
    # when: the check runs before the sweeper has sent the deliveries that waited
    webhook_endpoints_check()
    # then
    assert WebhookEndpoint.objects.get(pk=partners.subscription.pk).enabled is True
    # and once it has failed for WEBHOOK_DISABLE_AFTER since it was resumed, it is switched off
    ChannelSwitch.objects.filter(channel=channel).update(changed_at=timezone.now() - 3 * DAY - timedelta(minutes=1))
    webhook_endpoints_check()
    assert WebhookEndpoint.objects.get(pk=partners.subscription.pk).enabled is False


def test_a_test_event_is_signed_and_shows_the_endpoints_answer(partners):
    # when
    outcome = endpoint_test_send(endpoint_id=partners.subscription.pk)
    # then
    request = partners.requests_to(SUBSCRIBER)[0]
    event = Webhook(partners.subscriber_secret).verify(request.get_data(), dict(request.headers))
    assert (event["type"], event["data"]["endpoint"], event["id"]) == ("hub.test", "ERP", outcome.msg_id)
    assert outcome.delivered
    assert outcome.exchange is not None
    assert outcome.exchange.response_status == 204
    # and it changed nothing in the hub
    endpoint = WebhookEndpoint.objects.get(pk=partners.subscription.pk)
    assert (endpoint.last_success_at, endpoint.failing_since) == (None, None)


def test_a_failed_test_event_says_why(partners, httpserver):
    # given
    httpserver.clear_all_handlers()
    httpserver.expect_request(SUBSCRIBER).respond_with_json({"error": "signature mismatch"}, status=401)
    # when
    outcome = endpoint_test_send(endpoint_id=partners.subscription.pk)
    # then
    assert not outcome.delivered
    assert outcome.error.startswith("HTTP 401: ")
    assert "signature mismatch" in outcome.error
    assert outcome.exchange is not None
    assert outcome.exchange.response_status == 401


def test_an_internal_url_is_refused_without_the_allowance(db, settings):
    # given
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False
    # when / then
    with pytest.raises(ValidationError) as raised:
        endpoint_save(endpoint=WebhookEndpoint(name="Metadata", url="https://169.254.169.254/latest/"))
    assert "internal address" in raised.value.message_dict["url"][0]
    assert not WebhookEndpoint.objects.exists()


def test_make_run_subscribes_the_sandbox_once_and_follows_the_hubs_address(db):
    # when
    first = endpoint_sandbox_ensure(base_url="http://127.0.0.1:8000")
    again = endpoint_sandbox_ensure(base_url="http://127.0.0.1:8141")
    # then
    assert first.pk == again.pk
    assert WebhookEndpoint.objects.count() == 1
    assert first.url == f"http://127.0.0.1:8000/sandbox/subscriber/{first.pk}/"
    assert again.url == f"http://127.0.0.1:8141/sandbox/subscriber/{first.pk}/"
    assert ChannelSwitch.objects.filter(channel=first.channel).exists()
    assert again.secret == first.secret
