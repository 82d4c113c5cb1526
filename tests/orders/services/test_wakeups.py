"""Delivery wake-ups on PostgreSQL: a request names its deliveries in a pg_notify, one worker relays them."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import psycopg
import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from orders.models import Delivery, Order
from orders.relay import WakeupRelay, relay_conninfo
from orders.services import outbox
from orders.services.wakeups import WAKEUP_CHANNEL, deliveries_announce, wakeup_ids
from tests.conftest import webhook_url

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only: pg_notify"),
]


def wait_for(check: Callable[[], bool], timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.02)
    return check()


@pytest.fixture
def listener() -> Iterator[psycopg.Connection[Any]]:
    """A connection of its own listening on the wake-up channel, as the relay's does."""
    with psycopg.connect(**{**relay_conninfo(), "application_name": "test-listener"}) as conn:
        conn.execute(f"LISTEN {WAKEUP_CHANNEL}")
        yield conn


def heard(conn: psycopg.Connection[Any], timeout: float = 0.5) -> list[int]:
    return [pk for notify in conn.notifies(timeout=timeout) for pk in wakeup_ids(notify.payload)]


@pytest.fixture
def queued(monkeypatch) -> list[list[int]]:
    """What the relay hands to `deliveries_enqueue`, batch by batch (the broker is not what is tested)."""
    batches: list[list[int]] = []
    monkeypatch.setattr("orders.relay.deliveries_enqueue", lambda ids: batches.append(list(ids)))
    return batches


@pytest.fixture
def relays(monkeypatch) -> Iterator[Callable[[], WakeupRelay]]:
    """Relays started by the test, stopped before any patch of the test is undone."""
    started: list[WakeupRelay] = []

    def start() -> WakeupRelay:
        relay = WakeupRelay(retry_seconds=0.1)
        relay.start()
        started.append(relay)
        return relay

    yield start
    for relay in started:
        relay.stop()


def test_a_webhook_queues_no_task_itself_and_names_its_deliveries_once_it_commits(
        settings, api_client, shop_payload, default_mappings, partners, listener, monkeypatch):
    settings.DELIVERY_WAKEUP = "notify"
    published: list[str] = []
    monkeypatch.setattr("orders.services.outbox.task_publish", lambda name, *args, what: published.append(name))

    linked = {**shop_payload, "choco_user_id": 1234567, "imshop_uuid": "cfe64e76"}
    with CaptureQueriesContext(connection) as statements:
        response = api_client.put(webhook_url(), linked, format="json")

    assert response.status_code == 200, response.content
    deliveries = set(Delivery.objects.values_list("pk", flat=True))
    assert len(deliveries) >= 2, "Choco, Imshop and the subscriber hear of it"
    assert set(heard(listener)) == deliveries
    assert published == []
    # The deliveries' one INSERT names them: no statement of its own.
    delivery_inserts = [q["sql"] for q in statements.captured_queries if '"integrations_delivery"' in q["sql"]
                        and "INSERT" in q["sql"]]
    assert len(delivery_inserts) == 1
    assert "pg_notify" in delivery_inserts[0]
    assert not [q for q in statements.captured_queries if q["sql"].startswith("SELECT pg_notify")]


def test_the_publish_setting_keeps_the_request_queueing_its_task(
        settings, api_client, shop_payload, default_mappings, partners, listener, monkeypatch):
    settings.DELIVERY_WAKEUP = "publish"
    published: list[Any] = []
    monkeypatch.setattr("orders.services.outbox.task_publish", lambda name, *args, what: published.append(args))

    api_client.put(webhook_url(), shop_payload, format="json")

    assert heard(listener) == []
    assert sorted(pk for args in published for pk in ([args[0]] if isinstance(args[0], int) else args[0])) == sorted(
        Delivery.objects.values_list("pk", flat=True))


def _announce_and_fail(ids: list[int]) -> None:
    with transaction.atomic():
        deliveries_announce(ids)
        raise RuntimeError("refused")


def test_a_rolled_back_transaction_wakes_nobody(listener):
    with pytest.raises(RuntimeError):
        _announce_and_fail([41, 42])
    with transaction.atomic():
        deliveries_announce([43])
    assert heard(listener) == [43]


def test_a_large_batch_is_split_under_postgresql_s_payload_limit(listener):
    ids = list(range(10**12, 10**12 + 1200))  # 13 digits each: one payload would pass 8000 bytes
    with transaction.atomic():
        deliveries_announce(ids)
    assert heard(listener) == ids


