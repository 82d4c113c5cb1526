"""No configured secret is ever written to a log line, a stored row or an admin page.

A whole flow runs with awkward secrets (a password with a quote and a backslash, an Imshop URL
with keys in its user info, the middle of its path and its query, a status subscription's signing
secrets, the old and the new one after a rotation) against partner stand-ins that echo every
request back in their answers. Then every log line, every row of every table and every admin page
is searched for each secret, in every form it could take there. The one place a signing secret
must be kept, its own column, is the only place it may be found.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest
from django.apps import apps
from django.urls import reverse
from django.utils.html import escape
from rest_framework.test import APIClient
from werkzeug import Request, Response

from hub.observability import JsonFormatter, PlainFormatter
from integrations.models import InboundEvent
from integrations.webhooks.models import WebhookEndpoint
from integrations.webhooks.services import endpoint_secret_rotate
from orders.models import Delivery, DeliveryAttempt, StatusChange
from orders.services.dispatch import delivery_send
from orders.services.status import order_change_status
from tests.partners import subscribe

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent

SHOP_TOKEN = "shop-Tok3n-9Qz"
PASSWORD = 'pa"ss\\w0rd-Xy7'
URL_USER_KEY = "uk3yAbcd"
URL_PATH_KEY = "k3y-9x2Q"  # short, and not the last segment
URL_SIG_KEY = "s1gKey77"
IMSHOP_KEY = "imshop-Bearer-55aa"
CHOCO_SECRET = "choco-Secret-12ab"
API_TOKEN = "hub-Api-Token-0c0c"
CALLBACK_TOKEN = "imshop-Callback-Key-77"
METRICS = "metrics-Token-31"
SUBSCRIBER_PATH = "/erp/order-status"
# Where the signing secrets live: read by the hub to sign, never shown (searched everywhere else).
SIGNING_SECRET_COLUMNS = {(WebhookEndpoint, "secret"), (WebhookEndpoint, "previous_secret")}


def _echo(request: Request, answer: dict) -> Response:
    """A partner that puts the request (URL, headers, body) back into its answer."""
    answer = {**answer, "echo": {"url": request.url, "headers": dict(request.headers),
                                 "body": request.get_data(as_text=True)}}
    return Response(json.dumps(answer), status=200, content_type="application/json")


@pytest.fixture
def echoing_partners(httpserver, settings):
    port = httpserver.port
    settings.SHOP_WEBHOOK_TOKEN, settings.HUB_API_TOKEN = SHOP_TOKEN, API_TOKEN
    settings.IMSHOP_CALLBACK_TOKEN, settings.METRICS_TOKEN = CALLBACK_TOKEN, METRICS
    settings.CHOCO_API_URL = httpserver.url_for("/choco")
    settings.CHOCO_CLIENT_ID, settings.CHOCO_CLIENT_SECRET = "merchant-id", CHOCO_SECRET
    settings.IMSHOP_STATUS_URL = f"http://shop:{URL_USER_KEY}@127.0.0.1:{port}/v1/{URL_PATH_KEY}/sync?sig={URL_SIG_KEY}"
    settings.IMSHOP_API_KEY = IMSHOP_KEY
    settings.HOROSHOP_API_URL = httpserver.url_for("/shop")
    settings.HOROSHOP_LOGIN, settings.HOROSHOP_PASSWORD = "api-manager", PASSWORD
    settings.PARTNER_CONNECT_TIMEOUT, settings.PARTNER_READ_TIMEOUT = 1, 1
    token = {"token_type": "Bearer", "token": "choco-access-token-abc", "expire_in": 3600}
    httpserver.expect_request("/choco/auth/token", method="POST").respond_with_handler(
        lambda r: _echo(r, {"error_code": 0, "status": "success", "message": "", "data": token}))
    httpserver.expect_request("/choco/orders/v2/preorder/external/status", method="PUT").respond_with_handler(
        lambda r: _echo(r, {"error_code": 0, "status": "success", "message": ""}))
    httpserver.expect_request(f"/v1/{URL_PATH_KEY}/sync", method="POST").respond_with_handler(
        lambda r: _echo(r, {"success": True}))
    httpserver.expect_request("/shop/api/auth/", method="POST").respond_with_handler(
        lambda r: _echo(r, {"status": "OK", "response": {"token": "horoshop-session-token-1"}}))
    httpserver.expect_request("/shop/api/orders/update/", method="POST").respond_with_handler(
        lambda r: _echo(r, {"status": "OK", "response": {"log": [
            {"order_id": o["order_id"], "status": "OK", "message": "Order updated"}
            for o in json.loads(r.get_data())["orders"]]}}))
    httpserver.expect_request(SUBSCRIBER_PATH, method="POST").respond_with_handler(lambda r: _echo(r, {"ok": True}))
    return httpserver


@pytest.fixture
def signing_secrets(echoing_partners, default_mappings) -> list[str]:
    """A system subscribed to every status, whose secret was rotated: both secrets sign for now."""
    endpoint = subscribe(echoing_partners.url_for(SUBSCRIBER_PATH))
    old = endpoint.secret
    return [endpoint_secret_rotate(endpoint_id=endpoint.pk), old]


def secret_forms(secret: str) -> set[str]:
    """The ways a secret can be written down: as is, in JSON, in a URL or form, in HTML, in Basic auth."""
    return {secret, json.dumps(secret)[1:-1], quote(secret, safe=""), quote_plus(secret), escape(secret),
            escape(json.dumps(secret)[1:-1])}


SECRETS = [SHOP_TOKEN, PASSWORD, URL_USER_KEY, URL_PATH_KEY, URL_SIG_KEY, IMSHOP_KEY, CHOCO_SECRET, API_TOKEN,
           CALLBACK_TOKEN, METRICS]


def found_in(texts: list[str], also: tuple[str, ...] | list[str] = ()) -> list[tuple[str, str]]:
    basic = base64.b64encode(f"shop:{URL_USER_KEY}".encode()).decode()
    hits = []
    for text in texts:
        for secret in [*SECRETS, *also]:
            hits += [(secret, text[:300]) for form in secret_forms(secret) if form in text]
        if basic in text:
            hits.append(("basic auth", text[:300]))
    return hits


def stored_texts() -> list[str]:
    """Every value of every row of every table, as text."""
    texts = []
    for model in apps.get_models():
        for row in model._default_manager.all():
            for field in model._meta.concrete_fields:
                if (model, field.attname) in SIGNING_SECRET_COLUMNS:
                    continue
                value = getattr(row, field.attname)
                if value not in (None, ""):
                    texts.append(value if isinstance(value, str) else json.dumps(value, ensure_ascii=False,
                                                                                 default=str))
    return texts


def run_the_whole_flow(shop_payload, mapping) -> list[str]:
    """Webhooks (good, unauthenticated, invalid), the status API, Imshop's callback, /metrics, deliveries."""
    client = APIClient()
    url = reverse("shop-webhook", kwargs={"event": "order_created"})
    payload = {**shop_payload, "choco_user_id": 1234567, "imshop_uuid": "cfe64e76"}
    statuses = [
        client.put(f"{url}?token={SHOP_TOKEN}", data=json.dumps(payload), content_type="application/json"),
        client.put(f"{url}?token={SHOP_TOKEN}", data="{}", content_type="application/json"),  # 400
        client.put(f"{url}?token={SHOP_TOKEN}x", data="{}", content_type="application/json"),  # 403
        client.get(reverse("order-detail", kwargs={"order_id": "999"}), HTTP_AUTHORIZATION=f"Bearer {API_TOKEN}"),
        client.post(reverse("imshop-cancel"), data=json.dumps({"key": CALLBACK_TOKEN, "id": "nope", "status": "x"}),
                    content_type="application/json"),
        client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {METRICS}"),
        client.get(f"/no-such-page?token={SHOP_TOKEN}&key={IMSHOP_KEY}"),
    ]
    order_id = Delivery.objects.values_list("order_id", flat=True).first()
    assert order_id is not None
    order_change_status(order_id=order_id, to_status=mapping("processing"), source=StatusChange.Source.API)
    for delivery_id in Delivery.objects.values_list("pk", flat=True):
        delivery_send(delivery_id=delivery_id)
    return [str(r.status_code) for r in statuses]


