"""The event subscribers receive: built once from the change, in the documented and versioned shape."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from jsonschema import Draft202012Validator

from integrations.webhooks.payloads import build_status_event, event_body
from orders.models import StatusChange
from orders.services.status import order_change_status

pytestmark = pytest.mark.django_db


@pytest.fixture
def change(make_order, mapping):
    """Order 115 (linked to both apps) moved from new to processing by a manager, with a reason."""
    order = make_order(order_id=115, choco_user_id=1234567, imshop_uuid="cfe64e76")
    manager = User.objects.create_user(username="olena", is_staff=True)
    return order_change_status(order_id=order.pk, to_status=mapping("processing"), source=StatusChange.Source.ADMIN,
                               user=manager, reason="Покупатель подтвердил")


def test_the_event_names_the_order_both_statuses_who_why_when_and_the_links(change):
    # when
    event = build_status_event(order=change.order, mapping=change.to_status, change=change)
    # then
    assert event == {
        "type": "order.status_changed",
        "version": 1,
        "timestamp": change.created_at.isoformat().replace("+00:00", "Z"),
        "data": {
            "order_number": "115",
            "status": {"code": "processing", "name": change.to_status.name, "shop_status_id": 2},
            "previous_status": {"code": "new", "name": change.from_status.name, "shop_status_id": 1},
            "source": "admin",
            "reason": "Покупатель подтвердил",
            "changed_by": "olena",
            "links": {"choco_user_id": 1234567, "imshop_uuid": "cfe64e76"},
        },
    }
    assert event["timestamp"].endswith("Z")


def test_an_orders_first_status_has_no_previous_one_and_no_person(make_order):
    # given: the shop's webhook created the order
    order = make_order(order_id=116)
    first = order.status_changes.get()
    # when
    event = build_status_event(order=order, mapping=first.to_status, change=first)
    # then
    assert (event["data"]["previous_status"], event["data"]["changed_by"], event["data"]["source"]) == (
        None, None, "shop_webhook")
    assert event["data"]["links"] == {"choco_user_id": None, "imshop_uuid": None}


def test_the_body_sent_is_compact_json_with_the_id_first_and_text_as_is(change):
    # when
    body = event_body(build_status_event(order=change.order, mapping=change.to_status, change=change),
                      msg_id="msg_hub_9")
    # then
    assert body.startswith('{"id":"msg_hub_9","type":"order.status_changed","version":1,')
    assert "Покупатель подтвердил" in body
    assert ", " not in body
    assert ": " not in body
    assert json.loads(body)["id"] == "msg_hub_9"


def _undocumented(value: object, schema: dict, components: dict, where: str = "event") -> list[str]:
    """Keys of `value` its schema does not list, and listed keys it lacks, all the way down."""
    while "$ref" in schema or "allOf" in schema or "oneOf" in schema:
        if "$ref" in schema:
            schema = components[schema["$ref"].rsplit("/", 1)[-1]]
        else:
            schema = next(s for s in schema.get("allOf") or schema.get("oneOf") or [] if s.get("type") != "null")
    if not isinstance(value, dict) or "properties" not in schema:
        return []
    found = [f"{where}.{key}: not documented" for key in set(value) - set(schema["properties"])]
    found += [f"{where}.{key}: documented, not sent" for key in set(schema["properties"]) - set(value)]
    for key, item in value.items():
        if key in schema["properties"]:
            found += _undocumented(item, schema["properties"][key], components, f"{where}.{key}")
    return found


def test_the_openapi_document_describes_the_event_exactly(change, client):
    # given: the hub's own OpenAPI document, and an event as sent
    document = client.get(reverse("schema") + "?format=json").json()
    event = json.loads(event_body(build_status_event(order=change.order, mapping=change.to_status, change=change),
                                  msg_id="msg_hub_9"))
    webhook = document["webhooks"]["order.status_changed"]["post"]
    schema = webhook["requestBody"]["content"]["application/json"]["schema"]
    # when
    errors = [e.message for e in Draft202012Validator({**schema, "components": document["components"]})
              .iter_errors(event)]
    # then
    assert document["openapi"].startswith("3.1")
    assert errors == []
    assert _undocumented(event, schema, document["components"]["schemas"]) == []
    assert "webhook-signature" in webhook["description"]
