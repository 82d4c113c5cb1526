"""A manager's walk through the admin in a real browser, in English and Russian, on a laptop and a phone.

Screenshots go to var/screenshots/ (HUB_SCREENSHOTS_DIR), which CI keeps as artifacts. With
HUB_DOCS_SCREENSHOTS=1 the Russian laptop walk also retakes the README's pictures in docs/.
"""

import os
from pathlib import Path

import pytest
from django.conf import settings

from orders.models import ChannelSwitch, Delivery, StatusMapping
from tests.browser.conftest import BROWSER_TESTS

SHOTS = Path(os.environ.get("HUB_SCREENSHOTS_DIR", Path(settings.BASE_DIR) / "var" / "screenshots"))
DOCS = Path(settings.BASE_DIR) / "docs"
LAPTOP, PHONE = {"width": 1366, "height": 850}, {"width": 390, "height": 844}
WORDS = {
    "en": {"attention": "Needs attention", "delivered_today": "Delivered today", "send_again": "Send again",
           "too_long": "Ensure this value has at most 30 characters"},
    "ru": {"attention": "Требует внимания", "delivered_today": "Доставлено сегодня",
           "send_again": "Отправить повторно", "too_long": "не более 30"},
}

pytestmark = BROWSER_TESTS


def _visible_in_width(page, selector: str, width: int) -> bool:
    box = page.locator(selector).first.bounding_box()
    return box is not None and box["width"] > 0 and box["x"] + box["width"] <= width + 1


def _shot(page, name: str, *, docs: str | None = None) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
    if docs and os.environ.get("HUB_DOCS_SCREENSHOTS") == "1":
        page.screenshot(path=str(DOCS / docs), full_page=False)


@pytest.mark.parametrize("lang", ["en", "ru"])
@pytest.mark.parametrize("screen", ["laptop", "phone"])
def test_manager_walks_the_admin(live_server, partners, make_order, django_user_model, browser, lang, screen):
    # given: a failed Imshop delivery, a paused Choco, an order whose phone is written with spaces
    django_user_model.objects.create_superuser("olga", "olga@example.com", "correct horse battery")
    order = make_order(order_id=115, imshop_uuid="u-1", delivery_phone="+380 (67) 123-45-67",
                       delivery_name="Коваленко Олена")
    Delivery.objects.filter(order=order).update(state="failed", attempts=3, last_error="HTTP 500: down")
    ChannelSwitch.objects.filter(channel="choco").update(paused=True)
    make_order(order_id=116, choco_user_id=77)
    size = LAPTOP if screen == "laptop" else PHONE
    context = browser.new_context(locale=lang, viewport=size, extra_http_headers={"Accept-Language": lang})
    page = context.new_page()
    page.set_default_timeout(15000)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    words, name = WORDS[lang], f"{lang}-{screen}"
    docs = lang == "ru" and screen == "laptop"
    # when: she logs in and reads the dashboard
    page.goto(f"{live_server.url}/admin/")
    page.fill("#id_username", "olga")
    page.fill("#id_password", "correct horse battery")
    page.click("input[type=submit]")
    page.wait_for_selector("#hub-dashboard")
    # then: what needs her is first, and "Delivered today" is on screen even on a phone
    assert words["attention"] in page.inner_text("#hub-attention")
    assert "#115" in page.inner_text("#hub-attention")
    assert _visible_in_width(page, f"text={words['delivered_today']}", size["width"])
    _shot(page, f"{name}-dashboard", docs="admin-dashboard.png" if docs else None)
    # when: she searches the phone as she would type it
    page.goto(f"{live_server.url}/admin/orders/order/?q=0671234567")
    # then: one row, its status visible
    assert page.locator("#result_list tbody tr").count() == 1
    assert _visible_in_width(page, "#result_list td.field-status_badge", size["width"])
    _shot(page, f"{name}-orders")
    # when: she opens the order and sends the failed delivery again
    page.click("#result_list tbody tr th a")
    page.wait_for_selector(".hub-partners")
    _shot(page, f"{name}-order", docs="admin-order.png" if docs else None)
    page.click(f"button.hub-resend:has-text('{words['send_again']}')")
    page.wait_for_selector(".messagelist .success")
    assert Delivery.objects.filter(order=order, state="pending", resend_of__isnull=False).count() == 1
    # when: she pastes a 42-character Choco title into a mapping
    processing = StatusMapping.objects.get(code="processing")
    page.goto(f"{live_server.url}/admin/orders/statusmapping/{processing.pk}/change/")
    page.fill("#id_choco_title_active_order_card", "Собираем ваш заказ, скоро будет у курьера!")
    # then: the counter says so while she types, the preview follows, and saving is refused with a message
    assert page.inner_text("#id_choco_title_active_order_card + .hub-counter") == "42 / 30"
    assert page.locator(".hub-counter.hub-over").count() == 1
    assert "скоро будет у курьера" in page.inner_text("[data-preview=choco_title_active_order_card]")
    _shot(page, f"{name}-mapping", docs="admin-mapping.png" if docs else None)
    page.click("input[name=_save]")
    page.wait_for_selector(".errornote")
    assert words["too_long"] in page.inner_text(".field-choco_title_active_order_card")
    # when: she opens the paused Choco channel and resumes it
    page.goto(f"{live_server.url}/admin/orders/channelswitch/choco/change/")
    page.click("button.hub-resume")
    page.wait_for_selector(".messagelist .success")
    assert ChannelSwitch.objects.get(pk="choco").paused is False
    _shot(page, f"{name}-channel")
    # and nothing on the way logged an error in the console (the favicon included)
    assert errors == []
    context.close()
