"""The sandbox's memory: failure switches, tokens, recorded requests, the shop's orders."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from integrations.sandbox.models import SandboxShopOrder, SandboxSwitch, SandboxToken
from integrations.sandbox.services import (
    SandboxAnswer,
    sandbox_failure_take,
    sandbox_request_record,
    sandbox_shop_order_set,
    sandbox_switch_set,
    sandbox_token_issue,
    sandbox_token_valid,
)

pytestmark = pytest.mark.django_db


def test_the_data_migration_made_one_switch_per_partner():
    # then
    assert list(SandboxSwitch.objects.values_list("partner", "fail_next", "fail_status")) == [
        ("choco", 0, 503), ("horoshop", 0, 503), ("imshop", 0, 503), ("subscriber", 0, 503)]


def test_failure_take_counts_down_then_lets_requests_through():
    # given
    sandbox_switch_set(partner="choco", fail_next=2, fail_status=429, latency_ms=0)
    # when
    taken = [sandbox_failure_take(partner="choco") for _ in range(3)]
    # then
    assert taken == [429, 429, None]
    assert SandboxSwitch.objects.get(partner="choco").fail_next == 0


def test_failure_take_without_a_switch_row_fails_nothing():
    # given
    SandboxSwitch.objects.all().delete()
    # when / then
    assert sandbox_failure_take(partner="imshop") is None


@pytest.mark.parametrize("fail_status", [200, 302, 600])
def test_switch_set_refuses_a_status_that_is_not_an_error(fail_status):
    # when / then
    with pytest.raises(ValidationError) as refused:
        sandbox_switch_set(partner="choco", fail_next=1, fail_status=fail_status, latency_ms=0)
    assert "fail_status" in refused.value.message_dict


def test_a_token_is_valid_for_its_partner_until_it_expires():
    # given
    token = sandbox_token_issue(partner="horoshop", ttl_seconds=600)
    # when
    valid = [sandbox_token_valid(partner="horoshop", token=token), sandbox_token_valid(partner="choco", token=token)]
    SandboxToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    # then
    assert valid == [True, False]
    assert not sandbox_token_valid(partner="horoshop", token=token)
    assert not sandbox_token_valid(partner="horoshop", token="")


def test_issuing_a_token_drops_expired_ones_and_keeps_no_token_in_clear():
    # given
    old = sandbox_token_issue(partner="choco", ttl_seconds=10800)
    SandboxToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    # when
    new = sandbox_token_issue(partner="choco", ttl_seconds=10800)
    # then
    hashes = list(SandboxToken.objects.values_list("token_hash", flat=True))
    assert len(hashes) == 1
    assert old not in hashes
    assert new not in hashes


def test_record_masks_secrets_in_headers_and_bodies(settings):
    # given
    settings.CHOCO_CLIENT_SECRET = "merchant-client-secret"
    answer = SandboxAnswer(200, {"status": "OK", "response": {"token": "abcdef0123456789"}})
    # when
    record = sandbox_request_record(
        partner="horoshop", endpoint="/api/auth/", method="POST",
        headers={"Authorization": "Bearer abc", "Content-Type": "application/json"},
        body=b'{"login": "m", "password": "pw-1234"} merchant-client-secret', answer=answer,
    )
    # then
    assert record.headers == {"Authorization": "***", "Content-Type": "application/json"}
    assert record.body == '{"login": "m", "password": "***"} ***'
    assert record.response_body == '{"status": "OK", "response": {"token": "***"}}'
    assert (record.accepted, record.problems) == (True, [])


def test_shop_order_set_creates_then_updates():
    # when
    sandbox_shop_order_set(order_id="115", status=2)
    sandbox_shop_order_set(order_id="115", status=4)
    # then
    assert list(SandboxShopOrder.objects.values_list("order_id", "status")) == [("115", 4)]
