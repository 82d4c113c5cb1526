import pytest
from django.contrib.admin.models import LogEntry
from django.urls import reverse

from orders.models import Delivery, Order, StatusChange, StatusMapping
from tests.conftest import change_form_data, status_code

pytestmark = pytest.mark.django_db
# The management forms of the order page's read-only inlines, as the browser posts them.
INLINES = {f"{prefix}-{name}": "0" for prefix in ("items", "status_changes", "deliveries")
           for name in ("TOTAL_FORMS", "INITIAL_FORMS")}


def test_order_list_shows_what_a_manager_scans(admin_client, make_order):
    # given
    make_order(order_id=115)
    # when
    response = admin_client.get(reverse("admin:orders_order_changelist"))
    # then
    assert response.status_code == 200
    page = response.content.decode()
    for text in ("115", "sdbgdasgdasg", "+38 (012) 421-42-14", "31 799.00 UAH", "Новый"):
        assert text in page


@pytest.mark.parametrize("query", ["115", "421-42-14", "dasgdsga@zz.cc", "sdbgdasgdasg"])
def test_order_search_by_number_phone_email_name(admin_client, make_order, query):
    # given
    make_order(order_id=115)
    make_order(order_id=116, delivery_phone="+380000000000", delivery_email="x@y.z", delivery_name="Other")
    # when
    response = admin_client.get(reverse("admin:orders_order_changelist"), {"q": query})
    # then
    assert response.context["cl"].result_count == 1


def test_order_list_queries_do_not_grow_with_orders(admin_client, make_order, django_assert_max_num_queries):
    # given
    for _ in range(30):
        make_order()
    # when / then: a fixed number of queries (session, user, count, page, filters, actions)
    with django_assert_max_num_queries(12):
        assert admin_client.get(reverse("admin:orders_order_changelist")).status_code == 200


def test_order_page_shows_items_history_and_payload(admin_client, make_order):
    # given
    order = make_order(order_id=115)
    # when
    response = admin_client.get(reverse("admin:orders_order_change", args=[order.pk]))
    # then
    page = response.content.decode()
    assert response.status_code == 200
    assert "MJVM2UAA" in page
    assert "shop_webhook" in page or "shop webhook" in page
    assert "&quot;order_id&quot;: 115" in page  # pretty-printed payload


def test_manager_changes_status_with_a_reason(admin_client, make_order, mapping, partners):
    # given
    order = make_order(order_id=115)
    # when
    response = admin_client.post(reverse("admin:orders_order_change", args=[order.pk]), {
        "new_status": mapping("processing").pk, "status_reason": "Покупатель подтвердил",
        "choco_user_id": "1234567", "imshop_uuid": "",
        **INLINES,
    })
    # then
    assert response.status_code == 302
    order.refresh_from_db()
    assert status_code(order) == "processing"
    assert order.choco_user_id == 1234567
    change = order.status_changes.first()
    assert (change.source, change.user.username, change.reason) == ("admin", "admin", "Покупатель подтвердил")
    assert sorted(Delivery.objects.filter(status_change=change).values_list("channel", flat=True)) == [
        "choco", "shop", partners.subscription.channel]


def test_final_status_cannot_be_left_from_the_admin(admin_client, make_order, mapping):
    # given
    order = make_order(order_id=115, stat_status=3)
    # when
    response = admin_client.post(reverse("admin:orders_order_change", args=[order.pk]), {
        "new_status": mapping("processing").pk, "status_reason": "", "choco_user_id": "", "imshop_uuid": "",
        **INLINES,
    })
    # then
    assert response.status_code == 200
    assert "a final status" in response.content.decode()
    assert status_code(Order.objects.get(pk=order.pk)) == "delivered"