def test_no_secret_reaches_a_log_a_row_or_a_page(echoing_partners, signing_secrets, shop_payload, mapping, caplog,
                                                 admin_client):
    # given
    caplog.set_level(logging.DEBUG)
    # when
    codes = run_the_whole_flow(shop_payload, mapping)
    pages = [admin_client.get(reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_change",
                                      args=[pk])).content.decode()
             for model in (Delivery, InboundEvent, WebhookEndpoint)
             for pk in model.objects.values_list("pk", flat=True)]
    pages += [admin_client.get(reverse(f"admin:{name}_changelist")).content.decode()
              for name in ("webhooks_webhookendpoint", "orders_delivery", "orders_channelswitch")]
    pages.append(admin_client.get(reverse("admin:index")).content.decode())
    lines = [formatter.format(record) for record in caplog.records for formatter in (JsonFormatter(), PlainFormatter(
        "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"))]
    # then: the flow really ran and talked to every partner
    assert codes[:3] == ["200", "400", "403"]
    assert set(Delivery.objects.values_list("channel", "state")) >= {("choco", "delivered"), ("imshop", "delivered"),
                                                                     ("shop", "delivered")}
    subscribed = Delivery.objects.filter(channel__startswith="webhook:")
    assert "delivered" in set(subscribed.values_list("state", flat=True))
    assert any('webhook-signature": "v1,' in body.lower()  # the subscriber echoed the signed headers back
               for body in DeliveryAttempt.objects.filter(delivery__in=subscribed).values_list("response_body",
                                                                                               flat=True))
    assert DeliveryAttempt.objects.count() >= 3
    assert any("echo" in body for body in DeliveryAttempt.objects.values_list("response_body", flat=True))
    assert any("request" in vars(record) for record in caplog.records)  # Django's 4xx records were logged
    # and no secret was written anywhere
    assert found_in(lines, signing_secrets) == []
    assert found_in(stored_texts(), signing_secrets) == []
    assert found_in(pages, signing_secrets) == []
    print(f"searched {len(lines)} log lines, {len(stored_texts())} stored values, {len(pages)} pages "
          f"for {len(SECRETS) + len(signing_secrets)} secrets: 0 found")


