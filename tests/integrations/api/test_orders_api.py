import pytest
from django.urls import reverse

from integrations.models import InboundEvent
from orders.models import Order, StatusChange

pytestmark = pytest.mark.django_db


def detail_url(order_id) -> str:
    return reverse("order-detail", kwargs={"order_id": order_id})


def status_url(order_id) -> str:
    return reverse("order-status", kwargs={"order_id": order_id})


def test_detail_shows_the_order_with_items_and_history(hub_client, make_order):
    # given
    order = make_order(order_id=115)
    # when
    response = hub_client.get(detail_url(115))
    # then
    assert response.status_code == 200
    body = response.json()
    assert body["order_id"] == "115"
    assert (body["status"], body["status_name"], body["shop_status"]) == ("new", "Новый", 1)
    assert (body["customer"], body["phone"], body["email"]) == ("sdbgdasgdasg", "+38 (012) 421-42-14",
                                                                 "dasgdsga@zz.cc")
    assert (body["total_sum"], body["currency"], body["payed"]) == ("31799.00", "UAH", False)
    assert body["placed_at"] == "2016-12-05T13:46:40Z"  # 15:46:40 in Kyiv
    assert body["items"] == [{
        "title": 'MacBook Air 11.6" 128 ГБ, Зеленый', "article": "MJVM2UAA", "price": "31799.00",
        "quantity": "1.000", "total_price": "31799.00", "discount_marker": "DISCOUNT_CARD", "url": "",
        "photo_url": "",
    }]
    assert [(h["from_status"], h["to_status"], h["source"]) for h in body["history"]] == [
        (None, "new", "shop_webhook")]
    assert body["deliveries"] == []
    assert order.pk


def test_detail_of_an_unknown_order_is_404(hub_client):
    # when
    response = hub_client.get(detail_url(999))
    # then
    assert response.status_code == 404
    assert response.json() == {"message": "order_id: No order with number 999.", "fields": {"order_id": [
        "No order with number 999."]}}


@pytest.mark.parametrize(("header", "status"), [(None, 401), ("Bearer wrong", 403), ("Token test-api-token", 401)])
def test_detail_needs_the_api_token(api_client, make_order, header, status):
    # given
    make_order(order_id=115)
    if header:
        api_client.credentials(HTTP_AUTHORIZATION=header)
    # when
    response = api_client.get(detail_url(115))
    # then
    assert response.status_code == status


def test_detail_query_count_does_not_grow_with_history(hub_client, make_order, mapping, django_assert_max_num_queries):
    # given
    order = make_order(order_id=115)
    for code in ("processing", "shipping", "processing", "shipping"):
        from orders.services.status import order_change_status
        order_change_status(order_id=order.pk, to_status=mapping(code), source=StatusChange.Source.API)
    # when / then
    with django_assert_max_num_queries(6):
        assert hub_client.get(detail_url(115)).status_code == 200


def test_status_by_code_changes_the_order(hub_client, make_order):
    # given
    make_order(order_id=115)
    # when
    response = hub_client.post(status_url(115), {"status": "processing", "reason": "ERP picked it"}, format="json")
    # then
    assert response.status_code == 200
    assert response.json()["status"] == "processing"
    change = Order.objects.get(shop_order_id="115").status_changes.first()
    assert change is not None
    assert (change.source, change.reason) == ("api", "ERP picked it")
    assert InboundEvent.objects.get(source="api").outcome == InboundEvent.Outcome.ACCEPTED


def test_status_by_shop_status_id(hub_client, make_order):
    # given
    make_order(order_id=115)
    # when
    response = hub_client.post(status_url(115), {"shop_status": 6}, format="json")
    # then
    assert response.json()["status"] == "shipping"


def test_links_can_be_set_and_cleared(hub_client, make_order):
    # given
    make_order(order_id=115, imshop_uuid="old-uuid")
    # when
    response = hub_client.post(status_url(115), {"choco_user_id": 77, "imshop_uuid": None}, format="json")
    # then
    assert response.status_code == 200
    assert (response.json()["choco_user_id"], response.json()["imshop_uuid"]) == (77, "")


def test_unknown_status_is_400_naming_status(hub_client, make_order):
    # given
    make_order(order_id=115)
    # when
    response = hub_client.post(status_url(115), {"status": "teleported"}, format="json")
    # then
    assert response.status_code == 400
    assert response.json()["fields"] == {"status": [
        "Unknown status 'teleported'; known codes: new, processing, delivered, cancelled, shipping."]}


def test_unknown_order_is_404(hub_client):
    # when
    response = hub_client.post(status_url(404404), {"status": "processing"}, format="json")
    # then
    assert response.status_code == 404


def test_leaving_a_final_status_is_409(hub_client, make_order):
    # given
    make_order(order_id=115, stat_status=3)
    # when
    response = hub_client.post(status_url(115), {"status": "processing"}, format="json")
    # then
    assert response.status_code == 409
    assert "final status" in response.json()["message"]


@pytest.mark.parametrize(
    ("body", "field"),
    [({}, "status"), ({"status": "new", "shop_status": 1}, "shop_status"), ({"shop_status": "six"}, "shop_status"),
     ({"status": "processing", "reason": "r" * 1001}, "reason"), ({"choco_user_id": -1}, "choco_user_id")],
)
def test_bad_bodies_are_400_naming_the_field(hub_client, make_order, body, field):
    # given
    make_order(order_id=115)
    # when
    response = hub_client.post(status_url(115), body, format="json")
    # then
    assert response.status_code == 400
    assert field in response.json()["fields"]
    assert response.json()["message"].startswith(f"{field}: ")
