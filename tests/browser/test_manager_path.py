"""A manager's path through the admin in a real browser (Debian's Chromium driven by Playwright)."""

import shutil

import pytest

from integrations.models import Delivery
from orders.models import Order, StatusMapping

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (apt-get install chromium)"),
]


@pytest.fixture
def browser_page(monkeypatch):
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop on this thread; the test's own ORM calls are still
    # plain synchronous code, which Django would otherwise refuse next to a running loop.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        page = browser.new_page(locale="en-US")
        page.set_default_timeout(15000)
        try:
            yield page
        finally:
            browser.close()


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
