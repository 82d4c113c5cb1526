"""Celery settings (CELERY_*, which hub/celery.py reads), the broker's own bounds (BROKER_*) and beat's schedule.

hub/settings.py imports every name here; the README's configuration table lists the variables.
"""

from hub.settings_env import VAR_DIR, env
from hub.settings_partners import DELIVERY_SWEEP_INTERVAL, HOROSHOP_POLL_INTERVAL, HUB_SANDBOX

# CELERY ---------------------------------------------------------------------------------------
# https://docs.celeryq.dev/en/stable/userguide/configuration.html
# Embedded default: a queue in a SQLite file (hub/broker.py), safe for the web, the worker and beat
# at once. kombu's filesystem transport is not: a reader can open a message file before its writer
# has filled it, and the worker dies on the half-written JSON.
BROKER_SQLITE_PATH = VAR_DIR / "broker.sqlite3"
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=f"sqlite:///{BROKER_SQLITE_PATH}")
# A broker that accepts connections and never answers must not hold a webhook: every connect and
# read on Redis is bounded (publish retries once), and a process that failed to publish leaves new
# work to the sweeper for BROKER_BACKOFF_SECONDS instead of waiting again.
BROKER_SOCKET_TIMEOUT = env.float("BROKER_SOCKET_TIMEOUT", default=0.4)
BROKER_BACKOFF_SECONDS = env.float("BROKER_BACKOFF_SECONDS", default=5)
# The Redis bounds are set whatever the broker: a publish may go to another URL (broker_write_url).
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_timeout": BROKER_SOCKET_TIMEOUT,
    "socket_connect_timeout": BROKER_SOCKET_TIMEOUT,
    "retry_on_timeout": False,
}
# The embedded broker (the default) or a real one (redis:// in production); not a setting itself.
embedded_broker = CELERY_BROKER_URL.startswith("sqlite://")
if embedded_broker:
    CELERY_BROKER_TRANSPORT_OPTIONS["busy_timeout"] = env.float("SQLITE_BUSY_TIMEOUT", default=30)
    # Remote control needs fanout, which a queue in a table does not offer: no pidbox queue to poll.
    CELERY_WORKER_ENABLE_REMOTE_CONTROL = False
CELERY_BROKER_CONNECTION_TIMEOUT = env.float("CELERY_BROKER_CONNECTION_TIMEOUT", default=3)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A webhook must not hang on a dead broker: publish gives up fast and the sweeper sends later.
CELERY_TASK_PUBLISH_RETRY = True
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.5}
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = env.int("CELERY_WORKER_PREFETCH_MULTIPLIER", default=4)
CELERY_TASK_TIME_LIMIT = 120
CELERY_TASK_SOFT_TIME_LIMIT = 90
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# Celery's Django fixup closes the database connection around every task unless told to reuse it.
CELERY_DB_REUSE_MAX = env.int("CELERY_DB_REUSE_MAX", default=1000)
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE = {
    "deliveries-sweep": {
        "task": "integrations.deliveries_sweep",
        "schedule": DELIVERY_SWEEP_INTERVAL,
        "options": {"expires": DELIVERY_SWEEP_INTERVAL * 2},
    },
    "deliveries-alert": {"task": "integrations.deliveries_alert", "schedule": 60, "options": {"expires": 60}},
    "retention-purge": {"task": "integrations.retention_purge", "schedule": 3600, "options": {"expires": 3600}},
}
if HUB_SANDBOX:
    CELERY_BEAT_SCHEDULE["sandbox-purge"] = {
        "task": "sandbox.requests_purge", "schedule": 3600, "options": {"expires": 3600},
    }
if HOROSHOP_POLL_INTERVAL > 0:
    CELERY_BEAT_SCHEDULE["horoshop-poll"] = {
        "task": "integrations.horoshop_poll",
        "schedule": HOROSHOP_POLL_INTERVAL,
        "options": {"expires": HOROSHOP_POLL_INTERVAL},
    }
