"""The sandbox subscriber: verifies the hub's events with the standardwebhooks library and checks their shape."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from integrations.sandbox.models import SandboxRequest, SandboxSwitch
from integrations.webhooks.models import WebhookEndpoint
from integrations.webhooks.payloads import build_test_event, event_body
from integrations.webhooks.services import endpoint_client, endpoint_sandbox_ensure, endpoint_secret_rotate
from integrations.webhooks.signing import secret_generate, signed_headers
from orders.partner_errors import PartnerRejectedError, PartnerTransientError

pytestmark = pytest.mark.django_db

EVENT: dict[str, Any] = {
    "type": "order.status_changed", "version": 1, "timestamp": "2026-05-01T10:00:00.000000Z",
    "data": {"order_number": "115", "status": {"code": "processing", "name": "В обработке", "shop_status_id": 2},
             "previous_status": None, "source": "api", "reason": "", "changed_by": None,
             "links": {"choco_user_id": None, "imshop_uuid": None}},
}


@pytest.fixture
def endpoint(db) -> WebhookEndpoint:
    return endpoint_sandbox_ensure(base_url="http://testserver")


def post(client, endpoint: WebhookEndpoint, event: dict, *, msg_id: str = "msg_hub_1", secret: str | None = None):
    body = event_body(event, msg_id=msg_id)
    headers = signed_headers(secrets=[secret or endpoint.secret], msg_id=msg_id, timestamp=int(time.time()),
                             body=body)
    return client.post(reverse("sandbox:subscriber", args=[endpoint.pk]), body, content_type="application/json",
                       **{f"HTTP_{name.upper().replace('-', '_')}": value for name, value in headers.items()})


def test_a_signed_event_is_taken_and_kept_with_its_signature_masked(client, endpoint):
    # when
    response = post(client, endpoint, EVENT)
    # then
    assert (response.status_code, response.json()) == (200, {"received": True, "id": "msg_hub_1"})
    kept = SandboxRequest.objects.get()
    assert (kept.partner, kept.accepted, kept.problems) == ("subscriber", True, [])
    assert kept.headers["Webhook-Signature"] == "***"
    assert json.loads(kept.body)["data"]["order_number"] == "115"


def test_a_repeated_message_is_recognised(client, endpoint):
    # when
    post(client, endpoint, EVENT)
    again = post(client, endpoint, EVENT)
    # then
    assert again.json() == {"received": True, "id": "msg_hub_1", "duplicate": True}


def test_a_wrong_secret_is_401(client, endpoint):
    # when
    response = post(client, endpoint, EVENT, secret=secret_generate())
    # then
    assert response.status_code == 401
    assert SandboxRequest.objects.get().problems == ["webhook-signature: No matching signature found"]


def test_a_malformed_event_is_400_naming_each_problem(client, endpoint):
    # given
    event = {**EVENT, "version": 2, "data": {**EVENT["data"], "status": {"code": "x"}, "source": "fax"}}
    # when
    response = post(client, endpoint, event)
    # then
    assert response.status_code == 400
    assert SandboxRequest.objects.get().problems == [
        "version: must be 1", "data[status][name]: required", "data[status][shop_status_id]: required",
        "data[source]: must be one of shop_webhook, shop_poll, admin, api, imshop"]


def test_an_unknown_subscription_is_404(client, endpoint):
    # when
    response = client.post(reverse("sandbox:subscriber", args=[endpoint.pk + 1]), "{}",
                           content_type="application/json")
    # then
    assert response.status_code == 404


@pytest.mark.django_db(transaction=True)
def test_the_hub_client_against_the_sandbox_over_http(live_server):
    # given: `make run`'s subscription, at the live server
    endpoint = endpoint_sandbox_ensure(base_url=live_server.url)
    body = event_body(build_test_event(endpoint_name=endpoint.name, now=timezone.now()), msg_id="msg_hub_test_1")
    # when: sent, then sent again after a rotation (signed with both secrets), then while it fails
    endpoint_client(endpoint=endpoint, now=timezone.now()).post(msg_id="msg_hub_test_1", body=body)
    endpoint_secret_rotate(endpoint_id=endpoint.pk)
    endpoint.refresh_from_db()
    endpoint_client(endpoint=endpoint, now=timezone.now()).post(msg_id="msg_hub_test_1", body=body)
    SandboxSwitch.objects.update_or_create(partner="subscriber", defaults={"fail_next": 1, "fail_status": 503})
    with pytest.raises(PartnerTransientError):
        endpoint_client(endpoint=endpoint, now=timezone.now()).post(msg_id="msg_hub_test_1", body=body)
    # then
    answers = [(r.response_status, r.accepted, json.loads(r.response_body).get("duplicate") if r.accepted else None)
               for r in SandboxRequest.objects.order_by("id")]
    assert answers == [(200, True, None), (200, True, True), (503, False, None)]


@pytest.mark.django_db(transaction=True)
def test_a_signature_the_sandbox_cannot_verify_is_a_final_refusal(live_server):
    # given: the hub signs with a secret the subscriber does not hold
    endpoint = endpoint_sandbox_ensure(base_url=live_server.url)
    client = endpoint_client(endpoint=endpoint, now=timezone.now())
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(secret=secret_generate())
    body = event_body(EVENT, msg_id="msg_hub_9")
    # when / then
    with pytest.raises(PartnerRejectedError, match="HTTP 401"):
        client.post(msg_id="msg_hub_9", body=body)
