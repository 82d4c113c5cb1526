"""Settings for the order status hub, read only from the environment (and an optional `.env`).

Every value is typed and has a default or means "feature off". The README lists them all.
"""

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
# The real environment wins over .env: read_env only fills names that are not set yet.
env.read_env(BASE_DIR / ".env")

DEBUG = env.bool("DEBUG", default=False)
if DEBUG:
    # `make run` writes generated dev tokens and the sandbox partner addresses here.
    env.read_env(VAR_DIR / "dev.env")

DEV_SECRET_KEY = "dev-only-secret-key-never-use-in-production"
SECRET_KEY = env.str("SECRET_KEY", default=DEV_SECRET_KEY)
if not DEBUG and SECRET_KEY == DEV_SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "axes",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.humanize",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "import_export",
    "orders",
    "integrations",
    "integrations.webhooks",
    "hub.apps.HubConfig",
]

MIDDLEWARE = [
    "hub.observability.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as django-axes requires
]

ROOT_URLCONF = "hub.urls"
WSGI_APPLICATION = "hub.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# DATABASE -------------------------------------------------------------------------------------
# https://django-environ.readthedocs.io/en/latest/types.html#environ-env-db-url
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'hub.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web server, the worker and beat share one SQLite file: WAL lets readers run beside a
    # writer, IMMEDIATE takes the write lock at BEGIN (no lock upgrade deadlocks), and the busy
    # timeout makes a writer wait instead of failing with "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": env.int("SQLITE_BUSY_TIMEOUT", default=30),
        }
    )
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# CACHE (throttle counters, admin login attempts): shared between processes in production.
# https://django-environ.readthedocs.io/en/latest/types.html#environ-env-cache-url
CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}

# Admin login (django-axes): this many failures for one user name from one address lock that pair
# out for the lockout; counts are in the database, shared by every process.
ADMIN_LOGIN_MAX_FAILURES = env.int("ADMIN_LOGIN_MAX_FAILURES", default=5)
ADMIN_LOGIN_LOCKOUT_SECONDS = env.int("ADMIN_LOGIN_LOCKOUT_SECONDS", default=900)
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_FAILURE_LIMIT = "hub.admin_login.login_failure_limit"
AXES_COOLOFF_TIME = "hub.admin_login.login_cool_off"
AXES_LOCKOUT_CALLABLE = "hub.admin_login.login_locked_response"
AXES_CLIENT_IP_CALLABLE = "hub.api.client_address"  # NUM_PROXIES-aware, like the API throttles
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False

# I18N -----------------------------------------------------------------------------------------
LANGUAGE_CODE = env.str("LANGUAGE_CODE", default="en")
LANGUAGES = [("en", _("English")), ("ru", _("Russian"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Without collectstatic (dev, tests) whitenoise serves straight from the apps' static folders.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# REST API -------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["hub.parsers.JSONParser"],
    "EXCEPTION_HANDLER": "hub.api.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": None,
    "DEFAULT_THROTTLE_RATES": {
        # "off" turns a scope's throttle off. Counted per client address, in CACHE_URL.
        scope: (None if rate == "off" else rate)
        for scope, rate in {
            "shop_webhook": env.str("THROTTLE_SHOP_WEBHOOK", default="6000/min"),
            "imshop_callback": env.str("THROTTLE_IMSHOP_CALLBACK", default="600/min"),
            "status_api": env.str("THROTTLE_STATUS_API", default="6000/min"),
            # Failed authentications per address; over it, requests are refused before they are read.
            "unauthenticated": env.str("THROTTLE_UNAUTHENTICATED", default="30/min"),
        }.items()
    },
    # Proxies in front of the hub whose X-Forwarded-For may be trusted; 0 means use the peer address.
    "NUM_PROXIES": env.int("NUM_PROXIES", default=0),
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Order status hub API",
    "DESCRIPTION": "Takes the shop's order webhooks and Imshop cancellations, and serves order status.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    # OpenAPI 3.1 for its `webhooks`: the signed event status subscribers receive.
    "OAS_VERSION": "3.1.0",
    "WEBHOOKS": ["integrations.webhooks.schema.order_status_changed"],
}
# One limit for every inbound body: larger requests are answered 413 (and their head is kept).
INBOUND_MAX_BODY_BYTES = env.int("INBOUND_MAX_BODY_BYTES", default=1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = INBOUND_MAX_BODY_BYTES

# SECRETS FOR CALLERS --------------------------------------------------------------------------
SHOP_WEBHOOK_TOKEN = env.str("SHOP_WEBHOOK_TOKEN", default="")
IMSHOP_CALLBACK_TOKEN = env.str("IMSHOP_CALLBACK_TOKEN", default="")
HUB_API_TOKEN = env.str("HUB_API_TOKEN", default="")

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

HUB_SANDBOX = env.bool("HUB_SANDBOX", default=DEBUG)
if HUB_SANDBOX:
    # Installed only when served: without it its tables, admin and routes do not exist at all.
    INSTALLED_APPS.insert(INSTALLED_APPS.index("integrations") + 1, "integrations.sandbox")
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

# RETENTION AND ALERTS -------------------------------------------------------------------------
RETENTION_DAYS = env.int("RETENTION_DAYS", default=90)
ALERT_UNDELIVERED_AFTER = env.int("ALERT_UNDELIVERED_AFTER", default=1800)
ALERT_WEBHOOK_URL = env.str("ALERT_WEBHOOK_URL", default="")
ADMINS = [("Operator", address) for address in env.list("ADMINS", default=[])]
SERVER_EMAIL = env.str("SERVER_EMAIL", default="hub@localhost")
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)

# METRICS: /metrics needs `Authorization: Bearer <METRICS_TOKEN>`; without a token, refused (loopback only under DEBUG).
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")

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
if CELERY_BROKER_URL.startswith("sqlite://"):
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

# LOGGING --------------------------------------------------------------------------------------
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
# JSON lines for log collectors in production; readable lines under `make run`.
LOG_FORMAT = env.str("LOG_FORMAT", default="plain" if DEBUG else "json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "hub.observability.RequestIdFilter"}},
    "formatters": {
        "plain": {"()": "hub.observability.PlainFormatter",
                  "format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {"()": "hub.observability.JsonFormatter"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "filters": ["request_id"]},
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
}

# SECURITY -------------------------------------------------------------------------------------
# Secure by default when DEBUG is off (as cookiecutter-django): HTTPS redirect and HSTS on unless
# turned off. Behind a proxy that terminates TLS, set TLS_PROXY_HEADER=true: the proxy's
# `X-Forwarded-Proto: https` is then trusted (the proxy must overwrite what clients send).
if env.bool("TLS_PROXY_HEADER", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
# 60 s first; raise it (e.g. 31536000) once HTTPS is known to work everywhere.
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 60)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
# The load balancer checks health over plain HTTP inside the network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^metrics$"]
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
