"""Where a benchmark run keeps its data: a database and a broker of its own, and the processes' environment.

PostgreSQL (when DATABASE_URL names one): database `hub_<name>` on the same server, dropped and
created afresh. Otherwise SQLite at var/<name>.sqlite3, deleted first. Redis (when
CELERY_BROKER_URL names it): the same server, database `--redis-db` (7), flushed. Otherwise the
embedded SQLite broker at var/<name>-broker.sqlite3, deleted first.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit, urlunsplit

from bench.processes import ROOT

if TYPE_CHECKING:
    import psycopg

VAR = ROOT / "var"
SHOP_TOKEN = "bench-shop-token"
API_TOKEN = "bench-api-token"
IMSHOP_KEY = "bench-imshop-key"
POSTGRES_SCHEMES = ("postgres", "postgresql", "pgsql", "psql")
# Partner settings a developer's .env might carry: the benchmark talks to its fake Imshop only.
PARTNER_VARIABLES = ("CHOCO_CLIENT_ID", "CHOCO_CLIENT_SECRET", "HOROSHOP_API_URL", "HOROSHOP_LOGIN",
                     "HOROSHOP_PASSWORD", "IMSHOP_CALLBACK_TOKEN")


def free_port() -> int:
    """A TCP port free on loopback right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _with_path(url: str, path: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, path, parts.query, parts.fragment))


@dataclass
class BenchEnvironment:
    """The database, broker, ports and environment of one benchmark run."""

    name: str
    database_url: str
    broker_url: str
    web_port: int
    partner_port: int
    settings_module: str = "bench.settings"

    @classmethod
    def from_environ(cls, *, name: str, redis_db: int, settings_module: str = "bench.settings") -> BenchEnvironment:
        """Follow DATABASE_URL / CELERY_BROKER_URL of this process's environment. Raises ValueError."""
        database = os.environ.get("DATABASE_URL", "")
        scheme = urlsplit(database).scheme
        if scheme in POSTGRES_SCHEMES:
            database_url = _with_path(database, "/hub_" + name.replace("-", "_"))
        elif not database or scheme == "sqlite":
            database_url = f"sqlite:///{VAR / (name + '.sqlite3')}"
        else:
            raise ValueError(f"DATABASE_URL: only PostgreSQL and SQLite are benchmarked, not {scheme!r}")
        broker = os.environ.get("CELERY_BROKER_URL", "")
        if urlsplit(broker).scheme in ("redis", "rediss"):
            broker_url = _with_path(broker, f"/{redis_db}")
        elif not broker or broker.startswith("sqlite://"):
            broker_url = f"sqlite:///{VAR / (name + '-broker.sqlite3')}"
        else:
            raise ValueError(f"CELERY_BROKER_URL: only Redis and the SQLite broker are benchmarked: {broker!r}")
        return cls(name=name, database_url=database_url, broker_url=broker_url, web_port=free_port(),
                   partner_port=free_port(), settings_module=settings_module)

    @property
    def vendor(self) -> str:
        return "postgresql" if urlsplit(self.database_url).scheme in POSTGRES_SCHEMES else "sqlite"

    @property
    def broker(self) -> str:
        return "redis" if self.broker_url.startswith("redis") else "sqlite"

    @property
    def sqlite_path(self) -> Path:
        return VAR / f"{self.name}.sqlite3"

    @property
    def broker_path(self) -> Path:
        return VAR / f"{self.name}-broker.sqlite3"

    @property
    def log_dir(self) -> Path:
        return VAR / f"{self.name}-logs"

    def process_env(self) -> dict[str, str]:
        """The environment of every benchmark process, this one included."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(("CHOCO_", "HOROSHOP_", "IMSHOP_"))}
        env.update(dict.fromkeys(PARTNER_VARIABLES, ""))
        env.update(
            DJANGO_SETTINGS_MODULE=self.settings_module, BENCH_NAME=self.name, DATABASE_URL=self.database_url,
            CELERY_BROKER_URL=self.broker_url, SECRET_KEY="bench-secret-key-not-for-production", DEBUG="false",
            HUB_SANDBOX="false", LOG_LEVEL="WARNING", SHOP_WEBHOOK_TOKEN=SHOP_TOKEN, HUB_API_TOKEN=API_TOKEN,
            IMSHOP_STATUS_URL=f"http://127.0.0.1:{self.partner_port}/imshop/status", IMSHOP_API_KEY=IMSHOP_KEY,
            IMSHOP_SYNC_ALL_ORDERS="true", HOROSHOP_POLL_INTERVAL="0", ALLOWED_HOSTS="127.0.0.1,localhost",
            PARTNER_ALLOW_HTTP="true",  # the fake partner is plain HTTP on loopback
            # The growth benchmark sends the admin's session cookie over plain HTTP on loopback.
            SESSION_COOKIE_SECURE="false", CSRF_COOKIE_SECURE="false", PYTHONUNBUFFERED="1",
        )
        return env

    # Database ---------------------------------------------------------------------------------

    def _postgres_admin(self) -> psycopg.Connection:
        """An autocommit connection to the server's `postgres` database (CREATE/DROP DATABASE)."""
        import psycopg

        parts = urlsplit(self.database_url)
        return psycopg.connect(
            host=parts.hostname or "127.0.0.1", port=parts.port or 5432, user=unquote(parts.username or "postgres"),
            password=unquote(parts.password or "") or None, dbname="postgres", autocommit=True, connect_timeout=10,
        )

    @property
    def database_name(self) -> str:
        return urlsplit(self.database_url).path.lstrip("/")

    def database_create(self) -> None:
        """Drop the benchmark database if it exists and create it empty."""
        if self.vendor == "sqlite":
            self._sqlite_delete()
            VAR.mkdir(exist_ok=True)
            return
        with self._postgres_admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.database_name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{self.database_name}"')

    def database_drop(self) -> None:
        """Remove the benchmark database. Idempotent."""
        if self.vendor == "sqlite":
            self._sqlite_delete()
            return
        with self._postgres_admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.database_name}" WITH (FORCE)')

    def _sqlite_delete(self) -> None:
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{self.sqlite_path}{suffix}").unlink(missing_ok=True)

    # Broker -----------------------------------------------------------------------------------

    def broker_reset(self) -> None:
        """Empty the benchmark's broker: FLUSHDB of its Redis database, or no SQLite file."""
        if self.broker == "redis":
            import redis

            client = redis.Redis.from_url(self.broker_url, socket_timeout=10)
            try:
                client.flushdb()
            finally:
                client.close()
            return
        VAR.mkdir(exist_ok=True)
        self._broker_file_delete()

    def broker_remove(self) -> None:
        if self.broker == "redis":
            self.broker_reset()
        else:
            self._broker_file_delete()

    def _broker_file_delete(self) -> None:
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{self.broker_path}{suffix}").unlink(missing_ok=True)