def _status_of(url: str, headers: dict[str, str] | None = None) -> int | None:
    """The HTTP status of a GET, or None while nothing answers."""
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return None


@pytest.mark.parametrize("log_format", [None, '%(r)s q=%(q)s header=%({x-shop-token}i)s debug=%({x-debug}i)s %(U)s'],
                         ids=["default-format", "format-with-query-and-header"])
def test_gunicorn_and_django_logs_mask_the_url_token(tmp_path, log_format):
    # given: gunicorn as the Procfile runs it (it reads ./gunicorn.conf.py), with the shop's token configured
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", "SHOP_WEBHOOK_TOKEN": SHOP_TOKEN,
           "LOG_FORMAT": "json", "DEBUG": "false", "SECURE_SSL_REDIRECT": "false"}
    command = [str(Path(sys.executable).parent / "gunicorn"), "hub.wsgi", "--bind", "127.0.0.1:8152", "--workers", "1",
               "--access-logfile", "-", "--graceful-timeout", "2", "--no-control-socket"]
    command += ["--access-logformat", log_format] if log_format else []
    log = tmp_path / "gunicorn.log"
    with log.open("wb") as out:
        server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=out)
        try:
            # when
            deadline = time.monotonic() + 30
            status = None
            while status is None and time.monotonic() < deadline:
                status = _status_of(f"http://127.0.0.1:8152/no-such-page?token={SHOP_TOKEN}",
                                    headers={"X-Shop-Token": SHOP_TOKEN, "X-Debug": '{"token": "s3cr3t-value"}'})
                time.sleep(0 if status else 0.2)
        finally:
            server.terminate()
            server.wait(timeout=20)
    text = log.read_text()
    # then
    assert status == 404, text
    assert "GET /no-such-page?token=***" in text  # the access line
    if log_format:
        assert "q=token=*** header=*** debug=" in text, text
        assert "s3cr3t-value" not in text  # a secret-named JSON field, masked before its quotes are escaped
    assert '"logger": "django.request"' in text
    assert SHOP_TOKEN not in text
