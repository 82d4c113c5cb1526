"""Settings for the test suite: the real settings, with test secrets and fast password hashing.

DATABASE_URL and CELERY_BROKER_URL from the environment are honoured (PostgreSQL and Redis in CI);
without them the suite runs on the embedded defaults, in files of its own under var/.
"""

import os

# One id per test run, inherited by the worker processes the run starts: the run's SQLite file and
# broker folder carry it, so two runs on one machine never share either.
TEST_RUN_ID = os.environ.setdefault("HUB_TEST_RUN_ID", str(os.getpid()))
os.environ.setdefault("SECRET_KEY", "test-secret-key-not-for-production")
os.environ.setdefault("SHOP_WEBHOOK_TOKEN", "test-shop-token")
os.environ.setdefault("IMSHOP_CALLBACK_TOKEN", "test-imshop-key")
os.environ.setdefault("HUB_API_TOKEN", "test-api-token")
os.environ.setdefault("DELIVERY_RETRY_JITTER", "0")
os.environ.setdefault("HUB_SANDBOX", "true")
os.environ.setdefault("PARTNER_ALLOW_HTTP", "true")  # the partner stand-ins listen on loopback HTTP
os.environ.setdefault("WEBHOOK_ALLOW_PRIVATE_TARGETS", "true")  # so do the webhook subscribers
# Nothing kept between webhooks: tests roll their transactions back, and a listening connection
# would keep the test database from being dropped. The cache's own tests turn it on.
os.environ.setdefault("CONFIG_CACHE_SECONDS", "0")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")  # tests talk plain HTTP to the hub (and its live servers)

for scope in ("SHOP_WEBHOOK", "IMSHOP_CALLBACK", "STATUS_API", "UNAUTHENTICATED"):
    os.environ.setdefault(f"THROTTLE_{scope}", "off")  # tests of throttling turn it on themselves

import hub.settings as base_settings  # noqa: E402
from hub.settings import *  # noqa: E402, F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# pytest-xdist runs each of its workers with a database of its own; the broker follows it.
_RUN = TEST_RUN_ID + (f"-{os.environ['PYTEST_XDIST_WORKER']}" if os.environ.get("PYTEST_XDIST_WORKER") else "")
VAR_DIR.mkdir(exist_ok=True)  # noqa: F405 - a fresh clone has no var/ yet: the test database lives there

if base_settings.CELERY_BROKER_URL.startswith("sqlite://"):
    # Keep the suite's queue apart from a `make run` on the same clone.
    CELERY_BROKER_URL = f"sqlite:///{VAR_DIR / f'test-broker-{_RUN}.sqlite3'}"  # noqa: F405
else:
    # A shared Redis: each xdist worker (and its Celery worker processes) uses a queue of its own.
    CELERY_TASK_DEFAULT_QUEUE = f"celery-test-{_RUN}"

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # A file, not memory: the Celery worker started by the end-to-end tests must see it too.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-hub-{TEST_RUN_ID}.sqlite3")}  # noqa: F405
