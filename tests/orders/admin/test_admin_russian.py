"""The admin in Russian reads as written in Russian: cases, genders, plurals, and no English left over."""

import pytest
from django.urls import reverse
from django.utils import translation

from integrations.sandbox.admin import verdict
from orders.models import Delivery

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("russian")]
RU = {"HTTP_ACCEPT_LANGUAGE": "ru"}


def test_list_titles_take_the_accusative(admin_client, db):
    # when
    page = admin_client.get(reverse("admin:orders_delivery_changelist"), **RU).content.decode()
    # then
    assert "Выберите отправление для просмотра" in page
    assert "Выберите отправка" not in page


def test_a_saved_mapping_is_reported_without_a_wrong_gender(admin_client, mapping):
    # given
    from tests.conftest import change_form_data

    row = mapping("new")
    url = reverse("admin:orders_statusmapping_change", args=[row.pk])
    form = change_form_data(admin_client.get(url, **RU))
    # when
    response = admin_client.post(url, form, follow=True, **RU)
    # then
    messages = [str(m) for m in response.context["messages"]]
    assert len(messages) == 1
    assert messages[0].startswith("Изменения сохранены: соответствие статусов «<a href=")
    assert "был изменен" not in messages[0]


def test_plurals_follow_russian_rules(admin_client, make_order, mapping):
    # given
    orders = [make_order() for _ in range(2)]
    # when
    response = admin_client.post(reverse("admin:orders_order_changelist"), {
        "action": f"set_status_{mapping('shipping').pk}", "_selected_action": [o.pk for o in orders],
        "index": "0", "confirm": "yes", "reason": "r"}, follow=True, **RU)
    # then
    assert "2 заказа переведены в «Доставляется»." in [str(m) for m in response.context["messages"]]


def test_no_raw_field_label_on_the_mapping_page(admin_client, mapping):
    page = admin_client.get(reverse("admin:orders_statusmapping_change", args=[mapping("new").pk]),
                            **RU).content.decode()
    assert "Код статуса Choco" in page
    assert "Choco external_status" not in page


def test_sandbox_verdicts_are_translated():
    with translation.override("ru"):
        assert verdict("external_data[title_active_order_card]: longer than 30 characters") == (
            "external_data[title_active_order_card]: длиннее 30 символов")
        assert verdict("grant_type: required") == "grant_type: обязательно"


def test_order_page_partner_state_in_russian(admin_client, make_order, partners):
    # given
    order = make_order(order_id=115, imshop_uuid="u-1")
    Delivery.objects.filter(order=order).update(state="failed", attempts=2, last_error="HTTP 500")
    # when
    page = admin_client.get(reverse("admin:orders_order_change", args=[order.pk]), **RU).content.decode()
    # then
    assert "не удалось после 2 попыток: HTTP 500" in page
    assert "Отправить повторно" in page or "Отправить снова" in page
