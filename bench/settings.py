"""Settings of every benchmark process: the production settings, plus the ceiling view's URLconf.

The embedded SQLite broker gets a file of its own under var/ (bench.environment names it), so a
benchmark never reads or writes the queue of `make run` or of the test suite.
"""

from hub.settings import *  # noqa: F403
from hub.settings import VAR_DIR, env

# The production URLs plus /bench/ceiling/ (bench/ceiling.py); nothing else differs.
ROOT_URLCONF = "bench.ceiling"

# The benchmarks talk plain HTTP on loopback: no redirect to HTTPS.
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)

BENCH_NAME = env.str("BENCH_NAME", default="bench")
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / f"{BENCH_NAME}-celerybeat-schedule")
