"""The admin index: what needs a person now, and nothing that has been put right."""

import pytest
from django.urls import reverse
from django.utils import timezone

from integrations.models import PollRun
from integrations.selectors import dashboard_get
from orders.models import ChannelSwitch, Delivery

pytestmark = pytest.mark.django_db


def _fail(delivery: Delivery, error: str = "HTTP 500: down") -> None:
    Delivery.objects.filter(pk=delivery.pk).update(state="failed", last_error=error)


def test_a_failed_delivery_resent_and_delivered_no_longer_counts(make_order, partners):
    # given: Imshop failed, was resent, and the resend got through
    order = make_order(order_id=115, imshop_uuid="u-1")
    failed = order.deliveries.get(channel="imshop")
    _fail(failed)
    Delivery.objects.create(order=order, status_change=failed.status_change, channel="imshop", state="delivered",
                            delivered_at=timezone.now(), resend_of=failed, payload=failed.payload)
    # when
    dash = dashboard_get()
    # then
    assert {c.channel: c.failed for c in dash.channels}["imshop"] == 0
    assert dash.open_failures == []


def test_an_order_with_two_failed_partners_is_listed_once(make_order, partners):
    # given
    order = make_order(order_id=115, imshop_uuid="u-1", choco_user_id=5)
    for delivery in order.deliveries.all():
        _fail(delivery)
    # when
    dash = dashboard_get()
    # then
    assert [f.order.shop_order_id for f in dash.open_failures] == ["115"]
    assert sorted(dash.open_failures[0].channels) == ["Choco", "Imshop", "Webhook · ERP"]
    assert {c.channel: c.failed for c in dash.channels} == {"choco": 1, "imshop": 1, "shop": 0,
                                                            partners.subscription.channel: 1}


def test_dashboard_lists_what_needs_a_person_with_links(admin_client, make_order, partners):
    # given: a failure, an order out of step, a paused channel with a delivery waiting, failing polls
    failed = make_order(order_id=115, imshop_uuid="u-1")
    _fail(failed.deliveries.get(channel="imshop"))
    stepped = make_order(order_id=117)
    stepped.__class__.objects.filter(pk=stepped.pk).update(out_of_step=True, out_of_step_note="shop said 4")
    ChannelSwitch.objects.filter(channel="choco").update(paused=True)
    make_order(order_id=118, choco_user_id=7)
    now = timezone.now()
    PollRun.objects.create(started_at=now, ok=False, error="HTTP 401 from the shop")
    # when
    page = admin_client.get(reverse("admin:index")).content.decode()
    # then
    assert "Needs attention" in page
    assert reverse("admin:orders_order_change", args=[failed.pk]) in page
    assert "HTTP 500: down" in page
    assert f'{reverse("admin:orders_order_changelist")}?out_of_step__exact=1' in page
    choco = ChannelSwitch.objects.get(channel="choco")
    assert reverse("admin:orders_channelswitch_change", args=[choco.pk]) in page
    assert "Choco is paused: 1 delivery waits" in page
    assert "HTTP 401 from the shop" in page


def test_dashboard_is_quiet_when_nothing_needs_a_person(admin_client, make_order, partners):
    # given
    make_order(order_id=115)
    # when
    page = admin_client.get(reverse("admin:index")).content.decode()
    # then
    assert "Nothing needs you right now." in page


def test_dashboard_queries_do_not_grow_with_failures(admin_client, make_order, partners,
                                                     django_assert_max_num_queries):
    # given
    for _ in range(15):
        _fail(make_order(imshop_uuid="u").deliveries.get(channel="imshop"))
    # when / then
    with django_assert_max_num_queries(18):  # two of them list the status subscriptions and name them
        assert admin_client.get(reverse("admin:index")).status_code == 200
