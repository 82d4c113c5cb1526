"""The statements every webhook runs: prepared once per PostgreSQL connection, still Django's in every other way."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from django.db import DataError, IntegrityError, OperationalError, close_old_connections, connection, transaction
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


def _mapping() -> StatusMapping:
    """A mapping of its own: a test that commits starts from empty tables, without the seeded ones."""
    return StatusMapping.objects.get_or_create(shop_status_id=4242, defaults={"code": "t4242", "name": "Test"})[0]


def _other_connection() -> psycopg.Connection:
    """A connection of its own, as another process (an operator, a migration) would hold."""
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    return psycopg.connect(**params, autocommit=True)


@pytest.mark.django_db(transaction=True)
def test_a_connection_the_server_dropped_is_replaced_before_a_hot_statement():
    # given: a persistent connection that PostgreSQL ends (a restart, a failover, an idle timeout)
    _mapping()
    with _other_connection() as other:
        other.execute("SELECT pg_terminate_backend(%s)", [connection.connection.info.backend_pid])
    # when: the next request's first statement is a hot one
    close_old_connections()  # what Django does as a request starts
    connection.health_check_done = False  # type: ignore[attr-defined]  # ... on a connection it keeps
    mapping = row_by(StatusMapping, "shop_status_id", 4242)
    # then: it ran on a new connection
    assert mapping == _mapping()


@pytest.mark.django_db(transaction=True)
def test_a_prepared_read_fails_once_after_its_columns_are_retyped_then_works():
    # given: the mapping read is prepared on this connection
    _mapping()
    for _ in range(6):
        assert row_by(StatusMapping, "shop_status_id", 4242) is not None
    table_name = StatusMapping._meta.db_table
    with _other_connection() as other:
        other.execute(f'ALTER TABLE "{table_name}" ALTER COLUMN name TYPE varchar(150)')
    try:
        # when: requests read it again, each in its transaction (as every intake does)
        outcomes = []
        for _ in range(3):
            try:
                with transaction.atomic():
                    row_by(StatusMapping, "shop_status_id", 4242)
                outcomes.append("ok")
            except OperationalError as exc:
                outcomes.append("try again" if "cached plan must not change result type" in str(exc) else str(exc))
        # then: the first fails as a passing error (the API answers 503); its rollback drops the
        # prepared statement
        assert outcomes == ["try again", "ok", "ok"]
    finally:
        connection.close()
        with _other_connection() as other:
            other.execute(f'ALTER TABLE "{table_name}" ALTER COLUMN name TYPE varchar(100)')


def test_a_number_no_column_holds_is_djangos_data_error():
    # given: a shop user id past PostgreSQL's bigint (psycopg refuses it before sending)
    order = _order("7301")
    order.shop_user_id = 2**63
    # when / then: the error is the database's kind, which callers catch (DatabaseError)
    with pytest.raises(DataError, match="out of range"), transaction.atomic():
        insert([order])
