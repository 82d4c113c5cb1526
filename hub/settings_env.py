"""Where the settings are read from: the project's paths, the `env` reader (with `.env` loaded) and DEBUG.

Every other settings module (hub/settings.py, hub/settings_partners.py, hub/settings_celery.py)
reads through this `env`, so the files below are loaded once, before any setting is read.
"""

from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
# The real environment wins over .env: read_env only fills names that are not set yet.
env.read_env(BASE_DIR / ".env")

DEBUG = env.bool("DEBUG", default=False)
if DEBUG:
    # `make run` writes generated dev tokens and the sandbox partner addresses here.
    env.read_env(VAR_DIR / "dev.env")
