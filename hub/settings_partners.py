"""Partner, delivery and status-subscription settings: who the hub talks to, and how hard it may push.

The links between an order and the partner apps, each partner's address and credentials (Choco,
Imshop, the shop's Horoshop API), the sandbox partners, the delivery retry schedule and batches,
each partner's caps and rates, the outbound timeouts and limits, and the outbound webhooks.
hub/settings.py imports every name here; the README's configuration table lists them.
"""

from django.core.exceptions import ImproperlyConfigured

from hub.settings_env import DEBUG, env

# ORDER LINKS ----------------------------------------------------------------------------------
SHOP_CHOCO_USER_ID_FIELD = env.str("SHOP_CHOCO_USER_ID_FIELD", default="choco_user_id")
SHOP_IMSHOP_UUID_FIELD = env.str("SHOP_IMSHOP_UUID_FIELD", default="imshop_uuid")
# Horoshop writes `stat_created` in the shop's local time, without a zone.
SHOP_TIMEZONE = env.str("SHOP_TIMEZONE", default="Europe/Kyiv")

# PARTNERS -------------------------------------------------------------------------------------
CHOCO_API_URL = env.str("CHOCO_API_URL", default="https://gateway.choco.kz")
CHOCO_CLIENT_ID = env.str("CHOCO_CLIENT_ID", default="")
CHOCO_CLIENT_SECRET = env.str("CHOCO_CLIENT_SECRET", default="")
CHOCO_PAYLOAD_VERSION = env.int("CHOCO_PAYLOAD_VERSION", default=2)
CHOCO_BODY_FORMAT = env.str("CHOCO_BODY_FORMAT", default="form")
CHOCO_TIMEZONE = env.str("CHOCO_TIMEZONE", default="Asia/Almaty")
if CHOCO_PAYLOAD_VERSION not in (1, 2):
    raise ImproperlyConfigured("CHOCO_PAYLOAD_VERSION must be 1 or 2.")
if CHOCO_BODY_FORMAT not in ("form", "json"):
    raise ImproperlyConfigured("CHOCO_BODY_FORMAT must be 'form' or 'json'.")

IMSHOP_STATUS_URL = env.str("IMSHOP_STATUS_URL", default="")
IMSHOP_API_KEY = env.str("IMSHOP_API_KEY", default="")
IMSHOP_SYNC_ALL_ORDERS = env.bool("IMSHOP_SYNC_ALL_ORDERS", default=False)
# The Imshop statuses its cancellation callback may carry (compared without case); any other cancels nothing.
IMSHOP_CANCEL_STATUSES = env.list("IMSHOP_CANCEL_STATUSES", default=["canceled", "cancelled"])

HOROSHOP_API_URL = env.str("HOROSHOP_API_URL", default="")
HOROSHOP_LOGIN = env.str("HOROSHOP_LOGIN", default="")
HOROSHOP_PASSWORD = env.str("HOROSHOP_PASSWORD", default="")
HOROSHOP_POLL_INTERVAL = env.int("HOROSHOP_POLL_INTERVAL", default=300)
HOROSHOP_POLL_PAGE_SIZE = env.int("HOROSHOP_POLL_PAGE_SIZE", default=100)
HOROSHOP_POLL_PAGE_PAUSE = env.float("HOROSHOP_POLL_PAGE_PAUSE", default=0.5)
# Each poll re-reads orders placed since the last good poll began, minus this overlap.
HOROSHOP_POLL_OVERLAP = env.int("HOROSHOP_POLL_OVERLAP", default=600)
HOROSHOP_POLL_FIRST_WINDOW = env.int("HOROSHOP_POLL_FIRST_WINDOW", default=86400)
HOROSHOP_POLL_MAX_PAGES = env.int("HOROSHOP_POLL_MAX_PAGES", default=100)
HUB_PUBLIC_URL = env.str("HUB_PUBLIC_URL", default="")

# The sandbox partners, served under /sandbox/ (hub/settings.py installs their app only then).
HUB_SANDBOX = env.bool("HUB_SANDBOX", default=DEBUG)
# Where `make run` serves (gunicorn --bind HOST:PORT): the URLs it prints and its sandbox partners follow.
HUB_BIND = env.str("HUB_BIND", default="127.0.0.1:8000")
# The address of the last `make run`, which it writes to var/dev.env: where `make demo` goes.
HUB_DEV_URL = env.str("HUB_DEV_URL", default="")

# DELIVERY -------------------------------------------------------------------------------------
DELIVERY_RETRY_SCHEDULE = env.list(
    "DELIVERY_RETRY_SCHEDULE", cast=float, default=[10, 60, 300, 1800, 7200, 21600, 43200, 86400]
)
DELIVERY_RETRY_JITTER = env.float("DELIVERY_RETRY_JITTER", default=0.2)
# After a 429 or a time-out the partner is overloaded: never come back sooner than this.
DELIVERY_OVERLOAD_FLOOR = env.float("DELIVERY_OVERLOAD_FLOOR", default=60)
DELIVERY_RETRY_AFTER_CAP = env.float("DELIVERY_RETRY_AFTER_CAP", default=3600)
# How a request that created deliveries gets them sent (orders/services/wakeups.py): "notify"
# (PostgreSQL) names them in a pg_notify of its transaction and a worker queues their task;
# "publish" queues their task from the request after commit. "auto" (the default) is notify on
# PostgreSQL, publish on SQLite: notify takes the broker off the request, for less CPU per webhook
# and more per delivery in the worker (README, Benchmarks). Behind a PgBouncer in transaction
# mode, the listening connections need DELIVERY_LISTEN_URL straight to the server.
DELIVERY_WAKEUP = env.str("DELIVERY_WAKEUP", default="auto")
if DELIVERY_WAKEUP not in ("auto", "notify", "publish"):
    raise ImproperlyConfigured(f"DELIVERY_WAKEUP: expected auto, notify or publish, not {DELIVERY_WAKEUP!r}.")
