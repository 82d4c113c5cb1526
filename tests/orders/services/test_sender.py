"""Deliveries claimed together go out side by side, and every guarantee of sending one at a time still holds.

These tests commit (the sending threads have connections of their own and must see the rows), and
talk to an Imshop stand-in that handles requests side by side (`imshop_answering`).
"""

from __future__ import annotations

import contextlib
import threading
import time
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from orders.models import Delivery, DeliveryAttempt, StatusChange
from orders.services import claims
from orders.services.dispatch import deliveries_send, delivery_send, delivery_sender_make, sender_send
from orders.services.status import order_change_status
from tests.concurrency import run_together
from tests.partners import CHOCO_STATUS
from tests.worker import wait_for

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def no_broker(monkeypatch):
    """Nothing goes on the queue: only the test's own calls send."""
    monkeypatch.setattr("orders.services.outbox.deliveries_enqueue", lambda delivery_ids: None)


def imshop_deliveries(make_order, count: int) -> list[int]:
    return [make_order(order_id=500 + n, imshop_uuid=f"u-{n}").deliveries.get().pk for n in range(count)]


def states(ids: list[int]) -> dict[int, str]:
    return dict(Delivery.objects.filter(pk__in=ids).values_list("pk", "state"))


def test_the_requests_of_a_chunk_are_in_flight_together_each_with_its_own_attempt(
    no_broker, make_order, imshop_answering
):
    # given: Imshop takes 0.4 s to answer
    imshop_answering.delay = 0.4
    ids = imshop_deliveries(make_order, 6)
    # when
    began = time.monotonic()
    left = deliveries_send(delivery_ids=ids, task_id="task-1")
    took = time.monotonic() - began
    # then: all six were in Imshop's hands at once, so the chunk took about one answer's time
    assert left == []
    assert imshop_answering.peak == 6
    assert took < 1.2
    assert set(states(ids).values()) == {"delivered"}
    attempts = list(DeliveryAttempt.objects.filter(delivery_id__in=ids).values_list("delivery_id", "outcome",
                                                                                      "task_id", "response_status"))
    assert sorted(attempts) == [(pk, "delivered", "task-1", 200) for pk in ids]


def test_deliveries_recorded_together_keep_the_moment_each_was_answered(no_broker, make_order, imshop_answering):
    # given: Imshop answers one order at once and the other after 0.4 s
    ids = imshop_deliveries(make_order, 2)
    imshop_answering.delays["501"] = 0.4
    # when: both are sent together, and recorded together
    deliveries_send(delivery_ids=ids)
    # then
    quick, slow = (Delivery.objects.get(pk=pk).delivered_at for pk in ids)
    assert quick is not None
    assert slow is not None
    assert 0.3 < (slow - quick).total_seconds() < 1


def test_a_request_that_hangs_does_not_hold_back_recording_the_others(
    no_broker, make_order, imshop_answering, settings
):
    # given: Imshop answers two orders at once and holds the third past the hub's read time-out
    settings.PARTNER_READ_TIMEOUT = 3
    ids = imshop_deliveries(make_order, 3)
    imshop_answering.delays["502"] = 10
    def send() -> None:
        try:
            deliveries_send(delivery_ids=ids)
        finally:
            connection.close()  # this thread's own

    sending = threading.Thread(target=send)
    # when
    began = time.monotonic()
    sending.start()
    try:
        # then: the two answered are recorded long before the third times out
        wait_for(lambda: list(states(ids).values()).count("delivered") == 2, timeout=2.5,
                 what="the two answered deliveries to be recorded")
        assert time.monotonic() - began < settings.PARTNER_READ_TIMEOUT
        assert states(ids)[ids[2]] == "sending"
        # and the third is recorded as a time-out once the hub stops waiting
        sending.join(timeout=10)
    finally:
        imshop_answering.release.set()
        sending.join(timeout=10)
    third = Delivery.objects.get(pk=ids[2])
    assert (third.state, third.attempt_log.get().outcome) == ("pending", "retry")
    assert third.last_error.startswith("Time-out")


