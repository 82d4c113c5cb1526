"""Finding an order the way a manager types it: number, phone in any form, e-mail, name in any case."""

import pytest
from django.urls import reverse

from orders.models import Order
from orders.services.search import order_search_values, phone_digits

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_orders(make_order):
    make_order(order_id=115, delivery_phone="+380 (67) 123-45-67", delivery_name="Коваленко Олена",
               delivery_email="Olena.K@Example.com")
    make_order(order_id=116, delivery_phone="+380000000000", delivery_email="x@y.z", delivery_name="Other")


@pytest.mark.parametrize("query", [
    "115", "0671234567", "+380671234567", "380671234567", "067 123 45 67", "(067) 123-45-67", "123-45-67",
    "коваленко", "КОВАЛЕНКО", "олена", "olena.k@example.com", "OLENA.K@EXAMPLE.COM", "example.com",
])
def test_order_search_finds_what_a_manager_types(admin_client, two_orders, query):
    # when
    response = admin_client.get(reverse("admin:orders_order_changelist"), {"q": query})
    # then
    assert [o.shop_order_id for o in response.context["cl"].result_list] == ["115"]


def test_order_search_by_number_is_exact(admin_client, two_orders, make_order):
    # given: 1150 contains "115" but is another order
    make_order(order_id=1150, delivery_phone="", delivery_name="Third", delivery_email="t@t.t")
    # when
    response = admin_client.get(reverse("admin:orders_order_changelist"), {"q": "115"})
    # then
    assert [o.shop_order_id for o in response.context["cl"].result_list] == ["115"]


def test_order_search_queries_do_not_grow_with_matches(admin_client, make_order, django_assert_max_num_queries):
    # given
    for _ in range(20):
        make_order(delivery_name="Коваленко")
    # when / then
    with django_assert_max_num_queries(12):
        response = admin_client.get(reverse("admin:orders_order_changelist"), {"q": "коваленко"})
    assert len(response.context["cl"].result_list) == 20


def test_intake_fills_the_search_columns(make_order):
    # when
    order = make_order(delivery_phone="+38 (067) 123-45-67", delivery_name="ГРУША Ёлка", delivery_email="A@B.UA")
    # then
    stored = Order.objects.get(pk=order.pk)
    assert stored.search_phone == "0671234567"
    assert "груша ёлка" in stored.search_text
    assert "a@b.ua" in stored.search_text


def test_a_changed_phone_is_searchable_again(make_order):
    # given
    order = make_order(order_id=200, delivery_phone="+380671234567")
    # when: the shop sends the order again with another phone
    make_order(order_id=200, delivery_phone="+380501112233", comment="changed")
    # then
    assert Order.objects.get(pk=order.pk).search_phone == "0501112233"


@pytest.mark.parametrize(("raw", "digits"), [
    ("+380 (67) 123-45-67", "0671234567"), ("380671234567", "0671234567"), ("0671234567", "0671234567"),
    ("67 123 45 67", "671234567"), ("+7 701 123 4567", "77011234567"), ("", ""),
])
def test_phone_digits_uses_the_national_form_of_ukrainian_numbers(raw, digits):
    assert phone_digits(raw) == digits


def test_search_values_casefold_cyrillic():
    values = order_search_values(name="Straße КОВАЛЕНКО", email="X@Y.Z", phone="+380671234567")
    assert values == {"search_text": "strasse коваленко x@y.z", "search_phone": "0671234567"}
