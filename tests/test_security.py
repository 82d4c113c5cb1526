import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient
from rest_framework.throttling import ScopedRateThrottle

from orders.partner_errors import PartnerNotConfiguredError
from tests.conftest import webhook_url

ROOT = Path(__file__).resolve().parent.parent


def _check_deploy(**variables: str) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("SECURE_", "CACHE_URL", "HUB_", "DEBUG", "SESSION_", "CSRF_", "WEBHOOK_"))}
    env.update({"DJANGO_SETTINGS_MODULE": "hub.settings", **variables})
    return subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False)


REQUIRED = {"DEBUG": "false", "SECRET_KEY": "k" * 30 + "-production-secret-with-entropy-1234567890",
            "ALLOWED_HOSTS": "hub.example.com", "CACHE_URL": "redis://127.0.0.1:6379/1"}


def test_check_deploy_is_clean_with_only_the_required_variables():
    # when
    result = _check_deploy(**REQUIRED)
    # then
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_warns_of_a_per_process_cache():
    # when
    result = _check_deploy(**{**REQUIRED, "CACHE_URL": "locmemcache://"})
    # then
    assert result.returncode != 0
    assert "hub.W001" in result.stdout + result.stderr


def test_check_deploy_warns_when_subscriptions_may_reach_internal_addresses():
    # when
    result = _check_deploy(**{**REQUIRED, "WEBHOOK_ALLOW_PRIVATE_TARGETS": "true"})
    # then
    assert result.returncode != 0
    assert "hub.W002" in result.stdout + result.stderr


def test_https_redirect_and_hsts_are_on_without_debug_except_for_healthz(settings):
    # given: the production defaults
    result = subprocess.run(
        [sys.executable, "-c", "from django.conf import settings as s; import django; django.setup(); "
         "print(s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS > 0, s.SECURE_REDIRECT_EXEMPT)"],
        cwd=ROOT, env={**_check_env(), **REQUIRED}, capture_output=True, text=True, timeout=60, check=False)
    # then
    assert result.stdout.strip() == "True True ['^healthz$', '^metrics$']", result.stderr


def _check_env() -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("SECURE_", "DEBUG"))}
    return {**env, "DJANGO_SETTINGS_MODULE": "hub.settings"}


def test_the_dev_secret_key_is_refused_without_debug():
    # given
    env = {**os.environ, "DEBUG": "false", "DJANGO_SETTINGS_MODULE": "hub.settings"}
    env.pop("SECRET_KEY", None)
    # when
    result = subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=60, check=False)
    # then
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr


@pytest.mark.django_db
def test_public_endpoints_are_throttled(api_client, shop_payload, monkeypatch, default_mappings):
    # given
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"shop_webhook": "3/min"})
    body = json.dumps(shop_payload)
    # when
    codes = [api_client.put(webhook_url(), data=body, content_type="application/json").status_code
             for _ in range(4)]
    # then
    assert codes == [200, 200, 200, 429]
    from integrations.models import InboundEvent

    assert InboundEvent.objects.filter(response_status=429).count() == 1


@pytest.mark.django_db
def test_admin_login_attempts_are_limited(client, admin_user, settings):
    # given
    settings.ADMIN_LOGIN_MAX_FAILURES = 3
    url = reverse("admin:login")
    for _ in range(3):
        client.post(url, {"username": "admin", "password": "wrong"})
    # when: even the right password is refused while locked
    response = client.post(url, {"username": "admin", "password": "password"})
    # then
    assert response.status_code == 429
    assert "Too many failed logins" in response.content.decode()
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_one_persons_guesses_do_not_lock_out_another(client, admin_user, django_user_model, settings):
    # given: behind one proxy address, someone guesses at "admin"
    settings.ADMIN_LOGIN_MAX_FAILURES = 3
    django_user_model.objects.create_user("manager", password="manager-pw", is_staff=True)
    url = reverse("admin:login")
    for _ in range(5):
        client.post(url, {"username": "admin", "password": "wrong"})
    # when
    response = Client().post(url, {"username": "manager", "password": "manager-pw"})
    # then
    assert response.status_code == 302


@pytest.mark.django_db
def test_login_failures_are_counted_in_the_database_per_user_and_address(client, admin_user, settings):
    # given: the counts every process shares
    from axes.models import AccessAttempt

    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    url = reverse("admin:login")
    # when
    client.post(url, {"username": "admin", "password": "wrong"}, HTTP_X_FORWARDED_FOR="203.0.113.7")
    client.post(url, {"username": "admin", "password": "wrong"}, HTTP_X_FORWARDED_FOR="203.0.113.7")
    # then
    attempt = AccessAttempt.objects.get()
    assert (attempt.username, attempt.ip_address, attempt.failures_since_start) == ("admin", "203.0.113.7", 2)