def test_the_relay_queues_one_task_per_change_as_the_request_would_have(relays, queued):
    relay = relays()
    assert relay.relaying.wait(10)
    with transaction.atomic():  # a change with three partners, and another with one
        deliveries_announce([101, 102, 103])
        deliveries_announce([104])
        deliveries_announce([104, 105])  # a row named twice in what is heard together is queued once

    assert wait_for(lambda: queued == [[101, 102, 103], [104], [105]]), queued


def test_the_relay_ignores_a_notification_that_is_not_its_own_and_goes_on(relays, queued):
    relay = relays()
    assert relay.relaying.wait(10)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_notify(%s, %s)", [WAKEUP_CHANNEL, "hello, world"])
        cursor.execute("SELECT pg_notify(%s, %s)", [WAKEUP_CHANNEL, "²"])  # a digit to isdigit(), not to int()
        cursor.execute("SELECT pg_notify(%s, %s)", [WAKEUP_CHANNEL, "7"])
    assert wait_for(lambda: queued == [[7]]), queued


def test_one_worker_relays_and_another_takes_over_when_it_stops(relays, queued):
    first = relays()
    assert first.relaying.wait(10)
    second = relays()
    time.sleep(0.5)
    assert not second.relaying.is_set(), "two relays at once would queue every delivery twice"

    first.stop()
    assert second.relaying.wait(10)
    with transaction.atomic():
        deliveries_announce([5])
    assert wait_for(lambda: [5] in queued), queued


def test_a_relay_whose_connection_is_killed_relays_again(relays, queued):
    relay = relays()
    assert relay.relaying.wait(10)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                       "WHERE application_name = 'hub-wakeup-relay' AND datname = current_database()")
        assert cursor.fetchone() is not None
    assert wait_for(lambda: relay.takeovers == 2 and relay.relaying.is_set())
    with transaction.atomic():
        deliveries_announce([9])
    assert wait_for(lambda: [9] in queued), queued


def test_deliveries_announced_while_nobody_listened_are_queued_when_a_relay_starts(
        make_order, partners, relays, monkeypatch):
    order = make_order()
    made = Delivery.objects.filter(order=order)
    assert made.exists()
    Delivery.objects.filter(order=order).update(enqueued_at=timezone.now())  # announced, never heard
    swept: list[list[int]] = []
    monkeypatch.setattr("orders.services.sweeper.deliveries_enqueue_batch", lambda ids: swept.append(list(ids)))

    relay = relays()

    assert relay.relaying.wait(10)
    assert wait_for(lambda: sorted(pk for batch in swept for pk in batch) == sorted(made.values_list("pk", flat=True)))
    assert Order.objects.count() == 1


def test_the_relay_starts_in_a_worker_only_when_notify_is_chosen(settings, monkeypatch):
    from orders import tasks

    started: list[bool] = []
    monkeypatch.setattr(tasks, "relay_start", lambda: started.append(True))
    settings.DELIVERY_WAKEUP = "publish"
    tasks._wakeup_relay_start()
    settings.DELIVERY_WAKEUP = "notify"
    tasks._wakeup_relay_start()
    assert started == [True]


def test_outbox_announces_through_the_wakeup_module():
    # The request path names the module's function: a rename cannot leave it publishing silently.
    assert outbox.deliveries_announce is deliveries_announce


def test_metrics_say_whether_a_worker_listens_for_new_deliveries(client, settings, relays):
    settings.DELIVERY_WAKEUP, settings.DEBUG = "notify", True  # /metrics answers loopback under DEBUG

    def relay_gauge() -> str:
        lines = client.get("/metrics").content.decode().splitlines()
        return next(line for line in lines if line.startswith("hub_delivery_wakeup_relay "))

    assert relay_gauge() == "hub_delivery_wakeup_relay 0.0"
    relay = relays()
    assert relay.relaying.wait(10)
    assert relay_gauge() == "hub_delivery_wakeup_relay 1.0"
    relay.stop()
    assert wait_for(lambda: relay_gauge() == "hub_delivery_wakeup_relay 0.0")


def test_the_listening_connection_takes_the_database_url_s_own_options(monkeypatch):
    # DATABASE_URL=postgres://...?connect_timeout=5 puts it among Django's connection options.
    monkeypatch.setitem(connection.settings_dict.setdefault("OPTIONS", {}), "connect_timeout", 5)
    info = relay_conninfo()
    assert info["connect_timeout"] == 5
    with psycopg.connect(**info) as conn:
        assert conn.execute("SELECT current_setting('application_name')").fetchone() == ("hub-wakeup-relay",)


def test_delivery_listen_url_names_the_listening_connection(settings, relays, queued):
    db = connection.settings_dict
    settings.DELIVERY_LISTEN_URL = (f"postgresql://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
                                    f"/{db['NAME']}?application_name=hub-relay-direct")
    relay = relays()
    assert relay.relaying.wait(10)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'hub-relay-direct' "
                       "AND query LIKE 'LISTEN%%'")
        assert cursor.fetchone() == (1,)


