"""Signatures a consumer verifies with the standardwebhooks library, the reference implementation."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import pytest
from standardwebhooks import Webhook, WebhookVerificationError

from integrations.webhooks.signing import secret_generate, signature, signed_headers

BODY = '{"id":"msg_hub_7","type":"order.status_changed","data":{"order_number":"115","reason":"Отменён"}}'


def test_a_secret_is_whsec_and_at_least_24_random_bytes():
    # when
    first, second = secret_generate(), secret_generate()
    # then
    assert first.startswith("whsec_")
    assert len(base64.b64decode(first.removeprefix("whsec_"))) >= 24
    assert first != second


def test_the_library_verifies_what_the_hub_signs():
    # given
    secret = secret_generate()
    now = int(datetime.now(UTC).timestamp())
    # when
    headers = signed_headers(secrets=[secret], msg_id="msg_hub_7", timestamp=now, body=BODY)
    # then
    assert Webhook(secret).verify(BODY, headers)["data"]["reason"] == "Отменён"
    assert headers["webhook-id"] == "msg_hub_7"
    assert headers["webhook-timestamp"] == str(now)


def test_the_signature_is_the_libraries_own():
    # given: the library signs with the same secret, id, time and body
    secret = secret_generate()
    when = datetime(2026, 5, 1, 10, 0, tzinfo=UTC)
    # then
    assert signature(secret=secret, msg_id="msg_hub_7", timestamp=int(when.timestamp()), body=BODY) == Webhook(
        secret).sign("msg_hub_7", when, BODY)


def test_during_a_rotation_either_secret_verifies():
    # given
    new, old = secret_generate(), secret_generate()
    now = int(datetime.now(UTC).timestamp())
    # when
    headers = signed_headers(secrets=[new, old], msg_id="msg_hub_7", timestamp=now, body=BODY)
    # then
    assert len(headers["webhook-signature"].split(" ")) == 2
    assert Webhook(new).verify(BODY, headers)
    assert Webhook(old).verify(BODY, headers)


def test_another_secret_or_a_changed_body_does_not_verify():
    # given
    secret = secret_generate()
    now = int(datetime.now(UTC).timestamp())
    headers = signed_headers(secrets=[secret], msg_id="msg_hub_7", timestamp=now, body=BODY)
    # then
    with pytest.raises(WebhookVerificationError):
        Webhook(secret_generate()).verify(BODY, headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(BODY.replace("115", "116"), headers)


def test_no_secret_no_signature():
    with pytest.raises(ValueError, match="at least one secret"):
        signed_headers(secrets=[], msg_id="msg_hub_7", timestamp=1, body=BODY)
