import json
import logging

import pytest

from hub.observability import JsonFormatter, RequestIdFilter, request_id_bound
from tests.conftest import webhook_url


@pytest.mark.django_db
def test_every_response_carries_a_request_id(client):
    # when
    response = client.get("/healthz", HTTP_X_REQUEST_ID="lb-1234")
    generated = client.get("/healthz")
    # then
    assert response["X-Request-ID"] == "lb-1234"
    assert len(generated["X-Request-ID"]) == 32


@pytest.mark.django_db
def test_an_unsafe_request_id_is_replaced(client):
    # when
    response = client.get("/healthz", HTTP_X_REQUEST_ID="<script>")
    # then
    assert response["X-Request-ID"] != "<script>"


def test_json_logs_carry_the_request_id_and_extra_fields():
    # given
    record = logging.LogRecord("hub.test", logging.INFO, __file__, 1, "sent %s", ("x",), None)
    record.delivery = 42
    # when
    with request_id_bound("abc"):
        RequestIdFilter().filter(record)
        line = JsonFormatter().format(record)
    # then
    entry = json.loads(line)
    assert (entry["message"], entry["request_id"], entry["delivery"], entry["level"]) == ("sent x", "abc", 42, "INFO")


@pytest.mark.django_db
def test_the_request_id_follows_the_order_into_its_deliveries(api_client, shop_payload, partners):
    # given
    payload = {**shop_payload, "imshop_uuid": "u-1"}
    # when
    api_client.put(webhook_url(), data=json.dumps(payload), content_type="application/json",
                   HTTP_X_REQUEST_ID="trace-77")
    # then
    from orders.models import Delivery

    assert set(Delivery.objects.values_list("request_id", flat=True)) == {"trace-77"}  # Imshop's, the subscriber's


@pytest.mark.django_db
def test_metrics_are_served_to_loopback_under_debug(client, make_order, partners, settings):
    # given
    settings.DEBUG = True
    make_order(imshop_uuid="u-1")
    # when
    response = client.get("/metrics")
    # then
    text = response.content.decode()
    assert response.status_code == 200
    assert 'hub_deliveries{channel="imshop",state="pending"} 1.0' in text
    assert "hub_delivery_queue_lag_seconds" in text
    assert "hub_delivery_attempt_seconds" in text


@pytest.mark.django_db
def test_metrics_need_the_token_when_one_is_set(client, settings):
    # given
    settings.METRICS_TOKEN = "scrape-secret"
    # when
    denied = client.get("/metrics")
    allowed = client.get("/metrics", HTTP_AUTHORIZATION="Bearer scrape-secret")
    # then
    assert (denied.status_code, allowed.status_code) == (403, 200)


@pytest.mark.django_db
def test_metrics_need_a_token_without_debug_even_on_loopback(client, settings):
    # given: a reverse proxy on the same host makes every caller look like loopback
    settings.DEBUG, settings.METRICS_TOKEN = False, ""
    # when
    response = client.get("/metrics", REMOTE_ADDR="127.0.0.1")
    # then
    assert response.status_code == 403


@pytest.mark.django_db
def test_metrics_refuse_other_addresses_without_a_token(client, settings):
    settings.DEBUG = True
    # when
    response = client.get("/metrics", REMOTE_ADDR="10.1.2.3")
    # then
    assert response.status_code == 403
