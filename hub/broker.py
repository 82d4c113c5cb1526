"""The embedded Celery broker: a queue in a SQLite file, safe for the web, the worker and beat at once.

`CELERY_BROKER_URL=sqlite:///var/broker.sqlite3` selects it (hub.celery registers the scheme). It
is kombu's SQLAlchemy transport with four changes that make it last for days on one machine:

- a message is taken and deleted in one `BEGIN IMMEDIATE` transaction, so two readers never get
  the same message and a reader never sees half of one (SQLite writes a row atomically); kombu's
  own transport keeps every delivered message as an invisible row, which grows without end;
- an empty queue is seen with a plain read, so an idle worker does not take the write lock ten
  times a second;
- WAL and a busy timeout, so a publisher waits for the lock instead of failing;
- one engine per process (a forked pool child never uses its parent's SQLite connections), and
  a queue or table created by two processes at once is not an error.

Unacknowledged messages live in the worker's memory, as with every kombu virtual transport: a
worker killed with SIGKILL loses the tasks it held, and the sweeper queues their deliveries again
after DELIVERY_REQUEUE_AFTER (the schedule is in the database, not in the broker).
"""

from __future__ import annotations

import json
import logging
import os
import threading
from queue import Empty
from typing import Any

from kombu.transport import TRANSPORT_ALIASES
from kombu.transport import sqlalchemy as kombu_sqla
from kombu.transport.sqlalchemy.models import metadata as kombu_metadata
from kombu.utils.encoding import bytes_to_str
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

BUSY_TIMEOUT_SECONDS = 30.0
logger = logging.getLogger(__name__)

_engines: dict[tuple[int, str], tuple[Engine, sessionmaker]] = {}
_engines_lock = threading.Lock()


def _sqlite_engine(url: str, *, busy_timeout: float) -> Engine:
    engine = create_engine(url, connect_args={"timeout": busy_timeout})

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: Any, connection_record: Any) -> None:  # noqa: ARG001
        cursor = dbapi_connection.cursor()
        try:
            # WAL: readers never wait for the writer. NORMAL: a power cut may lose the last
            # messages, never corrupt the file; the sweeper queues lost deliveries again.
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        finally:
            cursor.close()

    return engine


class Channel(kombu_sqla.Channel):
    """kombu's SQLAlchemy channel, made safe for several processes sharing one SQLite file."""

    _session_pid: int | None = None

    def __init__(self, connection: Any, **kwargs: Any) -> None:
        super().__init__(connection, **kwargs)
        # Opening a channel proves the file answers (the health check opens one).
        self.session.execute(text("SELECT 1"))
        self.session.commit()

    def _open(self) -> tuple[Engine, sessionmaker]:
        client = self.connection.client
        assert client is not None, "a channel is opened on a connection"
        url = client.hostname
        assert url is not None, "the broker URL names the SQLite file"
        key = (os.getpid(), url)
        with _engines_lock:
            if key not in _engines:
                options = client.transport_options or {}
                engine = _sqlite_engine(url, busy_timeout=float(options.get("busy_timeout", BUSY_TIMEOUT_SECONDS)))
                _tables_ensure(engine)
                _engines[key] = (engine, sessionmaker(bind=engine))
            return _engines[key]

    @property
    def session(self) -> Session:
        if self._session is None or self._session_pid != os.getpid():
            _, session_factory = self._open()
            self._session = session_factory()
            self._session_pid = os.getpid()
        return self._session

    def _get_or_create(self, queue: str) -> Any:
        query = self.session.query(self.queue_cls).filter(self.queue_cls.name == queue)
        found = query.first()
        if found is not None:
            return found
        self.session.add(self.queue_cls(queue))
        try:
            self.session.commit()
        except IntegrityError:
            # Another process created it a moment ago.
            self.session.rollback()
        return query.one()

    def _get(self, queue: str, timeout: float | None = None) -> dict:
        """Take the queue's oldest message, or raise Empty. Never blocks, so `timeout` is not needed."""
        queue_id = self._get_or_create(queue).id
        table = self.message_cls.__table__
        session = self.session
        session.commit()  # end any transaction the queue lookup opened, then peek without a lock
        peek = text(f"SELECT 1 FROM {table.name} WHERE queue_id = :queue LIMIT 1")  # noqa: S608 - our table name
        if session.execute(peek, {"queue": queue_id}).first() is None:
            session.commit()
            raise Empty()
        session.execute(text("BEGIN IMMEDIATE"))
        try:
            row = session.execute(
                text(f"SELECT id, payload FROM {table.name} WHERE queue_id = :queue ORDER BY id LIMIT 1"),  # noqa: S608
                {"queue": queue_id},
            ).first()
            if row is None:
                raise Empty()
            session.execute(text(f"DELETE FROM {table.name} WHERE id = :id"), {"id": row.id})  # noqa: S608
        except BaseException:
            session.rollback()
            raise
        session.commit()
        try:
            return json.loads(bytes_to_str(row.payload))
        except ValueError:
            # Never written by this transport; dropped rather than read again forever.
            logger.error("Broker message %s in queue %s is not JSON; dropped", row.id, queue)
            raise Empty() from None

    def _size(self, queue: str) -> int:
        return self.session.query(self.message_cls).filter(
            self.message_cls.queue_id == self._get_or_create(queue).id).count()

    def _purge(self, queue: str) -> int:
        query = self.session.query(self.message_cls).filter(
            self.message_cls.queue_id == self._get_or_create(queue).id)
        count = query.delete(synchronize_session=False)
        self.session.commit()
        return count


def _tables_ensure(engine: Engine) -> None:
    """Create the queue tables; the web, the worker and beat may all try at the same moment."""
    for _ in range(5):
        try:
            kombu_metadata.create_all(engine)
            return
        except OperationalError as exc:
            if "already exists" not in str(exc):
                raise
    kombu_metadata.create_all(engine)


class Transport(kombu_sqla.Transport):
    """The transport behind `sqlite://` broker URLs."""

    Channel = Channel
    # One worker polls its queue this often when it is empty; a read without a lock.
    polling_interval = 0.1


def transport_register() -> None:
    """Make `sqlite://...` broker URLs mean this transport (kombu has no `sqlite` scheme of its own)."""
    TRANSPORT_ALIASES.setdefault("sqlite", "hub.broker:Transport")