def test_bulk_status_change_asks_for_a_reason_and_confirmation_first(admin_client, make_order, mapping):
    # given
    orders = [make_order(), make_order()]
    target = mapping("shipping")
    # when
    response = admin_client.post(reverse("admin:orders_order_changelist"), {
        "action": f"set_status_{target.pk}", "_selected_action": [o.pk for o in orders], "index": "0"})
    # then: a confirmation page, and nothing moved yet
    assert response.status_code == 200
    page = response.content.decode()
    assert "2 orders will be moved to <b>Доставляется</b>" in page
    assert 'name="reason"' in page
    assert {status_code(o) for o in Order.objects.filter(pk__in=[o.pk for o in orders])} == {"new"}


def test_bulk_status_change_with_a_reason(admin_client, make_order, mapping):
    # given
    orders = [make_order(), make_order(), make_order(stat_status=3)]
    target = mapping("shipping")
    # when
    response = admin_client.post(reverse("admin:orders_order_changelist"), {
        "action": f"set_status_{target.pk}", "_selected_action": [o.pk for o in orders], "index": "0",
        "confirm": "yes", "reason": "Передано курьеру"}, follow=True)
    # then
    assert [status_code(o) for o in Order.objects.filter(pk__in=[o.pk for o in orders]).order_by("pk")] == [
        "shipping", "shipping", "delivered"]
    change = StatusChange.objects.filter(to_status=target).first()
    assert change is not None
    assert change.reason == "Передано курьеру"
    messages = [str(m) for m in response.context["messages"]]
    assert "2 orders moved to Доставляется." in messages
    assert ("1 order is in a final status and was left alone; change it in Horoshop if it must move."
            in messages)
    entry = LogEntry.objects.filter(object_id=str(orders[0].pk)).get()
    assert "Передано курьеру" in entry.get_change_message()


def test_bulk_message_for_one_order_is_singular(admin_client, make_order, mapping):
    # given
    order = make_order()
    # when
    response = admin_client.post(reverse("admin:orders_order_changelist"), {
        "action": f"set_status_{mapping('shipping').pk}", "_selected_action": [order.pk], "index": "0",
        "confirm": "yes", "reason": "r"}, follow=True)
    # then
    assert "1 order moved to Доставляется." in [str(m) for m in response.context["messages"]]


def test_mapping_with_a_too_long_title_is_refused_in_the_admin(admin_client, mapping):
    # given
    row = mapping("new")
    url = reverse("admin:orders_statusmapping_change", args=[row.pk])
    form = change_form_data(admin_client.get(url))
    form["choco_title_active_order_card"] = "Очень длинный заголовок карточки!"
    # when
    response = admin_client.post(url, form)
    # then
    assert response.status_code == 200
    assert "Ensure this value has at most 30 characters" in response.content.decode()
    assert StatusMapping.objects.get(pk=row.pk).choco_title_active_order_card == "Заказ принят"


def test_mapping_page_previews_what_the_buyer_sees(admin_client, mapping):
    # when
    response = admin_client.get(reverse("admin:orders_statusmapping_change", args=[mapping("shipping").pk]))
    # then
    page = response.content.decode()
    assert "Заказ в пути" in page
    assert "Отследить заказ" in page
    assert "⏱" in page


def test_admin_index_shows_the_dashboard(admin_client, make_order, partners):
    # given
    order = make_order(order_id=115, imshop_uuid="u-1")
    Delivery.objects.filter(order=order).update(state="failed", last_error="HTTP 500: down")
    # when
    response = admin_client.get(reverse("admin:index"))
    # then
    page = response.content.decode()
    assert response.status_code == 200
    assert "Today at a glance" in page
    assert 'state__exact=failed" class="hub-alarm-figure">1</a>' in page
    assert "HTTP 500: down" in page


def test_order_page_shows_each_channels_latest_delivery(admin_client, make_order, partners):
    # given
    order = make_order(order_id=115, imshop_uuid="u-1", choco_user_id=5)
    # when
    page = admin_client.get(reverse("admin:orders_order_change", args=[order.pk])).content.decode()
    # then
    assert "Choco</span> <a" in page
    assert "Webhook · ERP</span> <a" in page
    assert page.count("queued, being sent") == 3
