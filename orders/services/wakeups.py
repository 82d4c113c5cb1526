"""Telling the workers that deliveries are waiting, on PostgreSQL without the broker.

A request that creates deliveries (a webhook, a manager's change) writes them in its transaction.
With DELIVERY_WAKEUP = "notify" (PostgreSQL only; "auto", the default, means it there) the same transaction runs a
`pg_notify` naming them (inside their INSERT, orders/services/outbox.py, or on its own here);
PostgreSQL delivers it when, and only if, the transaction commits. One worker process listens
(orders/relay.py) and queues their task. So a request does not queue its deliveries' task, and
building and sending a Celery message (about a sixth of a webhook's CPU, and one more round trip)
is paid in the worker, off the request's path. With "publish" (SQLite's only choice, and what
"auto" means there) the request queues the task itself after commit.

Either way the database holds the schedule: a wake-up nobody heard (no worker running, a
connection lost) leaves the rows to the sweeper.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.db import connections, router

from orders.models import Delivery
from orders.services.statements import hot_cursor

WAKEUP_CHANNEL = "hub_deliveries"
# pg_try_advisory_lock's key for "this connection relays the wake-ups" (orders/relay.py; any constant).
RELAY_LOCK_KEY = 0x6875625F72656C61  # "hub_rela"
# PostgreSQL refuses a payload of 8000 bytes or more: ids go out in notifications of at most this many.
WAKEUP_IDS_PER_NOTIFY = 500
NOTIFY = "SELECT pg_notify(%s, %s)"


def wakeup_by_notify() -> bool:
    """Whether deliveries are announced with pg_notify (else the request publishes their task)."""
    wakeup = settings.DELIVERY_WAKEUP
    if wakeup == "auto":  # notify wherever it can be done
        return connections[router.db_for_write(Delivery)].vendor == "postgresql"
    return wakeup == "notify"


def deliveries_announce(delivery_ids: Iterable[int]) -> None:
    """Name these deliveries to the listening worker when the current transaction commits.

    Outside a transaction the notification goes at once. Call only when `wakeup_by_notify()`.
    """
    ids = [str(pk) for pk in delivery_ids]
    db = connections[router.db_for_write(Delivery)]
    with hot_cursor(db) as cursor:
        for start in range(0, len(ids), WAKEUP_IDS_PER_NOTIFY):
            cursor.execute(NOTIFY, [WAKEUP_CHANNEL, ",".join(ids[start:start + WAKEUP_IDS_PER_NOTIFY])])


def wakeup_ids(payload: str) -> list[int]:
    """The delivery ids a notification names; a payload that is not ours names none."""
    parts = (part.strip() for part in payload.split(","))
    return [int(part) for part in parts if part.isascii() and part.isdigit()]  # not "²": int() refuses it


def wakeup_relay_listening() -> bool:
    """Whether a worker holds the relay's lock on this database, i.e. listens for the wake-ups."""
    db = connections[router.db_for_write(Delivery)]
    with db.cursor() as cursor:
        # A bigint advisory key shows in pg_locks as its high and low 32 bits.
        cursor.execute(
            "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted "
            "AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
            "AND classid::bigint = %s AND objid::bigint = %s AND objsubid = 1)",
            [RELAY_LOCK_KEY >> 32, RELAY_LOCK_KEY & 0xFFFFFFFF],
        )
        row = cursor.fetchone()
    return bool(row and row[0])
