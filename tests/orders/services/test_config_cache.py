"""Status mappings and subscriptions kept per process, forgotten on every change PostgreSQL tells of."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import psycopg
import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from integrations.webhooks.models import WebhookEndpoint
from integrations.webhooks.selectors import endpoint_ids_subscribed
from integrations.webhooks.services import endpoint_attempt_record
from orders.config_listener import ConfigListener, config_listener_stop, config_listener_wait
from orders.models import Delivery, Order, StatusMapping
from orders.relay import relay_conninfo
from orders.services.config_cache import config_forget, config_listening
from orders.services.intake import status_mapping_for_shop_status
from tests.conftest import webhook_url
from tests.partners import subscribe
from tests.worker import wait_for

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only: LISTEN and the triggers"),
]

STATUS = 1  # the sample order's stat_status


@pytest.fixture
def kept(settings, default_mappings) -> Iterator[ConfigListener]:
    """This process keeps mappings and subscriptions, its listener listening; stopped after the test."""
    settings.CONFIG_CACHE_SECONDS = 60
    listener = config_listener_wait()
    assert listener is not None, "the listener never listened"
    yield listener
    config_listener_stop()
    config_forget(listening=False)


def quiet(listener: ConfigListener) -> None:
    """Wait until the fixtures' own changes have been heard (each would forget what the test keeps)."""
    heard = -1
    while heard != listener.heard:
        heard = listener.heard
        time.sleep(0.3)


class Sender:
    """A new order's webhook, order number `number`; its order."""

    def __init__(self, client: Any, payload: dict[str, Any]) -> None:
        self.client, self.payload = client, payload

    def __call__(self, number: int) -> Order:
        body = {**self.payload, "order_id": number, "imshop_uuid": f"uuid-{number}"}
        response = self.client.put(webhook_url(), body, format="json")
        assert response.status_code == 200, response.content
        return Order.objects.get(shop_order_id=str(number))


@pytest.fixture
def send(api_client, shop_payload) -> Sender:
    return Sender(api_client, shop_payload)


def channels(order: Order) -> list[str]:
    return sorted(Delivery.objects.filter(order=order).values_list("channel", flat=True))


def reads_of(statements: CaptureQueriesContext, table: str) -> list[str]:
    return [q["sql"] for q in statements.captured_queries if q["sql"].startswith("SELECT") and f'"{table}"' in q["sql"]]


def heard_after(listener: ConfigListener, change: Callable[[], Any]) -> None:
    """Make `change` and wait until the listener has heard of it."""
    before = listener.heard
    change()
    wait_for(lambda: listener.heard > before, timeout=10, what="the listener to hear of the change")


def test_a_second_webhook_reads_neither_its_mapping_nor_its_subscriptions(kept, send, default_mappings, partners):
    quiet(kept)
    # given
    first = send(101)
    # when
    with CaptureQueriesContext(connection) as statements:
        second = send(102)
    # then: the same deliveries, from what the first webhook read
    assert channels(second) == channels(first)
    assert len(channels(second)) >= 2
    assert reads_of(statements, "orders_statusmapping") == []
    assert reads_of(statements, "webhooks_webhookendpoint") == []


def test_a_managers_edit_reaches_the_next_webhook(kept, send, default_mappings, partners):
    quiet(kept)
    # given
    assert channels(send(201))
    mapping = StatusMapping.objects.get(shop_status_id=STATUS)
    # when: the manager sets the status aside (it sends nothing until set up again)
    mapping.needs_setup = True
    heard_after(kept, mapping.save)
    # then
    assert channels(send(202)) == []


def test_an_edit_by_hand_in_psql_reaches_the_next_webhook(kept, send, default_mappings, partners):
    quiet(kept)
    # given
    assert channels(send(301))

    def by_hand() -> None:
        with psycopg.connect(**{**relay_conninfo(), "application_name": "test-psql"}) as conn:
            conn.execute("UPDATE orders_statusmapping SET needs_setup = true WHERE shop_status_id = %s", [STATUS])

    # when
    heard_after(kept, by_hand)
    # then
    assert channels(send(302)) == []


def test_a_new_subscription_reaches_the_next_webhook(kept, send, default_mappings, partners, httpserver):
    quiet(kept)
    # given
    before = channels(send(401))
    # when
    heard_after(kept, lambda: subscribe(httpserver.url_for("/another-subscriber"), name="Another"))
    # then: one channel more, the new subscriber's
    after = channels(send(402))
    assert len(after) == len(before) + 1


def test_while_the_listener_is_away_webhooks_read_and_an_edit_meanwhile_is_seen(kept, send, default_mappings,
                                                                               partners):
    quiet(kept)
    # given: the listener's connection is ended by the server
    assert channels(send(501))
    with psycopg.connect(**{**relay_conninfo(), "application_name": "test-admin"}) as conn:
        conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                     "WHERE application_name = 'hub-config-listener' AND datname = current_database()")
    wait_for(lambda: not config_listening(), timeout=5, what="the listener to notice its connection ended")
    # when: the mapping changes before the listener is back
    StatusMapping.objects.filter(shop_status_id=STATUS).update(needs_setup=True)
    with CaptureQueriesContext(connection) as statements:
        order = send(502)
    # then: read from the database, and the edit honoured; the listener comes back
    assert reads_of(statements, "orders_statusmapping")
    assert channels(order) == []
    wait_for(config_listening, timeout=10, what="the listener to listen again")
    assert channels(send(503)) == []


