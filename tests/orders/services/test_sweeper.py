from datetime import timedelta

import pytest
from django.utils import timezone

from orders.models import Delivery
from orders.services.channels import channel_set_paused
from orders.services.sweeper import deliveries_sweep

pytestmark = pytest.mark.django_db


@pytest.fixture
def delivery(make_order, partners):
    return make_order(imshop_uuid="u-1").deliveries.get(channel="imshop")


def queued_ids(callbacks) -> list[int]:
    return [delivery_id for cb in callbacks if getattr(cb, "func", None)
            and cb.func.__name__ == "deliveries_enqueue_batch" for delivery_id in cb.args[0]]


def test_a_freshly_queued_delivery_is_left_to_its_task(delivery, django_capture_on_commit_callbacks):
    # when
    with django_capture_on_commit_callbacks() as callbacks:
        count = deliveries_sweep()
    # then
    assert count == 0
    assert queued_ids(callbacks) == []


def test_a_lost_task_is_queued_again(delivery, settings, django_capture_on_commit_callbacks):
    # given: queued long ago, and the broker lost the message
    Delivery.objects.filter(pk=delivery.pk).update(
        enqueued_at=timezone.now() - timedelta(seconds=settings.DELIVERY_REQUEUE_AFTER + 1))
    # when
    with django_capture_on_commit_callbacks() as callbacks:
        count = deliveries_sweep()
    # then
    assert count == 1
    assert queued_ids(callbacks) == [delivery.pk]
    delivery.refresh_from_db()
    assert delivery.enqueued_at > timezone.now() - timedelta(seconds=5)


def test_a_due_retry_is_queued(delivery, django_capture_on_commit_callbacks):
    # given
    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now(), enqueued_at=None, attempts=1)
    # when
    with django_capture_on_commit_callbacks() as callbacks:
        deliveries_sweep()
    # then
    assert queued_ids(callbacks) == [delivery.pk]


def test_a_retry_not_yet_due_waits(delivery, django_capture_on_commit_callbacks):
    # given
    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now() + timedelta(hours=12),
                                                   enqueued_at=None)
    # when
    with django_capture_on_commit_callbacks() as callbacks:
        deliveries_sweep()
    # then
    assert queued_ids(callbacks) == []


def test_a_worker_that_died_mid_send_gives_the_row_back(delivery, django_capture_on_commit_callbacks):
    # given
    Delivery.objects.filter(pk=delivery.pk).update(state="sending", lease_until=timezone.now() - timedelta(seconds=1))
    # when
    with django_capture_on_commit_callbacks() as callbacks:
        deliveries_sweep()
    # then
    delivery.refresh_from_db()
    assert delivery.state == "pending"
    assert queued_ids(callbacks) == [delivery.pk]


def test_paused_channels_are_not_swept(delivery, django_capture_on_commit_callbacks):
    # given
    channel_set_paused(channel="imshop", paused=True)
    Delivery.objects.filter(pk=delivery.pk).update(enqueued_at=None)
    # when
    with django_capture_on_commit_callbacks() as callbacks:
        deliveries_sweep()
    # then
    assert queued_ids(callbacks) == []


def test_broker_down_at_queue_time_leaves_the_row_for_the_sweeper(delivery, monkeypatch):
    # given
    from orders import tasks
    from orders.services.outbox import deliveries_enqueue

    def refuse(*args, **kwargs):
        raise ConnectionRefusedError("broker down")

    monkeypatch.setattr(tasks.delivery_send_task, "delay", refuse)
    # when
    deliveries_enqueue([delivery.pk])
    # then
    delivery.refresh_from_db()
    assert delivery.enqueued_at is None
    assert delivery.state == "pending"


def test_swept_rows_go_out_in_batches(make_order, partners, settings, django_capture_on_commit_callbacks):
    # given
    settings.DELIVERY_SEND_BATCH = 4
    ids = [pk for n in range(5) for pk in make_order(imshop_uuid=f"u-{n}").deliveries.values_list("pk", flat=True)]
    Delivery.objects.update(enqueued_at=None)
    # when
    with django_capture_on_commit_callbacks() as callbacks:
        deliveries_sweep()
    # then
    batches = [cb.args[0] for cb in callbacks if getattr(cb, "func", None)]
    assert [len(b) for b in batches] == [4, 4, 2]  # Imshop and the subscriber, five orders
    assert sorted(d for b in batches for d in b) == sorted(ids)