# The server the listening connections use (orders/listening.py; default: DATABASE_URL's).
DELIVERY_LISTEN_URL = env.str("DELIVERY_LISTEN_URL", default="")
# Status mappings and subscriptions, which every webhook reads, are kept in each process while a
# LISTEN connection of its own (DELIVERY_LISTEN_URL's server) hears of every change, and never
# longer than this many seconds; 0 reads them on every webhook (orders/services/config_cache.py).
CONFIG_CACHE_SECONDS = env.float("CONFIG_CACHE_SECONDS", default=60)
# A queued delivery whose task has not run after this long is queued again (lost task).
DELIVERY_REQUEUE_AFTER = env.float("DELIVERY_REQUEUE_AFTER", default=120)
DELIVERY_SWEEP_INTERVAL = env.float("DELIVERY_SWEEP_INTERVAL", default=5)
DELIVERY_SWEEP_BATCH = env.int("DELIVERY_SWEEP_BATCH", default=500)
# Rows the sweeper queues go out this many to a task; a task stops taking new ones after the budget.
DELIVERY_SEND_BATCH = env.int("DELIVERY_SEND_BATCH", default=32)
DELIVERY_BATCH_BUDGET = env.float("DELIVERY_BATCH_BUDGET", default=45)
# The most deliveries one claim statement takes.
DELIVERY_CLAIM_MAX = env.int("DELIVERY_CLAIM_MAX", default=100)
# Each worker process sends the requests of what it claimed side by side on this many threads.
DELIVERY_SEND_THREADS = env.int("DELIVERY_SEND_THREADS", default=64)
# Answers of requests sent together are recorded together once all are in, or every this many
# seconds for those that are (a request that hangs holds back only itself).
DELIVERY_RECORD_WAVE = env.float("DELIVERY_RECORD_WAVE", default=0.5)
# A delivery over its channel's cap waits in the worker this long for a place before it is left to the sweeper.
DELIVERY_CAP_HOLD = env.float("DELIVERY_CAP_HOLD", default=2)
# Each partner's limits, honoured across every worker: requests in flight at once, and requests
# started per minute (0: no limit). PARTNER_MAX_IN_FLIGHT is the default cap of every channel.
# WEBHOOK_* are the limits of each status subscription on its own.
PARTNER_MAX_IN_FLIGHT = env.int("PARTNER_MAX_IN_FLIGHT", default=64)
CHANNEL_LIMITS = {
    channel: {
        "max_in_flight": env.int(f"{prefix}_MAX_IN_FLIGHT", default=PARTNER_MAX_IN_FLIGHT),
        "per_minute": env.int(f"{prefix}_MAX_PER_MINUTE", default=0),
    }
    for channel, prefix in (("choco", "CHOCO"), ("imshop", "IMSHOP"), ("shop", "HOROSHOP"), ("webhook", "WEBHOOK"))
}
PARTNER_CONNECT_TIMEOUT = env.float("PARTNER_CONNECT_TIMEOUT", default=3)
PARTNER_READ_TIMEOUT = env.float("PARTNER_READ_TIMEOUT", default=15)
ATTEMPT_BODY_LIMIT = env.int("ATTEMPT_BODY_LIMIT", default=8192)
# The most of a partner's answer the hub reads (a shop's orders/get page included); the rest is left unread.
PARTNER_RESPONSE_MAX_BYTES = env.int("PARTNER_RESPONSE_MAX_BYTES", default=8 * 1024 * 1024)
# Partners are reached over HTTPS only, unless DEBUG (the sandbox) or this says otherwise.
PARTNER_ALLOW_HTTP = env.bool("PARTNER_ALLOW_HTTP", default=DEBUG)

# OUTBOUND WEBHOOKS (status subscriptions managed in the admin) ------------------------------
# Endpoints on loopback, private, link-local or other internal addresses, and plain http://, are
# refused unless this is on (the sandbox subscriber lives on the hub itself).
WEBHOOK_ALLOW_PRIVATE_TARGETS = env.bool("WEBHOOK_ALLOW_PRIVATE_TARGETS", default=HUB_SANDBOX)
# An endpoint whose every attempt has failed for this long is switched off, and operators are told.
WEBHOOK_DISABLE_AFTER = env.int("WEBHOOK_DISABLE_AFTER", default=3 * 86400)
# After a secret is rotated, deliveries are signed with the old one too for this long.
WEBHOOK_SECRET_OVERLAP = env.int("WEBHOOK_SECRET_OVERLAP", default=86400)
