"""A chunked request body, as gunicorn hands it over: de-chunked, with no CONTENT_LENGTH."""

import io
import json

import pytest
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import RequestFactory

from hub.wsgi import application
from integrations.models import InboundEvent
from orders.models import Order
from tests.conftest import webhook_url

pytestmark = pytest.mark.django_db


def call(body: bytes) -> tuple[str, bytes]:
    environ = RequestFactory().generic(
        "PUT", f"{webhook_url().split('?')[0]}?token=test-shop-token",
        CONTENT_TYPE="application/json", HTTP_TRANSFER_ENCODING="chunked",
    ).environ
    environ.pop("CONTENT_LENGTH", None)
    environ["wsgi.input"] = io.BytesIO(body)
    answer = {}

    def start_response(status: str, headers: list, exc_info=None) -> None:
        answer["status"] = status

    # As Django's test client does: the test's transaction must outlive the request.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        content = b"".join(application(environ, start_response))
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    return answer["status"], content


def test_a_chunked_webhook_is_read_and_kept(shop_payload, default_mappings):
    # given
    body = json.dumps(shop_payload).encode()
    # when
    status, content = call(body)
    # then
    assert status.startswith("200"), content
    assert Order.objects.get().shop_order_id == "115"
    event = InboundEvent.objects.get()
    assert (event.body_size, json.loads(event.body)["order_id"]) == (len(body), 115)


def test_a_chunked_body_over_the_limit_is_413_with_its_head_kept(shop_payload, default_mappings, settings):
    # given
    settings.INBOUND_MAX_BODY_BYTES = 1000
    body = json.dumps({**shop_payload, "comment": "x" * 5000}).encode()
    # when
    status, _ = call(body)
    # then
    assert status.startswith("413")
    assert InboundEvent.objects.get().body.startswith('{"order_id": 115')