def two_statuses_due(make_order, mapping, *, order_id: int) -> tuple[Delivery, Delivery]:
    """An order whose first status failed once while in flight and a newer status came meanwhile: both due."""
    order = make_order(order_id=order_id, imshop_uuid=f"u-{order_id}")
    older = order.deliveries.get()
    Delivery.objects.filter(pk=older.pk).update(state="sending", lease_until=timezone.now() + timedelta(minutes=1))
    order_change_status(order_id=order.pk, to_status=mapping("processing"), source=StatusChange.Source.API)
    newer = order.deliveries.filter(channel="imshop").latest("id")
    Delivery.objects.filter(pk=older.pk).update(state="pending", attempts=1, lease_until=None,
                                                next_attempt_at=timezone.now())
    return older, newer


def test_newest_wins_when_both_statuses_of_an_order_are_sent_together(no_broker, make_order, imshop_answering,
                                                                       mapping):
    # given: the order's first status failed once while it was in flight, and a newer status came meanwhile
    imshop_answering.delay = 0.3
    older, newer = two_statuses_due(make_order, mapping, order_id=900)
    # when: two tasks send them at the same moment (claimed together, or one after the other)
    run_together(lambda: delivery_send(delivery_id=older.pk), lambda: delivery_send(delivery_id=newer.pk))
    Delivery.objects.filter(pk__in=[older.pk, newer.pk], state="pending").update(next_attempt_at=timezone.now())
    run_together(lambda: delivery_send(delivery_id=older.pk), lambda: delivery_send(delivery_id=newer.pk))
    # then: never both at Imshop at once, and the newer status is what Imshop heard last (the older went
    # first, or not at all once the newer was delivered)
    assert not imshop_answering.overlapping("900")
    assert [code for order_id, code in imshop_answering.codes if order_id == "900"][-1] == "processing"
    assert states([newer.pk])[newer.pk] == "delivered"
    assert states([older.pk])[older.pk] in ("delivered", "superseded")


def test_newest_wins_when_two_workers_claim_both_statuses_at_once(no_broker, make_order, imshop_answering,
                                                                   mapping, monkeypatch):
    # given: both statuses of an order are due, and two worker processes each read one of them at
    # the same moment (each waits a little for the other after reading, as a busy machine might)
    imshop_answering.delay = 0.3
    older, newer = two_statuses_due(make_order, mapping, order_id=901)
    both_read = threading.Barrier(2)
    claim_view = claims._claim_view

    def read_then_linger(ids, now):
        rows = claim_view(ids, now)
        with contextlib.suppress(threading.BrokenBarrierError):
            both_read.wait(timeout=1)
        return rows

    monkeypatch.setattr(claims, "_claim_view", read_then_linger)
    first, second = delivery_sender_make(threads=2), delivery_sender_make(threads=2)
    # when
    try:
        run_together(lambda: first.send([older.pk]), lambda: second.send([newer.pk]))
    finally:
        first.shutdown()
        second.shutdown()
    # then: the two were never at Imshop together
    assert not imshop_answering.overlapping("901")
    assert len(imshop_answering.codes) == 1


def test_tasks_sending_at_the_same_moment_are_claimed_together(no_broker, make_order, imshop_answering,
                                                                monkeypatch):
    # given: eight tasks, each with its delivery; the first claim takes a while, as under load
    ids = imshop_deliveries(make_order, 8)
    claim_sizes: list[int] = []
    update_returning = claims._update_returning

    def slow_first(ids: list[int], **kwargs):
        claim_sizes.append(len(ids))
        if len(claim_sizes) == 1:
            time.sleep(0.3)
        return update_returning(ids, **kwargs)

    monkeypatch.setattr(claims, "_update_returning", slow_first)
    # when
    run_together(*[lambda pk=pk: delivery_send(delivery_id=pk) for pk in ids])
    # then: the seven that came while the first was being claimed were claimed in one statement
    assert claim_sizes == [1, 7]
    assert set(states(ids).values()) == {"delivered"}
    assert sorted(imshop_answering.received()) == [str(500 + n) for n in range(8)]


