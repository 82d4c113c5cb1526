"""A manager's path through the admin in a real browser (Debian's Chromium driven by Playwright)."""

import pytest

from orders.models import Delivery, Order, StatusMapping
from tests.browser.conftest import BROWSER_TESTS

pytestmark = BROWSER_TESTS


@pytest.fixture
def browser_page(browser):
    page = browser.new_page(locale="en-US")
    page.set_default_timeout(15000)
    return page


def test_manager_edits_a_mapping_and_changes_an_order_status(live_server, partners, make_order, django_user_model,
                                                             browser_page):
    # given
    django_user_model.objects.create_superuser("olga", "olga@example.com", "correct horse battery")
    order = make_order(order_id=115, choco_user_id=1234567)
    page = browser_page
    # when: she logs in
    page.goto(f"{live_server.url}/admin/")
    page.fill("#id_username", "olga")
    page.fill("#id_password", "correct horse battery")
    page.click("input[type=submit]")
    page.wait_for_selector("#hub-dashboard")
    # and edits the Choco card title of "Processing"
    processing = StatusMapping.objects.get(code="processing")
    page.goto(f"{live_server.url}/admin/orders/statusmapping/{processing.pk}/change/")
    page.fill("#id_choco_title_active_order_card", "Собираем ваш заказ")
    page.click("input[name=_save]")
    page.wait_for_selector(".messagelist .success")
    # and moves the order to Processing with a reason
    page.goto(f"{live_server.url}/admin/orders/order/{order.pk}/change/")
    page.select_option("#id_new_status", str(processing.pk))
    page.fill("#id_status_reason", "Покупатель подтвердил по телефону")
    page.click("input[name=_continue]")
    page.wait_for_selector(".messagelist .success")
    # then: the history row and the new delivery are on the order's page
    history = page.inner_text("#status_changes-group")
    deliveries = page.inner_text("#deliveries-group")
    assert "Покупатель подтвердил по телефону" in history
    assert "Choco" in deliveries
    assert StatusMapping.objects.get(pk=processing.pk).choco_title_active_order_card == "Собираем ваш заказ"
    assert Order.objects.get(pk=order.pk).status == processing
    choco = Delivery.objects.filter(order=order, channel="choco").latest("id")
    assert choco.payload["external_data"]["title_active_order_card"] == "Собираем ваш заказ"
