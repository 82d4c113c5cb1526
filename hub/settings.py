"""Settings for the order status hub, read only from the environment (and an optional `.env`).

Every value is typed and has a default or means "feature off". The README lists them all.

This is the entry point (DJANGO_SETTINGS_MODULE=hub.settings). It holds Django's own settings and
imports, by name, the settings kept in modules of their own:
- hub/settings_env.py: the paths, the `env` reader (with `.env` loaded) and DEBUG;
- hub/settings_partners.py: order links, partners, the sandbox, delivery, outbound webhooks;
- hub/settings_celery.py: Celery, the broker's bounds and beat's schedule.
Each is imported where its section stands, so the settings are read (and refused) in this order.
A setting added to one of them is added to its import here too (tests/test_settings.py checks).
"""

from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from hub.settings_env import BASE_DIR, DEBUG, VAR_DIR, env

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
    "hub.api_paths.ApiTrailingSlashMiddleware",  # before CommonMiddleware's APPEND_SLASH redirect
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
    # The statements every webhook runs bind their values on the server (orders/services/
    # statements.py), and psycopg prepares each once it has run five times on a connection. Only those:
    # Django's own cursors bind on the client, which never prepares. PgBouncer in transaction
    # mode needs 1.21+ with max_prepared_statements set, or DATABASE_PREPARED_STATEMENTS off.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "prepare_threshold", 5 if env.bool("DATABASE_PREPARED_STATEMENTS", default=True) else None
    )
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

# ORDER LINKS, PARTNERS, DELIVERY, OUTBOUND WEBHOOKS: hub/settings_partners.py -----------------
from hub.settings_partners import (  # noqa: E402, F401
    ATTEMPT_BODY_LIMIT,
    CHANNEL_LIMITS,
    CHOCO_API_URL,
    CHOCO_BODY_FORMAT,
    CHOCO_CLIENT_ID,
    CHOCO_CLIENT_SECRET,
    CHOCO_PAYLOAD_VERSION,
    CHOCO_TIMEZONE,
    CONFIG_CACHE_SECONDS,
    DELIVERY_BATCH_BUDGET,
    DELIVERY_CAP_HOLD,
    DELIVERY_CLAIM_MAX,
    DELIVERY_LISTEN_URL,
    DELIVERY_OVERLOAD_FLOOR,
    DELIVERY_RECORD_WAVE,
    DELIVERY_REQUEUE_AFTER,
    DELIVERY_RETRY_AFTER_CAP,
    DELIVERY_RETRY_JITTER,
    DELIVERY_RETRY_SCHEDULE,
    DELIVERY_SEND_BATCH,
    DELIVERY_SEND_THREADS,
    DELIVERY_SWEEP_BATCH,
    DELIVERY_SWEEP_INTERVAL,
    DELIVERY_WAKEUP,
    HOROSHOP_API_URL,
    HOROSHOP_LOGIN,
    HOROSHOP_PASSWORD,
    HOROSHOP_POLL_FIRST_WINDOW,
    HOROSHOP_POLL_INTERVAL,
    HOROSHOP_POLL_MAX_PAGES,
    HOROSHOP_POLL_OVERLAP,
    HOROSHOP_POLL_PAGE_PAUSE,
    HOROSHOP_POLL_PAGE_SIZE,
    HUB_BIND,
    HUB_DEV_URL,
    HUB_PUBLIC_URL,
    HUB_SANDBOX,
    IMSHOP_API_KEY,
    IMSHOP_CANCEL_STATUSES,
    IMSHOP_STATUS_URL,
    IMSHOP_SYNC_ALL_ORDERS,
    PARTNER_ALLOW_HTTP,
    PARTNER_CONNECT_TIMEOUT,
    PARTNER_MAX_IN_FLIGHT,
    PARTNER_READ_TIMEOUT,
    PARTNER_RESPONSE_MAX_BYTES,
    SHOP_CHOCO_USER_ID_FIELD,
    SHOP_IMSHOP_UUID_FIELD,
    SHOP_TIMEZONE,
    WEBHOOK_ALLOW_PRIVATE_TARGETS,
    WEBHOOK_DISABLE_AFTER,
    WEBHOOK_SECRET_OVERLAP,
)

if DELIVERY_WAKEUP == "notify" and "postgresql" not in DATABASES["default"]["ENGINE"]:
    raise ImproperlyConfigured("DELIVERY_WAKEUP=notify needs PostgreSQL (DATABASE_URL); use publish or auto.")

if HUB_SANDBOX:
    # Installed only when served: without it its tables, admin and routes do not exist at all.
    INSTALLED_APPS.insert(INSTALLED_APPS.index("integrations") + 1, "integrations.sandbox")

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

# CELERY: hub/settings_celery.py ---------------------------------------------------------------
from hub.settings_celery import (  # noqa: E402, F401
    BROKER_BACKOFF_SECONDS,
    BROKER_SOCKET_TIMEOUT,
    BROKER_SQLITE_PATH,
    CELERY_ACCEPT_CONTENT,
    CELERY_BEAT_SCHEDULE,
    CELERY_BEAT_SCHEDULE_FILENAME,
    CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP,
    CELERY_BROKER_CONNECTION_TIMEOUT,
    CELERY_BROKER_TRANSPORT_OPTIONS,
    CELERY_BROKER_URL,
    CELERY_DB_REUSE_MAX,
    CELERY_RESULT_SERIALIZER,
    CELERY_TASK_ACKS_LATE,
    CELERY_TASK_IGNORE_RESULT,
    CELERY_TASK_PUBLISH_RETRY,
    CELERY_TASK_PUBLISH_RETRY_POLICY,
    CELERY_TASK_REJECT_ON_WORKER_LOST,
    CELERY_TASK_SERIALIZER,
    CELERY_TASK_SOFT_TIME_LIMIT,
    CELERY_TASK_TIME_LIMIT,
    CELERY_TIMEZONE,
    CELERY_WORKER_HIJACK_ROOT_LOGGER,
    CELERY_WORKER_PREFETCH_MULTIPLIER,
    embedded_broker,
)

if embedded_broker:  # the one setting set only sometimes: otherwise Celery's default (on) holds
    from hub.settings_celery import CELERY_WORKER_ENABLE_REMOTE_CONTROL  # noqa: F401

# LOGGING --------------------------------------------------------------------------------------
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
# JSON lines for log collectors in production; readable lines under `make run`.
LOG_FORMAT = env.str("LOG_FORMAT", default="plain" if DEBUG else "json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "hub.observability.RequestIdFilter"},
                "require_debug_false": {"()": "django.utils.log.RequireDebugFalse"}},
    "formatters": {
        "plain": {"()": "hub.observability.PlainFormatter",
                  "format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {"()": "hub.observability.JsonFormatter"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "filters": ["request_id"]},
        # Django's error mail (a 500's request, settings) to ADMINS when DEBUG is off, masked.
        "mail_admins": {"level": "ERROR", "class": "hub.observability.MaskingAdminEmailHandler",
                        "filters": ["require_debug_false"]},
    },
    # Django's own handlers (an unmasked console under DEBUG, an unmasked mail without) are replaced.
    "loggers": {"django": {"handlers": ["console", "mail_admins"], "level": LOG_LEVEL, "propagate": False},
                # Not every statement with its values, even at LOG_LEVEL=DEBUG: stored secrets would be in them.
                "django.db.backends": {"level": "INFO"}},
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