def test_caps_are_honoured_across_two_workers(no_broker, make_order, imshop_answering, settings):
    # given: two worker processes' senders, Imshop capped at two requests in flight, and slow
    settings.CHANNEL_LIMITS = {"imshop": {"max_in_flight": 2, "per_minute": 0}}
    imshop_answering.delay = 0.2
    ids = imshop_deliveries(make_order, 8)
    first, second = delivery_sender_make(threads=4), delivery_sender_make(threads=4)
    # when: both try to send everything at once
    try:
        run_together(lambda: sender_send(first, ids), lambda: sender_send(second, ids))
    finally:
        first.shutdown()
        second.shutdown()
    # then: never more than two at Imshop at once, each order once, and the rows over the cap
    # went as places freed, without waiting for the sweeper
    assert imshop_answering.peak == 2
    assert set(states(ids).values()) == {"delivered"}
    assert sorted(imshop_answering.received()) == [str(500 + n) for n in range(8)]


def test_rows_held_over_the_cap_past_the_hold_are_left_to_the_sweeper(no_broker, make_order, imshop_answering,
                                                                     settings):
    # given: the cap is taken by another worker's request, which does not end
    settings.CHANNEL_LIMITS = {"imshop": {"max_in_flight": 1, "per_minute": 0}}
    settings.DELIVERY_CAP_HOLD = 0.3
    busy, waiting = imshop_deliveries(make_order, 2)
    Delivery.objects.filter(pk=busy).update(state="sending", lease_until=timezone.now() + timedelta(minutes=1))
    # when
    began = time.monotonic()
    sent = delivery_send(delivery_id=waiting)
    # then: it waited its hold, then was left for the sweeper, due in a moment
    row = Delivery.objects.get(pk=waiting)
    assert sent is None
    assert 0.3 <= time.monotonic() - began < 2
    assert (row.state, row.attempts, row.enqueued_at) == ("pending", 0, None)
    assert row.next_attempt_at is not None
    assert row.next_attempt_at < timezone.now() + timedelta(seconds=5)
    assert imshop_answering.received() == []


@pytest.mark.postgres
def test_two_workers_never_send_one_delivery_twice(no_broker, make_order, imshop_answering):
    # given: every delivery is in the hands of two worker processes at once, twice over
    imshop_answering.delay = 0.05
    ids = imshop_deliveries(make_order, 12)
    first, second = delivery_sender_make(threads=8), delivery_sender_make(threads=8)
    # when
    try:
        run_together(lambda: first.send(ids), lambda: second.send(ids), lambda: first.send(ids[::-1]),
                     lambda: second.send(ids[::-1]))
    finally:
        first.shutdown()
        second.shutdown()
    # then
    assert sorted(imshop_answering.received()) == [str(500 + n) for n in range(12)]
    assert DeliveryAttempt.objects.filter(delivery_id__in=ids).count() == 12
    assert set(states(ids).values()) == {"delivered"}


@pytest.mark.postgres
def test_a_sending_thread_leaves_no_database_connection_open(no_broker, make_order, partners):
    # given: Choco's and the status subscription's deliveries (both read the database on the sending
    # thread: Choco its token, the subscription its endpoint)
    ids = [pk for n in range(4)
           for pk in make_order(order_id=700 + n, choco_user_id=70 + n).deliveries.values_list("pk", flat=True)]

    def backends() -> int:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()")
            return cursor.fetchone()[0]

    before = backends()
    # when
    deliveries_send(delivery_ids=ids)
    # then
    assert len(partners.requests_to(CHOCO_STATUS)) == 4
    assert len(partners.events_received()) == 4
    assert backends() == before