@pytest.mark.django_db
def test_admin_login_works_below_the_limit(client, admin_user):
    # when
    response = client.post(reverse("admin:login"), {"username": "admin", "password": "password"})
    # then
    assert response.status_code == 302


@pytest.mark.django_db
def test_csrf_is_enforced_on_the_admin(admin_user):
    # given
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user)
    # when
    response = client.post(reverse("admin:orders_statusmapping_import"))
    # then
    assert response.status_code == 403


@pytest.mark.django_db
def test_token_api_needs_no_csrf(shop_payload, default_mappings):
    # given
    client = Client(enforce_csrf_checks=True)
    # when
    response = client.put(webhook_url(), data=json.dumps(shop_payload), content_type="application/json")
    # then
    assert response.status_code == 200


def test_partners_must_be_reached_over_https(settings):
    # given
    from integrations import http

    settings.PARTNER_ALLOW_HTTP = False
    # when / then
    with pytest.raises(PartnerNotConfiguredError, match="use https://"):
        http.send("POST", "http://partner.example/sync?key=topsecret", json_body={})


def test_secrets_do_not_reach_the_logs(caplog, settings):
    # given
    from integrations import http

    settings.PARTNER_ALLOW_HTTP = False
    caplog.set_level(logging.DEBUG)
    # when
    with pytest.raises(PartnerNotConfiguredError) as caught:
        http.send("POST", "http://partner.example/sync/topsecret-segment", json_body={}, secrets=["topsecret-segment"])
    logging.getLogger("test").warning("refused: %s", caught.value.message)
    # then
    assert "topsecret-segment" not in caplog.text
    assert "***" in caplog.text


@pytest.mark.django_db
def test_unauthenticated_megabytes_are_not_kept(api_client):
    # given: 30 POSTs of 1 MiB each with no token
    from integrations.models import InboundEvent

    body = b'{"junk": "' + b"x" * (1024 * 1024 - 12) + b'"}'
    # when
    codes = {api_client.post(webhook_url(token=None), data=body, content_type="application/json").status_code
             for _ in range(30)}
    # then: refused, and what was kept of them is headers and a few KiB each
    assert codes <= {401, 429}
    kept = sum(len(e.body) + len(json.dumps(e.headers)) + len(e.path) for e in InboundEvent.objects.all())
    print(f"30 unauthenticated 1 MiB POSTs kept {kept} bytes")
    assert kept < 1_000_000
    assert InboundEvent.objects.exists()
    assert all(len(e.body) <= 4096 and e.body_size >= 1024 * 1024 for e in InboundEvent.objects.all())


@pytest.mark.django_db
def test_unauthenticated_callers_are_throttled_per_address(api_client, settings, shop_payload, default_mappings):
    # given
    from integrations.models import InboundEvent

    monkey_rates = {**ScopedRateThrottle.THROTTLE_RATES, "unauthenticated": "5/min"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": monkey_rates}
    # when
    codes = [api_client.put(webhook_url(token="wrong"), data="{}", content_type="application/json").status_code
             for _ in range(15)]
    other = APIClient(REMOTE_ADDR="10.0.0.2").put(webhook_url(token="wrong"), data="{}",
                                                  content_type="application/json")
    good = api_client.put(webhook_url(), data=json.dumps(shop_payload), content_type="application/json")
    # then
    assert codes == [403] * 5 + [429] * 10
    assert other.status_code == 403  # another address has its own count
    assert good.status_code == 200  # the right token is never held back by others' failures
    assert InboundEvent.objects.filter(response_status=403).count() == 6  # throttled ones are not stored


@pytest.mark.django_db
def test_an_unexpected_error_on_the_webhook_mails_and_logs_no_token(settings, shop_payload, capfd):
    # given: operators who asked for error mails, and a webhook whose handling fails unexpectedly
    from unittest import mock

    from django.core import mail

    settings.ADMINS = [("Ops", "ops@example.com")]
    token = settings.SHOP_WEBHOOK_TOKEN
    with mock.patch("integrations.api.webhooks.shop_webhook_receive", side_effect=RuntimeError("boom")):
        # when
        response = APIClient(raise_request_exception=False).put(
            webhook_url(), data=json.dumps(shop_payload), content_type="application/json")
    # then: answered in JSON, and the token is in no mail and no line written
    written = capfd.readouterr()
    assert response.status_code == 500
    assert mail.outbox  # the error is mailed (what is checked is that it is masked)
    for message in mail.outbox:
        assert token not in f"{message.subject} {message.body}"
        assert all(token not in str(content) for content, _ in getattr(message, "alternatives", []))
    assert token not in written.out + written.err
