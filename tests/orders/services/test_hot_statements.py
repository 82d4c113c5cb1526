"""The statements every webhook runs: prepared once per PostgreSQL connection, still Django's in every other way."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from orders.models import Order, StatusMapping
from orders.services.statements import insert, row_by

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only: SQLite prepares nothing"),
]

ROOT = Path(__file__).resolve().parents[3]
ORDER_INSERT = f'INSERT INTO "{Order._meta.db_table}"%'


def _order(number: str, status: int = 1) -> Order:
    return Order(shop_order_id=number, shop_status_id=status, raw_payload={"n": number}, payload_hash="x")


def _prepared(like: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s", [like])
        return cursor.fetchone()[0]


NUMBERS = [f"70{n:02}" for n in range(8)]


def test_a_hot_insert_is_prepared_once_and_still_counted_by_django():
    # when: eight orders are inserted one by one, with Django's query log on
    with CaptureQueriesContext(connection) as queries:
        for number in NUMBERS:
            insert([_order(number)])
    # then: the server holds one prepared INSERT for them; Django logged each one
    assert _prepared(ORDER_INSERT) == 1
    assert sum(1 for q in queries.captured_queries if q["sql"].startswith(f'INSERT INTO "{Order._meta.db_table}"')) == 8
    assert sorted(Order.objects.filter(shop_order_id__in=NUMBERS).values_list("raw_payload", flat=True),
                  key=str) == [{"n": number} for number in NUMBERS]


@pytest.fixture
def preparing_off():
    """A connection set up with DATABASE_PREPARED_STATEMENTS=false (no prepare threshold)."""
    connection.ensure_connection()
    raw = connection.connection
    before, raw.prepare_threshold = raw.prepare_threshold, None
    yield
    raw.prepare_threshold = before


def test_prepared_statements_can_be_turned_off(preparing_off):
    # when: the same reads and inserts run many times (PgBouncer in transaction mode, before 1.21)
    for number in NUMBERS:
        insert([_order(number)])
        assert row_by(StatusMapping, "shop_status_id", 1) is not None
    # then: nothing is prepared, and the rows are there
    assert _prepared("%") == 0
    assert Order.objects.filter(shop_order_id__in=NUMBERS).count() == len(NUMBERS)


@pytest.mark.parametrize(("value", "threshold"), [("true", 5), ("false", None)])
def test_the_setting_gives_the_connection_its_prepare_threshold(value, threshold):
    # given: PostgreSQL, and the variable as an operator sets it
    env = {**os.environ, "DATABASE_URL": "postgres://hub@127.0.0.1:5432/hub", "DATABASE_PREPARED_STATEMENTS": value,
           "DJANGO_SETTINGS_MODULE": "hub.settings", "DEBUG": "true"}
    # when: the settings are read
    result = subprocess.run([sys.executable, "-c", "from django.conf import settings; "
                             "print(settings.DATABASES['default']['OPTIONS']['prepare_threshold'])"],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=True)
    # then
    assert result.stdout.strip() == str(threshold)


def test_a_refused_hot_insert_raises_djangos_error_and_the_next_one_works():
    # given: the statement is prepared already
    for number in NUMBERS:
        insert([_order(number)])
    assert _prepared(ORDER_INSERT) == 1
    # when: a row the table refuses (a negative shop status) goes through it, in a transaction
    with pytest.raises(IntegrityError), transaction.atomic():
        insert([_order("7202", status=-1)])
    # then: the error was Django's, and the prepared statement still serves the connection
    insert([_order("7203")])
    assert list(Order.objects.filter(shop_order_id__in=["7202", "7203"]).values_list("shop_order_id", flat=True)) \
        == ["7203"]
