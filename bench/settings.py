"""Settings of every benchmark process: the production settings, plus the ceiling view's URLconf.

The filesystem broker (the embedded default) gets a folder of its own under var/, so a benchmark
never reads or writes the queue of `make run` or of the test suite.
"""

from hub.settings import *  # noqa: F403
from hub.settings import CELERY_BROKER_URL, VAR_DIR, env

# The production URLs plus /bench/ceiling/ (bench/ceiling.py); nothing else differs.
ROOT_URLCONF = "bench.ceiling"

# The benchmarks talk plain HTTP on loopback: no redirect to HTTPS.
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)

BENCH_NAME = env.str("BENCH_NAME", default="bench")
BENCH_BROKER_DIR = VAR_DIR / f"{BENCH_NAME}-broker"
if CELERY_BROKER_URL.startswith("filesystem://"):
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BENCH_BROKER_DIR / "queue"),
        "data_folder_out": str(BENCH_BROKER_DIR / "queue"),
        # kombu's default is ./control, relative to the working directory.
        "control_folder": str(BENCH_BROKER_DIR / "control"),
        "store_processed": False,
    }
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / f"{BENCH_NAME}-celerybeat-schedule")
