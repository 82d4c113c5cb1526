"""The order page and list as a manager reads them: partners in words, Send again, history in status names."""

import pytest
from django.contrib.admin.models import LogEntry
from django.urls import reverse

from orders.models import ChannelSwitch, Delivery
from tests.orders.admin.test_order_admin import INLINES

pytestmark = pytest.mark.django_db


def _page(admin_client, order) -> str:
    return admin_client.get(reverse("admin:orders_order_change", args=[order.pk])).content.decode()


def test_a_paused_partner_is_shown_as_waiting(admin_client, make_order, partners):
    # given
    ChannelSwitch.objects.filter(channel="choco").update(paused=True)
    order = make_order(order_id=115, choco_user_id=5)
    # when
    page = _page(admin_client, order)
    # then
    assert "waiting: Choco paused since" in page


def test_an_order_in_a_status_not_set_up_says_why_nothing_was_sent(admin_client, make_order, partners):
    # given: the shop used a status nobody mapped (a placeholder that sends nothing)
    order = make_order(order_id=117, stat_status=999, choco_user_id=5)
    # when
    page = _page(admin_client, order)
    # then: the manager reads why, and where to fix it
    assert "its shop status 999 has no mapping yet" in page
    assert reverse("admin:orders_statusmapping_change", args=[order.status.pk]) in page
    assert not order.deliveries.exists()


def test_send_again_from_the_order_page(admin_client, make_order, partners):
    # given
    order = make_order(order_id=115, imshop_uuid="u-1")
    failed = order.deliveries.get(channel="imshop")
    Delivery.objects.filter(pk=failed.pk).update(state="failed", attempts=3, last_error="HTTP 500: down")
    page = _page(admin_client, order)
    # when
    response = admin_client.post(reverse("admin:orders_order_resend", args=[order.pk]), {"delivery": failed.pk},
                                 follow=True)
    # then
    assert "failed after 3 attempts: HTTP 500: down" in page
    assert f'name="delivery" value="{failed.pk}">Send again</button>' in page
    assert Delivery.objects.filter(resend_of=failed, state="pending").count() == 1
    assert "Sent again to Imshop." in [str(m) for m in response.context["messages"]]
    assert LogEntry.objects.get(object_id=str(order.pk)).get_change_message() == (
        f"Sent again to Imshop (delivery {failed.pk}).")


def test_send_again_only_for_a_delivery_of_that_order(admin_client, make_order, partners):
    # given
    order = make_order(order_id=115, imshop_uuid="u-1")
    other = make_order(order_id=116, imshop_uuid="u-2").deliveries.get(channel="imshop")
    # when
    response = admin_client.post(reverse("admin:orders_order_resend", args=[order.pk]), {"delivery": other.pk})
    # then
    assert response.status_code == 404


def test_history_reads_in_status_names(admin_client, make_order, mapping):
    # given
    order = make_order(order_id=115)
    admin_client.post(reverse("admin:orders_order_change", args=[order.pk]), {
        "new_status": mapping("processing").pk, "status_reason": "", "choco_user_id": "", "imshop_uuid": "",
        **INLINES})
    # when
    page = _page(admin_client, order)
    history = page[page.index('id="status_changes-group"'):page.index('id="deliveries-group"')]
    # then
    assert "— (order received)" in history
    assert "None" not in history
    assert "1→" not in history
    assert "Новый" in history
    assert "В обработке" in history


def test_rechoosing_the_current_status_says_nothing_changed(admin_client, make_order, mapping):
    # given
    order = make_order(order_id=115)
    # when
    response = admin_client.post(reverse("admin:orders_order_change", args=[order.pk]), {
        "new_status": mapping("new").pk, "status_reason": "", "choco_user_id": "", "imshop_uuid": "",
        **INLINES}, follow=True)
    # then
    messages = [str(m) for m in response.context["messages"]]
    assert messages == ["The order is already Новый: nothing changed."]
    assert order.status_changes.count() == 1


def test_final_status_refusal_says_to_change_it_in_horoshop(admin_client, make_order, mapping):
    # given
    order = make_order(order_id=115, stat_status=3)
    # when
    response = admin_client.post(reverse("admin:orders_order_change", args=[order.pk]), {
        "new_status": mapping("processing").pk, "status_reason": "", "choco_user_id": "", "imshop_uuid": "",
        **INLINES})
    # then
    assert "change it in Horoshop" in response.content.decode()


def test_orders_list_filters_open_failures_and_shows_partners(admin_client, make_order, partners):
    # given: 115 failed at Imshop; 116 failed too but was resent and delivered
    failing = make_order(order_id=115, imshop_uuid="u-1")
    Delivery.objects.filter(order=failing).update(state="failed")
    mended = make_order(order_id=116, imshop_uuid="u-2")
    first = mended.deliveries.get(channel="imshop")
    Delivery.objects.filter(pk=first.pk).update(state="failed")
    Delivery.objects.create(order=mended, status_change=first.status_change, channel="imshop", state="delivered",
                            resend_of=first)
    url = reverse("admin:orders_order_changelist")
    # when
    filtered = admin_client.get(url, {"partners": "failed"})
    everything = admin_client.get(url).content.decode()
    # then
    assert [o.shop_order_id for o in filtered.context["cl"].result_list] == ["115"]
    assert "Imshop: failed" in everything
    assert "Imshop: delivered" in everything


def test_orders_export_keeps_the_search(admin_client, make_order):
    # given
    make_order(order_id=115, delivery_name="Коваленко")
    make_order(order_id=116, delivery_name="Other")
    url = reverse("admin:orders_order_export") + "?q=коваленко"
    fields = ("shop_order_id", "status", "delivery_name", "delivery_phone", "delivery_email", "delivery_city",
              "total_sum", "currency", "payed", "stat_created", "created_at", "out_of_step", "choco_user_id",
              "imshop_uuid")
    # when
    response = admin_client.post(url, {"format": "0", **{f"orderresource_{n}": "on" for n in fields}})
    # then
    rows = response.content.decode("utf-8-sig").strip().splitlines()
    assert len(rows) == 2
    assert rows[1].startswith("115,Новый,Коваленко")


def test_every_admin_page_has_a_favicon(admin_client, db):
    page = admin_client.get(reverse("admin:index")).content.decode()
    assert 'rel="icon"' in page
    assert "hub/favicon.svg" in page


def test_mapping_limits_are_counted_not_cut(admin_client, mapping):
    # when
    page = admin_client.get(reverse("admin:orders_statusmapping_change", args=[mapping("new").pk])).content.decode()
    # then: no maxlength for the browser to cut with; the limit is there for the counter
    field = page[page.index('id="id_choco_title_active_order_card"') - 200:][:400]
    assert "maxlength" not in field
    assert 'data-limit="30"' in field
    assert "hub/mapping-form.js" in page
    assert "data-preview='choco_title_active_order_card'" in page