def test_the_catch_up_gives_up_at_once_while_the_broker_is_down(make_order, partners, relays, queued, settings):
    from tests.faults.test_broker_down import broker_unreachable

    for number in (1, 2, 3):
        make_order(order_id=number)
    Delivery.objects.update(enqueued_at=None)  # announced, never heard
    settings.DELIVERY_SWEEP_BATCH = 1  # a pass never empties the backlog
    with broker_unreachable():
        relay = relays()
        assert relay.relaying.wait(10)
        with transaction.atomic():
            deliveries_announce([77])
        # Before: each pass found the rows the failed publish had handed back, forever.
        assert wait_for(lambda: [77] in queued), "the relay never got past its catch-up"
    assert set(Delivery.objects.values_list("enqueued_at", flat=True)) == {None}  # left to the sweeper


def test_a_prefork_pool_runs_the_relay_in_its_children_not_in_the_parent(settings, monkeypatch):
    from types import SimpleNamespace

    from celery.concurrency.prefork import TaskPool
    from celery.concurrency.thread import TaskPool as ThreadPool

    from orders import tasks

    started: list[str] = []
    monkeypatch.setattr(tasks, "relay_start", lambda: started.append("started"))
    settings.DELIVERY_WAKEUP = "notify"
    tasks._wakeup_relay_start(sender=SimpleNamespace(pool=TaskPool.__new__(TaskPool)))
    assert started == []
    tasks._wakeup_relay_start_in_child()
    tasks._wakeup_relay_start(sender=SimpleNamespace(pool=ThreadPool.__new__(ThreadPool)))
    assert started == ["started", "started"]


def test_rows_inserted_through_the_orm_are_named_too(make_order, partners, listener, monkeypatch):
    from orders.services import statements

    order = make_order()
    heard(listener)  # what the order's own creation said
    template = order.deliveries.first()
    assert template is not None
    copies = [Delivery(order=order, status_change_id=template.status_change_id, channel=f"{template.channel}-{n}",
                       payload=template.payload, next_attempt_at=timezone.now()) for n in range(3)]
    monkeypatch.setattr(statements, "INSERT_MAX_ROWS", 2)  # more rows than this go through bulk_create
    with transaction.atomic():
        statements.insert(copies, notify=WAKEUP_CHANNEL)
    assert heard(listener) == [copy.pk for copy in copies]


def test_notify_is_refused_where_its_ids_could_not_be_matched():
    from orders.services.statements import insert

    with pytest.raises(ValueError, match="notify needs"):
        insert([Order(shop_order_id="1", shop_status_id=1, raw_payload={}, payload_hash="x")],
               ignore_conflicts=True, notify=WAKEUP_CHANNEL)


@pytest.mark.worker
def test_with_notify_a_webhook_reaches_every_partner_through_a_real_worker(settings, partners, shop_payload,
                                                                         default_mappings):
    from tests.partners import CHOCO_STATUS, IMSHOP_SYNC
    from tests.worker import celery_worker

    settings.DELIVERY_WAKEUP = "notify"
    linked = {**shop_payload, "choco_user_id": 1234567, "imshop_uuid": "cfe64e76"}
    with celery_worker(DELIVERY_WAKEUP="notify"):
        response = api_put(linked)
        assert response.status_code == 200, response.content
        assert wait_for(lambda: set(Delivery.objects.values_list("state", flat=True)) == {"delivered"}
                        and Delivery.objects.count() == 3, timeout=30)
    assert len(partners.requests_to(CHOCO_STATUS)) == 1
    assert len(partners.requests_to(IMSHOP_SYNC)) == 1


def api_put(payload: dict[str, Any]) -> Any:
    from rest_framework.test import APIClient

    return APIClient().put(webhook_url(), payload, format="json")


def other_database_url() -> str:
    """A URL of the same server's `postgres` database: a LISTEN there succeeds and hears none of the hub's."""
    db = connection.settings_dict
    return f"postgresql://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/postgres"


def test_a_relay_that_hears_nothing_takes_no_lock_so_the_metric_says_so(settings, relays, queued, monkeypatch,
                                                                         caplog):
    from orders.services.wakeups import wakeup_relay_listening

    # given: the listening connection points at another database (as through a pooler, or a replica)
    monkeypatch.setattr("orders.listening.LISTEN_PROBE_SECONDS", 0.3)
    settings.DELIVERY_LISTEN_URL = other_database_url()
    # when
    relay = relays()
    # then
    assert not relay.relaying.wait(2)
    assert not wakeup_relay_listening()
    assert any("ListenUnheardError" in record.getMessage() for record in caplog.records)