def test_a_change_nobody_heard_of_is_read_once_the_backstop_runs_out(kept, settings, default_mappings):
    quiet(kept)
    # given: the mapping is kept, and then changed with the trigger off (as through a pooler that drops LISTEN)
    settings.CONFIG_CACHE_SECONDS = 0.3
    status_mapping_for_shop_status(shop_status_id=STATUS)
    with psycopg.connect(**{**relay_conninfo(), "application_name": "test-psql"}) as conn:
        conn.execute("ALTER TABLE orders_statusmapping DISABLE TRIGGER USER")
        try:
            conn.execute("UPDATE orders_statusmapping SET name = 'Changed unheard' WHERE shop_status_id = %s", [STATUS])
        finally:
            conn.execute("ALTER TABLE orders_statusmapping ENABLE TRIGGER USER")
    assert status_mapping_for_shop_status(shop_status_id=STATUS).name != "Changed unheard"  # still the kept one
    # when
    time.sleep(0.35)
    # then
    assert status_mapping_for_shop_status(shop_status_id=STATUS).name == "Changed unheard"


def rolled_back(work: Callable[[], Any]) -> None:
    """Run `work` in a transaction that is then rolled back."""
    def run() -> None:
        with transaction.atomic():
            work()
            raise RuntimeError("rolled back")

    with pytest.raises(RuntimeError, match="rolled back"):
        run()


@pytest.mark.parametrize("in_a_savepoint", [False, True], ids=["in-the-transaction", "in-a-savepoint"])
def test_a_mapping_changed_by_a_rolled_back_transaction_and_read_by_it_is_not_kept(kept, in_a_savepoint):
    # given: the transaction renames the mapping (itself, or in a savepoint: a nested atomic block,
    # get_or_create), reads it, and rolls back; nothing committed, so no notification comes
    quiet(kept)
    original = StatusMapping.objects.get(shop_status_id=STATUS).name
    read_inside: list[str] = []

    def rename_and_read() -> None:
        with transaction.atomic(savepoint=in_a_savepoint):
            StatusMapping.objects.filter(shop_status_id=STATUS).update(name="Renamed, never committed")
        read_inside.append(status_mapping_for_shop_status(shop_status_id=STATUS).name)

    # when
    rolled_back(rename_and_read)
    # then
    assert read_inside == ["Renamed, never committed"]
    assert status_mapping_for_shop_status(shop_status_id=STATUS).name == original


def test_a_placeholder_mapping_rolled_back_is_not_kept_and_its_status_still_takes_webhooks(kept, send):
    # given: a new status's placeholder is made and read again, then its transaction rolls back
    quiet(kept)
    rolled_back(lambda: [status_mapping_for_shop_status(shop_status_id=4242) for _ in range(2)])
    assert not StatusMapping.objects.filter(shop_status_id=4242).exists()
    # when
    response = send.client.put(webhook_url(), {**send.payload, "order_id": 9001, "stat_status": 4242}, format="json")
    # then: a placeholder of its own, not the kept one that never existed
    assert response.status_code == 200, response.content
    assert StatusMapping.objects.filter(shop_status_id=4242).exists()


def test_subscriptions_changed_in_a_rolled_back_transaction_are_not_kept(kept, httpserver):
    # given: one endpoint for the chosen statuses (none yet), one for every status
    mapping = StatusMapping.objects.get(shop_status_id=STATUS)
    chosen = subscribe(httpserver.url_for("/chosen"), name="Chosen", all_statuses=False)
    every = subscribe(httpserver.url_for("/every"), name="Every")
    quiet(kept)

    def subscribe_one_and_switch_the_other_off() -> None:
        chosen.statuses.add(mapping)
        WebhookEndpoint.objects.filter(pk=every.pk).update(enabled=False)
        assert endpoint_ids_subscribed(mapping=mapping) == [chosen.pk]

    # when
    rolled_back(subscribe_one_and_switch_the_other_off)
    # then
    assert endpoint_ids_subscribed(mapping=mapping) == [every.pk]


def test_an_endpoints_attempts_tell_no_process_to_forget(kept, httpserver):
    # given: an endpoint that is failing already
    endpoint = subscribe(httpserver.url_for("/down"), name="Down")
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(failing_since=timezone.now())
    quiet(kept)
    before = kept.heard
    # when: three more failed attempts, and one that succeeds
    for ok in (False, False, False, True):
        endpoint_attempt_record(endpoint_id=endpoint.pk, ok=ok, at=timezone.now())
    time.sleep(0.5)
    # then: its health changed, nothing that is kept did
    assert kept.heard == before


def test_a_listener_that_hears_nothing_keeps_nothing(settings, default_mappings, monkeypatch):
    from tests.orders.services.test_wakeups import other_database_url

    # given: the listening connection points at another database, where no change is ever heard
    monkeypatch.setattr("orders.listening.LISTEN_PROBE_SECONDS", 0.3)
    settings.CONFIG_CACHE_SECONDS, settings.DELIVERY_LISTEN_URL = 60, other_database_url()
    try:
        # when
        listening = config_listener_wait(timeout=2)
        with CaptureQueriesContext(connection) as statements:
            for _ in range(2):
                status_mapping_for_shop_status(shop_status_id=STATUS)
    finally:
        config_listener_stop()
        config_forget(listening=False)
    # then: never taken as listening, so every read goes to the database
    assert listening is None
    assert len(reads_of(statements, "orders_statusmapping")) == 2
